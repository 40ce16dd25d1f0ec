"""The original system's feed format, for its clients unchanged: every state of every inquiry,
one protobuf `Inquiry` per binary frame, each inquiry's states in order (so every key's in
order), no snapshot and no frame of another message type.

A value goes out as it came from Kafka: fields 1-11 are the original's, and a reader of the
original schema skips tradefast's fields 12 and up as unknown fields. What the batched clients
get and these do not: conflation. Every state is sent, once; a state that overtook its
predecessor on the way waits for it (see ordering.py). The values of a consumed batch become
one buffer of frames (the core's `websocket_frames`), shared by these clients and written to each
with one call.

Slow clients: once a client's socket holds more than the client buffer (picows's
`pause_writing`), its frames wait in a queue of its own and go out together when the socket
drains (`resume_writing`). When that queue holds more than the client backlog, in inquiries,
the client is closed with 1013: it costs bounded memory and never delays the others.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

from picows import WSTransport

from tradefast.core import Core
from tradefast.core_types import Scan
from tradefast.gateway import metrics
from tradefast.gateway.listener import ReadOnlyListener
from tradefast.gateway.ordering import StateOrder

if TYPE_CHECKING:
    from tradefast.gateway.hub import Hub

log = logging.getLogger(__name__)

# Inquiries whose last state sent is remembered, to put their next states in order: well above
# those in flight at once (about 10,000 at 10,000/s with a second of latency).
ORDER_CAPACITY = 100_000
# How long a state waits for its predecessor (the gaps seen are a fetch or two: milliseconds).
ORDER_PATIENCE = 1.0


class OriginalClient(Protocol):
    """What the feed needs of a client of the original format."""

    def send_frames(self, frames: bytes, count: int) -> int: ...

    def close_slow(self) -> None: ...

    def close_going_away(self) -> None: ...


class OriginalFeed:
    """The clients of the original format and what they are sent."""

    def __init__(self, core: Core, client_backlog: int) -> None:
        self._core = core
        self._backlog = client_backlog
        self._clients: set[OriginalClient] = set()
        # Kept while there are clients only: it costs per message.
        self._order: StateOrder | None = None
        self._expiry: asyncio.TimerHandle | None = None

    def __len__(self) -> int:
        return len(self._clients)

    def attach(self, client: OriginalClient, known: Iterable[tuple[int, int]]) -> None:
        """`known`: (id, latest version) of the inquiries seen so far, whose next states may go
        out without waiting for earlier ones."""
        if self._order is None:
            self._order = StateOrder(ORDER_CAPACITY, ORDER_PATIENCE, known)
        self._clients.add(client)

    def detach(self, client: OriginalClient) -> None:
        self._clients.discard(client)
        if not self._clients:
            self._order = None
            if self._expiry is not None:
                self._expiry.cancel()
                self._expiry = None

    def clients(self) -> list[OriginalClient]:
        return list(self._clients)

    def on_scanned(self, values: list[bytes], scan: Scan) -> None:
        """A consumed batch: each state in order goes to every client."""
        order = self._order
        if order is None:
            return
        now = asyncio.get_running_loop().time()
        ready: list[bytes] = []
        offer = order.offer
        for index, inquiry_id, version in zip(scan.indexes, scan.ids, scan.versions, strict=True):
            offer(inquiry_id, version, values[index], now, ready)
        self._send(ready)
        self._expire_later()

    def _expire(self) -> None:
        self._expiry = None
        if self._order is not None:
            ready: list[bytes] = []
            self._order.expire(asyncio.get_running_loop().time(), ready)
            self._send(ready)
            self._expire_later()

    def _expire_later(self) -> None:
        if self._expiry is not None or self._order is None:
            return
        deadline = self._order.next_deadline()
        if deadline is not None:
            self._expiry = asyncio.get_running_loop().call_at(deadline, self._expire)

    def _send(self, values: list[bytes]) -> None:
        """Every value its own frame, to every client, in order."""
        if not values:
            return
        frames = self._core.websocket_frames(values)
        for client in list(self._clients):
            held = client.send_frames(frames, len(values))
            if held > self._backlog:
                log.warning("closing a slow client of the original format: %d inquiries held", held)
                self.detach(client)
                metrics.SLOW_DISCONNECTS.inc()
                client.close_slow()


class OriginalListener(ReadOnlyListener):
    """One connection of the original format."""

    def __init__(self, hub: Hub, client_buffer: int) -> None:
        super().__init__()
        self._hub = hub
        self._client_buffer = client_buffer
        self._held: list[bytes] = []
        self._held_count = 0
        self._paused = False

    def on_ws_connected(self, transport: WSTransport) -> None:
        self._transport = transport
        # pause_writing comes when the socket holds more than this, resume_writing at a quarter.
        transport.underlying_transport.set_write_buffer_limits(high=self._client_buffer)
        self._hub.attach_original(self)

    def _leave(self) -> None:
        self._hub.detach_original(self)

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        if self._held:
            held, count = b"".join(self._held), self._held_count
            self._held, self._held_count = [], 0
            self._write(held, count)

    def send_frames(self, frames: bytes, count: int) -> int:
        """Write `count` inquiries' frames, or queue them behind a full socket; how many
        inquiries are queued now."""
        if self._paused or self._held:
            self._held.append(frames)
            self._held_count += count
            return self._held_count
        self._write(frames, count)
        return 0

    def _write(self, frames: bytes, count: int) -> None:
        transport = self._transport
        if transport is None or transport.is_close_frame_sent:
            return
        # Whole frames on the socket that picows writes its own frames to: the same bytes as
        # one transport.send() per message, in one call.
        transport.underlying_transport.write(frames)
        metrics.FRAMES_SENT.inc(count)
        metrics.BYTES_SENT.inc(len(frames))
        metrics.INQUIRIES_SENT.inc(count)
