"""`make integration-test` inside `make test`: the script runs once, on the suite's servers."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import Infra


def test_integration_script_passes(infra: Infra) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADEFAST_")}
    env["TRADEFAST_KAFKA_BOOTSTRAP"] = infra.kafka_bootstrap
    env["TRADEFAST_REDIS_URL"] = infra.redis_url
    result = subprocess.run(
        [sys.executable, "-m", "tradefast.integration"],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "original: ok" in result.stdout and "load: ok" in result.stdout, result.stdout
