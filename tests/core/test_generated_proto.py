"""The committed protobuf classes are what `make proto` generates from proto/tradefast.proto."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "python" / "tradefast" / "proto"


def test_committed_classes_match_the_schema(tmp_path: Path) -> None:
    # protoc finds the mypy plugin (protoc-gen-mypy) on PATH, next to the interpreter.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            f"-I{ROOT / 'proto'}",
            f"--python_out={tmp_path}",
            f"--mypy_out={tmp_path}",
            str(ROOT / "proto" / "tradefast.proto"),
        ],
        check=True,
        env=env,
        timeout=60,
    )
    for name in ("tradefast_pb2.py", "tradefast_pb2.pyi"):
        assert (tmp_path / name).read_text() == (COMMITTED / name).read_text(), (
            f"{name} is stale: run `make proto`"
        )
