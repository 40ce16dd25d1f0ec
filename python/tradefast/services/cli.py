"""`tradefast service <name>`: run one service of the pipeline as its own process.

One sub-command per service declared in the registry (tradefast.services.registry), with the
flags of the settings it takes and its own; every service also gets --metrics-port,
--metrics-host and --log-format from here.
"""

from __future__ import annotations

import argparse
from typing import Any

from tradefast import config
from tradefast.errors import UnavailableError
from tradefast.runtime import logs, preflight
from tradefast.runtime.metrics import serve_metrics
from tradefast.runtime.service import run
from tradefast.runtime.shutdown import Shutdown
from tradefast.services import registry
from tradefast.services.registry import Service


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("service", help="run one service of the pipeline")
    services = parser.add_subparsers(dest="service", metavar="SERVICE", required=True)
    for name, service in registry.services().items():
        sub = services.add_parser(name, help=service.description, description=service.description)
        config.add_flag(
            sub, "metrics_port", config.metrics_port_setting(name), str(service.metrics_port)
        )
        config.add_flags(sub, ("metrics_host", "log_format", *service.settings))
        if service.add_arguments is not None:
            service.add_arguments(sub)
        sub.set_defaults(func=_run, service_entry=service)


def metrics_port(service: Service, flags: argparse.Namespace | None = None) -> int:
    """The metrics port of `service`: --metrics-port, else its variable, else its default."""
    declaration = config.metrics_port_setting(service.name)
    port: int = config.read("metrics_port", declaration, service.metrics_port, flags=flags)
    return port


def _run(args: argparse.Namespace) -> int:
    service: Service = args.service_entry
    settings = config.load(flags=args)
    port = metrics_port(service, args)
    logs.configure(settings.log_format)
    preflight.require(settings, service.needs)
    try:
        serve_metrics(port, settings.metrics_host)
    except OSError as exc:
        raise UnavailableError(
            f"cannot serve metrics on {settings.metrics_host}:{port}: {exc}"
        ) from None

    async def main(shutdown: Shutdown) -> None:
        await service.main(args, settings, shutdown)

    return run(main)
