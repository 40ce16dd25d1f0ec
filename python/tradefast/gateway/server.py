"""The picows side of the gateway: the upgrade router and one listener per client."""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import urlsplit

from picows import (
    WSListener,
    WSMsgType,
    WSTransport,
    WSUpgradeRequest,
    WSUpgradeResponse,
    WSUpgradeResponseWithListener,
)

from tradefast.gateway import metrics
from tradefast.gateway.access import HEALTH_PATH, AccessPolicy, Refusal, offered_protocols
from tradefast.gateway.hub import Hub
from tradefast.gateway.listener import ReadOnlyListener
from tradefast.gateway.original import OriginalListener
from tradefast.gateway.state import PendingUpdates

log = logging.getLogger(__name__)

# Clients only read; anything bigger than a control frame is refused (1009) by picows itself.
MAX_CLIENT_FRAME = 4096


class FeedListener(ReadOnlyListener):
    """One connection of the batched format: snapshot on connect, then frames from the hub."""

    def __init__(self, hub: Hub) -> None:
        super().__init__()
        self._hub = hub
        self.backlog = PendingUpdates()

    def on_ws_connected(self, transport: WSTransport) -> None:
        self._transport = transport
        self._hub.attach(self)

    def _leave(self) -> None:
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
        protocols = offered_protocols(request.headers.getall("Sec-WebSocket-Protocol", []))
        decision = self._policy.check(path, request.headers, protocols)
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
        listener: WSListener = (
            FeedListener(self._hub)
            if decision.batched
            else OriginalListener(self._hub, self._hub.client_buffer)
        )
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
