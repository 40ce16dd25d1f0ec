"""The position service: enriches NEW inquiries with their key's position and applies DONE ones.

It consumes inquiries.new and inquiries.decided together, co-partitioned, so one instance owns all
events of a key. Per batch: one pipelined Redis read of the batch's keys, one core `enrich` call,
one atomic fenced Redis write of the changed positions, then the enriched inquiries are published
(the runtime commits after the broker acknowledges them). The fence (each key's last_done_id)
makes a replayed DONE a no-op and turns a concurrent writer into a retry, never a double count.
"""

from __future__ import annotations

import argparse
import logging
import time

from confluent_kafka import Message

from tradefast import core
from tradefast.config import Settings
from tradefast.positions.store import PositionStore
from tradefast.runtime import Outcome, ServiceSpec, serve
from tradefast.runtime.shutdown import Shutdown
from tradefast.services.options import add_batch_size

log = logging.getLogger(__name__)

DESCRIPTION = "enrich NEW inquiries with positions from Redis; apply DONE inquiries"
METRICS_PORT = 9102

add_arguments = add_batch_size


class PositionHandler:
    def __init__(self, implementation: core.Core, store: PositionStore, output: str) -> None:
        self._core = implementation
        self._store = store
        self._output = output

    async def __call__(self, batch: list[Message]) -> Outcome:
        values = [m.value() or b"" for m in batch]
        keys = {key.decode(errors="replace") for m in batch if (key := m.key())}
        while True:
            positions = await self._store.read_positions(keys)
            out_keys, enriched, updated, errors = self._core.enrich(
                values, positions, time.time_ns()
            )
            # The core keys by the decoded inquiry: a message whose Kafka key differs would have
            # been computed from a position never read; read it too and redo the batch.
            touched = set(updated) | {key.decode() for key in set(out_keys)}
            if not touched <= keys:
                keys |= touched
                continue
            expected = {key: positions[key][3] for key in updated}
            if await self._store.apply_updates(updated, expected):
                return Outcome(self._output, out_keys, enriched, errors)
            log.info("positions moved under us (another instance or a replay): redoing the batch")


def position_spec(
    settings: Settings,
    store: PositionStore,
    core_name: str | None = None,
    batch_size: int = 2000,
) -> ServiceSpec:
    handler = PositionHandler(core.load(core_name), store, settings.topics.enriched)
    return ServiceSpec(
        "position",
        (settings.topics.new, settings.topics.decided),
        handler,
        batch_size=batch_size,
        close=store.close,
    )


async def main(args: argparse.Namespace, settings: Settings, shutdown: Shutdown) -> None:
    store = PositionStore.from_url(settings.redis_url)
    await serve(position_spec(settings, store, batch_size=args.batch_size), settings, shutdown)
