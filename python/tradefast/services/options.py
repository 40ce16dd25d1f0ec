"""Flag types and environment defaults shared by the service commands: a bad value is reported
like a bad flag, never as a traceback."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def bounded(kind: Callable[[str], T], low: T, high: T) -> Callable[[str], T]:
    """An argparse type: `kind(text)` within low..high."""

    def parse(text: str) -> T:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a {kind.__name__}") from None
        if not low <= value <= high:  # type: ignore[operator]
            raise argparse.ArgumentTypeError(f"{value} is out of range {low}..{high}")
        return value

    return parse


def names(text: str) -> tuple[str, ...]:
    """An argparse type: a comma-separated list of non-empty names."""
    values = tuple(part.strip() for part in text.split(","))
    if not values or not all(values):
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of names")
    return values


def from_env(name: str, default: str | None) -> str | None:
    """A flag default from the environment. argparse applies the flag's type to a string default,
    so a bad value is reported like a bad flag."""
    return os.environ.get(name) or default


def add_batch_size(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--batch-size",
        type=bounded(int, 1, 100_000),
        default=from_env("TRADEFAST_BATCH_SIZE", "2000"),
        help="most messages per batch (env TRADEFAST_BATCH_SIZE; default 2000)",
    )


def book_names(text: str) -> tuple[str, ...]:
    """Like `names`, without "|": it separates book from instrument in position keys."""
    values = names(text)
    if any("|" in value for value in values):
        raise argparse.ArgumentTypeError(f"{text!r}: a book name must not contain '|'")
    return values
