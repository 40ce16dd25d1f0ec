"""A page written against the original system's contract (tests/compat/original_page: one Inquiry
per frame, decoded with protobuf.js from inquiry.proto, fields 1-11), in a real Chromium, against
tradefast's pipeline run as processes: it shows rows with every state, and no frame fails to
decode. The page is served from an origin of its own, allowed by TRADEFAST_ALLOWED_ORIGINS, as a
team would serve the original's web folder."""

from __future__ import annotations

import functools
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from chromium import launch
from playwright.sync_api import ConsoleMessage, Page, sync_playwright
from tradefast.config import Settings
from tradefast.infra.netcheck import free_port
from tradefast.integration.pipeline import Pipeline

pytestmark = pytest.mark.browser

HERE = Path(__file__).resolve().parent
PROTOBUF_JS = HERE.parents[1] / "web" / "node_modules" / "protobufjs" / "dist" / "protobuf.min.js"
WAIT = 60.0
BOOKS = {"BOOK1", "BOOK2", "BOOK3"}
INSTRUMENTS = {"AAPL", "MSFT", "GOOG", "AMZN", "TSLA"}
STATUSES = {"NEW", "POSITION_ENRICHED", "DONE", "NOT_DONE"}


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve_page(folder: Path) -> Iterator[str]:
    """The original-contract page, its .proto and protobuf.js over HTTP; yields the origin."""
    assert PROTOBUF_JS.is_file(), "web/node_modules is missing: run `make web`"
    for source in (*(HERE / "original_page").iterdir(), HERE / "inquiry.proto", PROTOBUF_JS):
        shutil.copy(source, folder / source.name)
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def test_original_page_shows_rows(settings: Settings, tmp_path: Path) -> None:
    page_folder = tmp_path / "page"
    page_folder.mkdir()
    with serve_page(page_folder) as origin:
        pipeline = Pipeline(settings, tmp_path / "logs", env={"TRADEFAST_ALLOWED_ORIGINS": origin})
        try:
            pipeline.start()
            with sync_playwright() as playwright:
                browser = launch(playwright)
                try:
                    _check_page(
                        browser.new_page(), f"{origin}/?gateway={settings.gateway_url}", pipeline
                    )
                finally:
                    browser.close()
        finally:
            pipeline.stop()


def _check_page(page: Page, url: str, pipeline: Pipeline) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: _keep_error(errors, message))
    page.goto(url)
    page.wait_for_selector("#state:text('live')", timeout=WAIT * 1000)
    generator = pipeline.generator(["--rate", "50", "--count", "400"])
    try:
        _eventually(lambda: len(_column(page, 0)) >= 50)
        _eventually(lambda: {"DONE", "NOT_DONE"} <= set(_column(page, 6)))
        assert set(_column(page, 1)) <= INSTRUMENTS
        assert set(_column(page, 2)) <= BOOKS
        assert set(_column(page, 6)) <= STATUSES
        assert all(price.replace(".", "").isdigit() for price in _column(page, 4))
        assert generator.wait(WAIT) == 0
    finally:
        if generator.poll() is None:
            generator.kill()
            generator.wait()
    # Each of the 400 inquiries went NEW, POSITION_ENRICHED and final: a frame each, once.
    _eventually(lambda: page.evaluate("window.feedStats.frames") >= 3 * 400)
    page.wait_for_timeout(1000)
    assert page.evaluate("window.feedStats") == {"frames": 3 * 400, "undecodable": 0}
    assert errors == []


def _keep_error(errors: list[str], message: ConsoleMessage) -> None:
    if message.type == "error":
        errors.append(message.text)


def _column(page: Page, index: int) -> list[str]:
    texts: list[str] = page.eval_on_selector_all(
        f"#inquiries tbody tr td:nth-child({index + 1})",
        "(cells) => cells.map((cell) => cell.textContent)",
    )
    return texts


def _eventually(condition: Callable[[], bool], wait: float = WAIT) -> None:
    deadline = time.monotonic() + wait
    while not condition():
        assert time.monotonic() < deadline, "the page did not get there in time"
        time.sleep(0.1)
