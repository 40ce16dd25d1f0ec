"""`tradefast bench record-frames` and `tradefast bench dashboard` end to end: real gateway frames
from a pipeline on the suite's servers into a file, then the page in Chromium under those frames
replayed at two rates, with every figure the report needs. No figure is judged here: speed is
the benchmark's business, not a test's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Infra
from tradefast.bench import frames
from tradefast.proto.tradefast_pb2 import InquiryBatch

pytestmark = pytest.mark.browser

FIGURES = {
    "rate_target",
    "updates_per_s",
    "frames_per_s",
    "longest_frame_ms",
    "drawn_frames_per_s",
    "long_tasks",
    "longest_task_ms",
    "traced_long_tasks",
    "long_task_max_cpu_ms",
    "main_busy_ms_per_s",
    "main_busy_ms_per_1000_updates",
    "main_cpu_ms_per_1000_updates",
    "renderer_cpu_ms_per_1000_updates",
    "main_ms_per_s",
    "display_lag_ms",
    "reactions_ms",
    "replay",
    "loadavg_before",
    "loadavg",
}


def tradefast(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tradefast", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


@pytest.mark.timeout(600)
def test_frames_are_recorded_then_replayed_to_the_page_and_measured(
    infra: Infra, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADEFAST_")}
    env["TRADEFAST_KAFKA_BOOTSTRAP"] = infra.kafka_bootstrap
    env["TRADEFAST_REDIS_URL"] = infra.redis_url
    env["TRADEFAST_HOME"] = str(tmp_path / "home")
    recorded = tmp_path / "frames.bin"

    done = tradefast(env, "bench", "record-frames", "--rate", "300", "--seconds", "2")
    assert done.returncode == 0, done.stdout + done.stderr
    # Without --out, the file the suite and `bench dashboard` use by default.
    default = tmp_path / "home" / "bench" / "frames.bin"
    recording = frames.read(default)
    assert InquiryBatch.FromString(recording.frames[0].payload).snapshot
    assert recording.header["updates"] > 0 and recording.header["rate_offered"] == 300
    default.rename(recorded)

    out = tmp_path / "dashboard.json"
    args = ["bench", "dashboard", "--frames", str(recorded), "--rates", "500,3000", "--phases"]
    done = tradefast(env, *args, "--warmup", "1", "--duration", "2", "--json", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "## Dashboard" in done.stdout and "Targets:" in done.stdout
    found = json.loads(out.read_text())
    assert found["recording"]["updates"] == recording.header["updates"]
    assert [run["rate_target"] for run in found["runs"]] == [500.0, 3000.0]
    for run in found["runs"]:
        assert set(run) >= FIGURES
        assert run["updates_per_s"] > 0 and run["frames_per_s"] > 0
        assert run["drawn_frames_per_s"] > 0 and run["longest_frame_ms"] > 0
        assert run["main_busy_ms_per_1000_updates"] > 0
        assert run["renderer_cpu_ms_per_1000_updates"] > 0
        assert run["display_lag_ms"]["p50"] is not None
        assert set(run["reactions_ms"]) == {"pause_ms", "resume_ms", "filter_ms", "unfilter_ms"}
        assert all(ms > 0 for ms in run["reactions_ms"].values())
        assert run["replay"]["updates"] > 0 and run["replay"]["messages"] > 0
        # --phases: the main thread's self time by timeline event, the frame's phases among them.
        phases = run["main_self_ms_per_s"]
        assert {"Layout", "Paint"} <= set(phases), phases
        assert all(ms >= 0 for ms in phases.values())
        assert sum(phases.values()) <= 1000 * 1.05, "no more than a second per second"


def test_a_missing_recording_is_a_clear_error(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADEFAST_")}
    env["TRADEFAST_HOME"] = str(tmp_path)
    done = tradefast(env, "bench", "dashboard", "--frames", str(tmp_path / "none.bin"))
    assert done.returncode == 1
    assert "none.bin" in done.stderr
