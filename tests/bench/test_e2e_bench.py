"""`tradefast bench e2e` end to end on the suite's servers: it runs its own pipeline and client,
accounts for every inquiry and writes every figure the report needs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import Infra

FIELDS = {
    "rate_target",
    "rate_achieved",
    "sent",
    "received_final",
    "lost",
    "p50_us",
    "p90_us",
    "p99_us",
    "p999_us",
    "max_us",
    "stages",
    "cpu",
    "core",
}


def test_e2e_accounts_for_every_inquiry_and_writes_the_figures(
    infra: Infra, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADEFAST_")}
    env["TRADEFAST_KAFKA_BOOTSTRAP"] = infra.kafka_bootstrap
    env["TRADEFAST_REDIS_URL"] = infra.redis_url
    env["TRADEFAST_HOME"] = str(tmp_path / "home")
    out = tmp_path / "e2e.json"
    command = ["bench", "e2e", "--rate", "200", "--duration", "2", "--warmup", "0.5"]
    result = subprocess.run(
        [sys.executable, "-m", "tradefast", *command, "--core", "reference", "--json", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    figures = json.loads(out.read_text())
    assert set(figures) >= FIELDS
    assert (figures["sent"], figures["received_final"], figures["lost"]) == (400, 400, 0)
    assert figures["core"] == "reference"
    assert set(figures["stages"]) == {
        "created_to_enriched",
        "enriched_to_decided",
        "decided_to_client",
    }
    # Plus the broker and Redis when they run on this machine (they do here).
    assert set(figures["cpu"]) == {
        *("position", "trader", "gateway", "generator", "client", "kafka", "redis")
    }
    assert 0 < figures["p50_us"] <= figures["p99_us"] <= figures["max_us"]
