"""Create the pipeline's topics, idempotently."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import cast

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient

# The admin module re-exports NewTopic without declaring it; its typed home is cimpl.
from confluent_kafka.cimpl import NewTopic

from tradefast.config import Settings
from tradefast.infra.errors import InfraError
from tradefast.infra.kafka_config import client_config


def ensure_topics(settings: Settings, timeout: float = 30.0) -> list[str]:
    """Create every topic of `settings.topics` that is missing, with the settings' replication
    factor and min.insync.replicas; return the names created."""
    return create_missing_topics(
        client_config(settings),
        settings.topics.all,
        settings.partitions,
        timeout,
        replication=settings.kafka_replication,
        min_insync=settings.kafka_min_insync,
    )


def create_missing_topics(
    client: Mapping[str, object],
    names: Iterable[str],
    partitions: int,
    timeout: float = 30.0,
    replication: int = 1,
    min_insync: int = 1,
) -> list[str]:
    """Create those of `names` that do not exist yet on the cluster `client` reaches; return the
    names created."""
    admin = AdminClient(cast("dict[str, str | int | float]", dict(client)))
    bootstrap = client.get("bootstrap.servers")
    try:
        existing = set(admin.list_topics(timeout=timeout).topics)
    except KafkaException as exc:
        raise InfraError(f"Kafka at {bootstrap} did not answer: {exc}") from None
    missing = [name for name in names if name not in existing]
    if not missing:
        return []
    # acks=all then waits for min.insync.replicas copies: with 3 replicas and 2 in sync, a write
    # survives any one broker's loss, and one broker down leaves the topic writable.
    topic_config = {"min.insync.replicas": str(min_insync)}
    futures = admin.create_topics(
        [
            NewTopic(
                name,
                num_partitions=partitions,
                replication_factor=replication,
                config=topic_config,
            )
            for name in missing
        ],
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


def delete_topics(settings: Settings, names: Iterable[str], timeout: float = 30.0) -> list[str]:
    """Delete the topics `names` (a run's own, when it is done with them); return those that could
    not be deleted, each with the reason. Never raises: what is left is only clutter."""
    admin = AdminClient(cast("dict[str, str | int | float]", dict(client_config(settings))))
    try:
        futures = admin.delete_topics(
            list(names), operation_timeout=timeout, request_timeout=timeout
        )
    except (KafkaException, ValueError) as exc:
        return [f"{', '.join(names)}: {exc}"]
    left = []
    for name, future in futures.items():
        try:
            future.result(timeout=timeout)
        except KafkaException as exc:
            left.append(f"{name}: {exc}")
    return left
