"""The dashboard benchmark's recordings and replay plan, without a browser: a recording reads back
as written and a damaged one is refused; a replay sends exactly the rate asked for in 2 ms ticks,
moves ids past the recording's on each pass, and maps every stage stamp onto the replay's clock
no later than the update that carries it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from tradefast.bench import frames, replay
from tradefast.proto.tradefast_pb2 import Inquiry, InquiryBatch, Position, Status

WALL_START_NS = 1_800_000_000_000_000_000
FRAME_GAP_NS = 10_000_000
MS = 1_000_000


def recording(live_frames: int = 20) -> frames.Recording:
    """A snapshot of ids 1-3, then frames 10 ms apart, each the NEW of one inquiry and the
    enrichment and decision of those one and two frames older."""
    snapshot = InquiryBatch(snapshot=True, positions=[Position(book_id="B", instrument_id="I")])
    for inquiry_id in (1, 2, 3):
        snapshot.inquiries.append(stage(inquiry_id, Status.DONE, WALL_START_NS - 50 * MS))
    recorded = [frames.Frame(0, snapshot.SerializeToString())]
    for index in range(live_frames):
        offset = (index + 1) * FRAME_GAP_NS
        received = WALL_START_NS + offset
        batch = InquiryBatch(inquiries=[stage(100 + index, Status.NEW, received - 2 * MS)])
        if index >= 1:
            batch.inquiries.append(stage(99 + index, Status.POSITION_ENRICHED, received - 12 * MS))
        if index >= 2:
            batch.inquiries.append(stage(98 + index, Status.DONE, received - 22 * MS))
        batch.positions.append(Position(book_id="B", instrument_id="I", notional=index))
        recorded.append(frames.Frame(offset, batch.SerializeToString()))
    return frames.Recording({"wall_start_ns": WALL_START_NS}, recorded)


def stage(inquiry_id: int, status: Status.ValueType, created_ns: int) -> Inquiry:
    inquiry = Inquiry(
        inquiry_id=inquiry_id,
        book_id="B",
        instrument_id="I",
        status=status,
        version=status + 1 if status < Status.DONE else 3,
        created_ns=created_ns,
        event_time=created_ns // MS,
    )
    if status >= Status.POSITION_ENRICHED:
        inquiry.enriched_ns = created_ns + 4 * MS
    if status >= Status.DONE:
        inquiry.decided_ns = created_ns + 7 * MS
    return inquiry


def test_a_recording_reads_back_as_written(tmp_path: Path) -> None:
    written = recording()
    frames.write(tmp_path / "frames.bin", written)
    read = frames.read(tmp_path / "frames.bin")
    assert read.header == written.header
    assert read.frames == written.frames
    summary = read.summary()
    assert (summary["frames"], summary["updates"], summary["snapshot_inquiries"]) == (20, 57, 3)


def test_a_damaged_recording_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "frames.bin"
    path.write_bytes(b"not a recording")
    with pytest.raises(frames.RecordingError, match="not a frame recording"):
        frames.read(path)
    frames.write(path, recording())
    path.write_bytes(path.read_bytes()[:-5])
    with pytest.raises(frames.RecordingError, match="cut short"):
        frames.read(path)


def test_a_replay_sends_the_rate_asked_for_in_ticks() -> None:
    source = replay.Source.load(recording())
    plan = replay.prepare(source, rate=5_000.0, seconds=1.0, start_wall_ns=WALL_START_NS)
    assert sum(m.updates for m in plan.messages) == 5_000
    offsets = [m.offset_ns for m in plan.messages]
    assert offsets == sorted(offsets) and len(set(offsets)) == len(offsets)
    assert all(offset % replay.TICK_NS == 0 for offset in offsets)
    # 5,000 updates/s is as many in every tick (5 per 1 ms), from the first tick to the last.
    ticks = 1_000_000_000 // replay.TICK_NS
    assert Counter(m.updates for m in plan.messages) == {5_000 // ticks: ticks}
    assert plan.speed == pytest.approx(5_000 / source.recorded_rate)


def test_each_pass_moves_the_ids_and_every_stamp_precedes_its_update() -> None:
    source = replay.Source.load(recording())
    start = WALL_START_NS + 3_600 * 1_000 * MS
    plan = replay.prepare(source, rate=1_000.0, seconds=0.5, start_wall_ns=start)
    seen: Counter[tuple[int, int]] = Counter()
    first_ids: list[int] = []
    for message in plan.messages:
        first_ids += message.first_ids
        for inquiry in InquiryBatch.FromString(message.payload).inquiries:
            seen[(inquiry.inquiry_id, inquiry.version)] += 1
            stamps = [inquiry.created_ns, inquiry.enriched_ns, inquiry.decided_ns]
            present = [s for s in stamps if s]
            assert present == sorted(present), inquiry
            assert max(present) <= start + message.offset_ns + replay.TICK_NS, inquiry
            assert inquiry.event_time == pytest.approx(inquiry.created_ns / MS, abs=1)
    # 500 updates are nine passes of the recording's 57: no (id, version) comes twice.
    assert set(seen.values()) == {1}
    assert max(i for i, _ in seen) >= 100 + 8 * source.id_span
    assert sorted(first_ids) == sorted({i for i, _ in seen})
    snapshot = InquiryBatch.FromString(plan.snapshot)
    assert snapshot.snapshot and [i.inquiry_id for i in snapshot.inquiries] == [1, 2, 3]
    assert all(i.created_ns < start for i in snapshot.inquiries)


def test_an_update_of_a_snapshot_inquiry_is_not_a_new_inquiry_for_the_page() -> None:
    """The page lists the snapshot's inquiries where the snapshot puts them, so display lag must
    not count a later update of one as an inquiry newer than the blotter's top row."""
    recorded = recording(live_frames=4)
    first_live = InquiryBatch.FromString(recorded.frames[1].payload)
    first_live.inquiries.append(stage(2, Status.DONE, WALL_START_NS - 50 * MS))
    recorded.frames[1] = frames.Frame(recorded.frames[1].offset_ns, first_live.SerializeToString())
    source = replay.Source.load(recorded)
    plan = replay.prepare(source, rate=1_000.0, seconds=0.02, start_wall_ns=WALL_START_NS)
    first_ids = [i for message in plan.messages for i in message.first_ids]
    batches = [InquiryBatch.FromString(message.payload) for message in plan.messages]
    sent = {inquiry.inquiry_id for batch in batches for inquiry in batch.inquiries}
    assert 2 in sent and 2 not in first_ids
    # On the next pass its id is moved past the recording's: new to the page then.
    assert 2 + source.id_span in first_ids
