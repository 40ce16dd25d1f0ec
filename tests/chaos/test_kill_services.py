"""`kill -9` of each service mid-stream, then a restart: nothing lost, nothing counted twice.

The generator publishes a few thousand inquiries over 20 keys while the victim is killed (no
signal handler runs, nothing is flushed or committed) and started again. Afterwards every
inquiry in inquiries.new has a final decision, each inquiry is decided one way only, and Redis
holds exactly the positions recomputed from the decided topic (each DONE once).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
import redis
from chaos_harness import (
    ServiceProcess,
    absorbed_replays,
    ids_increase_per_partition,
    services,
    topic_size,
    verify,
    wait_until,
)
from chaos_ws import health_ok, snapshot_positions, watch_final
from tradefast.config import Settings

pytestmark = pytest.mark.chaos

RATE = "1500"
COUNT = 6000
BOOKS = "BOOK1,BOOK2,BOOK3,BOOK4"
# The victim dies once this many decisions are out: mid-stream, with work in flight.
KILL_AFTER = 1500


def generator_args(count: int | None = COUNT) -> list[str]:
    args = ["--rate", RATE, "--books", BOOKS, "--seed", str(time.time_ns() % 1000)]
    return [*args, "--count", str(count)] if count is not None else args


def kill_mid_stream(settings: Settings, victim: ServiceProcess, topic: str) -> int:
    """Kill `victim` once `topic` holds KILL_AFTER messages; the count there at the kill."""
    wait_until(
        lambda: topic_size(settings, topic) >= KILL_AFTER,
        f"{KILL_AFTER} messages in {topic} before killing {victim.name}: {victim.tail()}",
    )
    count = topic_size(settings, topic)
    victim.kill9()
    return count


def wait_assigned(*processes: ServiceProcess) -> None:
    """Until each of `processes` owns partitions: a stream started before a slow starter joins
    would be over, and its work committed, before that starter catches up."""

    def all_assigned() -> bool:
        return all("assigned" in p.log.read_text(errors="replace") for p in processes)

    wait_until(all_assigned, f"{', '.join(p.name for p in processes)} to own partitions")


@pytest.mark.parametrize("victim_name", ["position", "trader"])
def test_kill9_and_restart_of_a_consumer_service(
    victim_name: str, settings: Settings, redis_client: redis.Redis, tmp_path: Path
) -> None:
    with services(settings, tmp_path) as make:
        position = make("position").start()
        trader = make("trader").start()
        wait_assigned(position, trader)
        generator = make("generator", *generator_args()).start()
        victim = position if victim_name == "position" else trader
        # Killed on its own output, so it is mid-stream with work in flight even when the
        # other service lags.
        topics = settings.topics
        at = kill_mid_stream(
            settings, victim, topics.enriched if victim_name == "position" else topics.decided
        )
        time.sleep(1.0)  # a backlog builds up while it is down
        victim.start()
        assert generator.wait_exit() == 0, generator.tail()
        verdict = verify(settings, redis_client)
        assert position.alive and trader.alive
    # The fault really happened: the victim's uncommitted work was done again (and a restarted
    # position service recognised its replayed input by the fences).
    replayed = absorbed_replays(position.log)
    assert topic_size(settings, settings.topics.new) == COUNT, "input neither lost nor doubled"
    assert verdict.decided_messages > verdict.generated, "decisions were replayed"
    if victim_name == "position":
        assert verdict.enriched_messages > verdict.generated, "enrichments were replayed"
        assert replayed > 0, "the restarted position service absorbed its replay"
    print(
        verdict.summary(
            f"kill -9 {victim_name} after {at} outputs, restarted; the position service "
            f"absorbed {replayed} replayed inputs"
        )
    )


def test_kill9_and_restart_of_the_generator(
    settings: Settings, redis_client: redis.Redis, tmp_path: Path
) -> None:
    with services(settings, tmp_path) as make:
        make("position").start()
        make("trader").start()
        first = make("generator", *generator_args(count=None)).start()
        wait_until(
            lambda: topic_size(settings, settings.topics.new) >= KILL_AFTER,
            f"{KILL_AFTER} inquiries before the kill: {first.tail()}",
        )
        first.kill9()
        before = topic_size(settings, settings.topics.new)
        second = make("generator", *generator_args(count=3000)).start()
        assert second.wait_exit() == 0, second.tail()
        verdict = verify(settings, redis_client)
    # The restarted generator continued with higher ids: per key (partition) they still increase.
    assert ids_increase_per_partition(settings, settings.topics.new)
    assert verdict.generated == before + 3000
    print(verdict.summary(f"kill -9 generator after {before} inquiries, restarted for 3000 more"))


def test_two_position_instances_one_killed(
    settings: Settings, redis_client: redis.Redis, tmp_path: Path
) -> None:
    with services(settings, tmp_path) as make:
        survivor = make("position").start()
        victim = make("position")
        victim.log = tmp_path / "position-victim.log"  # same group, its own log
        victim.start()
        make("trader").start()
        wait_assigned(victim, survivor)
        generator = make("generator", *generator_args()).start()
        at = kill_mid_stream(settings, victim, settings.topics.decided)
        assert generator.wait_exit() == 0, generator.tail()
        verdict = verify(settings, redis_client)
        assert survivor.alive
    reassigned = survivor.log.read_text().count("assigned")
    print(
        verdict.summary(
            f"two position instances, one killed after {at} decisions, not restarted "
            f"(survivor saw {reassigned} assignment changes)"
        )
    )


def test_kill9_and_restart_of_the_gateway(
    settings: Settings, redis_client: redis.Redis, tmp_path: Path
) -> None:
    with services(settings, tmp_path) as make:
        make("position").start()
        make("trader").start()
        gateway = make("gateway").start()
        wait_until(lambda: health_ok(settings), f"gateway ready: {gateway.tail()}")
        # Unbounded: the stream goes on until a client of the restarted gateway saw it live.
        generator = make("generator", *generator_args(count=None)).start()
        at = kill_mid_stream(settings, gateway, settings.topics.decided)
        gateway.start()
        wait_until(lambda: health_ok(settings), f"gateway ready again: {gateway.tail()}")
        finals = asyncio.run(watch_final(settings.gateway_url, count=100))
        generator.stop()
        verdict = verify(settings, redis_client)
        # Its snapshot's positions are Redis's, which are exact.
        wait_until(
            lambda: (
                asyncio.run(snapshot_positions(settings.gateway_url))
                == {k: v[:3] for k, v in verdict.expected.items()}
            ),
            "the gateway's snapshot to show the final positions",
            wait=30,
        )
        assert gateway.alive
    print(
        verdict.summary(
            f"kill -9 gateway after {at} decisions, restarted; a new client saw "
            f"{finals} final states live and exact positions in its snapshot"
        )
    )
