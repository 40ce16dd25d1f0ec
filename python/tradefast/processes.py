"""Every process tradefast starts goes through here: start it with its output in a log file, see
whether it still runs, stop it (SIGTERM, then SIGKILL after a grace), reap it, and read the end
of its log when it fails.

A process is remembered by pid and start time: the pair tells our process apart from an
unrelated one that later got the same pid, so a server that outlives the command that started it
can still be stopped by a later one. Each runs in its own session (a Ctrl-C in the terminal
reaches only the command that started it, which stops its processes in its own order) and is
signalled as a whole process group.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import psutil

# Processes started by this one: polling them reaps their exit status (no zombies left).
_children: dict[int, subprocess.Popen[Any]] = {}
POLL_INTERVAL = 0.05


@dataclass(frozen=True)
class ProcessRecord:
    pid: int
    started: float  # psutil create_time, to recognise the pid as ours later

    def to_json(self) -> dict[str, float]:
        return {"pid": self.pid, "started": self.started}

    @classmethod
    def from_json(cls, raw: dict[str, float]) -> ProcessRecord:
        return cls(pid=int(raw["pid"]), started=float(raw["started"]))


def start(
    argv: list[str],
    log_file: Path,
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    die_with_parent: bool = False,
    stdin: int = subprocess.DEVNULL,
) -> subprocess.Popen[bytes]:
    """Start argv in its own session, its output appended to log_file; stdin: a file descriptor
    to read from instead of nothing.

    die_with_parent: the kernel sends it SIGTERM when our process ends, even by SIGKILL, so a
    run that is killed leaves nothing behind. The kernel sends it when the starting *thread*
    ends, so only a process started by the main thread can have it.
    """
    log_file.parent.mkdir(parents=True, exist_ok=True)
    on_main_thread = threading.current_thread() is threading.main_thread()
    with open(log_file, "ab") as log:
        process = subprocess.Popen(
            argv,
            stdin=stdin,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=env,
            start_new_session=True,
            preexec_fn=terminate_with_parent if die_with_parent and on_main_thread else None,
        )
    _children[process.pid] = process
    return process


def spawn(argv: list[str], log_file: Path, cwd: Path, die_with_parent: bool) -> ProcessRecord:
    """`start` for a server that may outlive this process: its record, to find it again."""
    return record_of(start(argv, log_file, cwd=cwd, die_with_parent=die_with_parent))


def record_of(process: subprocess.Popen[Any]) -> ProcessRecord:
    """The record of a process just started (it cannot have been reaped yet)."""
    return ProcessRecord(pid=process.pid, started=psutil.Process(process.pid).create_time())


def is_running(record: ProcessRecord) -> bool:
    """True when the pid is alive and is still the process we started."""
    child = _children.get(record.pid)
    if child is not None and child.poll() is not None:
        del _children[record.pid]
        return False
    try:
        proc = psutil.Process(record.pid)
        return (
            abs(proc.create_time() - record.started) < 0.01
            and proc.status() != psutil.STATUS_ZOMBIE
        )
    except psutil.NoSuchProcess:
        return False


class Waited(Enum):
    READY = "ready"
    EXITED = "exited"  # before it was ready
    TIMED_OUT = "timed out"
    STOPPED = "stopped"  # the wait was called off


def wait_until_ready(
    record: ProcessRecord,
    ready: Callable[[], bool],
    timeout: float,
    interval: float,
    stop: threading.Event | None = None,
) -> Waited:
    """Probe `ready` every `interval` seconds until it holds, the process exits, `timeout`
    passes or `stop` is set; which of these ended the wait."""
    deadline = time.monotonic() + timeout
    stop = stop or threading.Event()
    while not ready():
        if stop.is_set():
            return Waited.STOPPED
        if not is_running(record):
            return Waited.EXITED
        if time.monotonic() > deadline:
            return Waited.TIMED_OUT
        stop.wait(interval)
    return Waited.READY


def stop(record: ProcessRecord, grace_seconds: float) -> None:
    """SIGTERM, wait up to grace_seconds for a clean shutdown, then SIGKILL."""
    stop_all([record], grace_seconds)


def stop_process(process: subprocess.Popen[Any], grace_seconds: float) -> None:
    """`stop` by the handle of a process this one started (e.g. one whose output it reads):
    it is reaped too."""
    if process.poll() is None:
        _children[process.pid] = process
        stop(record_of(process), grace_seconds)


def stop_all(
    records: list[ProcessRecord],
    grace_seconds: float,
    on_kill: Callable[[ProcessRecord], None] | None = None,
) -> None:
    """`stop` for several processes at once: all get SIGTERM together (the nodes of a cluster
    must not wait for each other's shutdown one after the other), then SIGKILL after the grace;
    returns once all are gone (and reaped, if ours). on_kill: told of each that needed SIGKILL."""
    running = [record for record in records if is_running(record)]
    for record in running:
        _signal(record, signal.SIGTERM)
    deadline = time.monotonic() + grace_seconds
    while time.monotonic() < deadline:
        running = [record for record in running if is_running(record)]
        if not running:
            return
        time.sleep(POLL_INTERVAL)
    for record in running:
        if on_kill is not None:
            on_kill(record)
        _signal(record, signal.SIGKILL)
    for record in running:
        while is_running(record):
            time.sleep(POLL_INTERVAL)


def _signal(record: ProcessRecord, sig: signal.Signals) -> None:
    """The whole process group of a session leader (what `start` makes), so anything the process
    started itself goes too; else the process alone."""
    with contextlib.suppress(ProcessLookupError):
        if os.getpgid(record.pid) == record.pid:
            os.killpg(record.pid, sig)
        else:
            os.kill(record.pid, sig)


def tail(log_file: Path, lines: int = 20) -> str:
    """The last lines of a log, for an error message."""
    try:
        return "\n".join(log_file.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log written)"


PR_SET_PDEATHSIG = 1
# Resolved here, in the parent: between fork and exec the child must not load libraries.
_prctl = ctypes.CDLL(None, use_errno=True).prctl


def terminate_with_parent() -> None:
    """Runs in the child between fork and exec (Linux): SIGTERM it when the parent dies."""
    _prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
