"""Decoding and validating one Inquiry, and checking the arguments of a call."""

from collections.abc import Iterable, Sequence

from google.protobuf.message import DecodeError

from tradefast.core_types import Position, Recorded
from tradefast.proto.tradefast_pb2 import Inquiry, Side, Status
from tradefast.reference import errors, wire

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
UINT64_MAX = 2**64 - 1


def fits_int64(value: int) -> bool:
    return INT64_MIN <= value <= INT64_MAX


def position_key(inquiry: Inquiry) -> str:
    """The Kafka key and position key of an inquiry: "book|instrument"."""
    return f"{inquiry.book_id}|{inquiry.instrument_id}"


def signed_notional(inquiry: Inquiry) -> int:
    """quantity * price, negative for SELL (validated not to overflow)."""
    notional = inquiry.quantity * inquiry.price
    return -notional if inquiry.side == Side.SELL else notional


def signed_quantity(inquiry: Inquiry) -> int:
    return -inquiry.quantity if inquiry.side == Side.SELL else inquiry.quantity


def decode(data: bytes) -> Inquiry | str:
    """The decoded inquiry, unknown fields dropped, or the reason it is rejected."""
    try:
        wire.check_inquiry(data)
        inquiry = Inquiry()
        inquiry.ParseFromString(data)
    except (wire.Malformed, DecodeError):
        return errors.MALFORMED
    inquiry.DiscardUnknownFields()
    reason = invalid_reason(inquiry)
    return reason if reason is not None else inquiry


def invalid_reason(inquiry: Inquiry) -> str | None:
    """Why a decoded inquiry is unusable by any stage, checked in this order, or None."""
    if inquiry.inquiry_id <= 0:
        return errors.INQUIRY_ID_NOT_POSITIVE
    if not inquiry.book_id:
        return errors.EMPTY_BOOK_ID
    if "|" in inquiry.book_id:
        return errors.SEPARATOR_IN_BOOK_ID
    if not inquiry.instrument_id:
        return errors.EMPTY_INSTRUMENT_ID
    if inquiry.quantity <= 0:
        return errors.QUANTITY_NOT_POSITIVE
    if inquiry.price <= 0:
        return errors.PRICE_NOT_POSITIVE
    if inquiry.side not in Side.values():
        return errors.UNKNOWN_SIDE
    if inquiry.status not in Status.values():
        return errors.UNKNOWN_STATUS
    if not fits_int64(inquiry.quantity * inquiry.price):
        return errors.NOTIONAL_OVERFLOW
    return None


def status_name(inquiry: Inquiry) -> str:
    return Status.Name(inquiry.status)


def check_messages(messages: Sequence[bytes], what: str = "messages") -> list[bytes]:
    """The messages as a list, or TypeError if one is not bytes."""
    checked = list(messages)
    for item in checked:
        if not isinstance(item, bytes):
            raise TypeError(f"{what} must contain bytes, not {type(item).__name__}")
    return checked


def check_int(value: object, name: str, low: int = INT64_MIN, high: int = INT64_MAX) -> int:
    """`value` as the Rust core's typed arguments take an int of [low, high] (an i64 unless
    said otherwise): TypeError if not an int, OverflowError if it does not fit."""
    if not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if not low <= value <= high:
        raise OverflowError(f"{name} must be in [{low}, {high}], got {value}")
    return value


RECORDED_FIELDS = ("notional", "quantity", "sequence", "enriched_ns")


def check_positions(positions: dict[str, Position]) -> dict[str, Position]:
    """A copy of the positions after checking every key and value."""
    checked: dict[str, Position] = {}
    for key, value in _items(positions, "positions"):
        if not isinstance(key, str):
            raise TypeError(f"position keys must be str, not {type(key).__name__}")
        fields = _int64_tuple(value, Position._fields, f"position of {key!r}")
        checked[key] = Position(*fields)
    return checked


def check_recorded(recorded: dict[tuple[str, int], Recorded]) -> dict[tuple[str, int], Recorded]:
    """A copy of the recorded enrichments, keyed by (key, offset), after checking them."""
    checked: dict[tuple[str, int], Recorded] = {}
    for at, value in _items(recorded, "recorded"):
        if not (isinstance(at, tuple) and len(at) == 2 and isinstance(at[0], str)):
            raise TypeError("recorded must be keyed by (str, int) tuples")
        offset = check_int(at[1], "recorded offset")
        fields = _int64_tuple(value, RECORDED_FIELDS, f"recorded enrichment of {at!r}")
        checked[(at[0], offset)] = (fields[0], fields[1], fields[2], fields[3])
    return checked


def check_keys(keys: Sequence[bytes | None], count: int) -> list[bytes | None]:
    """The Kafka keys of a batch: one bytes (or None) per message."""
    checked = list(keys)
    for key in checked:
        if key is not None and not isinstance(key, bytes):
            raise TypeError(f"keys must contain bytes or None, not {type(key).__name__}")
    if len(checked) != count:
        raise errors.CoreError(f"got {len(checked)} keys for {count} messages")
    return checked


def check_offsets(offsets: Sequence[int], count: int) -> list[int]:
    """The inquiries.new offset of each message (negative for one read from another topic)."""
    checked = [check_int(offset, "offset") for offset in offsets]
    if len(checked) != count:
        raise errors.CoreError(f"got {len(checked)} offsets for {count} messages")
    return checked


def _int64_tuple(value: object, names: tuple[str, ...], what: str) -> tuple[int, ...]:
    if not isinstance(value, tuple):
        raise TypeError(f"{what} must be a tuple, not {type(value).__name__}")
    if len(value) != len(names):
        raise ValueError(f"{what} must be a tuple of {len(names)} ints")
    return tuple(
        check_int(item, f"{what}: {name}") for item, name in zip(value, names, strict=True)
    )


def _items(mapping: object, name: str) -> Iterable[tuple[object, object]]:
    if not isinstance(mapping, dict):
        raise TypeError(f"{name} must be a dict, not {type(mapping).__name__}")
    return mapping.items()
