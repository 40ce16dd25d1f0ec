"""Micro-benchmarks of the hot path on batches of 10,000 messages, Rust against the reference
(`pytest --benchmark-only`; per-message time = mean / 10,000). The batches resemble the
pipeline's: the position service sees each inquiry once NEW and once decided (1 in 10 DONE)."""

from __future__ import annotations

from typing import Any

import pytest
from inquiry_factory import CORE_NAMES, CORES, DONE, NEW, NOT_DONE, REFERENCE, encoded
from tradefast.core import Core
from tradefast.proto.tradefast_pb2 import SELL

BATCH = 10_000
BOOKS = ("BOOK1", "BOOK2", "BOOK3")
INSTRUMENTS = ("AAPL", "MSFT", "GOOG", "AMZN", "TSLA")

cores = pytest.mark.parametrize("core", CORES, ids=CORE_NAMES)


def generated(inquiry_id: int, status: int) -> bytes:
    return encoded(
        inquiry_id,
        status,
        book_id=BOOKS[inquiry_id % 3],
        instrument_id=INSTRUMENTS[inquiry_id % 5],
        quantity=100 * (1 + inquiry_id % 50),
        price=100 + inquiry_id % 9_900,
        side=SELL if inquiry_id % 2 else 0,
        counterparty=f"cpt{1 + inquiry_id % 3}",
        event_time=1_700_000_000_000 + inquiry_id,
        created_ns=1_700_000_000_000_000_000 + inquiry_id,
    )


def position_service_batch() -> list[bytes]:
    """Alternating NEW and decided inquiries, one in ten decided DONE."""
    batch: list[bytes] = []
    for inquiry_id in range(1, BATCH // 2 + 1):
        batch.append(generated(inquiry_id, NEW))
        batch.append(generated(inquiry_id, DONE if inquiry_id % 10 == 0 else NOT_DONE))
    return batch


def enriched_batch() -> list[bytes]:
    return REFERENCE.enrich([generated(i, NEW) for i in range(1, BATCH + 1)], {}, 1)[1]


@pytest.mark.benchmark(group="enrich")
@cores
def test_enrich(benchmark: Any, core: Core) -> None:
    batch = position_service_batch()
    keys, _, _, errors = benchmark(core.enrich, batch, {}, 1_700_000_000_000_000_000)
    assert len(keys) == BATCH // 2 and errors == []


@pytest.mark.benchmark(group="decide")
@cores
def test_decide(benchmark: Any, core: Core) -> None:
    batch = enriched_batch()
    keys, _, errors = benchmark(core.decide, batch, 1, 0.1, 10**12, 1_700_000_000_000_000_000)
    assert len(keys) == BATCH and errors == []


@pytest.mark.benchmark(group="frame")
@cores
def test_frame(benchmark: Any, core: Core) -> None:
    batch = enriched_batch()
    frame = benchmark(core.frame, batch, [], False)
    assert len(frame) > sum(map(len, batch))
