"""One Lua script over one plain connection: the position service's write, once per batch.

redis-py's asyncio client spends more Python per call (connection pool, retry wrapper, health
checks, per-argument encoding) than the round trip itself costs: on the 2-core machine, ~200 µs
of CPU per EVALSHA against ~50 µs for the same bytes over a bare asyncio stream (docs/bench.md).
The position service makes one such call per batch, so at low rates, where batches hold one or
two messages, that overhead was most of its CPU. This link keeps one connection, packs the
command and parses the reply with hiredis (C), and does nothing else; every failure becomes a
redis-py exception, so callers handle it as before (the service's handler retries).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import deque
from collections.abc import Sequence
from typing import cast
from urllib.parse import unquote, urlsplit

import hiredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

Command = tuple[str | int | bytes, ...]


class ScriptLink:
    """Runs `script` by EVALSHA (loading it by EVAL when the server does not know it) over one
    connection to the Redis of a plain `redis://` URL, opened on first use and after a failure."""

    def __init__(self, url: str, script: str, timeout: float) -> None:
        parts = urlsplit(url)
        if parts.scheme != "redis":
            raise ValueError(f"{url!r}: a script link speaks plain redis:// only")
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or 6379
        self._username = unquote(parts.username) if parts.username else None
        self._password = unquote(parts.password) if parts.password else None
        self._db = int(parts.path.lstrip("/") or 0)
        self._script = script.encode()
        self._sha = hashlib.sha1(self._script).hexdigest().encode()
        self._timeout = timeout
        self._connection: _Replies | None = None

    @staticmethod
    def serves(url: str) -> bool:
        """True for the URLs a link can speak to (TLS, sockets and clusters go through
        redis-py)."""
        return urlsplit(url).scheme == "redis"

    async def run(self, keys: Sequence[str], args: Sequence[str | int | bytes]) -> object:
        """The script's reply; raises redis-py's ConnectionError when the server cannot be
        reached or does not answer within the timeout, ResponseError when the script fails."""
        try:
            reply = await self._round_trip((b"EVALSHA", self._sha, len(keys), *keys, *args))
            if isinstance(reply, hiredis.ReplyError) and str(reply).startswith("NOSCRIPT"):
                reply = await self._round_trip((b"EVAL", self._script, len(keys), *keys, *args))
        except TimeoutError as exc:
            self.close()
            raise RedisConnectionError(
                f"Redis at {self._host}:{self._port} did not answer within {self._timeout} s"
            ) from exc
        except (OSError, EOFError) as exc:
            self.close()
            raise RedisConnectionError(f"Redis at {self._host}:{self._port}: {exc}") from exc
        except BaseException:
            # Interrupted mid-reply (a stop, say): the connection's state is unknown.
            self.close()
            raise
        if isinstance(reply, hiredis.ReplyError):
            raise ResponseError(str(reply))
        return reply

    async def _round_trip(self, command: Command) -> object:
        connection = self._connection or await self._connect()
        return await connection.ask(pack(command), self._timeout)

    async def _connect(self) -> _Replies:
        loop = asyncio.get_running_loop()
        connect = loop.create_connection(_Replies, self._host, self._port)
        _, connection = await asyncio.wait_for(connect, self._timeout)
        self._connection = connection
        setup: list[Command] = []
        if self._password is not None:
            credentials = (self._username, self._password) if self._username else (self._password,)
            setup.append((b"AUTH", *credentials))
        if self._db:
            setup.append((b"SELECT", self._db))
        for command in setup:
            reply = await connection.ask(pack(command), self._timeout)
            if isinstance(reply, hiredis.ReplyError):
                self.close()
                raise ResponseError(f"Redis refused {command[0]!r}: {reply}")
        return connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class _Replies(asyncio.Protocol):
    """One connection: each request written gets the next reply parsed from the stream.

    A protocol rather than asyncio's streams and `asyncio.timeout`: a reply resolves its
    request's future straight from `data_received`, and the timeout is one timer of the loop;
    the streams' buffering and wake-ups cost more Python than the rest of a round trip.
    """

    def __init__(self) -> None:
        self._parser = hiredis.Reader()
        self._waiting: deque[asyncio.Future[object]] = deque()
        self._transport: asyncio.Transport | None = None
        self._lost: BaseException | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)

    async def ask(self, request: bytes, timeout: float) -> object:
        if self._lost is not None or self._transport is None:
            raise self._lost or EOFError("the connection is closed")
        loop = asyncio.get_running_loop()
        reply: asyncio.Future[object] = loop.create_future()
        self._waiting.append(reply)
        self._transport.write(request)
        timer = loop.call_later(timeout, _expire, reply)
        try:
            return await reply
        finally:
            timer.cancel()

    def data_received(self, data: bytes) -> None:
        self._parser.feed(data)
        reply = self._parser.gets()
        while reply is not False:
            if self._waiting:
                waiting = self._waiting.popleft()
                if not waiting.done():
                    waiting.set_result(reply)
            reply = self._parser.gets()

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = exc or EOFError("the server closed the connection")
        while self._waiting:
            waiting = self._waiting.popleft()
            if not waiting.done():
                waiting.set_exception(self._lost)

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


def _expire(reply: asyncio.Future[object]) -> None:
    if not reply.done():
        reply.set_exception(TimeoutError())


def pack(command: Command) -> bytes:
    # hiredis's stub types the argument as a 1-tuple; it takes any length.
    packed: bytes = hiredis.pack_command(command)  # type: ignore[arg-type]
    return packed
