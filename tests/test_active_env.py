"""`make run` / `make test` use an active virtualenv that can serve this checkout as it is, and
build `.venv` otherwise."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _envcheck(purpose: str, checkout: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tradefast.envcheck", purpose, str(checkout)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def _make_dry_run(goal: str, virtual_env: str, tmp_path: Path) -> str:
    env = {**os.environ, "VIRTUAL_ENV": virtual_env, "VENV": str(tmp_path / "no-venv")}
    done = subprocess.run(
        ["make", "-n", goal], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    return done.stdout + done.stderr


def test_the_environment_running_the_tests_can_serve_this_checkout() -> None:
    for purpose in ("run", "test"):
        checked = _envcheck(purpose, REPO)
        assert (checked.returncode, checked.stdout) == (0, "usable\n")


def test_an_environment_of_another_checkout_is_refused(tmp_path: Path) -> None:
    checked = _envcheck("run", tmp_path)
    assert checked.returncode == 1
    assert "not this checkout's" in checked.stdout


def test_make_uses_an_active_virtualenv_that_can_serve(tmp_path: Path) -> None:
    output = _make_dry_run("run", sys.prefix, tmp_path)
    assert f"using the active virtualenv {sys.prefix}" in output
    assert f"{sys.prefix}/bin/tradefast run" in output
    assert "creating the virtualenv" not in output


def test_make_builds_its_own_venv_beside_one_that_cannot(tmp_path: Path) -> None:
    output = _make_dry_run("run", str(tmp_path / "empty"), tmp_path)
    assert f"not using the active virtualenv {tmp_path / 'empty'}" in output
    assert "creating the virtualenv" in output
