"""The service runtime reaches Kafka and Redis but never starts them: importing it loads none of
the code that launches servers or processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

LAUNCHERS = (
    "tradefast.processes",
    "tradefast.supervisor",
    "tradefast.infra.local",
    "tradefast.infra.kafka_broker",
    "tradefast.infra.redis_server",
    "tradefast.infra.redis_cluster",
    "tradefast.infra.kafka_jars",
    "tradefast.infra.toolchain",
)

IMPORT_RUNTIME = """
import importlib, json, pkgutil, sys
import tradefast.runtime
for module in pkgutil.iter_modules(tradefast.runtime.__path__, "tradefast.runtime."):
    importlib.import_module(module.name)
print(json.dumps(sorted(name for name in sys.modules if name.startswith("tradefast."))))
"""


def test_importing_the_runtime_imports_no_launcher() -> None:
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_RUNTIME],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        check=True,
    )
    loaded = set(json.loads(done.stdout))
    assert "tradefast.runtime.preflight" in loaded
    assert loaded.isdisjoint(LAUNCHERS), sorted(loaded & set(LAUNCHERS))
