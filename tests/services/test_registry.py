"""The registry: every service is declared once, in its module, and the rest derives from it."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from tradefast import config
from tradefast.cli import build_parser
from tradefast.config import Topics
from tradefast.run import service_addresses
from tradefast.services import registry
from tradefast.services.registry import KAFKA, REDIS


def test_the_pipeline_services_are_declared_in_their_modules() -> None:
    declared = {name: service.main.__module__ for name, service in registry.services().items()}
    assert declared == {
        "position": "tradefast.services.position",
        "trader": "tradefast.services.trader",
        "gateway": "tradefast.gateway.service",
        "dashboard": "tradefast.dashboard.service",
        "generator": "tradefast.services.generator",
    }


def test_run_starts_consumers_before_the_source() -> None:
    order = [service.name for service in registry.started_by_run()]
    assert order == ["position", "trader", "gateway", "dashboard", "generator"]


def test_topics_and_servers_follow_the_data_flow() -> None:
    topics = Topics("p.")
    flow = {
        name: (service.consumes(topics), service.produces(topics), service.needs)
        for name, service in registry.services().items()
    }
    assert flow["generator"] == ((), (topics.new,), (KAFKA,))
    assert flow["position"] == ((topics.new, topics.done), (topics.enriched,), (KAFKA, REDIS))
    assert flow["trader"] == ((topics.enriched,), (topics.decided, topics.done), (KAFKA,))
    assert flow["gateway"] == (topics.stages, (), (KAFKA, REDIS))
    assert flow["dashboard"] == ((), (), ())


def test_run_waits_for_each_service_where_it_serves() -> None:
    settings = config.load({"TRADEFAST_GATEWAY_PORT": "18080", "TRADEFAST_DASHBOARD_PORT": "18081"})
    addresses = service_addresses(settings)
    assert addresses["gateway"] == (settings.gateway_host, 18080)
    assert addresses["dashboard"] == (settings.dashboard_host, 18081)
    assert addresses["trader"] == ("127.0.0.1", registry.get("trader").metrics_port)


def test_a_metrics_port_variable_is_a_name_a_shell_can_set() -> None:
    assert registry.get("trader").metrics_port_env == "TRADEFAST_TRADER_METRICS_PORT"
    service = replace(registry.get("trader"), name="large-trades")
    assert service.metrics_port_env == "TRADEFAST_LARGE_TRADES_METRICS_PORT"


# Two modules declaring one name would make one of them unreachable: refused at once.
CLASH = """
import sys
import tradefast.services
tradefast.services.__path__.append(sys.argv[1])
from tradefast.services import registry
registry.services()
"""


def test_two_services_of_one_name_are_refused(tmp_path: Path) -> None:
    (tmp_path / "second_trader.py").write_text(
        "from tradefast.services.trader import SERVICE\n"
        "from dataclasses import replace\n"
        "SERVICE = replace(SERVICE, description='another')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", CLASH, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert done.returncode != 0
    assert "two services are named 'trader'" in done.stderr


@pytest.mark.parametrize("name", ["generator", "position", "trader", "gateway", "dashboard"])
def test_each_service_is_a_subcommand(name: str) -> None:
    args = build_parser().parse_args(["service", name, "--metrics-port", "0"])
    assert args.service_entry is registry.get(name)
