"""Server-to-client WebSocket frames, for the gateway's clients of the original format."""

from collections.abc import Sequence

from tradefast.reference.validation import check_messages

# FIN set, no extension bits, opcode 2 (binary).
FINAL_BINARY = 0x82
# Length bytes announcing a 16-bit and a 64-bit extended payload length (RFC 6455, 5.2).
EXTENDED_16 = 126
EXTENDED_64 = 127


def header(length: int) -> bytes:
    """The header of a final, unmasked binary frame of `length` payload bytes."""
    if length < EXTENDED_16:
        return bytes((FINAL_BINARY, length))
    if length <= 0xFFFF:
        return bytes((FINAL_BINARY, EXTENDED_16)) + length.to_bytes(2, "big")
    return bytes((FINAL_BINARY, EXTENDED_64)) + length.to_bytes(8, "big")


def websocket_frames(messages: Sequence[bytes]) -> bytes:
    """Each message as its own frame, the frames one after the other: what a socket carries
    when each message is sent on its own, built at once so that a batch is one write."""
    return b"".join(header(len(m)) + m for m in check_messages(messages))
