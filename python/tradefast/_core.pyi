"""The Rust hot path (rust/position_core). `tradefast.reference` is its pure-Python specification
with the same functions and results; `tradefast.core.load()` picks one by TRADEFAST_CORE."""

from collections.abc import Mapping, Sequence

# Position of one key "book|instrument": (notional cents, quantity, sequence, last_done_id).
# `sequence` counts the DONE inquiries applied; `last_done_id` is the highest inquiry id of them,
# the fence that stops a replayed DONE from being applied twice.
Position = tuple[int, int, int, int]

class CoreError(Exception):
    """Raised for a call the core cannot serve at all (never for one bad message)."""

def enrich(
    messages: Sequence[bytes], positions: Mapping[str, Position], enriched_ns: int
) -> tuple[list[bytes], list[bytes], dict[str, Position], list[tuple[int, str]]]:
    """Walk one batch of `inquiries.new` and `inquiries.decided` values in arrival order.

    NEW: stamped with its key's working position (position, position_quantity, sequence),
    status POSITION_ENRICHED, version + 1, enriched_ns. DONE with inquiry_id > the key's
    last_done_id: adds its signed notional and quantity to the key, sequence + 1,
    last_done_id = inquiry_id. A DONE at or below the fence, and NOT_DONE, change nothing.
    Keys missing from `positions` start at (0, 0, 0, 0).

    Returns (keys, values, updated, errors): the Kafka keys and encoded values of the enriched
    inquiries in input order; the new position of every key a DONE changed; and (index, reason)
    for every message that could not be decoded or is invalid.
    """

def decide(
    messages: Sequence[bytes],
    seed: int,
    done_fraction: float,
    position_limit: int | None,
    decided_ns: int,
) -> tuple[list[bytes], list[bytes], list[tuple[int, str]]]:
    """Decide enriched inquiries: DONE for a seeded, reproducible `done_fraction` of inquiry ids,
    NOT_DONE otherwise, and NOT_DONE when |position + signed notional| would exceed
    `position_limit` (cents). version + 1, decided_ns set. Returns (keys, values, errors)."""

def frame(
    inquiries: Sequence[bytes], positions: Sequence[bytes] = (), snapshot: bool = False
) -> bytes:
    """Pack already-encoded Inquiry and Position messages into one encoded InquiryBatch,
    without decoding them."""
