"""The process layer: servers started for tests do not outlive a test run that is killed; a stop
is SIGTERM to the whole process group, then SIGKILL after the grace, and reaps."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
from tradefast.processes import (
    ProcessRecord,
    is_running,
    record_of,
    spawn,
    start,
    stop,
    stop_all,
    stop_process,
    tail,
)

SPAWN_AND_WAIT = """
import json, sys, time
from pathlib import Path
from tradefast.processes import spawn
record = spawn(["sleep", "600"], Path(sys.argv[1]), Path(sys.argv[2]), die_with_parent=True)
print(json.dumps(record.to_json()), flush=True)
time.sleep(600)
"""


def test_ephemeral_server_stops_when_its_starter_is_killed(tmp_path: Path) -> None:
    starter = subprocess.Popen(
        [sys.executable, "-c", SPAWN_AND_WAIT, str(tmp_path / "log"), str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert starter.stdout is not None
    record = ProcessRecord.from_json(json.loads(starter.stdout.readline()))
    assert is_running(record)
    starter.send_signal(signal.SIGKILL)
    starter.wait(10)
    deadline = time.monotonic() + 30
    while is_running(record) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not is_running(record)


def test_stop_ends_a_process_by_its_pid(tmp_path: Path) -> None:
    record = spawn(["sleep", "600"], tmp_path / "log", tmp_path, die_with_parent=False)
    assert is_running(record)
    stop(record, grace_seconds=5)
    assert not is_running(record)


def test_a_reused_pid_is_not_taken_for_ours() -> None:
    me = ProcessRecord(pid=os.getpid(), started=0.0)
    assert not is_running(me)


IGNORES_SIGTERM = """
import signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("ready", flush=True)
time.sleep(600)
"""


def wait_for_output(log: Path) -> str:
    deadline = time.monotonic() + 30
    while not log.exists() or not log.read_text().strip():
        assert time.monotonic() < deadline, "no output"
        time.sleep(0.05)
    return log.read_text()


def test_one_that_ignores_sigterm_is_killed_after_the_grace_and_reaped(tmp_path: Path) -> None:
    process = start([sys.executable, "-c", IGNORES_SIGTERM], tmp_path / "log")
    assert wait_for_output(tmp_path / "log") == "ready\n"
    killed: list[ProcessRecord] = []
    record = record_of(process)
    stop_all([record], grace_seconds=0.5, on_kill=killed.append)
    assert killed == [record]
    assert process.returncode == -signal.SIGKILL  # reaped: no zombie left


def test_stop_process_stops_a_process_by_its_handle() -> None:
    process = subprocess.Popen([sys.executable, "-c", IGNORES_SIGTERM], stdout=subprocess.PIPE)
    assert process.stdout is not None and process.stdout.readline() == b"ready\n"
    stop_process(process, grace_seconds=0.5)
    assert process.returncode == -signal.SIGKILL


def test_stop_ends_what_the_process_started_too(tmp_path: Path) -> None:
    process = start(["sh", "-c", "sleep 600 & echo $!; wait"], tmp_path / "log")
    grandchild = int(wait_for_output(tmp_path / "log"))
    stop(record_of(process), grace_seconds=5)
    deadline = time.monotonic() + 30
    while not gone(grandchild):
        assert time.monotonic() < deadline, "the process group was not signalled"
        time.sleep(0.05)


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_tail_gives_the_last_lines_of_a_log(tmp_path: Path) -> None:
    log = tmp_path / "log"
    assert tail(log) == "(no log written)"
    log.write_text("".join(f"line {n}\n" for n in range(1, 31)))
    assert tail(log, lines=2) == "line 29\nline 30"
