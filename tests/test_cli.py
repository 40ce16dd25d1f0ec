"""The `tradefast` entry point reports every TradefastError once: one line on stderr naming the
command, and the error's exit code; anything else is a bug and keeps its traceback."""

from __future__ import annotations

import argparse
import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tradefast import cli, settings_command
from tradefast.errors import ConfigError, TradefastError, UnavailableError
from tradefast.infra.errors import InfraError


def _raising(error: Exception) -> cli.Handler:
    def handler(_args: argparse.Namespace) -> int:
        raise error

    return handler


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (TradefastError("it failed"), 1),
        (InfraError("it failed"), 1),
        (ConfigError("it failed"), 2),
        (UnavailableError("it failed"), 2),
    ],
)
def test_an_error_is_one_line_and_its_exit_code(
    error: TradefastError,
    code: int,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(settings_command, "_run", _raising(error))
    assert cli.main(["settings"]) == code
    assert capsys.readouterr().err == "tradefast settings: it failed\n"


def test_any_other_exception_is_not_swallowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings_command, "_run", _raising(KeyError("bug")))
    with pytest.raises(KeyError):
        cli.main(["settings"])


def test_the_message_names_the_sub_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["positions", "check", "--timeout", "0"]) == 2
    assert capsys.readouterr().err == (
        "tradefast positions check: --timeout=0.0 is out of range 1.0..3600.0\n"
    )


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        (["run"], {"RATE": "fast"}, "tradefast run: RATE='fast' is not a number"),
        (["service", "trader", "--batch-size", "0"], {}, "--batch-size=0 is out of range"),
        (["infra", "status"], {"TRADEFAST_KAFKA_BROKERS": "10"}, "TRADEFAST_KAFKA_BROKERS=10"),
    ],
)
def test_a_bad_setting_exits_2_without_a_traceback(
    argv: list[str], env: dict[str, str], message: str
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tradefast", *argv],
        env={**_clean_env(), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("TRADEFAST_") and k != "RATE"}


# Programs of their own (`python -m ...`), each with its own entry point.
OTHER_ENTRY_POINTS = {
    "cli.py",
    "integration/main.py",
    "infra/system_packages.py",
    "bench/ws_client.py",
    "bench/replay.py",
}


def test_only_entry_points_turn_an_exception_into_a_message() -> None:
    package = Path(cli.__file__).parent
    printing = set()
    for path in package.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for handler in ast.walk(tree):
            if isinstance(handler, ast.ExceptHandler) and any(
                isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print"
                for node in ast.walk(handler)
            ):
                printing.add(path.relative_to(package).as_posix())
    assert printing <= OTHER_ENTRY_POINTS
