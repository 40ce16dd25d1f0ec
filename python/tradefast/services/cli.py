"""`tradefast service <name>`: run one service of the pipeline as its own process.

To add a service, add one line to SERVICES: its name and the module that implements it. The module
provides:
    DESCRIPTION: str                      the one-line help
    METRICS_PORT: int                     default Prometheus port (0: none)
    add_arguments(parser) -> None         optional: its own flags
    async main(args, settings, shutdown)  runs until `shutdown.requested` is set (SIGTERM/SIGINT)
Every service also gets --metrics-port, --metrics-host and --log-format from here.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from types import ModuleType
from typing import Any

from tradefast import config
from tradefast.runtime import logs, preflight
from tradefast.runtime.fatal import FatalError
from tradefast.runtime.metrics import serve_metrics
from tradefast.runtime.producer import DeliveryFailed
from tradefast.runtime.service import run
from tradefast.runtime.shutdown import Shutdown
from tradefast.services.options import bounded, from_env

SERVICES: dict[str, str] = {
    "generator": "tradefast.services.generator",
    "position": "tradefast.services.position",
    "trader": "tradefast.services.trader",
    "gateway": "tradefast.gateway.service",
    "dashboard": "tradefast.dashboard.service",
}
# The servers each service needs answering at start-up (see runtime/preflight.py).
NEEDS: dict[str, tuple[str, ...]] = {
    "generator": (preflight.KAFKA,),
    "position": (preflight.KAFKA, preflight.REDIS),
    "trader": (preflight.KAFKA,),
    "gateway": (preflight.KAFKA, preflight.REDIS),
}


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("service", help="run one service of the pipeline")
    services = parser.add_subparsers(dest="service", metavar="SERVICE", required=True)
    for name, module_name in SERVICES.items():
        module = importlib.import_module(module_name)
        sub = services.add_parser(name, help=module.DESCRIPTION, description=module.DESCRIPTION)
        _add_common_arguments(sub, name, module.METRICS_PORT)
        add_arguments = getattr(module, "add_arguments", None)
        if add_arguments is not None:
            add_arguments(sub)
        sub.set_defaults(func=_run, service_module=module)


def metrics_port(name: str) -> int:
    """The metrics port service `name` uses without --metrics-port: its env variable or default."""
    module = importlib.import_module(SERVICES[name])
    port = from_env(_port_env(name), str(module.METRICS_PORT))
    return bounded(int, 0, 65535)(port or "0")


def _port_env(name: str) -> str:
    return f"TRADEFAST_{name.upper()}_METRICS_PORT"


def _add_common_arguments(parser: argparse.ArgumentParser, name: str, port: int) -> None:
    parser.add_argument(
        "--metrics-port",
        type=bounded(int, 0, 65535),
        default=from_env(_port_env(name), str(port)),
        help=f"Prometheus /metrics port, 0 disables (env {_port_env(name)}; default {port})",
    )
    parser.add_argument(
        "--metrics-host",
        default=from_env("TRADEFAST_METRICS_HOST", "127.0.0.1"),
        help="address of the metrics endpoint (env TRADEFAST_METRICS_HOST; default 127.0.0.1)",
    )
    parser.add_argument(
        "--log-format",
        choices=logs.FORMATS,
        default=from_env("TRADEFAST_LOG_FORMAT", "plain"),
        help="plain or json (env TRADEFAST_LOG_FORMAT; default plain)",
    )


def _run(args: argparse.Namespace) -> int:
    module: ModuleType = args.service_module
    try:
        settings = config.load()
        logs.configure(args.log_format)
        preflight.require(settings, NEEDS.get(args.service, ()))
        serve_metrics(args.metrics_port, args.metrics_host)
    except (config.ConfigError, preflight.Unreachable) as exc:
        print(f"tradefast service {args.service}: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(
            f"tradefast service {args.service}: cannot serve metrics on "
            f"{args.metrics_host}:{args.metrics_port}: {exc}",
            file=sys.stderr,
        )
        return 2

    async def main(shutdown: Shutdown) -> None:
        await module.main(args, settings, shutdown)

    try:
        return run(main)
    except (DeliveryFailed, config.ConfigError, FatalError) as exc:
        print(f"tradefast service {args.service}: {exc}", file=sys.stderr)
        return 1
