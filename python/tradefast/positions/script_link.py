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
from collections.abc import Sequence
from urllib.parse import unquote, urlsplit

import hiredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

READ_SIZE = 65536

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
        self._stream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        self._parser = hiredis.Reader()

    @staticmethod
    def serves(url: str) -> bool:
        """True for the URLs a link can speak to (TLS, sockets and clusters go through
        redis-py)."""
        return urlsplit(url).scheme == "redis"

    async def run(self, keys: Sequence[str], args: Sequence[str | int | bytes]) -> object:
        """The script's reply; raises redis-py's ConnectionError when the server cannot be
        reached or does not answer within the timeout, ResponseError when the script fails."""
        try:
            async with asyncio.timeout(self._timeout):
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
        reader, writer = self._stream or await self._connect()
        writer.write(pack(command))
        return await self._reply(reader)

    async def _reply(self, reader: asyncio.StreamReader) -> object:
        reply = self._parser.gets()
        while reply is False:
            data = await reader.read(READ_SIZE)
            if not data:
                raise EOFError("the server closed the connection")
            self._parser.feed(data)
            reply = self._parser.gets()
        return reply

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        reader, writer = await asyncio.open_connection(self._host, self._port)
        self._stream = (reader, writer)
        self._parser = hiredis.Reader()
        setup: list[Command] = []
        if self._password is not None:
            credentials = (self._username, self._password) if self._username else (self._password,)
            setup.append((b"AUTH", *credentials))
        if self._db:
            setup.append((b"SELECT", self._db))
        for command in setup:
            writer.write(pack(command))
            reply = await self._reply(reader)
            if isinstance(reply, hiredis.ReplyError):
                self.close()
                raise ResponseError(f"Redis refused {command[0]!r}: {reply}")
        return reader, writer

    def close(self) -> None:
        if self._stream is not None:
            self._stream[1].close()
            self._stream = None


def pack(command: Command) -> bytes:
    # hiredis's stub types the argument as a 1-tuple; it takes any length.
    packed: bytes = hiredis.pack_command(command)  # type: ignore[arg-type]
    return packed
