"""`tradefast infra up | down | status | fetch`: the local Kafka and Redis."""

from __future__ import annotations

import argparse
import os

from tradefast import config
from tradefast.infra import kafka_jars
from tradefast.infra.local import LocalInfra, ServerStatus, State
from tradefast.redis_url import is_cluster


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    infra = subparsers.add_parser(
        "infra", help="start, inspect or stop the local Kafka broker and Redis"
    )
    actions = infra.add_subparsers(dest="infra_action", metavar="ACTION", required=True)

    up = actions.add_parser("up", help="start Kafka and Redis unless they answer already")
    up.add_argument(
        "--timeout",
        type=float,
        default=90.0,
        help="seconds to wait for each server to answer (default: %(default)s)",
    )
    up.add_argument(
        "--brokers",
        type=int,
        choices=(1, 3),
        default=None,
        help="Kafka brokers: 1, or a cluster of 3 with 3 replicas per topic (default: "
        "TRADEFAST_KAFKA_BROKERS, else 1)",
    )
    up.add_argument(
        "--redis-cluster",
        action="store_true",
        help=f"a Redis Cluster instead of one Redis (default URL {DEFAULT_CLUSTER_URL} unless "
        "TRADEFAST_REDIS_URL is a redis+cluster:// URL)",
    )
    up.set_defaults(func=_up)

    down = actions.add_parser("down", help="stop the servers that `up` started (data kept)")
    down.add_argument("--wipe", action="store_true", help="also delete their data folders")
    down.set_defaults(func=_down)

    status = actions.add_parser("status", help="say what runs where, with pids and ports")
    status.set_defaults(func=_status)

    fetch = actions.add_parser("fetch", help="fetch the Kafka jars from Maven Central (once)")
    fetch.set_defaults(func=_fetch)


DEFAULT_CLUSTER_URL = "redis+cluster://127.0.0.1:7000"


def chosen_layout(brokers: int | None, redis_cluster: bool) -> dict[str, str]:
    """The settings `--brokers` and `--redis-cluster` stand for, where they change any."""
    changed = {}
    if brokers is not None:
        changed["TRADEFAST_KAFKA_BROKERS"] = str(brokers)
    if redis_cluster and not is_cluster(os.environ.get("TRADEFAST_REDIS_URL", "")):
        changed["TRADEFAST_REDIS_URL"] = DEFAULT_CLUSTER_URL
    return changed


def _up(args: argparse.Namespace) -> int:
    layout = chosen_layout(args.brokers, args.redis_cluster)
    settings = config.load({**os.environ, **layout})
    infra = LocalInfra(settings, start_timeout=args.timeout)
    servers = infra.up(report=_say)
    _print(servers)
    print(f"data    {'  '.join(str(root / 'data') for root in infra.roots)}")
    print(
        f"topics  {', '.join(settings.topics.all)} ({settings.partitions} partitions, "
        f"replication factor {settings.kafka_replication}, min.insync.replicas "
        f"{settings.kafka_min_insync}) on {settings.kafka_bootstrap}"
    )
    if layout:
        print(
            "the services need the same settings: export "
            + " ".join(f"{name}={value}" for name, value in layout.items())
        )
    return 0


def _down(args: argparse.Namespace) -> int:
    infra = LocalInfra(config.load())
    stopped = infra.down(wipe=args.wipe)
    if stopped:
        _print(stopped)
    else:
        print("nothing started by tradefast is running")
    if args.wipe:
        print(f"data removed under {infra.home}")
    return 0


def _status(_args: argparse.Namespace) -> int:
    servers = LocalInfra(config.load()).status()
    _print(servers)
    return 0


def _fetch(_args: argparse.Namespace) -> int:
    print(f"Kafka {kafka_jars.KAFKA_VERSION} jars in {kafka_jars.ensure_jars(report=_say)}")
    return 0


def _say(line: str) -> None:
    print(line, flush=True)


def _print(servers: list[ServerStatus]) -> None:
    for server in servers:
        print(server.describe())
        if server.state is State.EXTERNAL:
            print("        (not started by tradefast: used as it is, never stopped by it)")
