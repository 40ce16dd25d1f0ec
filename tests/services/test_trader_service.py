"""The auto trader alone on real topics: every enriched inquiry is decided once, as the core's
seeded policy says, keyed and versioned; a wrong-status message is dead-lettered."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from service_io import decoded, inquiry, publish_inquiries, reader, running
from tradefast.config import Settings
from tradefast.proto.tradefast_pb2 import Side, Status
from tradefast.reference.decide import done_threshold, is_done
from tradefast.runtime import dead_letter
from tradefast.runtime.service import serve
from tradefast.runtime.shutdown import Shutdown
from tradefast.services.trader import trader_spec

SEED = 42


def trader(
    settings: Settings, done_fraction: float, limit: int | None
) -> Callable[[Shutdown], Awaitable[None]]:
    async def main(shutdown: Shutdown) -> None:
        spec = trader_spec(settings, SEED, done_fraction, limit, core_name="reference")
        await serve(spec, settings, shutdown)

    return main


def test_decides_every_enriched_inquiry_as_the_seeded_policy_says(settings: Settings) -> None:
    enriched = [
        inquiry(1000 + n, Status.POSITION_ENRICHED, book=f"BOOK{n % 3}", version=2)
        for n in range(200)
    ]
    with running(trader(settings, 0.3, None)), reader(settings, settings.topics.decided) as out:
        publish_inquiries(settings, settings.topics.enriched, enriched)
        decided = {m.inquiry_id: m for m in decoded(out.read(200))}

    threshold = done_threshold(0.3)
    expected = {
        m.inquiry_id: Status.DONE if is_done(SEED, m.inquiry_id, threshold) else Status.NOT_DONE
        for m in enriched
    }
    assert sorted(decided) == [m.inquiry_id for m in enriched]
    assert {i: m.status for i, m in decided.items()} == expected
    assert {m.status for m in decided.values()} == {Status.DONE, Status.NOT_DONE}
    assert all(m.version == 3 and m.decided_ns > 0 for m in decided.values())
    assert [m.key() for m in out.messages] == [
        f"{m.book_id}|{m.instrument_id}".encode() for m in decoded(out.messages)
    ]


def test_position_limit_rejects_and_wrong_status_is_dead_lettered(settings: Settings) -> None:
    big = inquiry(1, Status.POSITION_ENRICHED, quantity=1000, price=9999, side=Side.BUY, version=2)
    small = inquiry(2, Status.POSITION_ENRICHED, quantity=100, price=100, version=2)
    with (
        running(trader(settings, 1.0, 100_000)),
        reader(settings, settings.topics.decided) as out,
        reader(settings, settings.topics.dead_letter) as dlq,
    ):
        publish_inquiries(settings, settings.topics.enriched, [inquiry(3), big, small])
        decided = {m.inquiry_id: m for m in decoded(out.read(2))}
        dead = dlq.read(1)[0]

    assert decided[1].status == Status.NOT_DONE and decided[1].reject_reason == "position limit"
    assert decided[2].status == Status.DONE
    assert dict(dead.headers() or [])[dead_letter.REASON] == b"unexpected status NEW"
