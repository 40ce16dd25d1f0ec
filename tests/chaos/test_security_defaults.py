"""Security defaults: loopback-only listeners unless configured, the WebSocket token never in the
logs, and message sizes bounded at every edge."""

from __future__ import annotations

from pathlib import Path

import psutil
import pytest
from chaos_harness import ServiceProcess, service_env, wait_until
from chaos_ws import health_ok
from gateway_io import upgrade_status
from tradefast import config
from tradefast.config import Settings
from tradefast.gateway.server import MAX_CLIENT_FRAME
from tradefast.infra.kafka_broker import server_properties
from tradefast.infra.netcheck import free_port
from tradefast.runtime import ServiceSpec, dead_letter

pytestmark = pytest.mark.chaos

TOKEN = "tf-secret-4d1c9e"


def listening_addresses(pid: int) -> set[str]:
    return {
        c.laddr.ip
        for c in psutil.Process(pid).net_connections(kind="inet")
        if c.status == psutil.CONN_LISTEN
    }


def test_defaults_bind_to_loopback() -> None:
    defaults = config.load({})
    assert defaults.gateway_host == "127.0.0.1"
    assert defaults.dashboard_host == "127.0.0.1"
    assert defaults.kafka_bootstrap.startswith("127.0.0.1:")
    assert defaults.redis_url.startswith("redis://127.0.0.1:")
    properties = server_properties("127.0.0.1", 9092, 9093, Path("/data"), 6)
    assert "listeners=PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093" in properties


def test_services_listen_on_loopback_and_never_log_the_token(
    settings: Settings, tmp_path: Path
) -> None:
    env = {
        **service_env(settings),
        "TRADEFAST_WS_TOKEN": TOKEN,
        "TRADEFAST_ALLOWED_ORIGINS": "https://desk.example",
        "TRADEFAST_GATEWAY_METRICS_PORT": str(free_port()),
        "TRADEFAST_POSITION_METRICS_PORT": str(free_port()),
    }
    gateway = ServiceProcess("gateway", env, tmp_path)
    position = ServiceProcess("position", env, tmp_path).start()
    try:
        gateway.start()
        wait_until(lambda: health_ok(settings), f"gateway ready: {gateway.tail()}")
        url = settings.gateway_url
        # The right token with a refused origin, a wrong one, and the right one accepted.
        assert upgrade_status(f"{url}?token={TOKEN}", Origin="http://evil") == 403
        assert upgrade_status(f"{url}?token={TOKEN}x") == 403
        assert upgrade_status(url, Authorization=f"Bearer {TOKEN}") == 101
        assert upgrade_status(f"{url}?token={TOKEN}") == 101
        wait_until(lambda: "refused" in gateway.log.read_text(), "refusals logged")
        addresses = listening_addresses(gateway.pid) | listening_addresses(position.pid)
    finally:
        gateway.stop()
        position.stop()
    assert addresses == {"127.0.0.1"}, addresses
    logged = gateway.log.read_text()
    assert TOKEN not in logged
    print(f"[security] listeners on {sorted(addresses)}; token absent from {len(logged)} B of log")


def test_sizes_are_bounded_at_every_edge() -> None:
    # WebSocket frames from clients (control frames only: the feed is read-only).
    assert MAX_CLIENT_FRAME == 4096
    # Service inputs: anything larger goes to the dead-letter topic, never to a handler.
    assert ServiceSpec.max_message_bytes == 64 * 1024
    # Dead letters keep a bounded prefix, so they always fit Kafka's message size limit.
    assert dead_letter.MAX_KEPT == 64 * 1024
