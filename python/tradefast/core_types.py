"""The result types shared by both cores (`tradefast._core` builds these same classes), so a
caller reads fields by name and the differential tests compare the two cores as values."""

from __future__ import annotations

from typing import NamedTuple


class Position(NamedTuple):
    """The position of one key "book|instrument", as both cores, the store and the audit hold
    it. A core takes any 5-tuple in this order and returns Positions."""

    notional: int
    """Cents, signed (negative when short)."""
    quantity: int
    sequence: int
    """How many DONE inquiries were applied."""
    done_offset: int
    """The inquiries.new offset of the last DONE applied (-1: none): the fence that makes a
    replayed DONE recognisable."""
    enriched_offset: int
    """The inquiries.new offset of the last NEW enriched (-1: none): the same for a NEW."""


NO_POSITION = Position(0, 0, 0, -1, -1)

# What a NEW was enriched with, kept until its output is surely published, so a replay of that
# NEW publishes the same enrichment: (notional, quantity, sequence, enriched_ns).
Recorded = tuple[int, int, int, int]


# The enrichment of one NEW, to be stored with the batch's position write: (inquiries.new offset,
# notional, quantity, sequence, enriched_ns). A plain tuple: a batch makes one per NEW, and a
# named tuple cost a Python call each.
Record = tuple[int, int, int, int, int]


class CoreError(ValueError):
    """Raised for a call the core cannot serve at all (never for one bad message)."""


class Enrichment(NamedTuple):
    """The result of `enrich` on one batch."""

    keys: list[bytes]
    """Kafka keys of the enriched inquiries, in input order."""
    values: list[bytes]
    """Encoded POSITION_ENRICHED inquiries, in input order."""
    updated: dict[str, Position]
    """The final position of every key whose position or fences moved."""
    records: dict[str, list[Record]]
    """By key, the enrichment of every NEW enriched for the first time, in input order."""
    replayed: int
    """Messages recognised as replays: NEWs at or below their key's enriched_offset (published
    again from their record, or skipped when none is given) and DONEs at or below done_offset."""
    errors: list[tuple[int, str]]
    """(index, reason) of every message that was refused."""


class Decisions(NamedTuple):
    """The result of `decide` on one batch."""

    keys: list[bytes]
    """Kafka keys of the decided inquiries, in input order."""
    values: list[bytes]
    """Encoded DONE or NOT_DONE inquiries, in input order."""
    errors: list[tuple[int, str]]
    """(index, reason) of every message that was refused."""
    done: list[int]
    """Indexes into keys and values of the DONE decisions: the only ones that move a position."""


class Scan(NamedTuple):
    """The result of `scan` on one batch: (index, inquiry_id, version) of each usable value."""

    indexes: list[int]
    ids: list[int]
    versions: list[int]
    done: bool
    """Whether any usable value is DONE."""
    bad: int
    """How many values were too large or not decodable."""
