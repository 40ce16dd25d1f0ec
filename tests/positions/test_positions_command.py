"""`tradefast positions` against real Redis: a table for people, JSON for scripts."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import redis


def positions(env: dict[str, str], *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tradefast", "positions", *flags],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_prints_positions_as_json_and_as_a_table(
    settings_env: dict[str, str], redis_client: redis.Redis
) -> None:
    redis_client.hset(
        "position:{BOOK1}:AAPL",
        mapping={"notional": "-123456", "quantity": "-700", "sequence": "3", "done_offset": "9"},
    )

    as_json = positions(settings_env, "--json")
    table = positions(settings_env)

    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout) == [
        {
            "book": "BOOK1",
            "instrument": "AAPL",
            "notional": -123456,
            "quantity": -700,
            "sequence": 3,
        }
    ]
    assert table.returncode == 0, table.stderr
    header = ["BOOK", "INSTRUMENT", "NOTIONAL", "QUANTITY", "DONE"]
    assert table.stdout.split() == [*header, "BOOK1", "AAPL", "-1,234.56", "-700", "3"]


def test_unreachable_redis_is_a_clear_error(settings_env: dict[str, str]) -> None:
    done = positions({**settings_env, "TRADEFAST_REDIS_URL": "redis://127.0.0.1:1/0"})
    assert done.returncode == 1
    assert "cannot read Redis" in done.stderr and "Traceback" not in done.stderr
