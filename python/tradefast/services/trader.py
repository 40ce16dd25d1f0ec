"""The auto trader: decides enriched inquiries (one core `decide` call per batch) and publishes the
decisions to inquiries.decided. Deterministic: DONE for a seeded fraction of inquiry ids, NOT_DONE
otherwise or when the position would breach the per-key limit."""

from __future__ import annotations

import argparse
import time

from confluent_kafka import Message

from tradefast import core
from tradefast.config import Settings
from tradefast.runtime import Outcome, ServiceSpec, rejections, serve
from tradefast.runtime.shutdown import Shutdown
from tradefast.services.options import add_batch_size, bounded, from_env
from tradefast.services.policies import POLICIES, build
from tradefast.services.registry import KAFKA, Service

SEED_RANGE = (0, 2**64 - 1)
LIMIT_RANGE = (0, 2**63 - 1)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_batch_size(parser)
    seed = bounded(int, *SEED_RANGE)
    fraction = bounded(float, 0.0, 1.0)
    limit = bounded(int, *LIMIT_RANGE)
    parser.add_argument(
        "--seed",
        type=seed,
        default=from_env("TRADEFAST_TRADER_SEED", "0"),
        help="decision seed (env TRADEFAST_TRADER_SEED; default 0)",
    )
    parser.add_argument(
        "--done-fraction",
        type=fraction,
        default=from_env("TRADEFAST_DONE_FRACTION", "0.1"),
        help="fraction of inquiries answered DONE (env TRADEFAST_DONE_FRACTION; default 0.1)",
    )
    parser.add_argument(
        "--position-limit",
        type=limit,
        default=from_env("TRADEFAST_POSITION_LIMIT", None),
        help="per-key |position| limit in cents, NOT_DONE beyond it "
        "(env TRADEFAST_POSITION_LIMIT; default: none)",
    )
    parser.add_argument(
        "--policy",
        choices=POLICIES,
        default=from_env("TRADEFAST_TRADER_POLICY", "seeded"),
        help="seeded: DONE for --done-fraction of ids by --seed; even-ids: DONE exactly for even "
        "ids (the original integration test) (env TRADEFAST_TRADER_POLICY; default seeded)",
    )


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
    output = settings.topics.decided

    async def decide(batch: list[Message]) -> Outcome:
        values = [m.value() or b"" for m in batch]
        keys, decided, errors = choose(values, time.time_ns())
        return Outcome(output, keys, decided, rejections(errors))

    return ServiceSpec("trader", (settings.topics.enriched,), decide, batch_size=batch_size)


async def main(args: argparse.Namespace, settings: Settings, shutdown: Shutdown) -> None:
    spec = trader_spec(
        settings,
        args.seed,
        args.done_fraction,
        args.position_limit,
        batch_size=args.batch_size,
        policy=args.policy,
    )
    await serve(spec, settings, shutdown)


SERVICE = Service(
    name="trader",
    description="decide enriched inquiries (DONE / NOT_DONE) into inquiries.decided",
    main=main,
    metrics_port=9103,
    consumes=lambda topics: (topics.enriched,),
    produces=lambda topics: (topics.decided,),
    needs=(KAFKA,),
    start_order=20,
    add_arguments=add_arguments,
)
