"""The supervisor with real child processes: readiness, restart after a crash, ordered stop."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest
from tradefast import supervisor as supervisor_module
from tradefast.supervisor import Child, Supervisor, SupervisorError

# A child that says it is ready by creating a file, then waits for SIGTERM and records it.
CHILD = """
import pathlib, signal, sys, time
ready, stopped = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
signal.signal(signal.SIGTERM, lambda *_: (stopped.write_text(str(time.monotonic())), sys.exit(0)))
ready.write_text("ok")
while True:
    time.sleep(0.05)
"""


def child(tmp_path: Path, name: str) -> Child:
    ready, stopped = tmp_path / f"{name}.ready", tmp_path / f"{name}.stopped"
    argv = [sys.executable, "-c", CHILD, str(ready), str(stopped)]
    return Child(name, argv, ready.exists, tmp_path / "logs" / f"{name}.log")


def test_restarts_a_crashed_child_and_stops_in_reverse_order(tmp_path: Path) -> None:
    children = [child(tmp_path, "consumer"), child(tmp_path, "source")]
    reports: list[str] = []
    supervisor = Supervisor(children, dict(os.environ), reports.append)
    supervisor.start_all(ready_timeout=30)
    stop = threading.Event()
    watcher = threading.Thread(target=supervisor.watch, args=(stop,))
    watcher.start()
    try:
        crashed = children[0].pid
        assert crashed is not None
        (tmp_path / "consumer.ready").unlink()
        os.kill(crashed, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while not (tmp_path / "consumer.ready").exists():
            assert time.monotonic() < deadline, reports
            time.sleep(0.05)
    finally:
        stop.set()
        watcher.join()
        supervisor.stop_all(grace=10)

    assert children[0].pid != crashed and children[0].restarts == 1
    assert any("consumer exited with code -9" in line for line in reports)
    source_stop = float((tmp_path / "source.stopped").read_text())
    consumer_stop = float((tmp_path / "consumer.stopped").read_text())
    assert source_stop < consumer_stop
    assert all(c.process is not None and c.process.poll() == 0 for c in children)


def test_a_child_that_dies_while_starting_is_reported_with_its_log(tmp_path: Path) -> None:
    failing = Child(
        "broken",
        [sys.executable, "-c", "import sys; print('bad config'); sys.exit(3)"],
        lambda: False,
        tmp_path / "broken.log",
    )
    supervisor = Supervisor([failing], dict(os.environ), lambda _: None)
    with pytest.raises(SupervisorError, match=r"(?s)broken exited with code 3.*bad config"):
        supervisor.start_all(ready_timeout=30)


def test_a_child_that_keeps_failing_stops_the_watch_with_its_log(tmp_path: Path) -> None:
    # Ready at once, then dies after a moment, every time it is started.
    flaky = Child(
        "flaky",
        [
            sys.executable,
            "-c",
            "import sys, time; time.sleep(0.3); print('no broker'); sys.exit(4)",
        ],
        lambda: True,
        tmp_path / "flaky.log",
        backoff=0.05,
    )
    reports: list[str] = []
    status_file = tmp_path / "run" / "services.json"
    supervisor = Supervisor([flaky], dict(os.environ), reports.append, status_file=status_file)
    supervisor.start_all(ready_timeout=30)
    assert json.loads(status_file.read_text())["services"][0]["up"] is True
    with pytest.raises(
        SupervisorError, match=r"(?s)flaky keeps failing: it exited 5 times in a row.*no broker"
    ):
        supervisor.watch(threading.Event())
    assert flaky.restarts == supervisor_module.MAX_QUICK_EXITS - 1
    assert sum("flaky exited with code 4; restarting in" in line for line in reports) == 4
    status = json.loads(status_file.read_text())
    assert status["supervisor"] == os.getpid()
    assert status["services"] == [
        {"name": "flaky", "up": False, "pid": None, "restarts": 4, "exitCode": 4}
    ]
