"""`python -m tradefast.integration` (`make integration-test`): start Kafka and Redis (or use those
TRADEFAST_KAFKA_BOOTSTRAP / TRADEFAST_REDIS_URL name), run each scenario on a fresh pipeline of
real service processes, stop everything, and exit 1 with what differed if any check failed."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from tradefast import config
from tradefast.errors import TradefastError
from tradefast.infra.netcheck import free_port
from tradefast.integration import scenarios
from tradefast.integration.pipeline import start_servers
from tradefast.processes import tail


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tradefast.integration",
        description="End-to-end integration test: the original scenario and a load scenario.",
    )
    parser.add_argument(
        "--load-count", type=int, default=50_000, help="inquiries in the load scenario"
    )
    parser.add_argument(
        "--load-rate", type=float, default=10_000.0, help="inquiries/s in the load scenario"
    )
    parser.add_argument(
        "--only", choices=("original", "load"), help="run one scenario (default: both)"
    )
    args = parser.parse_args(argv)
    if args.load_count < 1 or not 1 <= args.load_rate <= 100_000:
        parser.error("--load-count must be >= 1 and --load-rate within 1..100000")
    return args


def server_settings(home: Path) -> config.Settings:
    """The configured servers if the environment names them, else free ports of our own. The
    home is always the scratch folder: servers started here never touch another home's data."""
    env = dict(os.environ)
    env.setdefault("TRADEFAST_KAFKA_BOOTSTRAP", f"127.0.0.1:{free_port()}")
    env.setdefault("TRADEFAST_REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    env["TRADEFAST_HOME"] = str(home)
    return config.load(env)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    chosen = [
        scenario
        for scenario in (scenarios.original(), scenarios.load(args.load_count, args.load_rate))
        if args.only in (None, scenario.name)
    ]
    with tempfile.TemporaryDirectory(prefix="tradefast-it-") as scratch:
        try:
            settings = server_settings(Path(scratch))
            servers = start_servers(settings)
        except (TradefastError, OSError) as exc:
            print(f"integration test: cannot start Kafka and Redis: {exc}", file=sys.stderr)
            return 1
        print(f"servers: {servers.describe()}", flush=True)
        failed = 0
        logs = Path(settings.home) / "logs"
        try:
            for scenario in chosen:
                started = time.monotonic()
                problems = scenarios.run(scenario, settings, logs)
                took = time.monotonic() - started
                verdict = "FAIL" if problems else "ok"
                print(f"{scenario.name}: {verdict} ({took:.1f} s)", flush=True)
                for problem in problems:
                    print(f"  - {problem}", flush=True)
                if problems:
                    failed += 1
                    _show_logs(logs / scenario.name)
        finally:
            servers.stop()
    print("integration test " + ("FAILED" if failed else "passed"), flush=True)
    return 1 if failed else 0


def _show_logs(folder: Path, lines: int = 15) -> None:
    """The end of each service's log, since the scratch folder goes away."""
    for log in sorted(folder.glob("*.log")):
        print(f"  --- {log.name} (its last lines)")
        for line in tail(log, lines).splitlines():
            print(f"  | {line}")
