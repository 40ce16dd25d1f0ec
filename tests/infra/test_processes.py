"""Servers started for tests do not outlive a test run that is killed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tradefast.processes import ProcessRecord, is_running, spawn, stop

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
