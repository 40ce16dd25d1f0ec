"""One `tradefast run` at a time: a second one says so at once instead of failing on taken ports.

A run holds an exclusive lock on TRADEFAST_HOME/run.lock (released by the kernel however the run
ends, SIGKILL included) with its pid inside. A run of another checkout (another home) is caught
by the ports its services would listen on.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil

from tradefast.errors import TradefastError
from tradefast.infra.netcheck import accepts_connections


class AlreadyRunning(TradefastError, RuntimeError):
    """Another run (or another program) holds what this run needs; the message says which."""


@contextmanager
def hold_run_lock(home: Path) -> Iterator[None]:
    """Hold the run lock of `home` until the block ends; AlreadyRunning if another run has it."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / "run.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            raise AlreadyRunning(
                f"tradefast run is already running here (pid {holder}, home {home}): "
                f"stop it first (Ctrl-C in its terminal, or `kill {holder}`)"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)


def refuse_taken_ports(addresses: dict[str, tuple[str, int]]) -> None:
    """AlreadyRunning naming the first service whose port something already listens on."""
    for name, (host, port) in addresses.items():
        if accepts_connections(host, port, timeout=0.2):
            raise AlreadyRunning(
                f"{host}:{port} (the {name} service's port) is taken by {_listener(port)}: if "
                "that is "
                "another `tradefast run`, stop it first; else choose other ports "
                "(TRADEFAST_*_PORT settings)"
            )


def _listener(port: int) -> str:
    """The process that listens on `port`, as far as this user may see it."""
    with contextlib.suppress(psutil.Error):
        for conn in psutil.net_connections(kind="tcp"):
            if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port:
                if conn.pid is None:
                    break
                with contextlib.suppress(psutil.Error):
                    command = " ".join(psutil.Process(conn.pid).cmdline()[:6])
                    return f"pid {conn.pid} (`{command}`)"
                return f"pid {conn.pid}"
    return "another program"
