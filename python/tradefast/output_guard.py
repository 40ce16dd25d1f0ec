"""Keep a long-running command alive when its output goes away.

`make run | tee run.log`, then Ctrl-C: tee dies first, and the next line written to the pipe
fails with EPIPE. A command that must still clean up (stop its children and servers) cannot die
of that: from the first failed write on, its output goes to /dev/null instead.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import sys
from typing import TextIO


class _Guarded:
    """A text stream whose writes never raise EPIPE: the stream's file descriptor is pointed at
    /dev/null when its reader is gone, so buffered text is then dropped quietly."""

    def __init__(self, inner: TextIO) -> None:
        self._inner = inner

    def write(self, text: str) -> int:
        try:
            return self._inner.write(text)
        except OSError as exc:
            self._silence(exc)
            return len(text)

    def flush(self) -> None:
        try:
            self._inner.flush()
        except OSError as exc:
            self._silence(exc)

    def _silence(self, exc: OSError) -> None:
        if exc.errno != errno.EPIPE:
            raise exc
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, self._inner.fileno())
        finally:
            os.close(devnull)
        # What was buffered for the dead reader now goes to /dev/null.
        with contextlib.suppress(OSError):
            self._inner.flush()

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)


def guard_standard_streams() -> None:
    """Make stdout and stderr (and the logging handlers that write to them) EPIPE-proof, line
    buffered so each line reaches a pipe as soon as it is printed."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if isinstance(stream, _Guarded):
            continue
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(line_buffering=True)
        guarded = _Guarded(stream)
        setattr(sys, name, guarded)
        for handler in logging.getLogger().handlers:
            if isinstance(handler, logging.StreamHandler) and handler.stream is stream:
                handler.setStream(guarded)
