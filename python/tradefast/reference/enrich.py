"""Position aggregation and enrichment of one batch of `inquiries.new` and `inquiries.done`."""

from collections.abc import Sequence

from tradefast.core_types import NO_POSITION, Enrichment, Position, Record, Recorded
from tradefast.proto.tradefast_pb2 import Inquiry, Status
from tradefast.reference import errors
from tradefast.reference.validation import (
    check_int,
    check_keys,
    check_messages,
    check_offsets,
    check_positions,
    check_recorded,
    decode,
    fits_int64,
    position_key,
    signed_notional,
    signed_quantity,
    status_name,
)


def enrich(
    messages: Sequence[bytes],
    keys: Sequence[bytes | None],
    offsets: Sequence[int],
    positions: dict[str, Position],
    recorded: dict[tuple[str, int], Recorded],
    enriched_ns: int,
) -> Enrichment:
    """Walk the batch in order: a DONE moves its key's position once (the done_offset fence), a
    NEW is stamped with its key's position at that point (or, replayed, with what it was stamped
    with the first time), NOT_DONE is ignored. See tradefast/_core.pyi."""
    batch = check_messages(messages)
    kafka_keys = check_keys(keys, len(batch))
    new_offsets = check_offsets(offsets, len(batch))
    working = check_positions(positions)
    records_in = check_recorded(recorded)
    stamp = check_int(enriched_ns, "enriched_ns")
    out = Enrichment([], [], {}, {}, 0, [])
    replayed = 0
    for index, data in enumerate(batch):
        inquiry = decode(data)
        if isinstance(inquiry, str):
            out.errors.append((index, inquiry))
            continue
        key = position_key(inquiry)
        if kafka_keys[index] != key.encode():
            out.errors.append((index, errors.KEY_MISMATCH))
            continue
        position = working.get(key, NO_POSITION)
        if inquiry.status == Status.DONE:
            moved = _apply_done(inquiry, position)
            if isinstance(moved, str):
                out.errors.append((index, moved))
            elif moved is None:
                replayed += 1
            else:
                working[key] = out.updated[key] = moved
        elif inquiry.status == Status.NEW:
            offset = new_offsets[index]
            reason = _check_new(inquiry, offset)
            if reason is not None:
                out.errors.append((index, reason))
            elif offset <= position.enriched_offset:
                replayed += 1
                first = records_in.get((key, offset))
                if first is not None:
                    _stamp(inquiry, first, offset)
                    out.keys.append(key.encode())
                    out.values.append(inquiry.SerializeToString())
            else:
                enrichment = (position.notional, position.quantity, position.sequence, stamp)
                _stamp(inquiry, enrichment, offset)
                out.keys.append(key.encode())
                out.values.append(inquiry.SerializeToString())
                record: Record = (offset, *enrichment)
                out.records.setdefault(key, []).append(record)
                working[key] = out.updated[key] = position._replace(enriched_offset=offset)
        elif inquiry.status != Status.NOT_DONE:
            out.errors.append((index, errors.unexpected_status(status_name(inquiry))))
    return out._replace(replayed=replayed)


def _apply_done(inquiry: Inquiry, position: Position) -> Position | str | None:
    """The position after this DONE, None if its NEW's offset is at or below the key's
    done_offset (already counted), or the reason it cannot be applied."""
    if not inquiry.HasField("new_offset"):
        return errors.DONE_WITHOUT_NEW_OFFSET
    if inquiry.new_offset < 0:
        return errors.NEGATIVE_NEW_OFFSET
    notional, quantity, sequence, done_offset, enriched_offset = position
    if inquiry.new_offset <= done_offset:
        return None
    moved = Position(
        notional + signed_notional(inquiry),
        quantity + signed_quantity(inquiry),
        sequence + 1,
        inquiry.new_offset,
        enriched_offset,
    )
    if not all(fits_int64(value) for value in moved):
        return errors.POSITION_OVERFLOW
    return moved


def _check_new(inquiry: Inquiry, offset: int) -> str | None:
    if offset < 0:
        return errors.NEW_WITHOUT_OFFSET
    if not fits_int64(inquiry.version + 1):
        return errors.VERSION_OVERFLOW
    return None


def _stamp(inquiry: Inquiry, enrichment: Recorded, offset: int) -> None:
    """Stamp a NEW inquiry in place with its enrichment."""
    notional, quantity, sequence, enriched_ns = enrichment
    inquiry.position = notional
    inquiry.position_quantity = quantity
    inquiry.sequence = sequence
    inquiry.status = Status.POSITION_ENRICHED
    inquiry.version += 1
    inquiry.enriched_ns = enriched_ns
    inquiry.new_offset = offset
