"""Malformed Kafka values for the services' input topics, seeded and reproducible.

Each kind breaks one rule: the wire format (random bytes, truncation, a field with the wrong wire
type, an over-long varint, bad UTF-8), the schema's values (unknown enums, empty or zero ids,
quantity or price <= 0, a '|' in the book), size (huge strings, overflow-sized numbers) or the
stage (a status the service does not handle). Whether a value is really unusable, and why, is
asked of the reference core, the specification both cores follow; the rare value that turns out
valid by chance is drawn again.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from tradefast import reference
from tradefast.proto.tradefast_pb2 import Inquiry, Side, Status
from tradefast.reference.frame import varint
from tradefast.runtime import Rejection, ServiceSpec, rejections
from tradefast.runtime.dead_letter import TOO_LARGE

LIMIT = ServiceSpec.max_message_bytes
Kind = Callable[[random.Random, Inquiry], bytes]
INT64_MAX = 2**63 - 1


def valid(
    inquiry_id: int, status: Status.ValueType, version: int = 1, book: str = "BOOK1"
) -> Inquiry:
    return Inquiry(
        inquiry_id=inquiry_id,
        book_id=book,
        instrument_id="AAPL",
        quantity=500,
        price=1234,
        side=Side.BUY,
        event_time=1,
        counterparty="cpt1",
        status=status,
        version=version,
        created_ns=1,
    )


def _tag(number: int, wire_type: int) -> bytes:
    return varint(number << 3 | wire_type)


def _changed(base: Inquiry, **fields: object) -> bytes:
    copy = Inquiry()
    copy.CopyFrom(base)
    for name, value in fields.items():
        setattr(copy, name, value)
    return copy.SerializeToString()


def random_bytes(rng: random.Random, base: Inquiry) -> bytes:
    return rng.randbytes(rng.randint(1, 80))


def truncated(rng: random.Random, base: Inquiry) -> bytes:
    data = base.SerializeToString()
    return data[: rng.randint(1, len(data) - 1)]


def wrong_wire_type(rng: random.Random, base: Inquiry) -> bytes:
    number = rng.choice([1, 2, 3, 4, 5, 6, 10, 11])
    strings = number in (2, 3)
    # A string sent as a varint, or a number sent as a length-delimited field or a fixed64.
    extra = _tag(number, 0) + varint(7) if strings else _tag(number, rng.choice([1, 2, 5]))
    extra += b"\x03abc" if extra[-1] & 7 == 2 else b"\x00" * 8
    return base.SerializeToString() + extra


def overlong_varint(rng: random.Random, base: Inquiry) -> bytes:
    return base.SerializeToString() + _tag(4, 0) + b"\xff" * rng.randint(10, 20) + b"\x01"


def bad_utf8(rng: random.Random, base: Inquiry) -> bytes:
    return base.SerializeToString() + _tag(3, 2) + b"\x02\xc3\x28"


def unknown_enum(rng: random.Random, base: Inquiry) -> bytes:
    field = rng.choice(["side", "status"])
    return _changed(base, **{field: rng.randint(4, 10_000)})


def empty_ids(rng: random.Random, base: Inquiry) -> bytes:
    options: list[dict[str, object]] = [
        {"inquiry_id": 0},
        {"inquiry_id": -rng.randint(1, 2**40)},
        {"book_id": ""},
        {"instrument_id": ""},
        {"book_id": "BOOK|1"},
    ]
    return _changed(base, **rng.choice(options))


def not_positive(rng: random.Random, base: Inquiry) -> bytes:
    field = rng.choice(["quantity", "price"])
    return _changed(base, **{field: -rng.randint(0, 2**62)})


def overflow(rng: random.Random, base: Inquiry) -> bytes:
    options: list[dict[str, object]] = [
        {"quantity": INT64_MAX, "price": rng.randint(2, INT64_MAX)},
        {"quantity": 2**32, "price": 2**32},
        {"version": INT64_MAX},
    ]
    return _changed(base, **rng.choice(options))


def huge_string(rng: random.Random, base: Inquiry) -> bytes:
    """Hundreds of KiB in one string: never an inquiry, but close to Kafka's size limit."""
    size = rng.randint(100_000, 900_000)
    field = rng.choice(["book_id", "instrument_id", "counterparty", "reject_reason"])
    return _changed(base, **{field: "X" * size})


def wrong_stage(rng: random.Random, base: Inquiry) -> bytes:
    """A valid inquiry, but in a status the consuming service does not handle."""
    return _changed(base, status=rng.choice(list(Status.values())))


KINDS: dict[str, Kind] = {
    "random bytes": random_bytes,
    "truncated": truncated,
    "wrong wire type": wrong_wire_type,
    "over-long varint": overlong_varint,
    "bad UTF-8": bad_utf8,
    "unknown enum": unknown_enum,
    "empty or zero id": empty_ids,
    "quantity or price <= 0": not_positive,
    "overflow-sized numbers": overflow,
    "wrong status for the stage": wrong_stage,
}
# Huge values are few: each costs the broker and the dead-letter topic up to a MiB.
HUGE_EVERY = 1000


# Kafka keys for the malformed values: right, wrong, absent, not UTF-8, empty.
KEYS = (b"BOOK1|AAPL", b"BOOK2|MSFT", None, b"\xff\xfe not utf-8", b"")


def rejection(
    stage: str, status: Status.ValueType, value: bytes, key: bytes | None
) -> Rejection | None:
    """Why a service of `stage` ("enrich" or "decide") rejects `value` sent with `key` on the
    topic of `status`: the runtime's size limit, then the reference core; None if it is valid."""
    if len(value) + len(key or b"") > LIMIT:
        return Rejection(0, TOO_LARGE, f"message larger than {LIMIT} bytes")
    if stage == "enrich":
        offset = 0 if status == Status.NEW else -1
        errors = reference.enrich([value], [key], [offset], {}, {}, 1).errors
    else:
        errors = reference.decide([value], 0, 0.1, None, 1).errors
    return rejections(errors)[0] if errors else None


def malformed(
    stage: str, status: Status.ValueType, count: int, seed: int
) -> list[tuple[str, bytes, bytes | None, Rejection]]:
    """`count` (kind, value, Kafka key, expected rejection) for a service of `stage` reading
    `status`."""
    rng = random.Random(seed)
    base = valid(1, status)
    names = list(KINDS)
    result: list[tuple[str, bytes, bytes | None, Rejection]] = []
    while len(result) < count:
        name = "huge string" if len(result) % HUGE_EVERY == HUGE_EVERY - 1 else rng.choice(names)
        kind = huge_string if name == "huge string" else KINDS[name]
        base.inquiry_id = rng.randint(1, 2**40)
        value = kind(rng, base)
        key = rng.choice(KEYS)
        reason = rejection(stage, status, value, key)
        if reason is not None:
            result.append((name, value, key, reason))
    return result
