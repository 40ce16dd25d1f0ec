"""Redis access for positions.

One hash per key `book|instrument`, named `position:{book}:instrument`, with fields notional
(cents), quantity, sequence, done_offset and enriched_offset (the fences: the inquiries.new offset
of the last DONE applied and of the last NEW enriched), and beside it a sorted set
`enrichments:{book}:instrument` holding the enrichment of each NEW whose output may not be
acknowledged yet, scored by its offset. The `{book}` hash tag puts a book's keys in one Redis
Cluster slot, so a cluster shards positions by book. Values are decimal strings, written by Python
only: no Lua arithmetic, so no float rounding.

On a Redis Cluster (a redis+cluster:// URL) a script may only touch keys of one slot, so the
fenced write runs once per slot, all in one pipeline (one round trip per master). Each key is
compared and set on its own revision, so a batch whose write landed in some slots and not others
is redone like a replay: the keys written recognise it by their fences. Before the write counts,
each master written to must have it on a replica (WAIT), so a failover cannot undo it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from prometheus_client import Counter
from redis.asyncio.cluster import ClusterNode
from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster
from redis.crc import key_slot
from redis.exceptions import NoScriptError

from tradefast.core_types import NO_POSITION, Position, Record, Recorded
from tradefast.infra.redis_clients import AsyncClient, async_client
from tradefast.positions.script_link import ScriptLink
from tradefast.runtime.fatal import FatalError

log = logging.getLogger(__name__)

FIELDS = Position._fields
STATE_FIELDS = (*FIELDS, "revision", "fenced_topic")
PREFIX = "position:"
RECORDS_PREFIX = "enrichments:"
SOCKET_TIMEOUT = 10.0
# How long a Redis Cluster master may take to have a write on a replica (a live one on a LAN
# answers in about a millisecond) before the write counts as unreplicated.
REPLICA_WAIT_MS = 1000

UNREPLICATED = Counter(
    "tradefast_position_unreplicated_writes",
    "Fenced position writes that no replica of their Redis Cluster master confirmed in time "
    "(a failover of that master could lose them)",
)

# Applies every key's write only if each key's revision is still what the caller read: a
# compare-and-set against another instance (or a replay) having moved the key meanwhile. A key
# fenced on another inquiries.new topic (a fresh pipeline on an old Redis) drops its records.
# KEYS: per key, its hash then its records' sorted set. ARGV[1]: the inquiries.new topic the
# fences refer to; then per key: the expected revision, the five new field values, the offset
# below which records may go, the number n of new records, then n (score, member) pairs.
APPLY_IF_UNCHANGED = """
local topic = ARGV[1]
local plan, at = {}, 2
for i = 1, #KEYS, 2 do
  if (redis.call('HGET', KEYS[i], 'revision') or '0') ~= ARGV[at] then
    return 0
  end
  plan[#plan + 1] = at
  at = at + 8 + 2 * tonumber(ARGV[at + 7])
end
for n, at in ipairs(plan) do
  local hash, records = KEYS[2 * n - 1], KEYS[2 * n]
  if redis.call('HGET', hash, 'fenced_topic') ~= topic then
    redis.call('DEL', records)
  end
  redis.call('HSET', hash, 'notional', ARGV[at + 1], 'quantity', ARGV[at + 2],
             'sequence', ARGV[at + 3], 'done_offset', ARGV[at + 4],
             'enriched_offset', ARGV[at + 5], 'revision', tonumber(ARGV[at]) + 1,
             'fenced_topic', topic)
  local first, last = at + 8, at + 7 + 2 * tonumber(ARGV[at + 7])
  while first <= last do
    -- unpack() is bounded by Lua's stack: members go in chunks of 1,000 (score, member) pairs.
    local upto = math.min(first + 1999, last)
    redis.call('ZADD', records, unpack(ARGV, first, upto))
    first = upto + 1
  end
  redis.call('ZREMRANGEBYSCORE', records, '-inf', '(' .. ARGV[at + 6])
end
return 1
"""


class CorruptPosition(FatalError):
    """A stored position field that is not an integer."""


class Stored(NamedTuple):
    """A key's position as the position service sees it, and the revision of its hash (the
    number of writes so far: what the compare-and-set compares)."""

    position: Position
    revision: int


@dataclass(frozen=True)
class Write:
    """One key's part of a fenced batch write."""

    expected: int
    """The revision read."""
    position: Position
    records: Sequence[Record]
    keep_from: int
    """Records of offsets below this may be dropped: their outputs are acknowledged."""


@dataclass(frozen=True)
class PositionRow:
    """A stored position with its key split into book and instrument."""

    book: str
    instrument: str
    position: Position


def redis_key(key: str, prefix: str = PREFIX) -> str:
    """`BOOK1|AAPL` -> `position:{BOOK1}:AAPL`."""
    book, _, instrument = key.partition("|")
    return f"{prefix}{{{book}}}:{instrument}"


def position_key(redis_name: str) -> tuple[str, str] | None:
    """`position:{BOOK1}:AAPL` -> ("BOOK1", "AAPL"); None for a name of another shape."""
    if not redis_name.startswith(PREFIX + "{"):
        return None
    book, sep, instrument = redis_name[len(PREFIX) + 1 :].partition("}:")
    return (book, instrument) if sep else None


def _position(name: str, values: list[bytes | None]) -> Position:
    parsed = [
        _integer(name, field, value, default)
        for field, value, default in zip(FIELDS, values, NO_POSITION, strict=True)
    ]
    return Position(*parsed)


def _integer(name: str, field: str, value: bytes | None, default: int) -> int:
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise CorruptPosition(
            f"Redis key {name} field {field} holds {value[:40]!r}, not an integer: "
            "fix or delete it (tradefast positions rebuild restores positions from the log)"
        ) from None


def _record(key: str, member: bytes) -> tuple[tuple[str, int], Recorded]:
    try:
        offset, notional, quantity, sequence, enriched_ns = (int(v) for v in member.split(b":"))
    except ValueError:
        raise CorruptPosition(
            f"Redis key {redis_key(key, RECORDS_PREFIX)} holds {member[:60]!r}, not an "
            "enrichment record"
        ) from None
    return (key, offset), (notional, quantity, sequence, enriched_ns)


class PositionStore:
    """Positions in Redis. `fenced_topic` names the inquiries.new topic whose offsets the fences
    hold: fences written for another topic (whose offsets mean nothing here) read as none.
    With a `link`, the fenced write (the once-per-batch call) goes over it instead of `client`."""

    def __init__(
        self, client: AsyncClient, fenced_topic: str = "", link: ScriptLink | None = None
    ) -> None:
        self._client = client
        self._apply = client.register_script(APPLY_IF_UNCHANGED)
        self._fenced_topic = fenced_topic
        self._link = link
        self._cluster = client if isinstance(client, AsyncRedisCluster) else None

    @classmethod
    def from_url(cls, url: str, fenced_topic: str = "") -> PositionStore:
        """A store on the Redis or Redis Cluster that `url` names."""
        # Timeouts turn a hung Redis into an error, so the runtime retries instead of stalling.
        client = async_client(url, SOCKET_TIMEOUT)
        link = (
            ScriptLink(url, APPLY_IF_UNCHANGED, SOCKET_TIMEOUT) if ScriptLink.serves(url) else None
        )
        return cls(client, fenced_topic, link)

    @property
    def writes_over_link(self) -> bool:
        return self._link is not None

    async def read_positions(self, keys: Iterable[str]) -> dict[str, Position]:
        """The position of every key (NO_POSITION when absent), in one pipelined round trip."""
        return {key: stored.position for key, stored in (await self.read_states(keys)).items()}

    async def read_states(self, keys: Iterable[str]) -> dict[str, Stored]:
        """The position and revision of every key, in one pipelined round trip."""
        keys = list(keys)
        async with self._client.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.hmget(redis_key(key), STATE_FIELDS)
            rows = await pipe.execute()
        return {key: self._stored(redis_key(key), row) for key, row in zip(keys, rows, strict=True)}

    def _stored(self, name: str, row: list[bytes | None]) -> Stored:
        position = _position(name, row[:5])
        if (row[6] or b"").decode(errors="replace") != self._fenced_topic:
            position = position._replace(done_offset=-1, enriched_offset=-1)
        return Stored(position, _integer(name, "revision", row[5], 0))

    async def read_records(
        self, wanted: Mapping[str, tuple[int, int]]
    ) -> dict[tuple[str, int], Recorded]:
        """The stored enrichments of each key with offsets in its [low, high], by (key, offset):
        one pipelined round trip."""
        keys = list(wanted)
        async with self._client.pipeline(transaction=False) as pipe:
            for key in keys:
                low, high = wanted[key]
                pipe.zrangebyscore(redis_key(key, RECORDS_PREFIX), low, high)
            replies = await pipe.execute()
        return dict(
            _record(key, member)
            for key, members in zip(keys, replies, strict=True)
            for member in members
        )

    async def apply(self, writes: Mapping[str, Write]) -> bool:
        """Apply `writes` if every key's revision is still its `expected` one: atomically on one
        Redis; per slot on a Redis Cluster, where keys of other slots may be written while those
        of a slot that moved are not. False if any key's revision had moved."""
        if not writes:
            return True
        scripts = self._scripts(writes)
        applied: Sequence[object]
        if len(scripts) == 1:
            ((names, args),) = scripts.values()
            if self._link is not None:
                applied = [await self._link.run(names, args)]
            else:
                applied = [await self._apply(keys=names, args=args)]
        else:
            applied = await self._apply_per_slot(list(scripts.values()))
        if self._cluster is not None and any(applied):
            await self._replicated(self._cluster, scripts)
        return all(applied)

    def _scripts(self, writes: Mapping[str, Write]) -> dict[int, tuple[list[str], list[str | int]]]:
        """The keys and arguments of the script for each slot (one Redis: all in slot 0)."""
        scripts: dict[int, tuple[list[str], list[str | int]]] = {}
        for key, write in writes.items():
            name = redis_key(key)
            slot = key_slot(name.encode()) if self._cluster is not None else 0
            names, args = scripts.setdefault(slot, ([], [self._fenced_topic]))
            names += (name, redis_key(key, RECORDS_PREFIX))
            args += (write.expected, *write.position, write.keep_from)
            args.append(len(write.records))
            for offset, notional, quantity, sequence, enriched_ns in write.records:
                args += (offset, f"{offset}:{notional}:{quantity}:{sequence}:{enriched_ns}")
        return scripts

    async def _apply_per_slot(self, scripts: list[tuple[list[str], list[str | int]]]) -> list[int]:
        """One script per slot, pipelined: the cluster client sends each master its slots'
        scripts in one round trip."""
        async with self._client.pipeline(transaction=False) as pipe:
            for names, args in scripts:
                # By name: redis-py's cluster pipeline refuses its evalsha() method, not the
                # command, which it routes by the first key like any other.
                pipe.execute_command("EVALSHA", self._apply.sha, len(names), *names, *args)
            replies = await pipe.execute(raise_on_error=False)
        applied = []
        for (names, args), reply in zip(scripts, replies, strict=True):
            if isinstance(reply, NoScriptError):
                # A master that never ran the script (new, or promoted from a replica): this
                # call loads it there and runs it.
                reply = await self._apply(keys=names, args=args)
            if isinstance(reply, Exception):
                raise reply
            applied.append(int(reply))
        return applied

    async def _replicated(self, cluster: AsyncRedisCluster, scripts: Mapping[int, object]) -> None:
        """Wait until each master written to has the write on a replica. A master without one
        in the client's view (its replica failed) is not waited for; a replica that does not
        answer in time is logged and counted, and the view refreshed so a failed one drops
        out."""
        masters: dict[str, ClusterNode] = {}
        for slot in scripts:
            serving = cluster.nodes_manager.slots_cache.get(slot, [])
            if len(serving) > 1:
                masters[serving[0].name] = serving[0]
        if not masters:
            return
        acknowledged = await asyncio.gather(
            *(
                cluster.execute_command("WAIT", 1, REPLICA_WAIT_MS, target_nodes=node)
                for node in masters.values()
            )
        )
        late = [name for name, count in zip(masters, acknowledged, strict=True) if not count]
        if late:
            UNREPLICATED.inc(len(late))
            log.warning(
                "no replica of Redis master %s confirmed a position write within %d ms; "
                "refreshing the cluster's layout",
                ", ".join(late),
                REPLICA_WAIT_MS,
            )
            await cluster.nodes_manager.initialize()

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
            PositionRow(book, instrument, _position(name, row))
            for (name, (book, instrument)), row in zip(named_keys, rows, strict=True)
        ]
        return sorted(result, key=lambda r: (r.book, r.instrument))

    async def close(self) -> None:
        if self._link is not None:
            self._link.close()
        await self._client.aclose()

    async def replace_all(self, positions: Mapping[str, Position]) -> None:
        """Make the stored positions exactly `positions`: keys absent from `positions` are
        deleted, and so are all enrichment records (used to rebuild Redis from the Kafka log).
        One MULTI/EXEC transaction on one Redis; on a Redis Cluster, whose transactions cannot
        span slots, one pipeline (the position service is stopped meanwhile)."""
        names = []
        for prefix in (PREFIX, RECORDS_PREFIX):
            names += [n async for n in self._client.scan_iter(match=prefix + "*", count=1000)]
        async with self._client.pipeline(transaction=self._cluster is None) as pipe:
            # One key per DEL: the cluster pipeline routes each command to one slot's master.
            for name in names:
                pipe.delete(name)
            for key, position in positions.items():
                pipe.hset(redis_key(key), mapping=dict(zip(FIELDS, position, strict=True)))
            await pipe.execute()
