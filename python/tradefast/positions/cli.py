"""`tradefast positions`: the current positions in Redis, as a table or as JSON for scripts;
`positions check` compares them with the Kafka log, `positions rebuild` restores them from it."""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

import redis

from tradefast import config
from tradefast.core_types import Position
from tradefast.errors import TradefastError, UnavailableError
from tradefast.positions import audit
from tradefast.positions.store import PositionRow, PositionStore

# A cluster client that cannot reach the cluster raises RedisClusterException, no RedisError.
REDIS_ERRORS = (redis.RedisError, redis.exceptions.RedisClusterException)
TIMEOUT_RANGE = (1.0, 3600.0)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("positions", help="print the current positions from Redis")
    parser.add_argument(
        "--json",
        action="store_true",
        help="a JSON list of {book, instrument, notional (cents), quantity, sequence}",
    )
    parser.set_defaults(func=_run)
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    check = actions.add_parser(
        "check",
        help="recompute every position from the decided topic and compare with Redis",
        description="Recompute every position from the DONE messages of the decided topic "
        "(each inquiry once) and print where Redis differs; exit 1 if it does.",
    )
    _add_timeout(check)
    check.set_defaults(func=_check)
    rebuild = actions.add_parser(
        "rebuild",
        help="restore the positions in Redis from the decided topic",
        description="Replace every position in Redis by the one recomputed from the decided "
        "topic. Stop the position service first: it would race the rebuild.",
    )
    _add_timeout(rebuild)
    rebuild.set_defaults(func=_rebuild)


def _add_timeout(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--timeout",
        type=float,
        default=audit.PATIENCE,
        metavar="SECONDS",
        help="fail (exit 2) when Kafka leaves the read this long without an answer "
        "(default: %(default).0f)",
    )


def _run(args: argparse.Namespace) -> int:
    settings = config.load()
    try:
        rows = asyncio.run(_read(settings.redis_url))
    except REDIS_ERRORS as exc:
        raise TradefastError(f"cannot read Redis at {settings.redis_url}: {exc}") from None
    print(as_json(rows) if args.json else as_table(rows))
    return 0


def _check(args: argparse.Namespace) -> int:
    config.within("--timeout", args.timeout, *TIMEOUT_RANGE)
    settings = config.load()
    log = audit.positions_from_log(settings, args.timeout)
    try:
        rows = asyncio.run(_read(settings.redis_url))
    except REDIS_ERRORS as exc:
        raise UnavailableError(f"cannot read Redis: {exc}") from None
    found = audit.differences(log, rows)
    for difference in found:
        print(difference.describe())
    dones = sum(position[2] for position in log.values())
    if found:
        keys = set(log) | {f"{r.book}|{r.instrument}" for r in rows}
        print(f"{len(found)} of {len(keys)} keys differ from the log ({dones} DONE inquiries)")
        return 1
    print(f"{len(log)} positions match the log ({dones} DONE inquiries)")
    return 0


def _rebuild(args: argparse.Namespace) -> int:
    config.within("--timeout", args.timeout, *TIMEOUT_RANGE)
    settings = config.load()
    log = audit.positions_from_log(settings, args.timeout)
    restored = audit.with_enriched_offsets(settings, log, args.timeout)
    try:
        asyncio.run(_replace(settings.redis_url, restored))
    except REDIS_ERRORS as exc:
        raise UnavailableError(f"cannot write Redis: {exc}") from None
    dones = sum(position[2] for position in log.values())
    print(f"rebuilt {len(log)} positions from the log ({dones} DONE inquiries)")
    return 0


async def _replace(url: str, positions: dict[str, Position]) -> None:
    store = PositionStore.from_url(url)
    try:
        await store.replace_all(positions)
    finally:
        await store.close()


async def _read(url: str) -> list[PositionRow]:
    store = PositionStore.from_url(url)
    try:
        return await store.all_positions()
    finally:
        await store.close()


def as_json(rows: list[PositionRow]) -> str:
    return json.dumps(
        [
            {
                "book": r.book,
                "instrument": r.instrument,
                "notional": r.position.notional,
                "quantity": r.position.quantity,
                "sequence": r.position.sequence,
            }
            for r in rows
        ],
        indent=2,
    )


def as_table(rows: list[PositionRow]) -> str:
    if not rows:
        return "no positions yet"
    header = ("BOOK", "INSTRUMENT", "NOTIONAL", "QUANTITY", "DONE")
    body = [_cells(row) for row in rows]
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]
    lines = []
    for row in [header, *body]:
        cells = [
            cell.ljust(width) if i < 2 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _cells(row: PositionRow) -> tuple[str, str, str, str, str]:
    position = row.position
    notional, quantity = f"{position.notional / 100:,.2f}", f"{position.quantity:,}"
    return (row.book, row.instrument, notional, quantity, str(position.sequence))
