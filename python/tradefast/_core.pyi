"""The Rust hot path (rust/position_core). `tradefast.reference` is its pure-Python specification
with the same functions and results; `tradefast.core.load()` picks one by TRADEFAST_CORE.

Keys: a position key is "book|instrument" (book_id never contains "|"); the Kafka key of an
output message is the same string, UTF-8 encoded. Per-message rejection reasons are the
strings of `tradefast.reference.errors` (e.g. "malformed protobuf", "empty book_id"); the
accepted wire format is described in `tradefast.reference.wire`. Unknown protobuf fields are
dropped on re-encode. Arguments are typed as declared here: a wrong type raises TypeError, a
tuple of the wrong length ValueError, an int outside its Rust type (i64, or u64 for a seed or
max_bytes) OverflowError; a value the core refuses (done_fraction outside [0, 1], a negative
position_limit, mismatched lengths) CoreError. No input makes the core crash.
"""

from collections.abc import Sequence
from typing import final

from tradefast.core_types import CoreError as CoreError
from tradefast.core_types import Decisions, Enrichment, Position, Recorded, Scan

__all__ = [
    "CoreError",
    "InquiryMaker",
    "InquiryWindow",
    "decide",
    "enrich",
    "frame",
    "scan",
    "websocket_frames",
]

def enrich(
    messages: Sequence[bytes],
    keys: Sequence[bytes | None],
    offsets: Sequence[int],
    positions: dict[str, Position],
    recorded: dict[tuple[str, int], Recorded],
    enriched_ns: int,
) -> Enrichment:
    """Walk one batch of `inquiries.new` and `inquiries.done` values in arrival order.

    `keys` are the messages' Kafka keys and `offsets` their inquiries.new offsets (negative for
    a message read from another topic), one per message. A message whose Kafka key is not its
    "book|instrument" is refused. A position is any tuple (notional, quantity, sequence,
    done_offset, enriched_offset); keys missing from `positions` start at NO_POSITION
    (0, 0, 0, -1, -1).

    NEW at an offset above its key's enriched_offset: stamped with the key's working position
    (position, position_quantity, sequence), enriched_ns, new_offset = its offset, status
    POSITION_ENRICHED, version + 1; the key's enriched_offset becomes that offset and the
    enrichment is returned in `records[key]` as (offset, notional, quantity, sequence,
    enriched_ns). NEW at or below enriched_offset (a replay): stamped with
    `recorded[(key, offset)]` = (notional, quantity, sequence, enriched_ns) if given, else
    skipped; counted in `replayed`. A NEW with a negative offset is refused.
    DONE: refused without new_offset; with new_offset above the key's done_offset, adds its
    signed notional (quantity * price, negative for SELL) and signed quantity, sequence + 1,
    done_offset = new_offset; at or below, changes nothing and counts in `replayed`.
    NOT_DONE changes nothing; POSITION_ENRICHED is refused.

    Returns an Enrichment: the enriched outputs (keys, values) in input order, the final
    Position of every key that moved, the new records, the replay count and (index, reason) for
    every refused message (undecodable, invalid, or overflowing int64).
    """

def decide(
    messages: Sequence[bytes],
    seed: int,
    done_fraction: float,
    position_limit: int | None,
    decided_ns: int,
) -> Decisions:
    """Decide POSITION_ENRICHED inquiries (any other status is an error).

    NOT_DONE with reject_reason "position limit" when `position_limit` (cents, >= 0) is given
    and |position + signed notional| > position_limit; otherwise DONE when
    splitmix64(seed ^ inquiry_id) < floor(done_fraction * 2**64), else NOT_DONE with
    reject_reason "declined". seed in [0, 2**64), done_fraction in [0, 1]. version + 1,
    decided_ns set. Returns Decisions: (keys, values, errors) like `enrich`, and the indexes
    into keys and values of the DONE decisions.
    """

def frame(
    inquiries: Sequence[bytes], positions: Sequence[bytes] = (), snapshot: bool = False
) -> bytes:
    """Pack already-encoded Inquiry and Position messages into one encoded InquiryBatch,
    without decoding them: equal to InquiryBatch.SerializeToString() for canonical inputs."""

def scan(messages: Sequence[bytes], max_bytes: int) -> Scan:
    """The (index, inquiry_id, version) of each value at most `max_bytes` long that decodes as an
    Inquiry under the strict wire rules, whether one of them is DONE, and how many did not
    qualify. Nothing else is checked: the gateway forwards what the stages published."""

def websocket_frames(messages: Sequence[bytes]) -> bytes:
    """Each message as its own final, unmasked binary WebSocket frame (RFC 6455, 5.2), the
    frames concatenated: the bytes a server's socket carries when it sends the messages one by
    one, built in one call so that a batch is one write."""

@final
class InquiryMaker:
    """Random NEW inquiries for the generator, drawn from splitmix64 chains: the same (seed,
    inquiry id) always gives the same inquiry (see tradefast/reference/generate.py for the exact
    draws). Keys are every (book, instrument) pair."""

    def __new__(
        cls,
        seed: int,
        books: Sequence[str],
        instruments: Sequence[str],
        counterparties: Sequence[str],
    ) -> InquiryMaker:
        """seed in [0, 2**64); every list non-empty; books non-empty and without "|",
        instruments non-empty (CoreError otherwise)."""

    def make(self, first_id: int, created_ns: Sequence[int]) -> tuple[list[bytes], list[bytes]]:
        """The Kafka keys and encoded values of inquiries first_id, first_id + 1, ..., one per
        `created_ns` stamp (event_time = created_ns // 10**6, status NEW, version 1)."""

@final
class InquiryWindow:
    """The gateway's memory of recent inquiries: the latest version of each of the most recent
    `capacity` inquiries (evicted by first arrival), for snapshots, and the updates not sent yet,
    conflated by id (the highest version wins)."""

    def __new__(cls, capacity: int) -> InquiryWindow:
        """ValueError when `capacity` is below 1."""

    def offer(
        self,
        values: Sequence[bytes],
        indexes: Sequence[int],
        ids: Sequence[int],
        versions: Sequence[int],
    ) -> int:
        """Offer `values[indexes[i]]` as version `versions[i]` of inquiry `ids[i]`, in order (a
        `scan`'s lists fit). Kept if newer than the held version (an inquiry not held: always);
        a kept one is pending too unless a higher version of it already is. Returns how many
        were kept; CoreError when the lists differ in length or an index is outside `values`."""

    def pending_count(self) -> int:
        """How many inquiries have an update pending."""

    def take_pending(self) -> tuple[list[int], list[int], list[bytes]]:
        """The pending updates by increasing id as (ids, versions, encoded), leaving none."""

    def snapshot(self) -> list[bytes]:
        """The held inquiries by increasing id."""

    def versions(self) -> list[tuple[int, int]]:
        """(inquiry id, latest version) of the held inquiries, by first arrival."""

    def __len__(self) -> int: ...
