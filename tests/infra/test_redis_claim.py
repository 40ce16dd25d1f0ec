"""The suite never wipes a Redis it did not start: on a running one it claims a database of its
own (empty, or marked as the suite's), and everything else there survives a test session."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import redis_claim
from conftest import Infra
from tradefast.infra.netcheck import free_port
from tradefast.infra.redis_server import RedisServer
from tradefast.processes import stop

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def foreign_redis(tmp_path: Path) -> Iterator[str]:
    """A Redis that stands for someone else's: started here, but not by the suite's fixtures."""
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    server = RedisServer(tmp_path / "redis", die_with_parent=True)
    record = server.start("127.0.0.1", port)
    try:
        server.wait_until_answers(record, url, 30)
        yield url
    finally:
        stop(record, grace_seconds=10)


def fill(url: str, db: int, key: str) -> None:
    with redis.Redis.from_url(redis_claim.with_database(url, db)) as client:
        client.set(key, "precious")


def keys_of(url: str, db: int) -> set[bytes]:
    with redis.Redis.from_url(redis_claim.with_database(url, db)) as client:
        return set(client.keys("*"))


def test_database_urls() -> None:
    assert redis_claim.with_database("redis://h:1/0", 7) == "redis://h:1/7"
    assert redis_claim.with_database("redis://h:1", 7) == "redis://h:1/7"
    assert redis_claim.with_database("rediss://u:p@h:1/2?x=1", 3) == "rediss://u:p@h:1/3?x=1"
    assert redis_claim.with_database("unix:///tmp/r.sock?db=0", 4) == "unix:///tmp/r.sock?db=4"


def test_claims_a_free_database_and_leaves_the_others(
    foreign_redis: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TRADEFAST_TEST_REDIS_DB", raising=False)
    fill(foreign_redis, 0, "app")
    fill(foreign_redis, 15, "other")  # the highest database is taken: the next one is chosen

    claimed = redis_claim.claim_database(foreign_redis)
    assert claimed.endswith("/14")
    fill(foreign_redis, 14, "left-by-a-test")
    # A later session (or one after an aborted run) finds its mark and reuses the database.
    assert redis_claim.claim_database(foreign_redis) == claimed
    redis_claim.reset(claimed)
    assert keys_of(foreign_redis, 14) == {redis_claim.OWNER_KEY.encode()}
    redis_claim.release(claimed)

    assert keys_of(foreign_redis, 14) == set()
    assert keys_of(foreign_redis, 0) == {b"app"}
    assert keys_of(foreign_redis, 15) == {b"other"}


def test_a_database_with_data_is_refused_clearly(
    foreign_redis: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRADEFAST_TEST_REDIS_DB", "3")
    fill(foreign_redis, 3, "precious")
    with pytest.raises(redis_claim.NoDatabase, match="TRADEFAST_TEST_REDIS_DB"):
        redis_claim.claim_database(foreign_redis)
    assert keys_of(foreign_redis, 3) == {b"precious"}
    monkeypatch.setenv("TRADEFAST_TEST_REDIS_DB", "4")
    assert redis_claim.claim_database(foreign_redis).endswith("/4")


def test_a_session_on_a_running_redis_keeps_its_data(foreign_redis: str, infra: Infra) -> None:
    """A whole pytest session pointed at the running Redis: the tests there flush before each
    test, yet the data in database 0 (where TRADEFAST_REDIS_URL points) is untouched."""
    fill(foreign_redis, 0, "app")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADEFAST_")}
    env["TRADEFAST_KAFKA_BOOTSTRAP"] = infra.kafka_bootstrap
    env["TRADEFAST_REDIS_URL"] = foreign_redis
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/positions/test_position_store.py",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert keys_of(foreign_redis, 0) == {b"app"}
    assert keys_of(foreign_redis, 15) == set()  # claimed, used, and left empty
