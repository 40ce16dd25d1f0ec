"""Redis access for positions.

One hash per key `book|instrument`, named `position:{book}:instrument` with fields notional (cents),
quantity, sequence and last_done_id. The `{book}` hash tag puts a book's keys in one Redis Cluster
slot, so a cluster shards positions by book. Values are decimal strings, written by Python only:
no Lua arithmetic, so no float rounding.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import redis.asyncio as aioredis

# (notional cents, quantity, sequence, last_done_id), as in tradefast._core.
Position = tuple[int, int, int, int]
ZERO: Position = (0, 0, 0, 0)
FIELDS = ("notional", "quantity", "sequence", "last_done_id")
PREFIX = "position:"
SOCKET_TIMEOUT = 10.0

# Applies every update only if each key's last_done_id is still what the caller read: a
# compare-and-set fence against another instance (or a replay) having moved the key meanwhile.
# KEYS: the hashes; ARGV: per key, expected last_done_id then the four new field values.
APPLY_IF_UNCHANGED = """
for i, key in ipairs(KEYS) do
  local current = redis.call('HGET', key, 'last_done_id') or '0'
  if current ~= ARGV[(i - 1) * 5 + 1] then
    return 0
  end
end
for i, key in ipairs(KEYS) do
  local at = (i - 1) * 5
  redis.call('HSET', key, 'notional', ARGV[at + 2], 'quantity', ARGV[at + 3],
             'sequence', ARGV[at + 4], 'last_done_id', ARGV[at + 5])
end
return 1
"""


@dataclass(frozen=True)
class PositionRow:
    book: str
    instrument: str
    notional: int
    quantity: int
    sequence: int
    last_done_id: int


def redis_key(key: str) -> str:
    """`BOOK1|AAPL` -> `position:{BOOK1}:AAPL`."""
    book, _, instrument = key.partition("|")
    return f"{PREFIX}{{{book}}}:{instrument}"


def position_key(redis_name: str) -> tuple[str, str] | None:
    """`position:{BOOK1}:AAPL` -> ("BOOK1", "AAPL"); None for a name of another shape."""
    if not redis_name.startswith(PREFIX + "{"):
        return None
    book, sep, instrument = redis_name[len(PREFIX) + 1 :].partition("}:")
    return (book, instrument) if sep else None


def _position(values: list[bytes | None]) -> Position:
    notional, quantity, sequence, last_done_id = (int(v) if v is not None else 0 for v in values)
    return (notional, quantity, sequence, last_done_id)


class PositionStore:
    def __init__(self, client: aioredis.Redis) -> None:
        self._client = client
        self._apply = client.register_script(APPLY_IF_UNCHANGED)

    @classmethod
    def from_url(cls, url: str) -> PositionStore:
        # Timeouts turn a hung Redis into an error, so the runtime retries instead of stalling.
        return cls(
            aioredis.Redis.from_url(
                url, socket_timeout=SOCKET_TIMEOUT, socket_connect_timeout=SOCKET_TIMEOUT
            )
        )

    async def read_positions(self, keys: Iterable[str]) -> dict[str, Position]:
        """The position of every key (ZERO when absent), in one pipelined round trip."""
        keys = list(keys)
        async with self._client.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.hmget(redis_key(key), FIELDS)
            rows = await pipe.execute()
        return {key: _position(row) for key, row in zip(keys, rows, strict=True)}

    async def apply_updates(
        self, updates: Mapping[str, Position], expected: Mapping[str, int]
    ) -> bool:
        """Write `updates` atomically if every key's last_done_id still equals `expected[key]`;
        False (nothing written) if any moved."""
        if not updates:
            return True
        names: list[str] = []
        args: list[str | int] = []
        for key, position in updates.items():
            names.append(redis_key(key))
            args.append(str(expected[key]))
            args.extend(str(value) for value in position)
        return bool(await self._apply(keys=names, args=args))

    async def all_positions(self) -> list[PositionRow]:
        """Every stored position, sorted by book then instrument."""
        names = [name async for name in self._client.scan_iter(match=PREFIX + "*", count=1000)]
        decoded = [n.decode() if isinstance(n, bytes) else str(n) for n in names]
        named = [(name, position_key(name)) for name in decoded]
        named_keys = [(name, parts) for name, parts in named if parts is not None]
        async with self._client.pipeline(transaction=False) as pipe:
            for name, _ in named_keys:
                pipe.hmget(name, FIELDS)
            rows = await pipe.execute()
        result = [
            PositionRow(book, instrument, *_position(row))
            for (_, (book, instrument)), row in zip(named_keys, rows, strict=True)
        ]
        return sorted(result, key=lambda r: (r.book, r.instrument))

    async def close(self) -> None:
        await self._client.aclose()

    async def replace_all(self, positions: Mapping[str, Position]) -> None:
        """Make the stored positions exactly `positions`, in one MULTI/EXEC transaction: keys
        absent from `positions` are deleted (used to rebuild Redis from the Kafka log)."""
        names = [name async for name in self._client.scan_iter(match=PREFIX + "*", count=1000)]
        async with self._client.pipeline(transaction=True) as pipe:
            if names:
                pipe.delete(*names)
            for key, position in positions.items():
                pipe.hset(redis_key(key), mapping=dict(zip(FIELDS, position, strict=True)))
            await pipe.execute()
