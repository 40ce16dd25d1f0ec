"""The service loop: consume a batch, hand it to the service's handler, publish its outputs and
dead letters, commit once the broker has acknowledged them. Stops between batches on request."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from confluent_kafka import TIMESTAMP_NOT_AVAILABLE, Message

from tradefast.config import Settings
from tradefast.core_types import CoreError
from tradefast.infra import kafka_config
from tradefast.runtime.checkpoint import Checkpoint
from tradefast.runtime.consumer import BatchConsumer
from tradefast.runtime.dead_letter import TOO_LARGE, DeadLetters
from tradefast.runtime.fatal import FatalError
from tradefast.runtime.metrics import ServiceMetrics
from tradefast.runtime.outcome import Outcome
from tradefast.runtime.producer import BatchProducer, DeliveryFailed, SendInterrupted
from tradefast.runtime.shutdown import Shutdown

log = logging.getLogger(__name__)

BatchHandler = Callable[[list[Message]], Awaitable[Outcome]]

# How long one consume call waits for a first message: bounds how late a stop request is seen.
POLL_WAIT = 0.1
LAG_INTERVAL = 2.0
RETRY_FIRST, RETRY_MAX = 0.1, 5.0
# At most one offset commit per interval: at low rates a commit per batch made the broker's
# commit requests its largest load; a crash replays at most this much more input, which the
# services absorb (revoke and close still commit everything handled, synchronously).
COMMIT_INTERVAL = 0.1
# How long a stopping service waits for its last outputs to be acknowledged (a broker that is
# down must not keep it from stopping: unacknowledged input is simply not committed).
CLOSE_FLUSH = 10.0


@dataclass(frozen=True)
class ServiceSpec:
    """A service: its name (consumer group and metrics label), its input topics and its handler.

    `handler` gets each batch (valid Kafka messages, in arrival order per partition) and returns
    what to publish. It may be called again with the same batch after a failure or a replay, so it
    must be idempotent in its side effects. `close` runs once when the service stops.
    """

    name: str
    inputs: tuple[str, ...]
    handler: BatchHandler
    group: str = ""
    batch_size: int = 2000
    close: Callable[[], Awaitable[None]] | None = None
    # Told the offsets each commit covers ({(topic, partition): next offset}): every output of
    # the inputs below them is acknowledged by the broker.
    on_commit: Callable[[dict[tuple[str, int], int]], None] | None = None
    # Larger inputs (key + value) are dead-lettered unhandled: an inquiry is ~100 bytes, and an
    # output grown from a near-limit input would exceed Kafka's message size and stall the loop.
    max_message_bytes: int = 64 * 1024


def client_overrides(client_id: str) -> dict[str, object]:
    """Name the client, and route librdkafka's own logs through `logging` (so --log-format
    applies to them too)."""
    return {"client.id": client_id, "logger": logging.getLogger("librdkafka")}


async def serve(spec: ServiceSpec, settings: Settings, shutdown: Shutdown) -> None:
    """Run `spec` until `shutdown` is requested.

    Acknowledgements are awaited off the critical path: the next batch is handled while the
    broker confirms the last one's outputs, and offsets are committed (at most once per
    COMMIT_INTERVAL) when everything published so far is confirmed; when a commit is due and
    something is still unconfirmed, the loop waits for the confirmations first.
    """
    metrics = ServiceMetrics(spec.name)
    group = spec.group or f"tradefast-{spec.name}"
    producer = BatchProducer(
        kafka_config.producer_config(settings, client_overrides(group)), shutdown
    )
    consumer = BatchConsumer(
        kafka_config.consumer_config(settings, group, client_overrides(group)), metrics
    )
    checkpoint = Checkpoint(consumer, producer, COMMIT_INTERVAL, on_commit=spec.on_commit)
    consumer.subscribe(list(spec.inputs), checkpoint.revoke)
    dead_letters = DeadLetters(producer, settings.topics.dead_letter, metrics)
    log.info(
        "%s consuming %s as group %s (Kafka linger %d ms, fetch wait %d ms)",
        spec.name,
        ", ".join(spec.inputs),
        group,
        settings.kafka_linger_ms,
        settings.kafka_fetch_wait_ms,
    )
    last_lag = 0.0
    delivered = True
    try:
        while not shutdown.is_requested:
            batch = await consumer.next_batch(spec.batch_size, POLL_WAIT)
            checkpoint.poll()
            if time.monotonic() - last_lag > LAG_INTERVAL:
                consumer.report_lag()
                last_lag = time.monotonic()
            if not batch:
                continue
            if checkpoint.must_settle:
                started = time.perf_counter()
                await producer.settle()
                checkpoint.settled()
                metrics.stage("acknowledge", time.perf_counter() - started)
            received = batch
            batch = await _without_oversized(received, spec.max_message_bytes, dead_letters)
            outcome = await _handle(spec, batch, metrics, shutdown) if batch else Outcome("")
            if outcome is None:
                break
            started = time.perf_counter()
            await producer.send_many(outcome.topic, outcome.keys, outcome.values)
            for extra in outcome.also:
                await producer.send_many(extra.topic, extra.keys, extra.values)
                metrics.sent(extra.topic, len(extra.values))
            for rejected in outcome.rejects:
                await dead_letters.send(batch[rejected.at], rejected.code, rejected.reason)
            checkpoint.handled(received)
            metrics.stage("produce", time.perf_counter() - started)
            if outcome.values:
                metrics.sent(outcome.topic, len(outcome.values))
    except SendInterrupted as exc:
        log.warning("%s: %s; the batch in hand is replayed after a restart", spec.name, exc)
        delivered = False
    except DeliveryFailed:
        delivered = False
        raise
    finally:
        await _close(spec, consumer, checkpoint, producer, delivered)


async def _close(
    spec: ServiceSpec,
    consumer: BatchConsumer,
    checkpoint: Checkpoint,
    producer: BatchProducer,
    delivered: bool,
) -> None:
    """Wait for the last outputs; commit only if every output was acknowledged; release all."""
    if delivered:
        try:
            await producer.flush(CLOSE_FLUSH)
        except DeliveryFailed as exc:
            log.error("%s: not committing the last batches: %s", spec.name, exc)
            delivered = False
    checkpoint.close(delivered)
    consumer.close()
    producer.close()
    if spec.close is not None:
        await spec.close()
    log.info("%s stopped", spec.name)


async def _without_oversized(
    batch: list[Message], limit: int, dead_letters: DeadLetters
) -> list[Message]:
    """`batch` without its messages over `limit` bytes, which go to the dead-letter topic."""
    kept = [m for m in batch if _size(m) <= limit]
    if len(kept) != len(batch):
        for message in batch:
            if _size(message) > limit:
                reason = f"message larger than {limit} bytes"
                await dead_letters.send(message, TOO_LARGE, reason)
    return kept


def _size(message: Message) -> int:
    return len(message.key() or b"") + len(message.value() or b"")


async def _handle(
    spec: ServiceSpec, batch: list[Message], metrics: ServiceMetrics, shutdown: Shutdown
) -> Outcome | None:
    """The handler's outcome for `batch`, retrying with backoff while it fails (a Redis restart,
    say); None if a stop was requested meanwhile (the batch stays uncommitted and is replayed)."""
    metrics.batch_size.observe(len(batch))
    # How long the batch's first message waited since its producer stamped it (queueing delay).
    kind, stamp_ms = batch[0].timestamp()
    if kind != TIMESTAMP_NOT_AVAILABLE:
        metrics.stage("queued", max(0.0, time.time() - stamp_ms / 1000))
    counts: dict[str, int] = {}
    for message in batch:
        topic = message.topic() or ""
        counts[topic] = counts.get(topic, 0) + 1
    for topic, count in counts.items():
        metrics.received(topic, count)
    delay = RETRY_FIRST
    while True:
        started = time.perf_counter()
        try:
            outcome = await spec.handler(batch)
        except (FatalError, CoreError):
            # A core refuses the same call every time (CoreError: a bug, never one bad message),
            # so it stops the service like any failure retrying cannot mend.
            metrics.errors.inc()
            raise
        except Exception:
            metrics.errors.inc()
            log.exception("%s handler failed on a batch of %d; retrying", spec.name, len(batch))
        else:
            metrics.stage("handle", time.perf_counter() - started)
            return outcome
        await shutdown.sleep(delay)
        if shutdown.is_requested:
            return None
        delay = min(delay * 2, RETRY_MAX)


def run(main: Callable[[Shutdown], Awaitable[None]]) -> int:
    """Run `main(shutdown)` on uvloop with SIGTERM/SIGINT wired to `shutdown`; the exit code."""
    import uvloop

    async def with_signals() -> None:
        shutdown = Shutdown()
        shutdown.install()
        await main(shutdown)

    uvloop.run(with_signals())
    return 0
