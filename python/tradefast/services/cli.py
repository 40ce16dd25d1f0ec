"""`tradefast service <name>`: run one service of the pipeline as its own process.

One sub-command per service declared in the registry (tradefast.services.registry), with the
service's own flags; every service also gets --metrics-port, --metrics-host and --log-format
from here.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from tradefast import config
from tradefast.runtime import logs, preflight
from tradefast.runtime.fatal import FatalError
from tradefast.runtime.metrics import serve_metrics
from tradefast.runtime.producer import DeliveryFailed
from tradefast.runtime.service import run
from tradefast.runtime.shutdown import Shutdown
from tradefast.services import registry
from tradefast.services.options import bounded, from_env
from tradefast.services.registry import Service


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("service", help="run one service of the pipeline")
    services = parser.add_subparsers(dest="service", metavar="SERVICE", required=True)
    for name, service in registry.services().items():
        sub = services.add_parser(name, help=service.description, description=service.description)
        _add_common_arguments(sub, service)
        if service.add_arguments is not None:
            service.add_arguments(sub)
        sub.set_defaults(func=_run, service_entry=service)


def metrics_port(service: Service) -> int:
    """The metrics port `service` uses without --metrics-port: its env variable or default."""
    port = from_env(service.metrics_port_env, str(service.metrics_port))
    return bounded(int, 0, 65535)(port or "0")


def _add_common_arguments(parser: argparse.ArgumentParser, service: Service) -> None:
    env, port = service.metrics_port_env, service.metrics_port
    parser.add_argument(
        "--metrics-port",
        type=bounded(int, 0, 65535),
        default=from_env(env, str(port)),
        help=f"Prometheus /metrics port, 0 disables (env {env}; default {port})",
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
    service: Service = args.service_entry
    try:
        settings = config.load()
        logs.configure(args.log_format)
        preflight.require(settings, service.needs)
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
        await service.main(args, settings, shutdown)

    try:
        return run(main)
    except (DeliveryFailed, config.ConfigError, FatalError) as exc:
        print(f"tradefast service {args.service}: {exc}", file=sys.stderr)
        return 1
