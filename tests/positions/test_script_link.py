"""The position service's script link on a real Redis: it runs the script (loading it when the
server forgot it), selects the URL's database, and turns every failure into a redis-py error
instead of hanging."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import pytest
import redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from tradefast.config import Settings
from tradefast.core_types import NO_POSITION, Position
from tradefast.infra.netcheck import free_port
from tradefast.positions.script_link import ScriptLink
from tradefast.positions.store import PositionStore, Write

SET_AND_COUNT = "redis.call('SET', KEYS[1], ARGV[1]); return redis.call('INCR', KEYS[2])"

pytestmark = pytest.mark.timeout(60)


def test_runs_the_script_and_reloads_it_after_a_flush(
    settings: Settings, redis_client: redis.Redis
) -> None:
    async def scenario() -> list[object]:
        link = ScriptLink(settings.redis_url, SET_AND_COUNT, timeout=5)
        replies = [await link.run(["k", "n"], ["first"])]
        redis_client.script_flush()
        replies.append(await link.run(["k", "n"], [b"second"]))
        link.close()
        return replies

    assert asyncio.run(scenario()) == [1, 2]
    # The URL's database, not database 0 (the suite's Redis gives each test its own).
    assert redis_client.get("k") == b"second"


def test_a_failing_script_is_a_response_error_and_the_link_goes_on(settings: Settings) -> None:
    async def scenario() -> object:
        link = ScriptLink(settings.redis_url, "return redis.call('INCR', KEYS[1])", timeout=5)
        await link.run(["text"], [])
        with pytest.raises(ResponseError):
            await ScriptLink(settings.redis_url, "error(", timeout=5).run([], [])
        reply = await link.run(["text"], [])
        link.close()
        return reply

    assert asyncio.run(scenario()) == 2


def test_nobody_listening_is_a_connection_error() -> None:
    link = ScriptLink(f"redis://127.0.0.1:{free_port()}/0", "return 1", timeout=5)
    with pytest.raises(RedisConnectionError, match=r"127\.0\.0\.1"):
        asyncio.run(link.run([], []))


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A server that accepts connections and never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()


def test_a_server_that_never_answers_is_a_connection_error_after_the_timeout(
    silent_server: int,
) -> None:
    link = ScriptLink(f"redis://127.0.0.1:{silent_server}/0", "return 1", timeout=0.3)
    with pytest.raises(RedisConnectionError, match=r"did not answer within 0\.3 s"):
        asyncio.run(link.run([], []))


def test_only_plain_urls_are_served() -> None:
    assert ScriptLink.serves("redis://127.0.0.1:6379/0")
    assert not ScriptLink.serves("rediss://127.0.0.1:6379/0")
    assert not ScriptLink.serves("unix:///tmp/redis.sock")
    with pytest.raises(ValueError, match="plain"):
        ScriptLink("rediss://127.0.0.1:6379/0", "return 1", timeout=1)


def test_the_store_from_a_url_writes_through_the_link(settings: Settings) -> None:
    moved = Position(500, 5, 1, 3, 2)

    async def scenario() -> tuple[bool, bool, object]:
        store = PositionStore.from_url(settings.redis_url, fenced_topic=settings.topics.new)
        assert store.writes_over_link
        first = await store.apply({"BOOK1|AAPL": Write(0, moved, records=(), keep_from=0)})
        stale = await store.apply({"BOOK1|AAPL": Write(0, NO_POSITION, records=(), keep_from=0)})
        read = await store.read_states(["BOOK1|AAPL"])
        await store.close()
        return first, stale, read["BOOK1|AAPL"]

    first, stale, stored = asyncio.run(scenario())
    assert first and not stale
    assert stored == (moved, 1)
