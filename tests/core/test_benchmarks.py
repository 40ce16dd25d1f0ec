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


def generated(inquiry_id: int, status: int, **fields: Any) -> bytes:
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
        **fields,
    )


def key_of(inquiry_id: int) -> bytes:
    return f"{BOOKS[inquiry_id % 3]}|{INSTRUMENTS[inquiry_id % 5]}".encode()


def position_service_batch() -> tuple[list[bytes], list[bytes | None], list[int]]:
    """Alternating NEW and decided inquiries, one in ten decided DONE, with their Kafka keys and
    inquiries.new offsets (the NEW of inquiry i at offset i)."""
    batch: list[bytes] = []
    keys: list[bytes | None] = []
    offsets: list[int] = []
    for inquiry_id in range(1, BATCH // 2 + 1):
        status = DONE if inquiry_id % 10 == 0 else NOT_DONE
        batch += (generated(inquiry_id, NEW), generated(inquiry_id, status, new_offset=inquiry_id))
        keys += (key_of(inquiry_id), key_of(inquiry_id))
        offsets += (inquiry_id, -1)
    return batch, keys, offsets


def enriched_batch() -> list[bytes]:
    ids = range(1, BATCH + 1)
    batch = [generated(i, NEW) for i in ids]
    return REFERENCE.enrich(batch, [key_of(i) for i in ids], list(ids), {}, {}, 1).values


@pytest.mark.benchmark(group="enrich")
@cores
def test_enrich(benchmark: Any, core: Core) -> None:
    batch, keys, offsets = position_service_batch()
    result = benchmark(core.enrich, batch, keys, offsets, {}, {}, 1_700_000_000_000_000_000)
    assert len(result.keys) == BATCH // 2 and result.errors == []


@pytest.mark.benchmark(group="decide")
@cores
def test_decide(benchmark: Any, core: Core) -> None:
    batch = enriched_batch()
    keys, _, errors, done = benchmark(core.decide, batch, 1, 0.1, 10**12, 1_700_000_000_000_000_000)
    assert len(keys) == BATCH and errors == [] and 0 < len(done) < BATCH


@pytest.mark.benchmark(group="frame")
@cores
def test_frame(benchmark: Any, core: Core) -> None:
    batch = enriched_batch()
    frame = benchmark(core.frame, batch, [], False)
    assert len(frame) > sum(map(len, batch))


@pytest.mark.benchmark(group="websocket_frames")
@cores
def test_websocket_frames(benchmark: Any, core: Core) -> None:
    batch = enriched_batch()
    frames = benchmark(core.websocket_frames, batch)
    assert len(frames) == sum(2 + len(message) for message in batch)


@pytest.mark.benchmark(group="scan")
@cores
def test_scan(benchmark: Any, core: Core) -> None:
    batch = enriched_batch()
    result = benchmark(core.scan, batch, 64 * 1024)
    assert len(result.ids) == BATCH and result.bad == 0


@pytest.mark.benchmark(group="generate")
@cores
def test_generate(benchmark: Any, core: Core) -> None:
    maker = core.InquiryMaker(7, BOOKS, INSTRUMENTS, ("cpt1", "cpt2", "cpt3"))
    stamps = [1_700_000_000_000_000_000 + 100_000 * i for i in range(BATCH)]
    keys, values = benchmark(maker.make, 1, stamps)
    assert len(keys) == len(values) == BATCH


@pytest.mark.benchmark(group="window")
@cores
def test_window(benchmark: Any, core: Core) -> None:
    """The gateway's window of 1,000 takes a batch of enriched updates, then they are taken out
    to send."""
    batch = enriched_batch()
    scan = core.scan(batch, 64 * 1024)

    def offer_and_take() -> int:
        window = core.InquiryWindow(1000)
        kept = window.offer(batch, scan.indexes, scan.ids, scan.versions)
        window.take_pending()
        return kept

    assert benchmark(offer_and_take) == BATCH
