"""What every feed connection shares, whatever its format: the feed is read-only, and a client
is closed with a code that says why."""

from __future__ import annotations

import asyncio

from picows import WSCloseCode, WSFrame, WSListener, WSMsgType, WSTransport

from tradefast.gateway import metrics

# A closed slow client that does not read its close frame is cut off after this long.
CLOSE_GRACE = 2.0


class ReadOnlyListener(WSListener):
    """A feed connection; `_leave` takes it off the feed (when it goes or breaks the rules)."""

    def __init__(self) -> None:
        super().__init__()
        self._transport: WSTransport | None = None

    def _leave(self) -> None:
        raise NotImplementedError

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type == WSMsgType.CLOSE:
            transport.send_close(WSCloseCode.OK)
            transport.disconnect()
        elif frame.msg_type in (WSMsgType.TEXT, WSMsgType.BINARY, WSMsgType.CONTINUATION):
            metrics.CLIENT_ERRORS.inc()
            self._leave()
            self._close(WSCloseCode.UNSUPPORTED_DATA, b"this feed is read-only")

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self._leave()

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
