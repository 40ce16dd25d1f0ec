"""The dashboard's static server: content types, the gateway configuration, the services'
state, no listings."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from tradefast import config
from tradefast.dashboard.service import dist_folder, make_server
from tradefast.infra.netcheck import free_port


@pytest.fixture
def dashboard(tmp_path: Path) -> Iterator[str]:
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>t</title>")
    (dist / "app.js").write_text("export {};")
    (dist / "app.css").write_text("body {}")
    settings = config.load(
        {
            "TRADEFAST_DASHBOARD_PORT": str(free_port()),
            "TRADEFAST_GATEWAY_PORT": "18080",
            "TRADEFAST_DASHBOARD_DIST": str(dist),
            "TRADEFAST_HOME": str(tmp_path / "home"),
        }
    )
    server = make_server(settings, dist_folder(settings))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield settings.dashboard_url
    finally:
        server.shutdown()
        server.server_close()


def _get(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


def test_serves_the_page_with_content_types(dashboard: str) -> None:
    assert _get(dashboard)[:2] == (200, "text/html; charset=utf-8")
    assert _get(dashboard + "app.js")[:2] == (200, "text/javascript; charset=utf-8")
    assert _get(dashboard + "app.css")[:2] == (200, "text/css; charset=utf-8")


def test_tells_the_page_where_the_gateway_is(dashboard: str) -> None:
    status, content_type, body = _get(dashboard + "config.json")
    assert (status, content_type) == (200, "application/json")
    assert json.loads(body) == {"gatewayUrl": "ws://127.0.0.1:18080/ws/inquiries"}


def test_says_which_service_is_down_while_a_supervisor_runs(dashboard: str, tmp_path: Path) -> None:
    assert json.loads(_get(dashboard + "services.json")[2]) == {"services": []}
    status_file = tmp_path / "home" / "run" / "services.json"
    status_file.parent.mkdir(parents=True)
    services = [{"name": "trader", "up": False, "pid": None, "restarts": 2, "exitCode": 1}]
    status_file.write_text(json.dumps({"supervisor": os.getpid(), "services": services}))
    status, content_type, body = _get(dashboard + "services.json")
    assert (status, content_type) == (200, "application/json")
    assert json.loads(body)["services"] == services
    # A file left by a supervisor that is gone says nothing.
    status_file.write_text(json.dumps({"supervisor": _a_dead_pid(), "services": services}))
    assert json.loads(_get(dashboard + "services.json")[2]) == {"services": []}


def _a_dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_no_listings_and_no_escape(dashboard: str) -> None:
    assert _get(dashboard + "assets/")[0] == 404
    assert _get(dashboard + "missing.js")[0] == 404
    assert _get(dashboard + "..%2f..%2fetc%2fpasswd")[0] == 404


def test_missing_build_is_a_clear_error(tmp_path: Path) -> None:
    settings = replace(config.load({}), dashboard_dist=str(tmp_path))
    with pytest.raises(SystemExit, match="make web"):
        dist_folder(settings)
