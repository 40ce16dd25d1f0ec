"""The meaning of enrich, decide and frame, checked on hand-written batches with numbers, for
both cores."""

from __future__ import annotations

from types import ModuleType

import pytest
from inquiry_factory import (
    CORE_NAMES,
    CORES,
    DONE,
    INT64_MAX,
    NEW,
    NOT_DONE,
    POSITION_ENRICHED,
    decoded,
    encoded,
)
from tradefast import _core, reference
from tradefast.core import Core
from tradefast.proto.tradefast_pb2 import SELL, InquiryBatch, Position

cores = pytest.mark.parametrize("core", CORES, ids=CORE_NAMES)
KEY = "BOOK1|AAPL"


@cores
def test_worked_example(core: Core) -> None:
    batch = [
        encoded(1, DONE, quantity=100, price=250),  # +25,000
        encoded(2, NEW, version=1),
        encoded(3, DONE, side=SELL, quantity=40, price=250),  # -10,000
        encoded(1, DONE, quantity=100, price=250),  # replay: already counted
        encoded(5, NOT_DONE, quantity=999, price=999),  # no effect
        encoded(4, NEW, version=7, book_id="BOOK2"),  # another key
        encoded(6, NEW, version=1),
    ]
    keys, values, updated, errors = core.enrich(batch, {}, 1_700_000_000_000_000_000)

    assert errors == []
    assert updated == {KEY: (15_000, 60, 2, 3)}
    assert keys == [KEY.encode(), b"BOOK2|AAPL", KEY.encode()]
    first, other, last = (decoded(value) for value in values)
    assert (first.inquiry_id, first.position, first.position_quantity, first.sequence) == (
        2,
        25_000,
        100,
        1,
    )
    assert (first.status, first.version, first.enriched_ns) == (
        POSITION_ENRICHED,
        2,
        1_700_000_000_000_000_000,
    )
    assert (other.position, other.sequence, other.version) == (0, 0, 8)
    assert (last.position, last.position_quantity, last.sequence) == (15_000, 60, 2)


@cores
def test_known_positions_and_the_replay_fence(core: Core) -> None:
    known = {KEY: (1_000, 10, 4, 50)}
    batch = [encoded(50, DONE), encoded(49, DONE), encoded(51, DONE, quantity=2, price=3)]
    _, _, updated, errors = core.enrich(batch, known, 0)
    assert errors == []
    assert updated == {KEY: (1_006, 12, 5, 51)}
    assert known == {KEY: (1_000, 10, 4, 50)}, "the caller's mapping is not modified"


@cores
def test_overflowing_done_is_an_error_and_changes_nothing(core: Core) -> None:
    known = {KEY: (INT64_MAX - 10, 0, 0, 0)}
    batch = [encoded(1, DONE, quantity=1, price=11), encoded(2, NEW)]
    _, values, updated, errors = core.enrich(batch, known, 0)
    assert errors == [(0, "position overflows int64")]
    assert updated == {}
    assert decoded(values[0]).position == INT64_MAX - 10


@cores
def test_invalid_messages_are_reported_by_index(core: Core) -> None:
    batch = [
        b"\x0a\x01A",
        encoded(0),
        encoded(1, book_id=""),
        encoded(1, book_id="A|B"),
        encoded(1, instrument_id=""),
        encoded(1, quantity=0),
        encoded(1, price=-5),
        encoded(1, side=7),
        encoded(1, status=9),
        encoded(1, quantity=2**40, price=2**40),
        encoded(1, version=INT64_MAX),
        encoded(1, POSITION_ENRICHED),
        encoded(8),
    ]
    keys, _, _, errors = core.enrich(batch, {}, 0)
    assert keys == [KEY.encode()]
    assert errors == [
        (0, "malformed protobuf"),
        (1, "inquiry_id must be positive"),
        (2, "empty book_id"),
        (3, "book_id must not contain '|'"),
        (4, "empty instrument_id"),
        (5, "quantity must be positive"),
        (6, "price must be positive"),
        (7, "unknown side"),
        (8, "unknown status"),
        (9, "notional overflows int64"),
        (10, "version overflows int64"),
        (11, "unexpected status POSITION_ENRICHED"),
    ]


@cores
def test_unknown_fields_are_dropped(core: Core) -> None:
    plain = encoded(3, POSITION_ENRICHED)
    _, with_unknown, _ = core.decide([plain + b"\xa0\x01\x07"], 1, 1.0, None, 5)
    _, without, _ = core.decide([plain], 1, 1.0, None, 5)
    assert with_unknown == without


def enriched(inquiry_id: int, position: int = 0, **fields: int) -> bytes:
    return encoded(inquiry_id, POSITION_ENRICHED, position=position, **fields)


@cores
def test_decide_stamps_and_is_deterministic(core: Core) -> None:
    batch = [enriched(i) for i in range(1, 2_001)]
    keys, values, errors = core.decide(batch, 42, 0.1, None, 77)
    assert errors == [] and keys == [KEY.encode()] * 2_000
    answers = [decoded(value) for value in values]
    done = [a.inquiry_id for a in answers if a.status == DONE]
    assert all(a.version == 2 and a.decided_ns == 77 for a in answers)
    assert all(a.reject_reason == "declined" for a in answers if a.status == NOT_DONE)
    assert 150 < len(done) < 250, "about one in ten"
    assert core.decide(batch, 42, 0.1, None, 77) == (keys, values, errors)
    again = core.decide(list(reversed(batch)), 42, 0.1, None, 77)[1]
    assert sorted(decoded(v).inquiry_id for v in again if decoded(v).status == DONE) == done
    other_seed = core.decide(batch, 43, 0.1, None, 77)[1]
    assert [decoded(v).status for v in other_seed] != [a.status for a in answers]


@cores
def test_done_fraction_bounds(core: Core) -> None:
    batch = [enriched(i) for i in range(1, 200)]
    assert {decoded(v).status for v in core.decide(batch, 0, 0, None, 0)[1]} == {NOT_DONE}
    assert {decoded(v).status for v in core.decide(batch, 0, 1.0, None, 0)[1]} == {DONE}


@cores
def test_position_limit(core: Core) -> None:
    # Each trade is 100 * 250 = 25,000 cents; the limit is 30,000.
    batch = [
        enriched(1, position=0),
        enriched(2, position=10_000),
        enriched(3, position=-60_000, side=SELL),
        enriched(4, position=-60_000),
    ]
    _, values, _ = core.decide(batch, 0, 1.0, 30_000, 0)
    answers = [(decoded(v).status, decoded(v).reject_reason) for v in values]
    assert answers == [
        (DONE, ""),
        (NOT_DONE, "position limit"),
        (NOT_DONE, "position limit"),
        (NOT_DONE, "position limit"),
    ]
    _, values, _ = core.decide(batch[3:], 0, 1.0, 35_000, 0)
    assert decoded(values[0]).status == DONE


@cores
def test_decide_refuses_other_statuses(core: Core) -> None:
    batch = [encoded(1, NEW), encoded(2, DONE), enriched(3)]
    keys, _, errors = core.decide(batch, 0, 0.5, None, 0)
    assert len(keys) == 1
    assert errors == [(0, "unexpected status NEW"), (1, "unexpected status DONE")]


@cores
def test_frame_parses_back(core: Core) -> None:
    inquiries = [enriched(i) for i in range(1, 4)]
    positions = [
        Position(book_id="BOOK1", instrument_id="AAPL", notional=-5, sequence=2).SerializeToString()
    ]
    batch = InquiryBatch()
    batch.ParseFromString(core.frame(inquiries, positions, True))
    assert [m.SerializeToString() for m in batch.inquiries] == inquiries
    assert [m.SerializeToString() for m in batch.positions] == positions
    assert batch.snapshot
    assert core.frame(inquiries) == batch.__class__(inquiries=batch.inquiries).SerializeToString()
    assert core.frame([]) == b""


@cores
@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda c: c.enrich(1, {}, 0), TypeError),
        (lambda c: c.enrich(["x"], {}, 0), TypeError),
        (lambda c: c.enrich([], [], 0), TypeError),
        (lambda c: c.enrich([], {1: (0, 0, 0, 0)}, 0), TypeError),
        (lambda c: c.enrich([], {"a|b": (0, 0, 0)}, 0), TypeError),
        (lambda c: c.enrich([], {"a|b": (0, 0, 0, 2**63)}, 0), ValueError),
        (lambda c: c.enrich([], {}, 1.5), TypeError),
        (lambda c: c.enrich([], {}, -(2**63) - 1), ValueError),
        (lambda c: c.decide([], -1, 0.5, None, 0), ValueError),
        (lambda c: c.decide([], 2**64, 0.5, None, 0), ValueError),
        (lambda c: c.decide([], 0, 1.01, None, 0), ValueError),
        (lambda c: c.decide([], 0, float("nan"), None, 0), ValueError),
        (lambda c: c.decide([], 0, 2, None, 0), ValueError),
        (lambda c: c.decide([], 0, "0.5", None, 0), TypeError),
        (lambda c: c.decide([], 0, True, None, 0), TypeError),
        (lambda c: c.decide([], 0, 0.5, -1, 0), ValueError),
        (lambda c: c.decide([], 0, 0.5, 1.0, 0), TypeError),
        (lambda c: c.frame([b""], [1]), TypeError),
        (lambda c: c.frame([b""], [], 1), TypeError),
        (lambda c: c.frame(None), TypeError),
    ],
)
def test_bad_arguments_raise(core: Core, call: object, error: type[Exception]) -> None:
    assert callable(call)
    with pytest.raises(error):
        call(core)


@pytest.mark.parametrize("module", [_core, reference], ids=CORE_NAMES)
def test_value_errors_are_core_errors(module: ModuleType) -> None:
    assert issubclass(module.CoreError, ValueError)
    with pytest.raises(module.CoreError, match="done_fraction"):
        module.decide([], 0, 3.0, None, 0)
