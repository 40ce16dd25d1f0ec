"""The picows side of the gateway: the upgrade router and one listener per client."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from urllib.parse import urlsplit

from picows import (
    WSCloseCode,
    WSFrame,
    WSListener,
    WSMsgType,
    WSTransport,
    WSUpgradeRequest,
    WSUpgradeResponse,
    WSUpgradeResponseWithListener,
)

from tradefast.gateway import metrics
from tradefast.gateway.access import HEALTH_PATH, AccessPolicy, Refusal
from tradefast.gateway.hub import Hub
from tradefast.gateway.state import PendingUpdates

log = logging.getLogger(__name__)

# Clients only read; anything bigger than a control frame is refused (1009) by picows itself.
MAX_CLIENT_FRAME = 4096
# A closed slow client that does not read its close frame is cut off after this long.
CLOSE_GRACE = 2.0


class FeedListener(WSListener):
    """One browser connection: snapshot on connect, then frames from the hub."""

    def __init__(self, hub: Hub) -> None:
        super().__init__()
        self._hub = hub
        self._transport: WSTransport | None = None
        self.backlog = PendingUpdates()

    def on_ws_connected(self, transport: WSTransport) -> None:
        self._transport = transport
        self._hub.attach(self)

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type == WSMsgType.CLOSE:
            transport.send_close(WSCloseCode.OK)
            transport.disconnect()
        elif frame.msg_type in (WSMsgType.TEXT, WSMsgType.BINARY, WSMsgType.CONTINUATION):
            metrics.CLIENT_ERRORS.inc()
            self._hub.detach(self)
            self._close(WSCloseCode.UNSUPPORTED_DATA, b"this feed is read-only")

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self._hub.detach(self)

    def buffered_bytes(self) -> int:
        if self._transport is None:
            return 0
        size: int = self._transport.underlying_transport.get_write_buffer_size()
        return size

    def send_frame(self, frame: bytes) -> None:
        if self._transport is not None and not self._transport.is_close_frame_sent:
            self._transport.send(WSMsgType.BINARY, frame)
            metrics.FRAMES_SENT.inc()
            metrics.BYTES_SENT.inc(len(frame))

    def close_slow(self) -> None:
        self._close(WSCloseCode.TRY_AGAIN_LATER, b"too slow: updates were held back too long")

    def close_going_away(self) -> None:
        self._close(WSCloseCode.GOING_AWAY, b"gateway stopping")

    def _close(self, code: WSCloseCode, reason: bytes) -> None:
        transport = self._transport
        if transport is None or transport.is_close_frame_sent:
            return
        transport.send_close(code, reason)
        transport.disconnect(graceful=True)
        # A graceful close waits for the buffer to drain, which a stuck client never does.
        asyncio.get_running_loop().call_later(CLOSE_GRACE, transport.disconnect, False)


class Router:
    """Decides each upgrade request: the feed, the health check, or an HTTP error.

    `not_ready` says why the gateway should not take traffic (starting, a stalled feed), or None.
    """

    def __init__(self, hub: Hub, policy: AccessPolicy, not_ready: Callable[[], str | None]) -> None:
        self._hub = hub
        self._policy = policy
        self._not_ready = not_ready

    def __call__(self, request: WSUpgradeRequest) -> WSUpgradeResponseWithListener:
        path = request.path.decode("latin-1")
        if path == HEALTH_PATH:
            return self._health()
        decision = self._policy.check(path, request.headers)
        if isinstance(decision, Refusal):
            metrics.REFUSED.labels(str(decision.status)).inc()
            # The path only: its query may carry a token, which must never reach the logs.
            log.info("refused %s: %d %s", urlsplit(path).path, decision.status, decision.reason)
            return WSUpgradeResponseWithListener(
                WSUpgradeResponse.create_error_response(
                    decision.status, (decision.reason + "\n").encode()
                ),
                None,
            )
        headers = {"Sec-WebSocket-Protocol": decision.protocol} if decision.protocol else None
        listener = FeedListener(self._hub)
        return WSUpgradeResponseWithListener(
            WSUpgradeResponse.create_101_response(headers), listener
        )

    def _health(self) -> WSUpgradeResponseWithListener:
        problem = self._not_ready()
        if problem is None:
            return WSUpgradeResponseWithListener(
                WSUpgradeResponse.create_ok_response(
                    f"ready: {self._hub.client_count} clients\n".encode()
                ),
                None,
            )
        return WSUpgradeResponseWithListener(
            WSUpgradeResponse.create_error_response(503, f"{problem}\n".encode()), None
        )
