"""Graceful stop on SIGTERM/SIGINT: the signal only sets a flag; the service loop checks it between
batches, so the batch in hand is finished, flushed and committed before the process exits."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

log = logging.getLogger(__name__)


class Shutdown:
    def __init__(self) -> None:
        self.requested = asyncio.Event()

    def install(self) -> None:
        """Handle SIGTERM and SIGINT on the running loop (call from inside it)."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.request, sig.name)

    def request(self, reason: str = "requested") -> None:
        if not self.requested.is_set():
            log.info("stopping (%s): finishing the batch in hand", reason)
        self.requested.set()

    @property
    def is_requested(self) -> bool:
        return self.requested.is_set()

    async def sleep(self, seconds: float) -> None:
        """Sleep up to `seconds`, waking early when a stop is requested."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.requested.wait(), seconds)
