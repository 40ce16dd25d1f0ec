"""The meaning of enrich, decide, frame, scan and websocket_frames, checked on hand-written
batches with numbers, for both cores."""

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
    enrich_batch,
)
from tradefast import _core, core_types, reference
from tradefast.core import Core
from tradefast.core_types import CoreError
from tradefast.proto.tradefast_pb2 import SELL, InquiryBatch, Position
from tradefast.reference import errors as reasons

cores = pytest.mark.parametrize("core", CORES, ids=CORE_NAMES)
KEY = "BOOK1|AAPL"


@cores
def test_worked_example(core: Core) -> None:
    stamp = 1_700_000_000_000_000_000
    batch = [
        encoded(1, DONE, quantity=100, price=250, new_offset=10),  # +25,000
        encoded(2, NEW, version=1),  # offset 101
        encoded(3, DONE, side=SELL, quantity=40, price=250, new_offset=12),  # -10,000
        encoded(1, DONE, quantity=100, price=250, new_offset=10),  # replay: already counted
        encoded(5, NOT_DONE, quantity=999, price=999, new_offset=13),  # no effect
        encoded(4, NEW, version=7, book_id="BOOK2"),  # another key, offset 105
        encoded(6, NEW, version=1),  # offset 106
    ]
    result = enrich_batch(core, batch, enriched_ns=stamp)

    assert result.errors == []
    assert result.replayed == 1
    assert result.updated == {KEY: (15_000, 60, 2, 12, 106), "BOOK2|AAPL": (0, 0, 0, -1, 105)}
    assert result.keys == [KEY.encode(), b"BOOK2|AAPL", KEY.encode()]
    assert result.records == {
        KEY: [(101, 25_000, 100, 1, stamp), (106, 15_000, 60, 2, stamp)],
        "BOOK2|AAPL": [(105, 0, 0, 0, stamp)],
    }
    first, other, last = (decoded(value) for value in result.values)
    assert (first.inquiry_id, first.position, first.position_quantity, first.sequence) == (
        2,
        25_000,
        100,
        1,
    )
    assert (first.status, first.version, first.enriched_ns, first.new_offset) == (
        POSITION_ENRICHED,
        2,
        stamp,
        101,
    )
    assert (other.position, other.sequence, other.version, other.new_offset) == (0, 0, 8, 105)
    assert (last.position, last.position_quantity, last.sequence) == (15_000, 60, 2)


@cores
def test_known_positions_and_the_done_fence(core: Core) -> None:
    known = {KEY: core_types.Position(1_000, 10, 4, 50, 60)}
    batch = [
        encoded(50, DONE, new_offset=50),
        encoded(49, DONE, new_offset=49),
        encoded(7, DONE, quantity=2, price=3, new_offset=51),  # ids do not matter, offsets do
    ]
    result = enrich_batch(core, batch, known)
    assert result.errors == []
    assert result.replayed == 2
    assert result.updated == {KEY: (1_006, 12, 5, 51, 60)}
    assert result.updated[KEY].done_offset == 51, "a Position, read by name"
    assert known == {KEY: (1_000, 10, 4, 50, 60)}, "the caller's mapping is not modified"


@cores
def test_a_replayed_new_gets_its_first_enrichment(core: Core) -> None:
    known = {KEY: core_types.Position(500, 5, 1, 3, 20)}
    batch = [encoded(7, NEW), encoded(8, NEW), encoded(9, NEW)]
    recorded = {(KEY, 19): (100, 1, 0, 555)}
    result = core.enrich(batch, [KEY.encode()] * 3, [19, 20, 21], known, recorded, 999)
    assert result.replayed == 2, "19 (recorded) and 20 (acknowledged, skipped)"
    replayed, fresh = (decoded(value) for value in result.values)
    assert (replayed.inquiry_id, replayed.position, replayed.position_quantity) == (7, 100, 1)
    assert (replayed.sequence, replayed.enriched_ns, replayed.new_offset) == (0, 555, 19)
    assert (fresh.inquiry_id, fresh.position, fresh.enriched_ns, fresh.new_offset) == (
        9,
        500,
        999,
        21,
    )
    assert result.updated == {KEY: (500, 5, 1, 3, 21)}
    assert result.records == {KEY: [(21, 500, 5, 1, 999)]}


@cores
def test_refusals_of_the_position_service(core: Core) -> None:
    batch = [
        encoded(1, NEW),
        encoded(2, NEW),
        encoded(3, DONE),
        encoded(4, DONE, new_offset=-2),
        encoded(5, NEW),
    ]
    kafka_keys = [b"BOOK2|AAPL", KEY.encode(), KEY.encode(), KEY.encode(), None]
    result = core.enrich(batch, kafka_keys, [0, -1, -1, -1, 4], {}, {}, 0)
    assert result.errors == [
        (0, "Kafka key is not the inquiry's book|instrument"),
        (1, "NEW not read from inquiries.new"),
        (2, "DONE without new_offset (not enriched by the position service)"),
        (3, "new_offset must not be negative"),
        (4, "Kafka key is not the inquiry's book|instrument"),
    ]
    assert (result.values, result.updated, result.replayed) == ([], {}, 0)


@cores
def test_overflowing_done_is_an_error_and_changes_nothing(core: Core) -> None:
    known = {KEY: core_types.Position(INT64_MAX - 10, 0, 0, -1, -1)}
    batch = [encoded(1, DONE, quantity=1, price=11, new_offset=0), encoded(2, NEW)]
    result = enrich_batch(core, batch, known)
    assert result.errors == [(0, "position overflows int64")]
    assert result.updated == {KEY: (INT64_MAX - 10, 0, 0, -1, 101)}
    assert decoded(result.values[0]).position == INT64_MAX - 10


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
    result = enrich_batch(core, batch)
    assert result.keys == [KEY.encode()]
    assert result.errors == [
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
    with_unknown = core.decide([plain + b"\xa0\x01\x07"], 1, 1.0, None, 5).values
    without = core.decide([plain], 1, 1.0, None, 5).values
    assert with_unknown == without


def enriched(inquiry_id: int, position: int = 0, **fields: int) -> bytes:
    return encoded(inquiry_id, POSITION_ENRICHED, position=position, **fields)


@cores
def test_decide_stamps_and_is_deterministic(core: Core) -> None:
    batch = [enriched(i) for i in range(1, 2_001)]
    decisions = core.decide(batch, 42, 0.1, None, 77)
    keys, values, errors, done_at = decisions
    assert errors == [] and keys == [KEY.encode()] * 2_000
    answers = [decoded(value) for value in values]
    done = [a.inquiry_id for a in answers if a.status == DONE]
    assert done_at == [i for i, a in enumerate(answers) if a.status == DONE]
    assert all(a.version == 2 and a.decided_ns == 77 for a in answers)
    assert all(a.reject_reason == "declined" for a in answers if a.status == NOT_DONE)
    assert 150 < len(done) < 250, "about one in ten"
    assert core.decide(batch, 42, 0.1, None, 77) == decisions
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
    _, values, _, done = core.decide(batch, 0, 1.0, 30_000, 0)
    answers = [(decoded(v).status, decoded(v).reject_reason) for v in values]
    assert answers == [
        (DONE, ""),
        (NOT_DONE, "position limit"),
        (NOT_DONE, "position limit"),
        (NOT_DONE, "position limit"),
    ]
    assert done == [0], "a decision the limit declines is not DONE"
    values = core.decide(batch[3:], 0, 1.0, 35_000, 0).values
    assert decoded(values[0]).status == DONE


@cores
def test_decide_refuses_other_statuses(core: Core) -> None:
    batch = [encoded(1, NEW), encoded(2, DONE), enriched(3)]
    keys, _, errors, _ = core.decide(batch, 0, 0.5, None, 0)
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
        (lambda c: c.enrich(1, [], [], {}, {}, 0), TypeError),
        (lambda c: c.enrich(["x"], [None], [0], {}, {}, 0), TypeError),
        (lambda c: c.enrich([b""], ["k"], [0], {}, {}, 0), TypeError),
        (lambda c: c.enrich([b""], [None], ["0"], {}, {}, 0), TypeError),
        (lambda c: c.enrich([b""], [None], [], {}, {}, 0), ValueError),
        (lambda c: c.enrich([b""], [], [0], {}, {}, 0), ValueError),
        (lambda c: c.enrich([], [], [], [], {}, 0), TypeError),
        (lambda c: c.enrich([], [], [], {1: (0, 0, 0, 0, 0)}, {}, 0), TypeError),
        (lambda c: c.enrich([], [], [], {"a|b": (0, 0, 0, 0)}, {}, 0), ValueError),
        (lambda c: c.enrich([], [], [], {"a|b": [0, 0, 0, 0, 0]}, {}, 0), TypeError),
        (lambda c: c.enrich([], [], [], {"a|b": (0, 0, 0, 0, 2**63)}, {}, 0), OverflowError),
        (lambda c: c.enrich([], [], [], {}, {("a|b", 0): (0, 0, 0)}, 0), (TypeError, ValueError)),
        (lambda c: c.enrich([], [], [], {}, {}, 1.5), TypeError),
        (lambda c: c.enrich([], [], [], {}, {}, -(2**63) - 1), OverflowError),
        (lambda c: c.decide([], -1, 0.5, None, 0), OverflowError),
        (lambda c: c.decide([], 2**64, 0.5, None, 0), OverflowError),
        (lambda c: c.decide([], 0, 1.01, None, 0), ValueError),
        (lambda c: c.decide([], 0, float("nan"), None, 0), ValueError),
        (lambda c: c.decide([], 0, 2, None, 0), ValueError),
        (lambda c: c.decide([], 0, "0.5", None, 0), TypeError),
        (lambda c: c.decide([], 0, None, None, 0), TypeError),
        (lambda c: c.decide([], 0, 0.5, -1, 0), CoreError),
        (lambda c: c.decide([], 0, 0.5, 1.0, 0), TypeError),
        (lambda c: c.frame([b""], [1]), TypeError),
        (lambda c: c.frame([b""], [], 1), TypeError),
        (lambda c: c.frame(None), TypeError),
        (lambda c: c.websocket_frames([b"", "x"]), TypeError),
        (lambda c: c.websocket_frames(None), TypeError),
    ],
)
def test_bad_arguments_raise(
    core: Core, call: object, error: type[Exception] | tuple[type[Exception], ...]
) -> None:
    assert callable(call)
    with pytest.raises(error):
        call(core)


@pytest.mark.parametrize("module", [_core, reference], ids=CORE_NAMES)
def test_value_errors_are_core_errors(module: ModuleType) -> None:
    assert module.CoreError is CoreError
    with pytest.raises(module.CoreError, match="done_fraction"):
        module.decide([], 0, 3.0, None, 0)


@cores
def test_scan_gives_ids_versions_and_whether_a_done_came(core: Core) -> None:
    batch = [
        encoded(7, NEW, version=1),
        b"\x0a\x01A",  # malformed
        encoded(7, DONE, version=3, counterparty="x" * 200),  # over the size limit
        encoded(8, NOT_DONE, version=3),
        encoded(0, NEW, version=9),  # decodes: the gateway checks nothing else
    ]
    assert core.scan(batch, 150) == ([0, 3, 4], [7, 8, 0], [1, 3, 9], False, 2)
    assert core.scan(batch, 1000).done


def _read_frames(stream: bytes) -> list[tuple[int, bytes]]:
    """(first byte, payload) of each server frame in `stream`, read by RFC 6455 section 5.2."""
    frames = []
    while stream:
        first, length, start = stream[0], stream[1], 2
        assert not length & 0x80, "a server never masks"
        if length == 126:
            length, start = int.from_bytes(stream[2:4], "big"), 4
        elif length == 127:
            length, start = int.from_bytes(stream[2:10], "big"), 10
        assert len(stream) >= start + length, "a frame runs past the end"
        frames.append((first, stream[start : start + length]))
        stream = stream[start + length :]
    return frames


@cores
def test_websocket_frames_carry_one_message_each(core: Core) -> None:
    # Payload lengths at each boundary of the three length forms.
    messages = [b"", encoded(1, NEW), b"a" * 125, b"b" * 126, b"c" * 65_535, b"d" * 65_536]
    frames = _read_frames(core.websocket_frames(messages))
    assert frames == [(0x82, message) for message in messages]
    assert core.websocket_frames([]) == b""


def test_every_rejection_reason_has_its_own_stable_code() -> None:
    texts = {
        value
        for name, value in vars(reasons).items()
        if name.isupper()
        and not name.startswith("_")
        and not name.endswith("_CODE")
        and isinstance(value, str)
    }
    assert texts == set(reasons.CODES)
    codes = [*reasons.CODES.values(), reasons.UNEXPECTED_STATUS_CODE, reasons.UNCLASSIFIED_CODE]
    assert len(set(codes)) == len(codes)
    assert reasons.code_of(reasons.unexpected_status("NEW")) == reasons.UNEXPECTED_STATUS_CODE
    assert reasons.code_of("something new") == reasons.UNCLASSIFIED_CODE
