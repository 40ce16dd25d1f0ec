"""`tradefast positions`: the current positions in Redis, as a table or as JSON for scripts."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

import redis

from tradefast import config
from tradefast.positions.store import PositionRow, PositionStore


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("positions", help="print the current positions from Redis")
    parser.add_argument(
        "--json",
        action="store_true",
        help="a JSON list of {book, instrument, notional (cents), quantity, sequence}",
    )
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    try:
        settings = config.load()
        rows = asyncio.run(_read(settings.redis_url))
    except config.ConfigError as exc:
        print(f"tradefast positions: {exc}", file=sys.stderr)
        return 2
    except redis.RedisError as exc:
        print(
            f"tradefast positions: cannot read Redis at {settings.redis_url}: {exc}",
            file=sys.stderr,
        )
        return 1
    print(as_json(rows) if args.json else as_table(rows))
    return 0


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
                "notional": r.notional,
                "quantity": r.quantity,
                "sequence": r.sequence,
            }
            for r in rows
        ],
        indent=2,
    )


def as_table(rows: list[PositionRow]) -> str:
    if not rows:
        return "no positions yet"
    header = ("BOOK", "INSTRUMENT", "NOTIONAL", "QUANTITY", "DONE")
    body = [
        (r.book, r.instrument, f"{r.notional / 100:,.2f}", f"{r.quantity:,}", str(r.sequence))
        for r in rows
    ]
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]
    lines = []
    for row in [header, *body]:
        cells = [
            cell.ljust(width) if i < 2 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)
