"""The original system's feed format, for its clients unchanged: every state of every inquiry,
one protobuf `Inquiry` per binary frame, in the order consumed (so in order per key), no
snapshot and no frame of another message type.

A value goes out as it came from Kafka: fields 1-11 are the original's, and a reader of the
original schema skips tradefast's fields 12 and up as unknown fields. What the batched clients
get and these do not: conflation. Every state is sent; only an update that is not newer than
one already passed on (a replay, an older version arriving late) is left out, as for the
batched clients. The values of a consumed batch become one buffer of frames (the core's
`websocket_frames`), shared by these clients and written to each with one call.

Slow clients: once a client's socket holds more than the client buffer (picows's
`pause_writing`), its frames wait in a queue of its own and go out together when the socket
drains (`resume_writing`). When that queue holds more than the client backlog, in inquiries,
the client is closed with 1013: it costs bounded memory and never delays the others.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Protocol

from picows import WSTransport

from tradefast.core import Core
from tradefast.gateway import metrics
from tradefast.gateway.listener import ReadOnlyListener

if TYPE_CHECKING:
    from tradefast.gateway.hub import Hub

log = logging.getLogger(__name__)


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

    def __len__(self) -> int:
        return len(self._clients)

    def attach(self, client: OriginalClient) -> None:
        self._clients.add(client)

    def detach(self, client: OriginalClient) -> None:
        self._clients.discard(client)

    def send(self, values: list[bytes]) -> None:
        """Every value its own frame, to every client, in order."""
        frames = self._core.websocket_frames(values)
        for client in list(self._clients):
            held = client.send_frames(frames, len(values))
            if held > self._backlog:
                log.warning("closing a slow client of the original format: %d inquiries held", held)
                self.detach(client)
                metrics.SLOW_DISCONNECTS.inc()
                client.close_slow()

    def clients(self) -> list[OriginalClient]:
        return list(self._clients)


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
