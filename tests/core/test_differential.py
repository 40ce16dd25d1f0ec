"""The Rust core against its specification, the Python reference, on generated batches that mix
valid messages with malformed and invalid ones: byte-identical results, equal errors."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from inquiry_factory import POSITION_ENRICHED, REFERENCE, RUST, positions, raw_messages
from tradefast.core import Position

batches = st.lists(raw_messages(), max_size=20)
enriched_batches = st.lists(raw_messages((POSITION_ENRICHED,)), max_size=20)
stamps = st.integers(-(2**63), 2**63 - 1)
# The machine is shared and generation is heavy: no timing-based health checks or deadlines.
relaxed = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@settings(relaxed, max_examples=300)
@given(batches, positions, stamps)
def test_enrich_matches_reference(
    messages: list[bytes], known: dict[str, Position], enriched_ns: int
) -> None:
    assert RUST.enrich(messages, known, enriched_ns) == REFERENCE.enrich(
        messages, known, enriched_ns
    )


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
    _, enriched, _, _ = REFERENCE.enrich(messages, known, 1)
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
