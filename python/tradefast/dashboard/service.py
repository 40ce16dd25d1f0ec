"""`tradefast service dashboard`: serve the built page (web/dist) and tell it where the gateway is.

A small threaded http.server on loopback: the page is a few static files, `/config.json`
carries the gateway's WebSocket URL so one build works with any TRADEFAST_GATEWAY_* setting, and
`/services.json` says which service `tradefast run` has up or down.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tradefast.config import Settings
from tradefast.runtime.shutdown import Shutdown
from tradefast.service_status import read_services_status, services_status_file
from tradefast.services.registry import Service

log = logging.getLogger(__name__)

# python/tradefast/dashboard/service.py -> the checkout's web/dist
DEFAULT_DIST = Path(__file__).resolve().parents[3] / "web" / "dist"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".map": "application/json",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}


class DashboardHandler(SimpleHTTPRequestHandler):
    extensions_map = CONTENT_TYPES

    def __init__(
        self,
        *args: Any,
        config_json: bytes,
        gateway_origin: str,
        status_file: Path,
        **kwargs: Any,
    ) -> None:
        self._config_json = config_json
        self._gateway_origin = gateway_origin
        self._status_file = status_file
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/config.json":
            self._send_json(self._config_json)
            return
        if path == "/services.json":
            self._send_json(json.dumps(read_services_status(self._status_file)).encode())
            return
        super().do_GET()

    def _send_json(self, body: bytes) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-cache")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header(
            "Content-Security-Policy",
            "default-src 'self'; style-src 'self' 'unsafe-inline'; "
            f"connect-src 'self' {self._gateway_origin}",
        )
        super().end_headers()

    def list_directory(self, path: str | Any) -> None:
        self.send_error(HTTPStatus.NOT_FOUND, "not found")
        return None

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)


def dist_folder(settings: Settings) -> Path:
    folder = Path(settings.dashboard_dist) if settings.dashboard_dist else DEFAULT_DIST
    if not (folder / "index.html").is_file():
        raise SystemExit(
            f"tradefast service dashboard: {folder}/index.html is missing; build it with `make web`"
        )
    return folder


def make_server(settings: Settings, folder: Path) -> ThreadingHTTPServer:
    config_json = json.dumps({"gatewayUrl": settings.gateway_url}).encode()
    gateway_origin = f"ws://{settings.gateway_host}:{settings.gateway_port}"
    handler = partial(
        DashboardHandler,
        directory=str(folder),
        config_json=config_json,
        gateway_origin=gateway_origin,
        status_file=services_status_file(settings),
    )
    try:
        return ThreadingHTTPServer((settings.dashboard_host, settings.dashboard_port), handler)
    except OSError as exc:
        raise SystemExit(
            f"tradefast service dashboard: cannot listen on "
            f"{settings.dashboard_host}:{settings.dashboard_port}: {exc}"
        ) from None


async def main(args: argparse.Namespace, settings: Settings, shutdown: Shutdown) -> None:
    server = make_server(settings, dist_folder(settings))
    server.daemon_threads = True
    log.info("dashboard on %s (gateway %s)", settings.dashboard_url, settings.gateway_url)
    loop = asyncio.get_running_loop()
    serving = loop.run_in_executor(None, server.serve_forever)
    await shutdown.requested.wait()
    server.shutdown()
    await serving
    server.server_close()


SERVICE = Service(
    name="dashboard",
    description="dashboard: the live blotter page, served from web/dist",
    main=main,
    start_order=40,
    address=lambda settings: (settings.dashboard_host, settings.dashboard_port),
)
