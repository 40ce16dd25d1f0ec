"""The Rust hot path (rust/position_core). `tradefast.reference` is its pure-Python specification
with the same functions and results; `tradefast.core.load()` picks one by TRADEFAST_CORE.

Keys: a position key is "book|instrument" (book_id never contains "|"); the Kafka key of an
output message is the same string, UTF-8 encoded. Per-message rejection reasons are the
strings of `tradefast.reference.errors` (e.g. "malformed protobuf", "empty book_id"); the
accepted wire format is described in `tradefast.reference.wire`. Unknown protobuf fields are
dropped on re-encode. Wrong argument types raise TypeError, out-of-range argument values
CoreError; no input makes the core crash.
"""

from collections.abc import Mapping, Sequence

# Position of one key "book|instrument": (notional cents, quantity, sequence, last_done_id).
# `sequence` counts the DONE inquiries applied; `last_done_id` is the highest inquiry id of them,
# the fence that stops a replayed DONE from being applied twice.
Position = tuple[int, int, int, int]

class CoreError(ValueError):
    """Raised for a call the core cannot serve at all (never for one bad message)."""

def enrich(
    messages: Sequence[bytes], positions: Mapping[str, Position], enriched_ns: int
) -> tuple[list[bytes], list[bytes], dict[str, Position], list[tuple[int, str]]]:
    """Walk one batch of `inquiries.new` and `inquiries.decided` values in arrival order.

    NEW: stamped with its key's working position (position, position_quantity, sequence),
    status POSITION_ENRICHED, version + 1, enriched_ns. DONE with inquiry_id > the key's
    last_done_id: adds its signed notional (quantity * price, negative for SELL) and signed
    quantity to the key, sequence + 1, last_done_id = inquiry_id. A DONE at or below the fence,
    and NOT_DONE, change nothing. POSITION_ENRICHED is an error. Keys missing from `positions`
    start at (0, 0, 0, 0); every value must be a tuple of 4 int64.

    Returns (keys, values, updated, errors): the Kafka keys and encoded values of the enriched
    inquiries in input order; the final position of every key a DONE changed; and (index, reason)
    for every message that could not be decoded, is invalid or would overflow int64.
    """

def decide(
    messages: Sequence[bytes],
    seed: int,
    done_fraction: float,
    position_limit: int | None,
    decided_ns: int,
) -> tuple[list[bytes], list[bytes], list[tuple[int, str]]]:
    """Decide POSITION_ENRICHED inquiries (any other status is an error).

    NOT_DONE with reject_reason "position limit" when `position_limit` (cents, >= 0) is given
    and |position + signed notional| > position_limit; otherwise DONE when
    splitmix64(seed ^ inquiry_id) < floor(done_fraction * 2**64), else NOT_DONE with
    reject_reason "declined". seed in [0, 2**64), done_fraction in [0, 1]. version + 1,
    decided_ns set. Returns (keys, values, errors) like `enrich`.
    """

def frame(
    inquiries: Sequence[bytes], positions: Sequence[bytes] = (), snapshot: bool = False
) -> bytes:
    """Pack already-encoded Inquiry and Position messages into one encoded InquiryBatch,
    without decoding them: equal to InquiryBatch.SerializeToString() for canonical inputs."""
