"""Bad configuration at start-up: `tradefast service <name>` exits with a non-zero code and one
clear line naming the problem on stderr, never a traceback, never a silent retry loop."""

from __future__ import annotations

import subprocess
import sys

import pytest
from chaos_harness import service_env
from tradefast.config import Settings
from tradefast.infra.netcheck import free_port

pytestmark = pytest.mark.chaos

CASES = [
    ("position", {"TRADEFAST_CORE": "fortran"}, "TRADEFAST_CORE='fortran' must be one of"),
    ("trader", {"TRADEFAST_PARTITIONS": "many"}, "TRADEFAST_PARTITIONS='many' is not a whole"),
    ("gateway", {"TRADEFAST_GATEWAY_PORT": "99999"}, "TRADEFAST_GATEWAY_PORT=99999 is out of"),
    ("position", {"TRADEFAST_REDIS_URL": "http://x:1"}, "is not a Redis URL"),
    ("generator", {"TRADEFAST_KAFKA_BOOTSTRAP": "no-port"}, "'no-port' is not host:port"),
    ("trader", {"TRADEFAST_DONE_FRACTION": "2"}, "2.0 is out of range 0.0..1.0"),
    ("generator", {"TRADEFAST_GENERATOR_RATE": "fast"}, "'fast' is not a number"),
    ("position", {"TRADEFAST_BATCH_SIZE": "0"}, "0 is out of range 1..100000"),
    ("gateway", {"TRADEFAST_GATEWAY_CLIENT_BUFFER": "-1"}, "out of range"),
    ("position", {"TRADEFAST_STARTUP_WAIT": "soon"}, "TRADEFAST_STARTUP_WAIT='soon'"),
]


def run_service(name: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tradefast", "service", name],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def assert_clear_failure(done: subprocess.CompletedProcess[str], expected: str) -> None:
    assert done.returncode != 0, done.stderr
    assert expected in done.stderr, done.stderr
    assert "Traceback" not in done.stderr + done.stdout, done.stderr


@pytest.mark.parametrize(("service", "bad", "expected"), CASES)
def test_bad_value_is_named_at_start_up(
    service: str, bad: dict[str, str], expected: str, settings: Settings
) -> None:
    done = run_service(service, {**service_env(settings), **bad})
    assert_clear_failure(done, expected)
    print(f"[config] {service} with {bad}: exit {done.returncode}, {done.stderr.strip()!r}")


@pytest.mark.parametrize("service", ["generator", "position", "trader", "gateway"])
def test_unreachable_broker_is_reported_at_start_up(service: str, settings: Settings) -> None:
    nothing = f"127.0.0.1:{free_port()}"
    env = {
        **service_env(settings),
        "TRADEFAST_KAFKA_BOOTSTRAP": nothing,
        "TRADEFAST_STARTUP_WAIT": "2",
    }
    done = run_service(service, env)
    assert_clear_failure(done, f"Kafka at {nothing} did not answer within 2 s")
    print(f"[config] {service} with an unreachable broker: {done.stderr.strip()!r}")


@pytest.mark.parametrize("service", ["position", "gateway"])
def test_unreachable_redis_is_reported_at_start_up(service: str, settings: Settings) -> None:
    nothing = f"redis://127.0.0.1:{free_port()}/0"
    env = {**service_env(settings), "TRADEFAST_REDIS_URL": nothing, "TRADEFAST_STARTUP_WAIT": "2"}
    done = run_service(service, env)
    assert_clear_failure(done, f"Redis at {nothing} did not answer within 2 s")
    print(f"[config] {service} with an unreachable Redis: {done.stderr.strip()!r}")
