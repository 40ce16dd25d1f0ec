"""A small process supervisor for `tradefast run`: start children in order and wait until each is
ready, restart one that dies (with backoff), give up with a clear error on one that keeps dying,
stop them all in order on request.

Children are started, signalled and reaped by tradefast.processes: in their own sessions, so a
Ctrl-C in the terminal reaches only the supervisor, which then stops them in its own order:
sources first, so nothing is left half-processed. A child started by the main thread gets
SIGTERM from the kernel if the supervisor dies without stopping it (even by SIGKILL);
`tradefast run` also has a janitor process for that (tradefast.janitor).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tradefast import processes
from tradefast.errors import TradefastError
from tradefast.processes import ProcessRecord, Waited

log = logging.getLogger(__name__)

BACKOFF_FIRST, BACKOFF_MAX = 1.0, 30.0
# A child that ran this long before dying starts again from the first backoff.
STABLE_AFTER = 60.0
# A child that dies this many times in a row, each time before it ran STABLE_AFTER seconds, is
# not going to recover by itself (bad config, a server gone for good): give up.
MAX_QUICK_EXITS = 5
WATCH_INTERVAL = 0.2


class SupervisorError(TradefastError, RuntimeError):
    """A child could not be started, did not become ready or keeps dying; the message says which
    and why."""


@dataclass
class Child:
    """One supervised process: `ready()` says when it serves (e.g. its port accepts)."""

    name: str
    argv: list[str]
    ready: Callable[[], bool]
    log_file: Path
    process: subprocess.Popen[bytes] | None = None
    record: ProcessRecord | None = None
    started_at: float = 0.0
    backoff: float = BACKOFF_FIRST
    restart_at: float | None = None
    restarts: int = 0
    quick_exits: int = 0  # in a row, each before the child ran STABLE_AFTER seconds
    exit_code: int | None = None  # of its last exit

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None


class Supervisor:
    def __init__(
        self,
        children: list[Child],
        env: dict[str, str],
        report: Callable[[str], None] = print,
        on_spawn: Callable[[Child], None] | None = None,
        status_file: Path | None = None,
    ) -> None:
        """on_spawn: told of each process as it starts (restarts included). status_file: kept
        up to date with which child is up or down (the dashboard shows it)."""
        self.children = children
        self._env = env
        self._report = report
        self._on_spawn = on_spawn
        self._status_file = status_file

    def start_all(self, ready_timeout: float, stop: threading.Event | None = None) -> None:
        """Start each child in order, waiting until it is ready before the next; gives up early
        (without error) once `stop` is set."""
        stop = stop or threading.Event()
        for child in self.children:
            if stop.is_set():
                return
            self._spawn(child)
            self._wait_ready(child, ready_timeout, stop)

    def watch(self, stop: threading.Event) -> None:
        """Restart children that exit, until `stop` is set; raise SupervisorError when one keeps
        dying (MAX_QUICK_EXITS in a row)."""
        while not stop.wait(WATCH_INTERVAL):
            now = time.monotonic()
            for child in self.children:
                self._check(child, now)

    def stop_all(self, grace: float) -> None:
        """Stop the children in reverse start order: the last started (the source) alone first,
        then the rest together; each gets SIGTERM and `grace` seconds before SIGKILL."""
        running = [c for c in reversed(self.children) if c.process and _exit_code(c) is None]
        first, rest = running[:1], running[1:]
        names = {c.pid: c.name for c in running}
        for group in (first, rest):
            for child in group:
                self._report(f"stopping {child.name} (pid {child.pid})")
            processes.stop_all(
                [child.record for child in group if child.record is not None],
                grace,
                on_kill=lambda r: self._report(f"{names[r.pid]} did not stop in time: killing it"),
            )

    def _check(self, child: Child, now: float) -> None:
        if child.process is not None:
            code = _exit_code(child)
            if code is None:
                return
            if now - child.started_at > STABLE_AFTER:
                child.backoff = BACKOFF_FIRST
                child.quick_exits = 0
            child.quick_exits += 1
            if child.quick_exits >= MAX_QUICK_EXITS:
                child.process, child.exit_code = None, code
                self._write_status()
                raise SupervisorError(
                    f"{child.name} keeps failing: it exited {child.quick_exits} times in a row, "
                    f"each within {STABLE_AFTER:g}s of starting (last exit code {code}); "
                    f"stopping everything. {child.log_file} ends with:\n"
                    + processes.tail(child.log_file)
                )
            child.process = None
            child.exit_code = code
            child.restart_at = now + child.backoff
            self._report(
                f"{child.name} exited with code {code}; restarting in {child.backoff:g}s "
                f"(log: {child.log_file})"
            )
            child.backoff = min(child.backoff * 2, BACKOFF_MAX)
            self._write_status()
        elif child.restart_at is not None and now >= child.restart_at:
            child.restart_at = None
            child.restarts += 1
            self._spawn(child)
            self._report(f"{child.name} restarted (pid {child.pid})")

    def _spawn(self, child: Child) -> None:
        child.process = processes.start(
            child.argv, child.log_file, env=self._env, die_with_parent=True
        )
        child.record = processes.record_of(child.process)
        child.started_at = time.monotonic()
        if self._on_spawn is not None:
            self._on_spawn(child)
        self._write_status()

    def _write_status(self) -> None:
        """Each child's state as JSON, replaced atomically; with the supervisor's pid, so a
        reader can tell a file left by a supervisor that is gone."""
        if self._status_file is None:
            return
        services = [
            {
                "name": child.name,
                "up": child.process is not None,
                "pid": child.pid,
                "restarts": child.restarts,
                "exitCode": child.exit_code,
            }
            for child in self.children
        ]
        self._status_file.parent.mkdir(parents=True, exist_ok=True)
        scratch = self._status_file.with_suffix(".tmp")
        scratch.write_text(json.dumps({"supervisor": os.getpid(), "services": services}))
        scratch.replace(self._status_file)

    def _wait_ready(self, child: Child, timeout: float, stop: threading.Event) -> None:
        assert child.record is not None
        waited = processes.wait_until_ready(child.record, child.ready, timeout, 0.1, stop)
        if waited is Waited.EXITED:
            raise SupervisorError(
                f"{child.name} exited with code {_exit_code(child)} while starting:\n"
                + processes.tail(child.log_file)
            )
        if waited is Waited.TIMED_OUT:
            raise SupervisorError(
                f"{child.name} not ready after {timeout:g}s:\n{processes.tail(child.log_file)}"
            )
        if waited is Waited.READY:
            self._report(f"{child.name} ready (pid {child.pid}, log {child.log_file})")


def _exit_code(child: Child) -> int | None:
    """None while the child runs; its exit code once it has ended (and been reaped)."""
    assert child.process is not None and child.record is not None
    if processes.is_running(child.record):
        return None
    return child.process.wait()
