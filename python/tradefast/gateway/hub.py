"""Fan-out from Kafka to the WebSocket clients, with conflation and slow-client protection.

Clients of tradefast's batched format: updates of one flush interval are conflated by inquiry id
(the highest version wins) and framed once for every client that keeps up. A client whose socket
buffer is over its limit gets nothing sent; its updates wait in its own conflated backlog. When
that backlog holds more distinct inquiries than allowed, the client is closed with 1013 (try
again later), so one slow browser costs a bounded amount of memory and never delays the others
or the pipeline. Clients of the original format get every update as it is consumed (see
original.py).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Protocol

from tradefast.core import Core
from tradefast.gateway import metrics
from tradefast.gateway.framing import build_frames
from tradefast.gateway.original import OriginalClient, OriginalFeed
from tradefast.gateway.state import PendingUpdates

log = logging.getLogger(__name__)

# How often a lagging client's socket is checked for room when nothing new arrives.
BACKLOG_RETRY = 0.02
# Larger values are no inquiry (about 100 bytes; the services dead-letter them at the same size):
# kept, a burst of them would hold hundreds of MB in the window and in every client's frames.
MAX_VALUE = 64 * 1024


class Client(Protocol):
    """What the hub needs of a connected client (the WebSocket listener)."""

    backlog: PendingUpdates

    def buffered_bytes(self) -> int: ...

    def send_frame(self, frame: bytes) -> None: ...

    def close_slow(self) -> None: ...

    def close_going_away(self) -> None: ...


@dataclass(frozen=True)
class HubLimits:
    window: int = 1000
    client_buffer: int = 4 * 1024 * 1024
    client_backlog: int = 20_000
    # At most one flush per interval; 0: flush once the loop is done with what it had.
    flush_interval: float = 0.0
    # Flush at once, without waiting for the interval, when this much is pending.
    flush_pending: int = 2000


class Hub:
    def __init__(self, core: Core, limits: HubLimits) -> None:
        self._core = core
        self._limits = limits
        # The latest version of recent inquiries, and those updated since the last flush.
        self._window = core.InquiryWindow(limits.window)
        self._positions: dict[str, bytes] = {}
        # Positions changed since the last flush, by key.
        self._changed: dict[str, bytes] = {}
        self._clients: set[Client] = set()
        self._original = OriginalFeed(core, limits.client_backlog)
        self._flush_handle: asyncio.TimerHandle | asyncio.Handle | None = None
        self._flush_due = 0.0
        self._last_flush = 0.0

    @property
    def client_count(self) -> int:
        return len(self._clients) + len(self._original)

    @property
    def client_buffer(self) -> int:
        return self._limits.client_buffer

    def on_values(self, values: list[bytes]) -> bool:
        """Take a batch of Kafka values; True when it holds a DONE (positions may change)."""
        scan = self._core.scan(values, MAX_VALUE)
        if scan.bad:
            metrics.BAD_MESSAGES.inc(scan.bad)
        self._window.offer(values, scan.indexes, scan.ids, scan.versions)
        if self._original:
            clients = len(self._original)
            self._original.on_scanned(values, scan)
            if len(self._original) != clients:  # a slow one was closed
                self._count_clients()
        self._schedule_flush()
        return scan.done

    def set_positions(self, positions: dict[str, bytes]) -> int:
        """Replace the positions with a fresh read; changed ones go to the clients."""
        changed = 0
        for key, encoded in positions.items():
            if self._positions.get(key) != encoded:
                self._positions[key] = encoded
                self._changed[key] = encoded
                changed += 1
        if changed:
            self._schedule_flush()
        return changed

    def attach(self, client: Client) -> None:
        """Send the snapshot, then the client gets every flush."""
        for frame in build_frames(
            self._core, self._window.snapshot(), list(self._positions.values()), snapshot=True
        ):
            client.send_frame(frame)
        self._clients.add(client)
        self._count_clients()

    def detach(self, client: Client) -> None:
        self._clients.discard(client)
        self._count_clients()

    def attach_original(self, client: OriginalClient) -> None:
        """From now on the client gets every update as consumed, in the original's format."""
        self._original.attach(client, self._window.versions())
        self._count_clients()

    def detach_original(self, client: OriginalClient) -> None:
        self._original.detach(client)
        self._count_clients()

    def close_all(self) -> None:
        """Say goodbye (1001) to every client, for a clean stop."""
        for client in list(self._clients):
            self.detach(client)
            client.close_going_away()
        for original in self._original.clients():
            self.detach_original(original)
            original.close_going_away()

    def _count_clients(self) -> None:
        metrics.CLIENTS.set(self.client_count)
        metrics.ORIGINAL_CLIENTS.set(len(self._original))

    def _schedule_flush(self) -> None:
        now = asyncio.get_running_loop().time()
        if self._window.pending_count() >= self._limits.flush_pending:
            self._flush_at(now)
        else:
            self._flush_at(max(now, self._last_flush + self._limits.flush_interval))

    def _flush_at(self, due: float) -> None:
        """Flush at `due` unless a flush is already due by then."""
        if self._flush_handle is not None:
            if self._flush_due <= due:
                return
            self._flush_handle.cancel()
        loop = asyncio.get_running_loop()
        self._flush_due = due
        if due <= loop.time():
            self._flush_handle = loop.call_soon(self.flush)
        else:
            self._flush_handle = loop.call_at(due, self.flush)

    def flush(self) -> None:
        """Send what is pending: one shared set of frames to the clients that keep up, each
        lagging client its own conflated backlog once its socket has room."""
        self._flush_handle = None
        self._last_flush = asyncio.get_running_loop().time()
        changed, self._changed = self._changed, {}
        ids, versions, inquiries = self._window.take_pending()
        shared: list[bytes] | None = None
        shared_count = len(inquiries)
        for client in list(self._clients):
            if client.backlog or client.buffered_bytes() > self._limits.client_buffer:
                client.backlog.positions.update(changed)
                for inquiry_id, version, encoded in zip(ids, versions, inquiries, strict=True):
                    client.backlog.add_inquiry(inquiry_id, version, encoded)
                self._send_backlog(client)
                continue
            if not inquiries and not changed:
                continue
            if shared is None:
                shared = build_frames(self._core, inquiries, list(changed.values()))
            for frame in shared:
                client.send_frame(frame)
            metrics.INQUIRIES_SENT.inc(shared_count)
        if any(client.backlog for client in self._clients):
            # Look again soon even if nothing new arrives, to drain lagging clients.
            self._flush_at(self._last_flush + BACKLOG_RETRY)

    def _send_backlog(self, client: Client) -> None:
        if client.buffered_bytes() > self._limits.client_buffer:
            if len(client.backlog.inquiries) > self._limits.client_backlog:
                log.warning(
                    "closing a slow client: %d inquiries held back", len(client.backlog.inquiries)
                )
                self.detach(client)
                metrics.SLOW_DISCONNECTS.inc()
                client.close_slow()
            return
        count = len(client.backlog.inquiries)
        for frame in build_frames(self._core, *client.backlog.take()):
            client.send_frame(frame)
        metrics.INQUIRIES_SENT.inc(count)
