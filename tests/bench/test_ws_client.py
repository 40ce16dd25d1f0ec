"""The benchmark's WebSocket client: what it counts and measures from the frames it gets."""

from __future__ import annotations

import pytest
from pytest_benchmark.fixture import BenchmarkFixture
from tradefast.bench.ws_client import LatencyRecorder
from tradefast.proto.tradefast_pb2 import InquiryBatch, Status

MS = 1_000_000
NOW = 1_800_000_000 * 1_000 * MS


def payload(*inquiries: tuple[int, int, int]) -> bytes:
    """A batched frame of (id, status, age in ms at NOW) inquiries, enriched 1 ms and decided
    3 ms after their creation."""
    batch = InquiryBatch()
    for inquiry_id, status, age_ms in inquiries:
        created = NOW - age_ms * MS
        batch.inquiries.add(
            inquiry_id=inquiry_id,
            status=status,
            created_ns=created,
            enriched_ns=created + 1 * MS,
            decided_ns=created + 3 * MS,
        )
    return batch.SerializeToString()


def test_finals_are_counted_once_and_measured_from_their_stamps() -> None:
    # ids 100..109: 100 and 101 are warm-up, 108 and 109 the tail (the last fifth).
    recorder = LatencyRecorder(first_id=100, count=10, record_from=102)
    recorder.on_payload(payload((100, Status.NEW, 9), (101, Status.DONE, 5)), NOW)
    recorder.on_payload(payload(*((i, Status.NOT_DONE, 5) for i in range(101, 108))), NOW)
    assert not recorder.complete.is_set()
    recorder.on_payload(
        payload(
            (100, Status.DONE, 9),
            (108, Status.DONE, 50),
            (109, Status.DONE, 50),
            (999, Status.DONE, 1),  # not one of the ids counted
        ),
        NOW,
    )
    assert recorder.complete.is_set()
    report = recorder.report()
    assert report["received_final"] == 10
    assert report["duplicates"] == 1  # 101 came final twice
    assert report["frames"] == 3
    assert report["states"] == 12
    assert report["first_created_ns"] == NOW - 9 * MS
    assert report["last_receive_ns"] == NOW
    # 102..109 are recorded: six 5 ms old, two 50 ms old (the tail).
    assert report["end_to_end"]["count"] == 8
    assert abs(report["end_to_end"]["p50_us"] - 5_000) < 5
    assert abs(report["end_to_end"]["max_us"] - 50_000) < 50
    assert report["tail"]["count"] == 2
    assert abs(report["tail"]["p50_us"] - 50_000) < 50
    stages = report["stages"]
    assert all(stage["count"] == 8 for stage in stages.values())
    assert abs(stages["created_to_enriched"]["p50_us"] - 1_000) < 5
    assert abs(stages["enriched_to_decided"]["p50_us"] - 2_000) < 5
    assert abs(stages["decided_to_client"]["p50_us"] - 2_000) < 5
    assert report["cpu_seconds"] > 0


@pytest.mark.benchmark(group="bench-client")
def test_a_frame_of_ten_finals(benchmark: BenchmarkFixture) -> None:
    """What the client spends on a frame while the pipeline runs (its histograms come after)."""
    frame = payload(*((i, Status.DONE, 5) for i in range(10)))
    recorder = LatencyRecorder(first_id=0, count=10, record_from=0)

    def receive() -> None:
        recorder.seen = bytearray(10)
        recorder.received = 0
        recorder.on_payload(frame, NOW)

    benchmark(receive)
    assert recorder.received == 10
