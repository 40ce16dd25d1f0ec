"""The `tradefast` command: one sub-command per concern, each registered by its own module.

A TradefastError from any sub-command is reported here, once: one line on stderr, and its exit
code."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Callable

from tradefast.errors import TradefastError

# Each module exposes `register(subparsers)`; it adds its sub-command and sets `func` on it.
COMMAND_MODULES = (
    "tradefast.services.cli",
    "tradefast.positions.cli",
    "tradefast.run",
    "tradefast.infra.cli",
    "tradefast.bench.cli",
    "tradefast.settings_command",
)

Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tradefast",
        description="Event-driven RFQ trading pipeline: Kafka, Redis, a Rust core, a dashboard.",
    )
    parser.add_argument(
        "--log-level", default="INFO", help="DEBUG, INFO, WARNING or ERROR (default: %(default)s)"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    handler: Handler = args.func
    try:
        return handler(args)
    except TradefastError as exc:
        print(f"{command_name(args)}: {exc}", file=sys.stderr)
        return exc.exit_code


def command_name(args: argparse.Namespace) -> str:
    """`tradefast` and the sub-command words that were given, e.g. `tradefast service trader`."""
    words = [args.command]
    for dest in ("service", "action", "infra_action", "bench_name"):
        word = getattr(args, dest, None)
        if isinstance(word, str):
            words.append(word)
    return " ".join(["tradefast", *words])


if __name__ == "__main__":
    sys.exit(main())
