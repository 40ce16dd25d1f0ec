"""Position aggregation and enrichment of one batch of `inquiries.new` and `inquiries.decided`."""

from collections.abc import Mapping, Sequence

from tradefast.proto.tradefast_pb2 import Inquiry, Status
from tradefast.reference import errors
from tradefast.reference.validation import (
    INT64_MAX,
    INT64_MIN,
    Position,
    check_int,
    check_messages,
    check_positions,
    decode,
    fits_int64,
    position_key,
    signed_notional,
    signed_quantity,
    status_name,
)

NO_POSITION: Position = (0, 0, 0, 0)


def enrich(
    messages: Sequence[bytes], positions: Mapping[str, Position], enriched_ns: int
) -> tuple[list[bytes], list[bytes], dict[str, Position], list[tuple[int, str]]]:
    """Walk the batch in order: DONE moves its key's position (once per inquiry id, thanks to the
    last_done_id fence), NEW is stamped with its key's position at that point, NOT_DONE is
    ignored. Returns (keys, values, updated, errors) as described in tradefast/_core.pyi."""
    batch = check_messages(messages)
    working = check_positions(positions)
    stamp = check_int(enriched_ns, "enriched_ns", INT64_MIN, INT64_MAX)
    keys: list[bytes] = []
    values: list[bytes] = []
    updated: dict[str, Position] = {}
    rejected: list[tuple[int, str]] = []
    for index, data in enumerate(batch):
        inquiry = decode(data)
        if isinstance(inquiry, str):
            rejected.append((index, inquiry))
            continue
        key = position_key(inquiry)
        if inquiry.status == Status.DONE:
            moved = _apply_done(inquiry, working.get(key, NO_POSITION))
            if isinstance(moved, str):
                rejected.append((index, moved))
            elif moved is not None:
                working[key] = updated[key] = moved
        elif inquiry.status == Status.NEW:
            reason = _stamp(inquiry, working.get(key, NO_POSITION), stamp)
            if reason is not None:
                rejected.append((index, reason))
            else:
                keys.append(key.encode())
                values.append(inquiry.SerializeToString())
        elif inquiry.status != Status.NOT_DONE:
            rejected.append((index, errors.unexpected_status(status_name(inquiry))))
    return keys, values, updated, rejected


def _apply_done(inquiry: Inquiry, position: Position) -> Position | str | None:
    """The position after this DONE, None if the fence says it is already counted, or the
    reason it cannot be applied."""
    notional, quantity, sequence, last_done_id = position
    if inquiry.inquiry_id <= last_done_id:
        return None
    moved = (
        notional + signed_notional(inquiry),
        quantity + signed_quantity(inquiry),
        sequence + 1,
        inquiry.inquiry_id,
    )
    if not all(fits_int64(value) for value in moved):
        return errors.POSITION_OVERFLOW
    return moved


def _stamp(inquiry: Inquiry, position: Position, enriched_ns: int) -> str | None:
    """Stamp a NEW inquiry with its key's position in place, or say why it cannot be."""
    if not fits_int64(inquiry.version + 1):
        return errors.VERSION_OVERFLOW
    notional, quantity, sequence, _ = position
    inquiry.position = notional
    inquiry.position_quantity = quantity
    inquiry.sequence = sequence
    inquiry.status = Status.POSITION_ENRICHED
    inquiry.version += 1
    inquiry.enriched_ns = enriched_ns
    return None
