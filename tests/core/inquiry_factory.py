"""Inquiries for the core tests: a builder for hand-written cases and hypothesis strategies
that mix valid messages with every kind of malformed or invalid one."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from tradefast import core
from tradefast.core import Core, Position
from tradefast.core_types import Enrichment, Recorded
from tradefast.proto.tradefast_pb2 import BUY, DONE, NEW, NOT_DONE, POSITION_ENRICHED, Inquiry

CORE_NAMES = ("rust", "reference")
CORES = [core.load(name) for name in CORE_NAMES]
RUST, REFERENCE = CORES

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
BOOKS = ("BOOK1", "BOOK2", "bœk")
INSTRUMENTS = ("AAPL", "MSFT")


def inquiry(
    inquiry_id: int,
    status: int = NEW,
    side: int = BUY,
    quantity: int = 100,
    price: int = 250,
    book_id: str = "BOOK1",
    instrument_id: str = "AAPL",
    **fields: Any,
) -> Inquiry:
    return Inquiry(
        inquiry_id=inquiry_id,
        book_id=book_id,
        instrument_id=instrument_id,
        quantity=quantity,
        price=price,
        side=side,  # type: ignore[arg-type]
        status=status,  # type: ignore[arg-type]
        version=fields.pop("version", 1),
        **fields,
    )


def encoded(inquiry_id: int, status: int = NEW, **fields: Any) -> bytes:
    return inquiry(inquiry_id, status, **fields).SerializeToString()


def decoded(data: bytes) -> Inquiry:
    message = Inquiry()
    message.ParseFromString(data)
    return message


def natural_key(data: bytes) -> bytes | None:
    """The Kafka key a producer gives `data`: its book|instrument, None if it does not parse."""
    try:
        message = decoded(data)
    except Exception:
        return None
    return f"{message.book_id}|{message.instrument_id}".encode()


def new_offsets(batch: list[bytes], first: int = 100) -> list[int]:
    """Offsets as the position service passes them: a NEW at `first` + its index, any other
    message -1 (read from inquiries.done)."""
    offsets = []
    for index, data in enumerate(batch):
        key = natural_key(data)
        offsets.append(first + index if key is not None and decoded(data).status == NEW else -1)
    return offsets


def enrich_batch(
    core: Core,
    batch: list[bytes],
    positions: dict[str, Position] | None = None,
    enriched_ns: int = 0,
    recorded: dict[tuple[str, int], Recorded] | None = None,
) -> Enrichment:
    """`core.enrich` called as the position service calls it on fresh input: natural Kafka keys,
    NEW offsets from `new_offsets`."""
    keys = [natural_key(data) for data in batch]
    return core.enrich(
        batch, keys, new_offsets(batch), positions or {}, recorded or {}, enriched_ns
    )


int64s = st.integers(INT64_MIN, INT64_MAX)


@st.composite
def inquiries(draw: st.DrawFn, statuses: tuple[int, ...] = (NEW, DONE, NOT_DONE)) -> Inquiry:
    """An Inquiry with keys that collide often: valid half of the time, otherwise with one flaw
    (an invalid field, an unknown enum, or amounts near the int64 limits)."""
    message = Inquiry(
        inquiry_id=draw(st.integers(1, 60)),
        book_id=draw(st.sampled_from(BOOKS)),
        instrument_id=draw(st.sampled_from(INSTRUMENTS)),
        quantity=draw(st.integers(1, 10_000)),
        price=draw(st.integers(1, 10_000)),
        side=draw(st.sampled_from((0, 1))),  # type: ignore[arg-type]
        event_time=draw(int64s),
        counterparty=draw(st.text(max_size=6)),
        position=draw(st.integers(-(10**9), 10**9) | int64s),
        status=draw(st.sampled_from(statuses)),  # type: ignore[arg-type]
        version=draw(st.integers(0, 5)),
        created_ns=draw(int64s),
        reject_reason=draw(st.sampled_from(("", "declined"))),
    )
    if draw(st.integers(0, 9)):
        message.new_offset = draw(st.integers(0, 60) | st.integers(-3, -1) | int64s)
    flaw = draw(st.integers(0, 19))
    if flaw == 0:
        message.inquiry_id = draw(st.integers(INT64_MIN, 0) | st.integers(-1, 0))
    elif flaw == 1:
        message.book_id = draw(st.sampled_from(("", "BO|OK", "|")))
    elif flaw == 2:
        message.instrument_id = draw(st.sampled_from(("", "A|B")))
    elif flaw == 3:
        message.quantity = draw(st.integers(INT64_MIN, 0) | st.integers(-1, 0))
    elif flaw == 4:
        message.price = draw(st.integers(INT64_MIN, 0) | st.integers(-1, 0))
    elif flaw == 5:
        message.side = draw(st.integers(-(2**31), 2**31 - 1).filter(lambda v: v not in (0, 1)))  # type: ignore[assignment]
    elif flaw == 6:
        message.status = draw(st.integers(-(2**31), 2**31 - 1).filter(lambda v: v > 3 or v < 0))  # type: ignore[assignment]
    elif flaw == 7:
        message.status = POSITION_ENRICHED if POSITION_ENRICHED not in statuses else NEW
    elif flaw == 8:
        # Notional near or beyond the int64 limit, so positions overflow after a few DONE.
        message.quantity = draw(st.integers(2**30, 2**33))
        message.price = draw(st.integers(2**29, 2**31))
    elif flaw == 9:
        message.version = INT64_MAX
    elif flaw == 10:
        message.inquiry_id = draw(st.integers(1, INT64_MAX))
    return message


# Byte strings that break the wire rules of tradefast.reference.wire in different ways.
WIRE_BREAKERS = (
    b"\x0a\x01A",  # inquiry_id (varint) sent length-delimited
    b"\x10\x05",  # book_id (string) sent as a varint
    b"\x12\x01\xff",  # book_id not UTF-8
    b"\x08" + b"\xff" * 9 + b"\x02",  # 10-byte varint beyond 64 bits
    b"\x08" + b"\xff" * 10 + b"\x01",  # 11-byte varint
    b"\x88\x80\x80\x80\x80\x00\x05",  # 6-byte tag
    b"\xa3\x01\xa4\x01",  # a group
    b"\xa4\x01",  # end group without start
    b"\xa6\x01",  # wire type 6
    b"\x00\x01",  # field number 0
    b"\xa2\x01\xff\xff\xff\xff\x0f",  # length beyond the message
    b"\xa2\x01\x81\x80\x80\x80\x80\x00A",  # 6-byte length
    b"\xa9\x01\x00\x00",  # truncated fixed64
)
# Unknown fields the rules accept (and both cores drop).
UNKNOWN_FIELDS = (
    b"\xa0\x01\x07",
    b"\xa9\x01" + bytes(8),
    b"\xad\x01" + bytes(4),
    b"\xa2\x01\x02\xff\xfe",
    b"\xf8\xff\xff\xff\x0f\x01",
)


@st.composite
def raw_messages(draw: st.DrawFn, statuses: tuple[int, ...] = (NEW, DONE, NOT_DONE)) -> bytes:
    """One Kafka value: a valid or invalid Inquiry, possibly damaged on the wire."""
    data = draw(inquiries(statuses)).SerializeToString()
    damage = draw(st.integers(0, 9))
    if damage == 0:
        return draw(st.binary(max_size=40))
    if damage == 1:
        return data[: draw(st.integers(0, max(len(data) - 1, 0)))]
    if damage == 2:
        position = draw(st.integers(0, len(data)))
        return data[:position] + draw(st.sampled_from(WIRE_BREAKERS)) + data[position:]
    if damage == 3:
        return data + draw(st.sampled_from(UNKNOWN_FIELDS))
    if damage == 4 and data:
        position = draw(st.integers(0, len(data) - 1))
        return data[:position] + bytes([draw(st.integers(0, 255))]) + data[position + 1 :]
    if damage == 5:
        # Non-canonical but valid: a varint padded with a continuation byte.
        return data + b"\x08\x81\x00"
    return data


keys = st.sampled_from([f"{book}|{instrument}" for book in BOOKS for instrument in INSTRUMENTS])
offsets = st.integers(-1, 60)
position_values: st.SearchStrategy[Position] = st.builds(
    Position,
    st.integers(-(10**12), 10**12) | int64s,
    st.integers(-(10**6), 10**6) | int64s,
    st.integers(0, 100) | int64s,
    offsets | int64s,
    offsets | int64s,
)
recorded_values: st.SearchStrategy[Recorded] = st.tuples(int64s, int64s, int64s, int64s)
recorded = st.dictionaries(st.tuples(keys, offsets), recorded_values, max_size=6)
positions = st.dictionaries(keys, position_values, max_size=4)


__all__ = [
    "CORES",
    "CORE_NAMES",
    "DONE",
    "NEW",
    "NOT_DONE",
    "POSITION_ENRICHED",
    "REFERENCE",
    "RUST",
    "Core",
    "enrich_batch",
    "natural_key",
    "new_offsets",
]
