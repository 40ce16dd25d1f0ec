"""`tradefast infra up | down | status | fetch`: the local Kafka and Redis."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from tradefast import config
from tradefast.infra import kafka_jars
from tradefast.infra.errors import InfraError
from tradefast.infra.local import LocalInfra, ServerStatus, State


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
    up.set_defaults(func=_up)

    down = actions.add_parser("down", help="stop the servers that `up` started (data kept)")
    down.add_argument("--wipe", action="store_true", help="also delete their data folders")
    down.set_defaults(func=_down)

    status = actions.add_parser("status", help="say what runs where, with pids and ports")
    status.set_defaults(func=_status)

    fetch = actions.add_parser("fetch", help="fetch the Kafka jars from Maven Central (once)")
    fetch.set_defaults(func=_fetch)


def _up(args: argparse.Namespace) -> int:
    def run() -> None:
        settings = config.load()
        infra = LocalInfra(settings, start_timeout=args.timeout)
        servers = infra.up(report=_say)
        _print(servers)
        print(f"data   {infra.kafka.data_dir}  {infra.redis.data_dir}")
        print(
            f"topics {', '.join(settings.topics.all)} "
            f"({settings.partitions} partitions) on {settings.kafka_bootstrap}"
        )

    return _guarded(run)


def _down(args: argparse.Namespace) -> int:
    def run() -> None:
        infra = LocalInfra(config.load())
        stopped = infra.down(wipe=args.wipe)
        if stopped:
            _print(stopped)
        else:
            print("nothing started by tradefast is running")
        if args.wipe:
            print(f"data removed: {infra.kafka.root} {infra.redis.root}")

    return _guarded(run)


def _status(_args: argparse.Namespace) -> int:
    def run() -> None:
        servers = LocalInfra(config.load()).status()
        _print(servers)

    return _guarded(run)


def _fetch(_args: argparse.Namespace) -> int:
    def run() -> None:
        print(f"Kafka {kafka_jars.KAFKA_VERSION} jars in {kafka_jars.ensure_jars(report=_say)}")

    return _guarded(run)


def _say(line: str) -> None:
    print(line, flush=True)


def _print(servers: list[ServerStatus]) -> None:
    for server in servers:
        print(server.describe())
        if server.state is State.EXTERNAL:
            print("       (not started by tradefast: used as it is, never stopped by it)")


def _guarded(action: Callable[[], None]) -> int:
    """Run an action; a problem the user must fix is printed as one message, not a traceback."""
    try:
        action()
    except (InfraError, config.ConfigError) as exc:
        print(f"tradefast infra: {exc}", file=sys.stderr)
        return 1
    return 0
