"""WebSocket frame assembly: an encoded InquiryBatch built around already-encoded messages."""

from collections.abc import Sequence

from tradefast.proto.tradefast_pb2 import InquiryBatch
from tradefast.reference.validation import check_messages

LENGTH_DELIMITED = 2
VARINT = 0

_FIELDS = InquiryBatch.DESCRIPTOR.fields_by_name
INQUIRIES_TAG = _FIELDS["inquiries"].number << 3 | LENGTH_DELIMITED
POSITIONS_TAG = _FIELDS["positions"].number << 3 | LENGTH_DELIMITED
SNAPSHOT_TAG = _FIELDS["snapshot"].number << 3 | VARINT


def varint(value: int) -> bytes:
    """The protobuf varint encoding of a non-negative int."""
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def frame(
    inquiries: Sequence[bytes], positions: Sequence[bytes] = (), snapshot: bool = False
) -> bytes:
    """An InquiryBatch on the wire is its fields in order, each a tag, a length and the embedded
    message's bytes, so the frame is built by concatenation without decoding anything. The
    bytes are what InquiryBatch.SerializeToString() gives for the same (canonical) messages."""
    if not isinstance(snapshot, bool):
        raise TypeError(f"snapshot must be a bool, not {type(snapshot).__name__}")
    out = bytearray()
    for tag, messages in (
        (INQUIRIES_TAG, check_messages(inquiries, "inquiries")),
        (POSITIONS_TAG, check_messages(positions, "positions")),
    ):
        for message in messages:
            out += varint(tag) + varint(len(message)) + message
    if snapshot:
        out += varint(SNAPSHOT_TAG) + varint(1)
    return bytes(out)
