"""`tradefast run` end to end: infrastructure found running (and left alone), every service
started and ready, inquiries decided, and Ctrl-C stops every child it started."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import psutil
from service_io import WAIT, reader
from tradefast.config import Settings
from tradefast.infra.netcheck import free_port


def test_run_starts_the_pipeline_and_ctrl_c_stops_it(
    settings: Settings, settings_env: dict[str, str]
) -> None:
    env = {**os.environ, **settings_env}
    for name in ("GENERATOR", "POSITION", "TRADER", "GATEWAY"):
        env[f"TRADEFAST_{name}_METRICS_PORT"] = str(free_port())
    run = subprocess.Popen(
        [sys.executable, "-m", "tradefast", "run", "--rate", "200", "--no-browser"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    try:
        assert run.stdout is not None
        deadline = time.monotonic() + 2 * WAIT
        while not any("tradefast is running" in line for line in lines):
            assert time.monotonic() < deadline and run.poll() is None, "".join(lines)
            lines.append(run.stdout.readline())
        with reader(settings, settings.topics.decided) as decided:
            decided.read(20)
        run.send_signal(signal.SIGINT)
        # Read to the end through the same buffered reader (communicate() would skip what it
        # already holds); the timer bounds the wait if the run never exits.
        watchdog = threading.Timer(WAIT, run.kill)
        watchdog.start()
        lines.append(run.stdout.read())
        watchdog.cancel()
        run.wait(10)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait(10)
    output = "".join(lines)

    assert run.returncode == 0, output
    assert "Kafka and Redis were already running: left running" in output
    pids = [
        int(line.split("pid ")[1].split(",")[0])
        for line in output.splitlines()
        if " ready (pid " in line
    ]
    assert len(pids) == 5, output
    assert settings.dashboard_url in output and settings.gateway_url in output, output
    assert output.index("stopping generator") < output.index("stopping position")
    assert not [
        pid
        for pid in pids
        if psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    ]
