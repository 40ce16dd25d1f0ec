"""Settings: one declaration per setting, on the fields of `Settings`, carrying its TRADEFAST_*
variable, default, bounds or choices and help. `load` reads them from the environment and from the
command-line flags generated from the same declarations (`add_flags`); `Settings.to_env` writes
every one back; `tradefast settings` lists them (docs/settings.md is its output).

A bad value raises ConfigError naming the variable or flag and what is allowed; the CLI prints it
in one line and exits 2.
"""

from __future__ import annotations

import argparse
import functools
import os
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import Field, dataclass, field, fields
from typing import Any

from tradefast import redis_url
from tradefast.errors import ConfigError as ConfigError  # re-exported: config.ConfigError
from tradefast.services.policies import POLICIES
from tradefast.services.scenarios import SCENARIOS


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
    def done(self) -> str:
        """The DONE decisions again: what the position service applies, so it is not woken by
        the nine in ten decisions that move nothing."""
        return f"{self.prefix}inquiries.done"

    @property
    def dead_letter(self) -> str:
        return f"{self.prefix}inquiries.dlq"

    @property
    def stages(self) -> tuple[str, str, str]:
        return (self.new, self.enriched, self.decided)

    @property
    def all(self) -> tuple[str, str, str, str, str]:
        return (*self.stages, self.done, self.dead_letter)


class Secret:
    """A value that must not end up in a log, a traceback or a repr: only `reveal()` gives it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


# A check takes (where the value came from, the parsed value, the settings read before it) and
# returns the value to keep, or raises ConfigError.
Check = Callable[[str, Any, Mapping[str, Any]], Any]


@dataclass(frozen=True)
class Declaration:
    """How one setting is read and shown; the default is the field's."""

    env: str
    help: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    # The command-line flag of the commands that take this setting as one (see add_flags).
    flag: str = ""
    # An older variable still read when `env` is unset (e.g. RATE for `make run RATE=...`).
    fallback: str = ""
    check: Check | None = None
    # A default that depends on other settings or on the working directory: computed at load.
    derive: Callable[[Mapping[str, Any]], Any] | None = None
    default_text: str = ""


def setting(env: str, default: Any, help: str, **declared: Any) -> Any:
    """A Settings field declared as the setting read from `env` (see Declaration)."""
    return field(default=default, metadata={"setting": Declaration(env, help, **declared)})


def _bootstrap(source: str, value: str, earlier: Mapping[str, Any]) -> str:
    """The bootstrap list; for a local cluster of `brokers` given by its first address, the
    addresses of all of them (consecutive ports), so clients can start while any one is down."""
    brokers: int = earlier["kafka_brokers"]
    servers = []
    for server in value.split(","):
        host, sep, port = server.strip().rpartition(":")
        if not sep or not host or not port.isdigit():
            raise ConfigError(f"{source}={value!r}: {server!r} is not host:port")
        servers.append((host, int(port)))
    if brokers == 1 or len(servers) == brokers:
        return value
    if len(servers) != 1:
        raise ConfigError(
            f"{source}={value!r} lists {len(servers)} brokers but "
            f"TRADEFAST_KAFKA_BROKERS={brokers}: list one address (the first broker) or all"
        )
    first_host, first_port = servers[0]
    if first_port + brokers - 1 > 65535:
        raise ConfigError(f"{source}={value!r}: no room for {brokers} ports")
    return ",".join(f"{first_host}:{first_port + n}" for n in range(brokers))


def _redis_url(source: str, value: str, _earlier: Mapping[str, Any]) -> str:
    try:
        redis_url.validate(value)
    except redis_url.BadRedisUrl as exc:
        raise ConfigError(f"{source}={exc}") from None
    return value


def _properties_file(source: str, path: str, _earlier: Mapping[str, Any]) -> str:
    try:
        read_properties(path, source)
    except OSError as exc:
        raise ConfigError(f"{source}={path!r}: {exc.strerror}") from None
    return path


def _names(source: str, names: tuple[str, ...], _earlier: Mapping[str, Any]) -> tuple[str, ...]:
    if not names:
        raise ConfigError(f"{source} must list at least one name")
    return names


def _book_names(source: str, names: tuple[str, ...], earlier: Mapping[str, Any]) -> tuple[str, ...]:
    """Like `_names`, without "|": it separates book from instrument in position keys."""
    if any("|" in name for name in names):
        raise ConfigError(f"{source}={','.join(names)!r}: a book name must not contain '|'")
    return _names(source, names, earlier)


def metrics_port_setting(service: str) -> Declaration:
    """The metrics port of `service`: a setting of the service's own, whose default is the
    service module's METRICS_PORT (read with `read`, not a field of Settings)."""
    variable = service.upper().replace("-", "_")
    return Declaration(
        f"TRADEFAST_{variable}_METRICS_PORT",
        f"the {service} service's Prometheus /metrics port; 0: none",
        low=0,
        high=65535,
        flag="--metrics-port",
    )


MAX_RATE = 100_000.0


@dataclass(frozen=True)
class Settings:
    # Kafka and Redis.
    kafka_brokers: int = setting(
        "TRADEFAST_KAFKA_BROKERS",
        1,
        "brokers of the local Kafka that `tradefast infra up` starts (1, or a cluster of 3)",
        low=1,
        high=9,
    )
    kafka_bootstrap: str = setting(
        "TRADEFAST_KAFKA_BOOTSTRAP",
        "127.0.0.1:9092",
        "Kafka's host:port list; with several brokers, the first one's address stands for all "
        "(consecutive ports)",
        check=_bootstrap,
    )
    # min.insync.replicas follows (`kafka_min_insync`).
    kafka_replication: int = setting(
        "TRADEFAST_KAFKA_REPLICATION",
        1,
        "replicas of each topic tradefast creates",
        low=1,
        high=9,
        derive=lambda earlier: min(earlier["kafka_brokers"], 3),
        default_text="the brokers, at most 3",
    )
    kafka_properties: str = setting(
        "TRADEFAST_KAFKA_PROPERTIES",
        "",
        "a file of librdkafka settings (key=value lines: TLS, SASL, ...) that every client gets",
        check=_properties_file,
    )
    # They cost a JSON parse per client per interval: the benchmark turns them on.
    kafka_stats_ms: int = setting(
        "TRADEFAST_KAFKA_STATS_MS",
        0,
        "librdkafka statistics (requests sent, by type) as metrics every this many ms; 0: off",
        low=0,
        high=3_600_000,
    )
    # Kafka's latency-for-requests timers (docs/bench.md, "the frontier").
    kafka_linger_ms: int = setting(
        "TRADEFAST_KAFKA_LINGER_MS",
        0,
        "how long a producer gathers messages before sending",
        low=0,
        high=1000,
    )
    kafka_fetch_wait_ms: int = setting(
        "TRADEFAST_KAFKA_FETCH_WAIT_MS",
        0,
        "how long a consumer's fetch waits for more than its first byte (0: the broker answers "
        "as soon as anything is there)",
        low=0,
        high=1000,
    )
    redis_url: str = setting(
        "TRADEFAST_REDIS_URL",
        "redis://127.0.0.1:6379/0",
        "redis://, rediss://, unix:// or redis+cluster://host:port[,host:port...]",
        check=_redis_url,
    )
    topics: Topics = setting(
        "TRADEFAST_TOPIC_PREFIX",
        Topics(),
        "a prefix of every topic name, so several pipelines (e.g. tests) can share one broker",
    )
    partitions: int = setting(
        "TRADEFAST_PARTITIONS", 6, "partitions of each topic tradefast creates", low=1, high=1024
    )
    core: str = setting(
        "TRADEFAST_CORE",
        "rust",
        "the pipeline logic: the Rust core, or the Python reference",
        choices=("rust", "reference"),
        flag="--core",
    )
    home: str = setting(
        "TRADEFAST_HOME",
        "",
        "folder of the local servers' data, the logs and the run lock",
        derive=lambda _earlier: os.path.join(os.getcwd(), ".tradefast"),
        default_text="./.tradefast",
    )
    startup_wait: int = setting(
        "TRADEFAST_STARTUP_WAIT",
        30,
        "seconds a service waits at start-up for Kafka (and Redis) before exiting with an error",
        low=0,
        high=3600,
    )
    # The gateway.
    gateway_host: str = setting(
        "TRADEFAST_GATEWAY_HOST", "127.0.0.1", "address of the gateway's WebSocket"
    )
    gateway_port: int = setting(
        "TRADEFAST_GATEWAY_PORT", 8080, "port of the gateway's WebSocket", low=1, high=65535
    )
    ws_token: Secret | None = setting(
        "TRADEFAST_WS_TOKEN",
        None,
        "a token WebSocket clients must send (?token=...); never printed",
        default_text="none",
    )
    allowed_origins: tuple[str, ...] = setting(
        "TRADEFAST_ALLOWED_ORIGINS",
        (),
        "comma list of browser origins the gateway accepts; * for any",
        default_text="the dashboard's own",
    )
    gateway_client_buffer: int = setting(
        "TRADEFAST_GATEWAY_CLIENT_BUFFER",
        4 * 1024 * 1024,
        "bytes queued in a client's socket before it counts as slow",
        low=4096,
        high=1 << 30,
    )
    gateway_client_backlog: int = setting(
        "TRADEFAST_GATEWAY_CLIENT_BACKLOG",
        20_000,
        "distinct inquiries held back (conflated) for a slow client before it is disconnected",
        low=10,
        high=10**7,
    )
    # 0: what a consumed batch brought goes out with whatever arrived while the loop was busy
    # (batching by what accumulated); a 2 ms cap cost ~1.4 ms of p50 at 1,000/s (docs/bench.md).
    gateway_flush_ms: int = setting(
        "TRADEFAST_GATEWAY_FLUSH_MS",
        0,
        "at most one frame per client per this many ms (fewer, larger frames for browsers); "
        "0: send as soon as the loop gets to it",
        low=0,
        high=1000,
    )
    # The dashboard.
    dashboard_host: str = setting(
        "TRADEFAST_DASHBOARD_HOST", "127.0.0.1", "address of the dashboard's web server"
    )
    dashboard_port: int = setting(
        "TRADEFAST_DASHBOARD_PORT", 8081, "port of the dashboard's web server", low=1, high=65535
    )
    dashboard_dist: str = setting(
        "TRADEFAST_DASHBOARD_DIST",
        "",
        "folder of the built page the dashboard serves",
        default_text="web/dist",
    )
    # Every service.
    metrics_host: str = setting(
        "TRADEFAST_METRICS_HOST",
        "127.0.0.1",
        "address of the services' metrics endpoints",
        flag="--metrics-host",
    )
    log_format: str = setting(
        "TRADEFAST_LOG_FORMAT",
        "plain",
        "the services' log lines: plain text, or one JSON object per line",
        choices=("plain", "json"),
        flag="--log-format",
    )
    # The generator.
    generator_rate: float = setting(
        "TRADEFAST_GENERATOR_RATE",
        1.0,
        "inquiries per second",
        low=0.001,
        high=MAX_RATE,
        flag="--rate",
    )
    generator_count: int | None = setting(
        "TRADEFAST_GENERATOR_COUNT",
        None,
        "how many inquiries to send, then exit",
        low=0,
        high=2**62,
        flag="--count",
        default_text="forever",
    )
    generator_seed: int = setting(
        "TRADEFAST_GENERATOR_SEED", 1, "random seed", low=0, high=2**64 - 1, flag="--seed"
    )
    # The time default keeps ids increasing across restarts.
    generator_start_id: int | None = setting(
        "TRADEFAST_GENERATOR_START_ID",
        None,
        "first inquiry id",
        low=1,
        high=2**62,
        flag="--start-id",
        default_text="the time in ms * 1000",
    )
    generator_books: tuple[str, ...] = setting(
        "TRADEFAST_GENERATOR_BOOKS",
        ("BOOK1", "BOOK2", "BOOK3"),
        "comma list of the books inquiries are for",
        flag="--books",
        check=_book_names,
    )
    generator_instruments: tuple[str, ...] = setting(
        "TRADEFAST_GENERATOR_INSTRUMENTS",
        ("AAPL", "MSFT", "GOOG", "AMZN", "TSLA"),
        "comma list of the instruments inquiries are for",
        flag="--instruments",
        check=_names,
    )
    generator_counterparties: tuple[str, ...] = setting(
        "TRADEFAST_GENERATOR_COUNTERPARTIES",
        ("cpt1", "cpt2", "cpt3"),
        "comma list of the counterparties inquiries come from",
        flag="--counterparties",
        check=_names,
    )
    generator_scenario: str = setting(
        "TRADEFAST_GENERATOR_SCENARIO",
        "random",
        "random, or original: the original integration test's 20 scripted inquiries on "
        "BOOK1/AAPL (sends 20, or the count if fewer)",
        choices=SCENARIOS,
        flag="--scenario",
    )
    # The position service and the trader.
    batch_size: int = setting(
        "TRADEFAST_BATCH_SIZE",
        2000,
        "most messages per batch (position service and trader)",
        low=1,
        high=100_000,
        flag="--batch-size",
    )
    trader_seed: int = setting(
        "TRADEFAST_TRADER_SEED",
        0,
        "the trader's decision seed",
        low=0,
        high=2**64 - 1,
        flag="--seed",
    )
    done_fraction: float = setting(
        "TRADEFAST_DONE_FRACTION",
        0.1,
        "fraction of inquiries the trader answers DONE",
        low=0.0,
        high=1.0,
        flag="--done-fraction",
    )
    position_limit: int | None = setting(
        "TRADEFAST_POSITION_LIMIT",
        None,
        "per-key |position| limit in cents: the trader answers NOT_DONE beyond it",
        low=0,
        high=2**63 - 1,
        flag="--position-limit",
        default_text="none",
    )
    trader_policy: str = setting(
        "TRADEFAST_TRADER_POLICY",
        "seeded",
        "seeded: DONE for the done fraction of ids by the seed; even-ids: DONE exactly for even "
        "ids (the original integration test)",
        choices=POLICIES,
        flag="--policy",
    )
    # `tradefast run`.
    run_rate: float = setting(
        "TRADEFAST_RUN_RATE",
        20.0,
        "the generator's inquiries per second under `tradefast run` and `make run RATE=...`",
        low=0.001,
        high=MAX_RATE,
        flag="--rate",
        fallback="RATE",
    )

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
        """The variables that `load` reads back into these same settings, e.g. for starting a
        service as a subprocess."""
        return {declaration.env: _text(getattr(self, name)) for name, declaration in declarations()}


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Secret):
        return value.reveal()
    if isinstance(value, Topics):
        return value.prefix
    if isinstance(value, tuple):
        return ",".join(value)
    return str(value)


@functools.cache
def declarations() -> tuple[tuple[str, Declaration], ...]:
    """(field name, declaration) of every setting, in the order they are read."""
    return tuple((f.name, _declaration(f)) for f in fields(Settings))


def _declaration(settings_field: Field[Any]) -> Declaration:
    declaration: Declaration = settings_field.metadata["setting"]
    return declaration


@functools.cache
def _kinds() -> dict[str, type]:
    """Each setting's value type, without the `| None` of the optional ones."""
    kinds = {}
    for name, hint in typing.get_type_hints(Settings).items():
        if isinstance(hint, types.UnionType):
            hint = next(arg for arg in typing.get_args(hint) if arg is not type(None))
        kinds[name] = typing.get_origin(hint) or hint
    return kinds


def default_of(name: str) -> str:
    """The default as a person reads it."""
    declaration = dict(declarations())[name]
    if declaration.default_text:
        return declaration.default_text
    default = next(f.default for f in fields(Settings) if f.name == name)
    return _text(default) or "(empty)"


def allowed_values(declaration: Declaration) -> str:
    """The values the setting takes, as a person reads them."""
    if declaration.choices:
        return ", ".join(declaration.choices)
    if declaration.low is not None:
        return f"{declaration.low}..{declaration.high}"
    return ""


def add_flags(parser: argparse.ArgumentParser, names: Iterable[str]) -> None:
    """Command-line flags for the settings `names`; `load(flags=args)` prefers them to the
    environment. Each keeps its text: `load` checks it like the variable's."""
    by_name = dict(declarations())
    for name in names:
        add_flag(parser, name, by_name[name], default_of(name))


def add_flag(
    parser: argparse.ArgumentParser, dest: str, declaration: Declaration, default: str
) -> None:
    assert declaration.flag, f"{declaration.env} has no flag"
    limits = f"; {allowed_values(declaration)}" if allowed_values(declaration) else ""
    variables = declaration.env + (f", else {declaration.fallback}" if declaration.fallback else "")
    help_text = f"{declaration.help} (env {variables}; default {default}{limits})"
    parser.add_argument(
        declaration.flag,
        dest=dest,
        default=None,
        metavar=declaration.flag.lstrip("-").upper().replace("-", "_"),
        help=help_text.replace("%", "%%"),
    )


def load(env: Mapping[str, str] | None = None, flags: argparse.Namespace | None = None) -> Settings:
    """Read the settings from `flags` given on the command line, else from `env` (default: the
    process environment), else their defaults."""
    values: dict[str, Any] = {}
    for settings_field in fields(Settings):
        name = settings_field.name
        values[name] = _read(
            name,
            _declaration(settings_field),
            _kinds()[name],
            settings_field.default,
            env,
            flags,
            values,
        )
    return Settings(**values)


def read(
    dest: str,
    declaration: Declaration,
    default: Any,
    env: Mapping[str, str] | None = None,
    flags: argparse.Namespace | None = None,
) -> Any:
    """One setting that is no field of Settings (e.g. a service's metrics port), read like
    those: `flags` (the flag's `dest`), else `env`, else `default`."""
    return _read(dest, declaration, type(default), default, env, flags, {})


def _read(
    name: str,
    declaration: Declaration,
    kind: type,
    default: Any,
    env: Mapping[str, str] | None,
    flags: argparse.Namespace | None,
    earlier: Mapping[str, Any],
) -> Any:
    given = vars(flags) if flags is not None else {}
    source, text = _raw(name, declaration, os.environ if env is None else env, given)
    if text:
        value = _parse(source, text, declaration, kind)
    elif declaration.derive is not None:
        value = declaration.derive(earlier)
    else:
        value = default
    # Defaults are checked too: a default bootstrap address grows into a cluster's list.
    if declaration.check is not None and (text or value):
        value = declaration.check(source, value, earlier)
    return value


def _raw(
    name: str, declaration: Declaration, env: Mapping[str, str], given: Mapping[str, Any]
) -> tuple[str, str]:
    """Where the setting's text comes from and the text ("" when nothing sets it)."""
    flagged = given.get(name)
    if flagged is not None:
        return declaration.flag, str(flagged)
    if env.get(declaration.env):
        return declaration.env, env[declaration.env]
    if declaration.fallback and env.get(declaration.fallback):
        return declaration.fallback, env[declaration.fallback]
    return declaration.env, ""


def _parse(source: str, text: str, declaration: Declaration, kind: type) -> Any:
    value: Any
    if kind is int:
        try:
            value = int(text)
        except ValueError:
            raise ConfigError(f"{source}={text!r} is not a whole number") from None
    elif kind is float:
        try:
            value = float(text)
        except ValueError:
            raise ConfigError(f"{source}={text!r} is not a number") from None
    elif kind is tuple:
        value = tuple(part.strip() for part in text.split(",") if part.strip())
    elif kind is Secret:
        value = Secret(text)
    elif kind is Topics:
        value = Topics(text)
    else:
        value = text
    if declaration.choices and value not in declaration.choices:
        raise ConfigError(f"{source}={text!r} must be one of {', '.join(declaration.choices)}")
    if declaration.low is not None and declaration.high is not None:
        within(source, value, declaration.low, declaration.high)
    return value


def within(source: str, value: float, low: float, high: float) -> None:
    """ConfigError unless low <= value <= high; for settings and for a command's own options."""
    if not low <= value <= high:
        raise ConfigError(f"{source}={value} is out of range {low}..{high}")


def read_properties(path: str, source: str = "TRADEFAST_KAFKA_PROPERTIES") -> dict[str, str]:
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
                raise ConfigError(f"{source}={path!r} line {number} is not key=value")
            properties[key.strip()] = value.strip()
    return properties
