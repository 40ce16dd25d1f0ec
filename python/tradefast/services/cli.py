"""`tradefast service <name>`: run one service of the pipeline as its own process.

To add a service, add one line to SERVICES: its name and the module that implements it. The module
provides:
    DESCRIPTION: str                      the one-line help
    METRICS_PORT: int                     default Prometheus port (0: none)
    SETTINGS: tuple[str, ...]             optional: the settings (config.py) it takes as flags
    add_arguments(parser) -> None         optional: flags of its own that are no settings
    async main(args, settings, shutdown)  runs until `shutdown.requested` is set (SIGTERM/SIGINT)
Every service also gets --metrics-port (TRADEFAST_<NAME>_METRICS_PORT), --metrics-host and
--log-format from here.
"""

from __future__ import annotations

import argparse
import importlib
from types import ModuleType
from typing import Any

from tradefast import config
from tradefast.errors import UnavailableError
from tradefast.runtime import logs, preflight
from tradefast.runtime.metrics import serve_metrics
from tradefast.runtime.service import run
from tradefast.runtime.shutdown import Shutdown

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
        config.add_flag(
            sub, "metrics_port", config.metrics_port_setting(name), str(module.METRICS_PORT)
        )
        config.add_flags(sub, ("metrics_host", "log_format", *getattr(module, "SETTINGS", ())))
        add_arguments = getattr(module, "add_arguments", None)
        if add_arguments is not None:
            add_arguments(sub)
        sub.set_defaults(func=_run, service_module=module)


def metrics_port(name: str, flags: argparse.Namespace | None = None) -> int:
    """The metrics port of service `name`: --metrics-port, else its variable, else its default."""
    module = importlib.import_module(SERVICES[name])
    port: int = config.read(
        "metrics_port", config.metrics_port_setting(name), module.METRICS_PORT, flags=flags
    )
    return port


def _run(args: argparse.Namespace) -> int:
    module: ModuleType = args.service_module
    settings = config.load(flags=args)
    port = metrics_port(args.service, args)
    logs.configure(settings.log_format)
    preflight.require(settings, NEEDS.get(args.service, ()))
    try:
        serve_metrics(port, settings.metrics_host)
    except OSError as exc:
        raise UnavailableError(
            f"cannot serve metrics on {settings.metrics_host}:{port}: {exc}"
        ) from None

    async def main(shutdown: Shutdown) -> None:
        await module.main(args, settings, shutdown)

    return run(main)
