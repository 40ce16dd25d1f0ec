"""The services of the pipeline, each declared once, in its own module, as `SERVICE = Service(...)`.

A service module is any module of this package, or the `service` module of a package of
tradefast (`tradefast.gateway.service`), that has a `SERVICE`. Everything else is derived from
those declarations: `tradefast service <name>` and its flags, the servers checked at start-up,
the metrics port, what `tradefast run` starts and in which order, and the services of the
integration test's pipeline.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import tradefast
import tradefast.services
from tradefast import config
from tradefast.config import Settings, Topics
from tradefast.runtime.preflight import KAFKA, REDIS
from tradefast.runtime.shutdown import Shutdown

Main = Callable[[argparse.Namespace, Settings, Shutdown], Awaitable[None]]
TopicNames = Callable[[Topics], tuple[str, ...]]
Address = Callable[[Settings], tuple[str, int]]
__all__ = ["KAFKA", "REDIS", "Service", "get", "services", "started_by_run"]


def no_topics(_topics: Topics) -> tuple[str, ...]:
    return ()


@dataclass(frozen=True)
class Service:
    """One service of the pipeline, run as `tradefast service <name>`."""

    name: str
    description: str  # the one-line help
    main: Main
    """Builds the service from its flags and the settings and runs it until
    `shutdown.requested` is set (SIGTERM/SIGINT)."""
    metrics_port: int = 0  # default Prometheus port; 0: none
    consumes: TopicNames = no_topics
    produces: TopicNames = no_topics
    needs: tuple[str, ...] = ()
    """The servers (KAFKA, REDIS) that must answer before it starts (runtime/preflight.py)."""
    start_order: int | None = None
    """Its place in `tradefast run`, which starts lower numbers first and stops in reverse
    (consumers before the source, so the first inquiries flow straight through); None: `run`
    does not start it."""
    settings: tuple[str, ...] = ()
    """The settings (tradefast.config) it takes as flags too, e.g. "batch_size"."""
    add_arguments: Callable[[argparse.ArgumentParser], None] | None = None
    """Flags of its own that are no settings."""
    address: Address | None = None
    """Where it serves once ready, when that is not its metrics port; it then answers
    `/healthz` there."""

    @property
    def metrics_port_env(self) -> str:
        return config.metrics_port_setting(self.name).env


def services() -> dict[str, Service]:
    """Every declared service by name, in start order (those `run` does not start last)."""
    found = sorted(_discover(), key=lambda s: (s.start_order is None, s.start_order or 0, s.name))
    return {service.name: service for service in found}


def get(name: str) -> Service:
    return services()[name]


def started_by_run() -> list[Service]:
    """The services `tradefast run` starts, in their start order."""
    return [service for service in services().values() if service.start_order is not None]


def _discover() -> list[Service]:
    """Import the service modules (see the module docstring) and collect their SERVICE."""
    found: dict[str, Service] = {}
    for module_name in _candidate_modules():
        service = getattr(importlib.import_module(module_name), "SERVICE", None)
        if not isinstance(service, Service):
            continue
        if service.name in found:
            raise ValueError(f"two services are named {service.name!r}: one is in {module_name}")
        found[service.name] = service
    return list(found.values())


def _candidate_modules() -> list[str]:
    package = tradefast.services
    own = [info.name for info in pkgutil.iter_modules(package.__path__, f"{package.__name__}.")]
    roots = [Path(folder) for folder in tradefast.__path__]
    packages = [
        f"tradefast.{info.name}.service"
        for info in pkgutil.iter_modules(tradefast.__path__)
        if info.ispkg and any((root / info.name / "service.py").exists() for root in roots)
    ]
    return own + packages
