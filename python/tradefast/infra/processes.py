"""Start a server as a detached process with its output in a log file; stop it by its pid.

A server outlives the command that started it, so it is remembered by pid and start time: the
pair tells our process apart from an unrelated one that later got the same pid.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

# Servers started by this process: polling them reaps their exit status (no zombies left).
_children: dict[int, subprocess.Popen[bytes]] = {}


@dataclass(frozen=True)
class ProcessRecord:
    pid: int
    started: float  # psutil create_time, to recognise the pid as ours later

    def to_json(self) -> dict[str, float]:
        return {"pid": self.pid, "started": self.started}

    @classmethod
    def from_json(cls, raw: dict[str, float]) -> ProcessRecord:
        return cls(pid=int(raw["pid"]), started=float(raw["started"]))


def spawn(argv: list[str], log_file: Path, cwd: Path, die_with_parent: bool) -> ProcessRecord:
    """Start argv in its own session (so Ctrl-C in a terminal does not reach it).

    die_with_parent: the kernel sends it SIGTERM when our process ends, even by SIGKILL, so a
    test run that is killed leaves no server behind.
    """
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with open(log_file, "ab") as log:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            start_new_session=True,
            preexec_fn=terminate_with_parent if die_with_parent else None,
        )
    _children[proc.pid] = proc
    return ProcessRecord(pid=proc.pid, started=psutil.Process(proc.pid).create_time())


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


def stop(record: ProcessRecord, grace_seconds: float) -> None:
    """SIGTERM, wait up to grace_seconds for a clean shutdown, then SIGKILL."""
    stop_all([record], grace_seconds)


def stop_all(records: list[ProcessRecord], grace_seconds: float) -> None:
    """`stop` for several processes at once: all get SIGTERM together (the nodes of a cluster
    must not wait for each other's shutdown one after the other), then SIGKILL after the grace."""
    running = [record for record in records if is_running(record)]
    for record in running:
        with contextlib.suppress(ProcessLookupError):
            os.kill(record.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_seconds
    while time.monotonic() < deadline:
        running = [record for record in running if is_running(record)]
        if not running:
            return
        time.sleep(0.05)
    for record in running:
        with contextlib.suppress(ProcessLookupError):
            os.kill(record.pid, signal.SIGKILL)
    for record in running:
        while is_running(record):
            time.sleep(0.05)


PR_SET_PDEATHSIG = 1
# Resolved here, in the parent: between fork and exec the child must not load libraries.
_prctl = ctypes.CDLL(None, use_errno=True).prctl


def terminate_with_parent() -> None:
    """Runs in the child between fork and exec (Linux): SIGTERM it when the parent dies."""
    _prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
