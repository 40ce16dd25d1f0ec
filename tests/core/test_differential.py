"""The Rust core against its specification, the Python reference, on generated batches that mix
valid messages with malformed and invalid ones: byte-identical results, equal errors."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from inquiry_factory import (
    POSITION_ENRICHED,
    REFERENCE,
    RUST,
    keys,
    natural_key,
    offsets,
    positions,
    raw_messages,
    recorded,
)
from tradefast.core import Position
from tradefast.core_types import Recorded

batches = st.lists(raw_messages(), max_size=20)
enriched_batches = st.lists(raw_messages((POSITION_ENRICHED,)), max_size=20)
stamps = st.integers(-(2**63), 2**63 - 1)
# The machine is shared and generation is heavy: no timing-based health checks or deadlines.
relaxed = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def kafka_keys(draw: st.DrawFn, messages: list[bytes]) -> list[bytes | None]:
    """Mostly each message's own key; sometimes none or another key."""
    other = st.none() | keys.map(str.encode)
    return [draw(st.just(natural_key(m)) if draw(st.integers(0, 7)) else other) for m in messages]


@settings(relaxed, max_examples=400)
@given(batches, positions, recorded, stamps, st.data())
def test_enrich_matches_reference(
    messages: list[bytes],
    known: dict[str, Position],
    earlier: dict[tuple[str, int], Recorded],
    enriched_ns: int,
    data: st.DataObject,
) -> None:
    kafka = data.draw(kafka_keys(messages))
    at = data.draw(st.lists(offsets, min_size=len(messages), max_size=len(messages)))
    rust = RUST.enrich(messages, kafka, at, known, earlier, enriched_ns)
    assert rust == REFERENCE.enrich(messages, kafka, at, known, earlier, enriched_ns)


@settings(relaxed, max_examples=300)
@given(
    enriched_batches,
    st.integers(0, 2**64 - 1),
    st.sampled_from((0.0, 0.1, 0.5, 1.0, 0, 1)) | st.floats(0, 1),
    st.none() | st.integers(0, 10**9) | st.just(2**63 - 1),
    stamps,
)
def test_decide_matches_reference(
    messages: list[bytes],
    seed: int,
    done_fraction: float,
    position_limit: int | None,
    decided_ns: int,
) -> None:
    rust = RUST.decide(messages, seed, done_fraction, position_limit, decided_ns)
    reference = REFERENCE.decide(messages, seed, done_fraction, position_limit, decided_ns)
    assert rust == reference


@settings(relaxed, max_examples=200)
@given(batches, positions, st.integers(0, 2**64 - 1), st.floats(0, 1))
def test_enrich_then_decide_matches_reference(
    messages: list[bytes], known: dict[str, Position], seed: int, done_fraction: float
) -> None:
    kafka = [natural_key(m) for m in messages]
    at = list(range(len(messages)))
    enriched = REFERENCE.enrich(messages, kafka, at, known, {}, 1).values
    rust = RUST.decide(enriched, seed, done_fraction, 10**7, 2)
    assert rust == REFERENCE.decide(enriched, seed, done_fraction, 10**7, 2)


@relaxed
@given(
    st.lists(st.binary(max_size=300), max_size=20),
    st.lists(st.binary(max_size=200), max_size=5),
    st.booleans(),
)
def test_frame_matches_reference(
    inquiries: list[bytes], positions: list[bytes], snapshot: bool
) -> None:
    assert RUST.frame(inquiries, positions, snapshot) == REFERENCE.frame(
        inquiries, positions, snapshot
    )


@relaxed
@given(st.lists(st.binary(max_size=300), max_size=20))
def test_websocket_frames_match_reference(messages: list[bytes]) -> None:
    assert RUST.websocket_frames(messages) == REFERENCE.websocket_frames(messages)


@relaxed
@given(
    st.integers(0, 2**64 - 1),
    st.integers(1, 2**62),
    st.lists(st.integers(-(2**63), 2**63 - 1), max_size=30),
    st.lists(
        st.text(min_size=1, max_size=5).filter(lambda b: "|" not in b), min_size=1, max_size=3
    ),
    st.lists(st.text(min_size=1, max_size=5), min_size=1, max_size=3),
    st.lists(st.text(max_size=5), min_size=1, max_size=3),
)
def test_inquiry_maker_matches_reference(
    seed: int,
    first_id: int,
    created_ns: list[int],
    books: list[str],
    instruments: list[str],
    counterparties: list[str],
) -> None:
    rust = RUST.InquiryMaker(seed, books, instruments, counterparties)
    reference = REFERENCE.InquiryMaker(seed, books, instruments, counterparties)
    assert rust.make(first_id, created_ns) == reference.make(first_id, created_ns)


@relaxed
@given(st.lists(raw_messages() | st.binary(max_size=40), max_size=30), st.integers(0, 120))
def test_scan_matches_reference(messages: list[bytes], max_bytes: int) -> None:
    assert RUST.scan(messages, max_bytes) == REFERENCE.scan(messages, max_bytes)


# One step: an offer of (inquiry id, version) updates, or taking the pending ones out.
window_steps = st.lists(
    st.lists(st.tuples(st.integers(0, 12), st.integers(-2, 6)), max_size=8) | st.just("take"),
    max_size=25,
)


@relaxed
@given(st.integers(1, 6), window_steps)
def test_inquiry_window_matches_reference(
    capacity: int, steps: list[list[tuple[int, int]] | str]
) -> None:
    rust, reference = RUST.InquiryWindow(capacity), REFERENCE.InquiryWindow(capacity)
    for step in steps:
        if isinstance(step, str):
            assert rust.take_pending() == reference.take_pending()
            continue
        values = [f"{i}v{v}#{n}".encode() for n, (i, v) in enumerate(step)]
        indexes = list(range(len(step)))[::-1]
        ids, versions = [step[n][0] for n in indexes], [step[n][1] for n in indexes]
        offered = rust.offer(values, indexes, ids, versions)
        assert offered == reference.offer(values, indexes, ids, versions)
        assert rust.pending_count() == reference.pending_count()
        assert rust.versions() == reference.versions()
        assert rust.snapshot() == reference.snapshot()
        assert len(rust) == len(reference)
    assert rust.take_pending() == reference.take_pending()
