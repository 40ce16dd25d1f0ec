"""The Redis database the test suite may wipe.

On a Redis the suite started itself, any database is its own. On one it found running (named by
TRADEFAST_REDIS_URL), the suite claims one database: TRADEFAST_TEST_REDIS_DB, or else the
highest-numbered one, and only if that database is empty or already carries the suite's mark.
The mark is one key put back after every flush, so a later run (even after an aborted one)
recognises the database as the suite's, and a database with anyone else's data is never chosen.
"""

from __future__ import annotations

import os
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import redis

OWNER_KEY = "tradefast-test-suite:owner"
OWNER_NOTE = "the tradefast test suite empties this database before each test"
# Redis' default `databases`, for servers that refuse CONFIG GET.
DEFAULT_DATABASES = 16


class NoDatabase(RuntimeError):
    """No database of the running Redis is free for the suite to wipe."""


def with_database(url: str, db: int) -> str:
    """`url` pointing at database `db` (redis:// and rediss:// by path, unix:// by query)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "db"]
    if parts.scheme == "unix":
        # urlunsplit would drop the empty host: unix:/path, which redis-py does not read.
        return f"unix://{parts.path}?{urlencode([*query, ('db', str(db))])}"
    return urlunsplit(parts._replace(path=f"/{db}", query=urlencode(query)))


def claim_database(url: str) -> str:
    """The URL of the database the suite owns on the running Redis at `url`; marks it."""
    wanted = os.environ.get("TRADEFAST_TEST_REDIS_DB")
    candidates = [int(wanted)] if wanted else list(range(_databases(url) - 1, 0, -1))
    for db in candidates:
        candidate = with_database(url, db)
        with redis.Redis.from_url(candidate) as client:
            if client.exists(OWNER_KEY) or client.dbsize() == 0:
                client.set(OWNER_KEY, OWNER_NOTE)
                return candidate
    tried = ", ".join(str(db) for db in candidates)
    raise NoDatabase(
        f"Redis at {url} holds data in every database the tests could use ({tried}); set "
        "TRADEFAST_TEST_REDIS_DB to an empty one, or leave TRADEFAST_REDIS_URL unset so the "
        "tests start their own Redis"
    )


def reset(url: str) -> None:
    """Empty the suite's database at `url`, keeping its mark."""
    with redis.Redis.from_url(url) as client:
        client.flushdb()
        client.set(OWNER_KEY, OWNER_NOTE)


def release(url: str) -> None:
    """Leave the claimed database empty, mark included, when the session ends."""
    with redis.Redis.from_url(url) as client:
        if client.exists(OWNER_KEY):
            client.flushdb()


def _databases(url: str) -> int:
    with redis.Redis.from_url(url) as client:
        try:
            answer = client.config_get("databases")
        except redis.ResponseError:  # CONFIG disabled or renamed, as managed services do
            return DEFAULT_DATABASES
    return int(answer.get("databases", DEFAULT_DATABASES))
