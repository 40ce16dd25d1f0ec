"""Create the pipeline's topics, idempotently."""

from __future__ import annotations

from collections.abc import Iterable

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient

# The admin module re-exports NewTopic without declaring it; its typed home is cimpl.
from confluent_kafka.cimpl import NewTopic

from tradefast.config import Settings
from tradefast.infra.errors import InfraError


def ensure_topics(settings: Settings, timeout: float = 30.0) -> list[str]:
    """Create every topic of `settings.topics` that is missing; return the names created."""
    return create_missing_topics(
        settings.kafka_bootstrap, settings.topics.all, settings.partitions, timeout
    )


def create_missing_topics(
    bootstrap: str, names: Iterable[str], partitions: int, timeout: float = 30.0
) -> list[str]:
    """Create those of `names` that do not exist yet; return the names created."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    try:
        existing = set(admin.list_topics(timeout=timeout).topics)
    except KafkaException as exc:
        raise InfraError(f"Kafka at {bootstrap} did not answer: {exc}") from None
    missing = [name for name in names if name not in existing]
    if not missing:
        return []
    futures = admin.create_topics(
        [NewTopic(name, num_partitions=partitions, replication_factor=1) for name in missing],
        operation_timeout=timeout,
        request_timeout=timeout,
    )
    for name, future in futures.items():
        try:
            future.result(timeout=timeout)
        except KafkaException as exc:
            # Another process may have created it between our listing and our request.
            if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise InfraError(f"creating topic {name} failed: {exc}") from None
    return missing
