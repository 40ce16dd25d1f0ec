"""The integration scenarios: each runs the generator against a fresh pipeline, watches the
gateway's WebSocket feed like a dashboard would, and returns what differed from the expectation."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tradefast.config import Settings
from tradefast.infra.redis_clients import sync_client
from tradefast.integration import checks
from tradefast.integration.feed_client import FeedRecorder, connect
from tradefast.integration.pipeline import Pipeline, feed_url, fresh_settings
from tradefast.positions.store import PositionStore, redis_key
from tradefast.proto.tradefast_pb2 import Inquiry, Status
from tradefast.services.scenarios import OriginalScenario
from tradefast.supervisor import SupervisorError

# Give up waiting when the client has seen nothing new for this long after the generator ended.
STALL = 30.0
# Positions reach the client through the gateway's periodic Redis read: allow it to catch up.
POSITIONS_SETTLE = 15.0
POLL = 0.1

Check = Callable[[list[Inquiry]], list[str]]


@dataclass(frozen=True)
class Scenario:
    name: str
    trader_args: tuple[str, ...]
    generator_args: tuple[str, ...]
    expected_ids: range
    # Position keys reset before the run (the scripted scenario reuses the original's key).
    reset_keys: tuple[str, ...] = ()
    extra_check: Check | None = None


def original() -> Scenario:
    """The original proof of concept's test: 20 inquiries on BOOK1/AAPL, DONE for even ids, one
    per second as the original sent them: "the DONE inquiries before it" are then all applied
    when the next inquiry is enriched (at a higher rate the next one may overtake a decision,
    which the sequence-based prefix check covers)."""
    return Scenario(
        name="original",
        trader_args=("--policy", "even-ids"),
        generator_args=("--scenario", "original", "--rate", "1", "--start-id", "1"),
        expected_ids=range(1, OriginalScenario.COUNT + 1),
        reset_keys=(f"{OriginalScenario.BOOK}|{OriginalScenario.INSTRUMENT}",),
        extra_check=original_expectations,
    )


def original_expectations(finals: list[Inquiry]) -> list[str]:
    """Final updates in id order; DONE exactly for even ids; each enriched position the sum of
    the signed notional of the DONE inquiries before it, computed here from the script."""
    problems = []
    order = list(dict.fromkeys(i.inquiry_id for i in finals))
    if order != list(range(1, OriginalScenario.COUNT + 1)):
        problems.append(f"final updates arrived in the order {order}, expected ids 1..20")
    notional = OriginalScenario.QUANTITY * OriginalScenario.PRICE
    for inquiry in {i.inquiry_id: i for i in finals}.values():
        status = Status.DONE if inquiry.inquiry_id % 2 == 0 else Status.NOT_DONE
        if inquiry.status != status:
            problems.append(
                f"id {inquiry.inquiry_id} is {Status.Name(inquiry.status)}, "
                f"expected {Status.Name(status)}"
            )
        # The first ten are SELL (ids 1..10), the rest BUY; DONE are the even ids.
        expected = sum(
            -notional if done_id <= 10 else notional for done_id in range(2, inquiry.inquiry_id, 2)
        )
        if inquiry.position != expected:
            problems.append(
                f"id {inquiry.inquiry_id}: enriched position {inquiry.position}, expected "
                f"{expected} (the DONE inquiries before it)"
            )
    return problems


def load(count: int, rate: float) -> Scenario:
    """Many keys at a high rate: ten books of a run-unique name by five instruments."""
    tag = uuid.uuid4().hex[:6]
    books = ",".join(f"L{tag}B{n}" for n in range(1, 11))
    start_id = time.time_ns() // 1_000_000 * 1000
    return Scenario(
        name="load",
        trader_args=("--policy", "seeded", "--seed", "42", "--done-fraction", "0.3"),
        generator_args=(
            *("--rate", str(rate), "--count", str(count), "--seed", "7"),
            *("--start-id", str(start_id), "--books", books),
        ),
        expected_ids=range(start_id, start_id + count),
    )


def run(scenario: Scenario, base: Settings, log_dir: Path) -> list[str]:
    """Start a fresh pipeline, run the scenario, stop the pipeline; the problems found."""
    settings = fresh_settings(base, f"it-{scenario.name}")
    pipeline = Pipeline(settings, log_dir / scenario.name, scenario.trader_args)
    try:
        pipeline.start()
        return asyncio.run(_drive(scenario, pipeline))
    except SupervisorError as exc:
        return [f"the pipeline did not start: {exc}"]
    finally:
        pipeline.stop()


async def _drive(scenario: Scenario, pipeline: Pipeline) -> list[str]:
    settings = pipeline.settings
    if scenario.reset_keys:
        client = sync_client(settings.redis_url)
        try:
            client.delete(*(redis_key(key) for key in scenario.reset_keys))
        finally:
            client.close()
    transport, feed = await connect(feed_url(settings))
    try:
        generator = pipeline.generator(scenario.generator_args)
        problems = await _wait_for_finals(scenario, pipeline, generator.poll, feed)
        if generator.wait() != 0:
            problems.append(f"the generator exited with code {generator.returncode}")
        expected = checks.done_totals(feed.finals)
        stored = await _settled_positions(settings, feed, expected)
    finally:
        transport.disconnect()
    finals = feed.finals
    if not feed.snapshot_first:
        problems.append("the first frame the client received was not a snapshot")
    problems += checks.missing_finals(finals, scenario.expected_ids)
    problems += checks.conflicting_finals(finals)
    problems += checks.out_of_order(finals)
    problems += checks.enriched_positions_are_prefix_sums(finals)
    problems += checks.positions_differ(expected, stored, "Redis")
    problems += checks.positions_differ(
        expected, checks.client_positions(feed.positions), "the client's position updates"
    )
    if scenario.extra_check is not None:
        problems += scenario.extra_check(finals)
    return problems


async def _wait_for_finals(
    scenario: Scenario,
    pipeline: Pipeline,
    generator_done: Callable[[], int | None],
    feed: FeedRecorder,
) -> list[str]:
    """Until every expected id has a final update, a service dies, or progress stalls."""
    wanted = set(scenario.expected_ids)
    seen, last_progress = 0, time.monotonic()
    while True:
        if wanted <= feed.final_ids():
            return []
        if exited := pipeline.exited():
            return exited
        if feed.closed:
            return ["the gateway closed the client's connection"]
        if len(feed.finals) != seen:
            seen, last_progress = len(feed.finals), time.monotonic()
        elif generator_done() is not None and time.monotonic() - last_progress > STALL:
            return [f"nothing new reached the client for {STALL:.0f} s"]
        await asyncio.sleep(POLL)


async def _settled_positions(
    settings: Settings, feed: FeedRecorder, expected: dict[str, checks.Totals]
) -> dict[str, checks.Totals]:
    """Redis positions of the expected keys, once they and the client's agree with `expected`
    (or after POSITIONS_SETTLE seconds, to report what differs)."""
    store = PositionStore.from_url(settings.redis_url)
    deadline = time.monotonic() + POSITIONS_SETTLE
    try:
        while True:
            read = await store.read_positions(expected)
            stored = {key: position[:3] for key, position in read.items()}
            client = checks.client_positions(feed.positions)
            agree = all(client.get(key) == totals for key, totals in expected.items())
            if (stored == expected and agree) or time.monotonic() > deadline:
                return stored
            await asyncio.sleep(POLL)
    finally:
        await store.close()
