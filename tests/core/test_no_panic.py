"""No input makes the Rust core crash: random bytes, huge declared lengths and deep nesting
come back as per-message errors."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from inquiry_factory import REFERENCE, RUST, encoded, enrich_batch

HOSTILE = [
    b"\x12\xff\xff\xff\xff\x0f",  # a 4 GiB string
    b"\x12\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",  # a length of 2**64 - 1
    b"\xa3\x01" * 10_000,  # groups nested 10,000 deep, never closed
    b"\xa3\x01" * 200 + b"\xa4\x01" * 200,
    b"\x08" + b"\x80" * 100_000,  # an endless varint
    b"\xff" * 64,
    b"",
    bytes(1_000_000),  # a million zero bytes: field number 0
]


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=300)
@given(st.lists(st.binary(max_size=64), max_size=30))
def test_random_bytes_are_errors_or_results(messages: list[bytes]) -> None:
    keys, values, _, _, _, errors = RUST.enrich(
        messages, [None] * len(messages), [0] * len(messages), {}, {}, 0
    )
    assert len(keys) == len(values) <= len(messages) - len(errors)
    assert all(0 <= index < len(messages) for index, _ in errors)
    keys, values, errors, done = RUST.decide(messages, 0, 0.5, 0, 0)
    assert len(keys) == len(values) == len(messages) - len(errors), "each answered or refused"
    assert all(0 <= index < len(values) for index in done)


def test_hostile_messages_are_malformed() -> None:
    errors = enrich_batch(RUST, [*HOSTILE, encoded(1)]).errors
    assert errors == [(index, "malformed protobuf") for index in range(6)] + [
        (6, "inquiry_id must be positive"),
        (7, "malformed protobuf"),
    ]
    assert enrich_batch(REFERENCE, [*HOSTILE, encoded(1)]).errors == errors


def test_frame_of_large_messages() -> None:
    big = bytes(3_000_000)
    frame = RUST.frame([big, b""], [big], True)
    # Each big message: a 1-byte tag and a 4-byte length; the empty one 2 bytes; snapshot 2.
    assert len(frame) == 2 * (1 + 4 + len(big)) + 2 + 2
    assert frame == REFERENCE.frame([big, b""], [big], True)


def test_websocket_frames_of_large_messages() -> None:
    big = bytes(3_000_000)
    frames = RUST.websocket_frames([big, b""])
    # The big message: 2 header bytes and an 8-byte length; the empty one 2 bytes.
    assert len(frames) == 10 + len(big) + 2
    assert frames == REFERENCE.websocket_frames([big, b""])
