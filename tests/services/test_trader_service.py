"""The auto trader alone on real topics, on the Rust core and on the reference: every enriched
inquiry is decided once, as the seeded policy says, keyed and versioned, and the DONE decisions,
those only, are published to inquiries.done as well; a wrong-status message is dead-lettered.

The expected decisions are computed here from the policy as documented (DONE when
splitmix64(seed XOR inquiry_id) < floor(done_fraction * 2**64)), with splitmix64 written from
its published definition and checked against its published outputs, not taken from the
reference, so a change to the reference's policy fails here too."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from service_io import CORES, decoded, inquiry, publish_inquiries, reader, running
from tradefast.config import Settings
from tradefast.proto.tradefast_pb2 import Side, Status
from tradefast.runtime import dead_letter
from tradefast.runtime.service import serve
from tradefast.runtime.shutdown import Shutdown
from tradefast.services.trader import trader_spec

SEED = 42
MASK64 = 2**64 - 1


def splitmix64(state: int) -> int:
    """The first output of Vigna's SplitMix64 generator seeded with `state`."""
    z = (state + 0x9E3779B97F4A7C15) & MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def trader(
    settings: Settings, done_fraction: float, limit: int | None, core_name: str
) -> Callable[[Shutdown], Awaitable[None]]:
    async def main(shutdown: Shutdown) -> None:
        spec = trader_spec(settings, SEED, done_fraction, limit, core_name=core_name)
        await serve(spec, settings, shutdown)

    return main


def test_splitmix64_here_matches_its_published_outputs() -> None:
    # The generator seeded with 0 starts 0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4: its state
    # advances by the constant before each output.
    assert splitmix64(0) == 0xE220A8397B1DCDAF
    assert splitmix64(0x9E3779B97F4A7C15) == 0x6E789E6AA1B965F4


@pytest.mark.parametrize("core_name", CORES)
def test_decides_every_enriched_inquiry_as_the_seeded_policy_says(
    settings: Settings, core_name: str
) -> None:
    enriched = [
        inquiry(1000 + n, Status.POSITION_ENRICHED, book=f"BOOK{n % 3}", version=2)
        for n in range(200)
    ]
    service = trader(settings, 0.3, None, core_name)
    with (
        running(service),
        reader(settings, settings.topics.decided) as out,
        reader(settings, settings.topics.done) as done_topic,
    ):
        publish_inquiries(settings, settings.topics.enriched, enriched)
        decided = {m.inquiry_id: m for m in decoded(out.read(200))}
        wanted_done = sum(m.status == Status.DONE for m in decided.values())
        done = decoded(done_topic.read(wanted_done))

    threshold = int(0.3 * 2**64)
    expected = {
        m.inquiry_id: Status.DONE
        if splitmix64(SEED ^ m.inquiry_id) < threshold
        else Status.NOT_DONE
        for m in enriched
    }
    dones = sum(status == Status.DONE for status in expected.values())
    assert 40 <= dones <= 80, f"{dones} of 200 DONE for a fraction of 0.3"
    assert sorted(decided) == [m.inquiry_id for m in enriched]
    assert {i: m.status for i, m in decided.items()} == expected
    assert all(m.version == 3 and m.decided_ns > 0 for m in decided.values())
    assert [m.key() for m in out.messages] == [
        f"{m.book_id}|{m.instrument_id}".encode() for m in decoded(out.messages)
    ]
    assert sorted(m.inquiry_id for m in done) == sorted(
        i for i, status in expected.items() if status == Status.DONE
    )
    assert all(m == decided[m.inquiry_id] for m in done), "the same messages as in decided"
    assert [m.key() for m in done_topic.messages] == [
        f"{m.book_id}|{m.instrument_id}".encode() for m in done
    ]


@pytest.mark.parametrize("core_name", CORES)
def test_position_limit_rejects_and_wrong_status_is_dead_lettered(
    settings: Settings, core_name: str
) -> None:
    big = inquiry(1, Status.POSITION_ENRICHED, quantity=1000, price=9999, side=Side.BUY, version=2)
    small = inquiry(2, Status.POSITION_ENRICHED, quantity=100, price=100, version=2)
    with (
        running(trader(settings, 1.0, 100_000, core_name)),
        reader(settings, settings.topics.decided) as out,
        reader(settings, settings.topics.dead_letter) as dlq,
    ):
        publish_inquiries(settings, settings.topics.enriched, [inquiry(3), big, small])
        decided = {m.inquiry_id: m for m in decoded(out.read(2))}
        dead = dlq.read(1)[0]

    assert decided[1].status == Status.NOT_DONE and decided[1].reject_reason == "position limit"
    assert decided[2].status == Status.DONE
    headers = dict(dead.headers() or [])
    assert headers[dead_letter.REASON] == b"unexpected status NEW"
    assert headers[dead_letter.REASON_CODE] == b"unexpected_status"
