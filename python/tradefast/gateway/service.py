"""`tradefast service gateway`: Kafka and Redis in, WebSocket frames out (see docs/dashboard.md)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import time

from confluent_kafka import KafkaException
from picows import ws_create_server
from redis.exceptions import RedisClusterException, RedisError

from tradefast.config import Settings
from tradefast.core import load
from tradefast.gateway import metrics as gateway_metrics
from tradefast.gateway.access import AccessPolicy, origins_of
from tradefast.gateway.feed import StageFeed
from tradefast.gateway.hub import Hub, HubLimits
from tradefast.gateway.liveness import FeedHeartbeat, FeedStalled
from tradefast.gateway.server import MAX_CLIENT_FRAME, Router
from tradefast.gateway.snapshot import read_positions
from tradefast.positions.store import PositionStore
from tradefast.runtime.metrics import ServiceMetrics
from tradefast.runtime.shutdown import Shutdown
from tradefast.services.registry import KAFKA, REDIS, Service

log = logging.getLogger(__name__)

MAX_BATCH = 5000
# The feed waits for Kafka on the loop: while no message comes, the clients' sockets and the
# timers wait at most this long; while messages come, each batch gives them a turn. Each wait
# that ends empty is a wake-up of an idle gateway: 10 ms cost ~1 % of a core doing nothing.
CONSUME_WAIT = 0.05
# Positions are re-read soon after a DONE passes by, and at least this often regardless.
POSITIONS_REFRESH = 1.0
POSITIONS_MIN_GAP = 0.05
STARTUP_RETRY = 1.0
# Lets clients read their close frame before the process goes.
GOODBYE_GRACE = 0.2
# The feed loop goes round at least every CONSUME_WAIT; this long without a turn, /healthz says
# the feed is stalled; this much longer, the gateway exits non-zero for its supervisor.
FEED_STALE = 5.0
FEED_STALL_EXIT = 30.0
WATCH_INTERVAL = 1.0


def access_policy(settings: Settings) -> AccessPolicy:
    origins = frozenset(settings.allowed_origins) or origins_of(
        settings.dashboard_host, settings.dashboard_port
    )
    return AccessPolicy(
        token=settings.ws_token.reveal() if settings.ws_token is not None else None,
        allowed_origins=origins,
        own_origins=origins_of(settings.gateway_host, settings.gateway_port),
    )


async def main(args: argparse.Namespace, settings: Settings, shutdown: Shutdown) -> None:
    hub = Hub(
        load(settings.core),
        HubLimits(
            client_buffer=settings.gateway_client_buffer,
            client_backlog=settings.gateway_client_backlog,
            flush_interval=settings.gateway_flush_ms / 1000,
        ),
    )
    heartbeat = FeedHeartbeat(FEED_STALE)
    router = Router(hub, access_policy(settings), heartbeat.problem)
    try:
        server = await ws_create_server(
            router,
            settings.gateway_host,
            settings.gateway_port,
            max_frame_size=MAX_CLIENT_FRAME,
            enable_auto_ping=True,
            auto_ping_idle_timeout=20,
            auto_ping_reply_timeout=20,
        )
    except OSError as exc:
        log.error("cannot listen on %s:%d: %s", settings.gateway_host, settings.gateway_port, exc)
        raise SystemExit(2) from None
    log.info("gateway on %s", settings.gateway_url)
    store = PositionStore.from_url(settings.redis_url)
    feed = StageFeed(settings, MAX_BATCH, CONSUME_WAIT)
    positions_due = asyncio.Event()
    tasks: dict[str, asyncio.Task[None]] = {}
    failed = False
    try:
        if not await _start(feed, store, hub, shutdown):
            return
        metrics = ServiceMetrics("gateway")
        gateway_metrics.FEED_AGE.set_function(lambda: heartbeat.age() or 0.0)
        tasks = {
            "feed": asyncio.create_task(
                _consume(feed, hub, metrics, positions_due, heartbeat, shutdown)
            ),
            "positions": asyncio.create_task(
                _refresh_positions(store, hub, positions_due, shutdown)
            ),
            "feed watchdog": asyncio.create_task(_watch_feed(heartbeat, shutdown)),
        }
        failed = await _until_stop_or_failure(tasks, shutdown)
    finally:
        for task in tasks.values():
            task.cancel()
        await asyncio.gather(*tasks.values(), return_exceptions=True)
        server.close()
        hub.close_all()
        await asyncio.sleep(GOODBYE_GRACE)
        feed.close()
        await store.close()
    if failed:
        raise SystemExit(1)


async def _until_stop_or_failure(tasks: dict[str, asyncio.Task[None]], shutdown: Shutdown) -> bool:
    """Wait for a stop request or the end of any task; True (logged, counted) if a task ended
    first. A gateway with a dead task would go on serving a frozen view: it stops instead, and
    its supervisor starts a fresh one."""
    stop = asyncio.create_task(shutdown.requested.wait())
    try:
        done, _ = await asyncio.wait([stop, *tasks.values()], return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop.cancel()
    failed = False
    for name, task in tasks.items():
        if task not in done:
            continue
        failed = True
        gateway_metrics.TASK_FAILURES.labels(name).inc()
        error = task.exception()
        if error is None:
            log.error("the %s task ended unexpectedly: stopping the gateway (exit code 1)", name)
        else:
            log.error(
                "the %s task failed: %s: stopping the gateway (exit code 1)",
                name,
                error,
                exc_info=error,
            )
    return failed


async def _start(feed: StageFeed, store: PositionStore, hub: Hub, shutdown: Shutdown) -> bool:
    """Read the positions and assign the topics, retrying until both answer; False on stop."""
    loop = asyncio.get_running_loop()
    while not shutdown.is_requested:
        try:
            hub.set_positions(await read_positions(store))
            count = await loop.run_in_executor(None, feed.assign_at_end)
            log.info("consuming %d partitions from their end", count)
            return True
        except (RedisError, RedisClusterException, OSError, KafkaException) as exc:
            log.warning("waiting for Kafka and Redis: %s", exc)
            await shutdown.sleep(STARTUP_RETRY)
    return False


async def _consume(
    feed: StageFeed,
    hub: Hub,
    metrics: ServiceMetrics,
    positions_due: asyncio.Event,
    heartbeat: FeedHeartbeat,
    shutdown: Shutdown,
) -> None:
    while not shutdown.is_requested:
        heartbeat.beat()
        values = await feed.next_values()
        if values:
            metrics.batch_size.observe(len(values))
            metrics.received("stages", len(values))
            if hub.on_values(values):
                positions_due.set()


async def _watch_feed(heartbeat: FeedHeartbeat, shutdown: Shutdown) -> None:
    """Log when the feed loop stalls and when it moves again; raise FeedStalled past the limit."""
    stalled = False
    while not shutdown.is_requested:
        await shutdown.sleep(WATCH_INTERVAL)
        age = heartbeat.age() or 0.0
        if age > FEED_STALL_EXIT:
            raise FeedStalled(f"the feed loop made no progress for {age:.1f} s")
        if age > FEED_STALE and not stalled:
            log.error("the feed loop made no progress for %.1f s: /healthz answers 503", age)
        elif age <= FEED_STALE and stalled:
            log.info("the feed loop is moving again")
        stalled = age > FEED_STALE


async def _refresh_positions(
    store: PositionStore, hub: Hub, positions_due: asyncio.Event, shutdown: Shutdown
) -> None:
    failing = False
    while not shutdown.is_requested:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(positions_due.wait(), POSITIONS_REFRESH)
        positions_due.clear()
        started = time.monotonic()
        try:
            hub.set_positions(await read_positions(store))
            if failing:
                log.info("reading positions again")
            failing = False
        except (RedisError, RedisClusterException, OSError) as exc:
            # Once per outage, not once per attempt.
            if not failing:
                log.warning("reading positions failed, keeping the last ones: %s", exc)
            failing = True
        await asyncio.sleep(max(0.0, POSITIONS_MIN_GAP - (time.monotonic() - started)))


SERVICE = Service(
    name="gateway",
    description="WebSocket gateway: live inquiries and positions for browsers",
    main=main,
    metrics_port=9104,
    consumes=lambda topics: topics.stages,
    needs=(KAFKA, REDIS),
    start_order=30,
    address=lambda settings: (settings.gateway_host, settings.gateway_port),
)
