"""Settings from TRADEFAST_* environment variables, with defaults that work on one machine.

Bad values raise ConfigError with a message that names the variable; the CLI prints it and
exits instead of showing a traceback.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields

from tradefast import redis_url


@dataclass(frozen=True)
class Topics:
    """Topic names; a prefix lets several pipelines (e.g. tests) share one broker."""

    prefix: str = ""

    @property
    def new(self) -> str:
        return f"{self.prefix}inquiries.new"

    @property
    def enriched(self) -> str:
        return f"{self.prefix}inquiries.enriched"

    @property
    def decided(self) -> str:
        return f"{self.prefix}inquiries.decided"

    @property
    def dead_letter(self) -> str:
        return f"{self.prefix}inquiries.dlq"

    @property
    def stages(self) -> tuple[str, str, str]:
        return (self.new, self.enriched, self.decided)

    @property
    def all(self) -> tuple[str, str, str, str]:
        return (*self.stages, self.dead_letter)


class ConfigError(ValueError):
    """A setting is missing or malformed; the message says which and what is expected."""


@dataclass(frozen=True)
class Settings:
    kafka_bootstrap: str
    redis_url: str
    topics: Topics
    partitions: int
    gateway_host: str
    gateway_port: int
    dashboard_host: str
    dashboard_port: int
    ws_token: str | None
    allowed_origins: tuple[str, ...]
    core: str
    home: str
    # Gateway per-client limits: bytes queued in the socket before a client counts as slow, and
    # distinct inquiries held back (conflated) for a slow client before it is disconnected.
    gateway_client_buffer: int = 4 * 1024 * 1024
    gateway_client_backlog: int = 20_000
    # At most one frame per client per this many milliseconds: fewer, larger frames are cheaper
    # for browsers; 0 sends as soon as the event loop gets to it.
    gateway_flush_ms: int = 2
    # Seconds a service waits at start-up for Kafka (and Redis) before exiting with an error.
    startup_wait: int = 30
    dashboard_dist: str = ""
    # librdkafka statistics (requests sent, by type) every this many ms as Prometheus metrics;
    # 0: off (they cost a JSON parse per client per interval). The benchmark turns them on.
    kafka_stats_ms: int = 0
    # Kafka's latency-for-requests timers (docs/bench.md, "the frontier"): how long a producer
    # gathers messages before sending, and how long a consumer's fetch waits for more than its
    # first byte (0: the broker answers as soon as anything is there).
    kafka_linger_ms: int = 1
    kafka_fetch_wait_ms: int = 0
    # Brokers of the local Kafka that `tradefast infra up` starts (1, or a cluster of 3).
    kafka_brokers: int = 1
    # Replicas of each topic tradefast creates; min.insync.replicas follows (`kafka_min_insync`).
    kafka_replication: int = 1
    # A file of librdkafka settings (key=value lines: TLS, SASL, ...) that every client gets.
    kafka_properties: str = ""

    @property
    def kafka_min_insync(self) -> int:
        """2 from 3 replicas on: a write survives the loss of any one broker, and one broker
        down still leaves the topic writable."""
        return 2 if self.kafka_replication >= 3 else 1

    @property
    def gateway_url(self) -> str:
        return f"ws://{self.gateway_host}:{self.gateway_port}/ws/inquiries"

    @property
    def dashboard_url(self) -> str:
        return f"http://{self.dashboard_host}:{self.dashboard_port}/"

    def to_env(self) -> dict[str, str]:
        """The TRADEFAST_* variables that `load` reads back into these same settings.

        Each field `name` maps to TRADEFAST_<NAME>, except the topics (their prefix) and the
        origins (a comma list); e.g. for starting a service as a subprocess.
        """
        env: dict[str, str] = {}
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, Topics):
                env["TRADEFAST_TOPIC_PREFIX"] = value.prefix
            elif isinstance(value, tuple):
                env[f"TRADEFAST_{field.name.upper()}"] = ",".join(value)
            else:
                env[f"TRADEFAST_{field.name.upper()}"] = "" if value is None else str(value)
        return env


def _int(env: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number") from None
    if not low <= value <= high:
        raise ConfigError(f"{name}={value} is out of range {low}..{high}")
    return value


def _choice(env: dict[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env.get(name) or default
    if value not in choices:
        raise ConfigError(f"{name}={value!r} must be one of {', '.join(choices)}")
    return value


def _redis_url(env: dict[str, str]) -> str:
    url = env.get("TRADEFAST_REDIS_URL") or "redis://127.0.0.1:6379/0"
    try:
        redis_url.validate(url)
    except redis_url.BadRedisUrl as exc:
        raise ConfigError(f"TRADEFAST_REDIS_URL={exc}") from None
    return url


def _bootstrap(env: dict[str, str], brokers: int) -> str:
    """The bootstrap list; for a local cluster of `brokers` given by its first address, the
    addresses of all of them (consecutive ports), so clients can start while any one is down."""
    value = env.get("TRADEFAST_KAFKA_BOOTSTRAP") or "127.0.0.1:9092"
    servers = []
    for server in value.split(","):
        host, sep, port = server.strip().rpartition(":")
        if not sep or not host or not port.isdigit():
            raise ConfigError(f"TRADEFAST_KAFKA_BOOTSTRAP={value!r}: {server!r} is not host:port")
        servers.append((host, int(port)))
    if brokers == 1 or len(servers) == brokers:
        return value
    if len(servers) != 1:
        raise ConfigError(
            f"TRADEFAST_KAFKA_BOOTSTRAP={value!r} lists {len(servers)} brokers but "
            f"TRADEFAST_KAFKA_BROKERS={brokers}: list one address (the first broker) or all"
        )
    first_host, first_port = servers[0]
    if first_port + brokers - 1 > 65535:
        raise ConfigError(f"TRADEFAST_KAFKA_BOOTSTRAP={value!r}: no room for {brokers} ports")
    return ",".join(f"{first_host}:{first_port + n}" for n in range(brokers))


def _properties_file(env: dict[str, str]) -> str:
    path = env.get("TRADEFAST_KAFKA_PROPERTIES") or ""
    if path:
        try:
            read_properties(path)
        except OSError as exc:
            raise ConfigError(f"TRADEFAST_KAFKA_PROPERTIES={path!r}: {exc.strerror}") from None
    return path


def read_properties(path: str) -> dict[str, str]:
    """`key=value` lines of a librdkafka settings file; blank lines and `#` comments skipped.
    Raises ConfigError naming the first line that is neither."""
    properties = {}
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            key, sep, value = text.partition("=")
            if not sep or not key.strip():
                raise ConfigError(
                    f"TRADEFAST_KAFKA_PROPERTIES={path!r} line {number} is not key=value"
                )
            properties[key.strip()] = value.strip()
    return properties


def load(env: dict[str, str] | None = None) -> Settings:
    """Read the settings from `env` (default: the process environment)."""
    env = dict(os.environ) if env is None else env
    origins = env.get("TRADEFAST_ALLOWED_ORIGINS", "")
    brokers = _int(env, "TRADEFAST_KAFKA_BROKERS", 1, 1, 9)
    return Settings(
        kafka_bootstrap=_bootstrap(env, brokers),
        redis_url=_redis_url(env),
        topics=Topics(env.get("TRADEFAST_TOPIC_PREFIX", "")),
        partitions=_int(env, "TRADEFAST_PARTITIONS", 6, 1, 1024),
        gateway_host=env.get("TRADEFAST_GATEWAY_HOST") or "127.0.0.1",
        gateway_port=_int(env, "TRADEFAST_GATEWAY_PORT", 8080, 1, 65535),
        dashboard_host=env.get("TRADEFAST_DASHBOARD_HOST") or "127.0.0.1",
        dashboard_port=_int(env, "TRADEFAST_DASHBOARD_PORT", 8081, 1, 65535),
        ws_token=env.get("TRADEFAST_WS_TOKEN") or None,
        allowed_origins=tuple(o.strip() for o in origins.split(",") if o.strip()),
        core=_choice(env, "TRADEFAST_CORE", "rust", ("rust", "reference")),
        home=env.get("TRADEFAST_HOME") or os.path.join(os.getcwd(), ".tradefast"),
        gateway_client_buffer=_int(
            env, "TRADEFAST_GATEWAY_CLIENT_BUFFER", 4 * 1024 * 1024, 4096, 1 << 30
        ),
        gateway_client_backlog=_int(env, "TRADEFAST_GATEWAY_CLIENT_BACKLOG", 20_000, 10, 10**7),
        gateway_flush_ms=_int(env, "TRADEFAST_GATEWAY_FLUSH_MS", 2, 0, 1000),
        startup_wait=_int(env, "TRADEFAST_STARTUP_WAIT", 30, 0, 3600),
        dashboard_dist=env.get("TRADEFAST_DASHBOARD_DIST", ""),
        kafka_stats_ms=_int(env, "TRADEFAST_KAFKA_STATS_MS", 0, 0, 3_600_000),
        kafka_linger_ms=_int(env, "TRADEFAST_KAFKA_LINGER_MS", 1, 0, 1000),
        kafka_fetch_wait_ms=_int(env, "TRADEFAST_KAFKA_FETCH_WAIT_MS", 0, 0, 1000),
        kafka_brokers=brokers,
        kafka_replication=_int(env, "TRADEFAST_KAFKA_REPLICATION", min(brokers, 3), 1, 9),
        kafka_properties=_properties_file(env),
    )
