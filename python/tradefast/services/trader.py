"""The auto trader: decides enriched inquiries (one core `decide` call per batch) and publishes the
decisions to inquiries.decided, and the DONE ones to inquiries.done as well (for the position
service). Deterministic: DONE for a seeded fraction of inquiry ids, NOT_DONE otherwise or when the
position would breach the per-key limit."""

from __future__ import annotations

import argparse
import time

from confluent_kafka import Message

from tradefast import core
from tradefast.config import Settings
from tradefast.runtime import Outcome, Publication, ServiceSpec, rejections, serve
from tradefast.runtime.shutdown import Shutdown
from tradefast.services.policies import build
from tradefast.services.registry import KAFKA, Service


def trader_spec(
    settings: Settings,
    seed: int,
    done_fraction: float,
    position_limit: int | None,
    core_name: str | None = None,
    batch_size: int = 2000,
    policy: str = "seeded",
) -> ServiceSpec:
    choose = build(policy, core.load(core_name), seed, done_fraction, position_limit)
    output, done_topic = settings.topics.decided, settings.topics.done

    async def decide(batch: list[Message]) -> Outcome:
        values = [m.value() or b"" for m in batch]
        keys, decided, errors, done = choose(values, time.time_ns())
        outcome = Outcome(output, keys, decided, rejections(errors))
        if done:
            done_keys = [keys[i] for i in done]
            outcome.also.append(Publication(done_topic, done_keys, [decided[i] for i in done]))
        return outcome

    return ServiceSpec("trader", (settings.topics.enriched,), decide, batch_size=batch_size)


async def main(args: argparse.Namespace, settings: Settings, shutdown: Shutdown) -> None:
    spec = trader_spec(
        settings,
        settings.trader_seed,
        settings.done_fraction,
        settings.position_limit,
        batch_size=settings.batch_size,
        policy=settings.trader_policy,
    )
    await serve(spec, settings, shutdown)


SERVICE = Service(
    name="trader",
    description="decide enriched inquiries (DONE / NOT_DONE) into inquiries.decided, DONEs also "
    "into inquiries.done",
    main=main,
    metrics_port=9103,
    consumes=lambda topics: (topics.enriched,),
    produces=lambda topics: (topics.decided, topics.done),
    needs=(KAFKA,),
    start_order=20,
    settings=("batch_size", "trader_seed", "done_fraction", "position_limit", "trader_policy"),
)
