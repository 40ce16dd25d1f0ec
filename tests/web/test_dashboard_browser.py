"""The dashboard in a real Chromium against a real running pipeline: Kafka, Redis, generator,
position service, auto trader, gateway and dashboard, each its own process.

Also saves a screenshot under load (test-artifacts/dashboard.png; with TRADEFAST_DOCS_SCREENSHOT=1
also docs/dashboard.png, the README's) and prints frames per second and long tasks at a high update
rate (printed, not asserted).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis
from chromium import CHROMIUM, CHROMIUM_ARGS
from gateway_io import start_service, stop, wait_ready
from playwright.sync_api import Page, sync_playwright
from tradefast.config import Settings

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
DIST = REPO / "web" / "dist"
ARTIFACTS = REPO / "test-artifacts"
WAIT_MS = 60_000
LONG_TASKS = """
window.__longTasks = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) window.__longTasks.push(entry.duration);
}).observe({ type: "longtask", buffered: true });
"""


@dataclass
class Pipeline:
    settings: Settings
    settings_env: dict[str, str]
    log_dir: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str, *args: str) -> None:
        process, env, log = start_service(name, self.settings_env, self.log_dir, *args)
        self.processes[name] = process
        if name == "gateway":
            host, port = env["TRADEFAST_GATEWAY_HOST"], env["TRADEFAST_GATEWAY_PORT"]
            wait_ready(f"http://{host}:{port}/healthz", process, log)
        elif name == "dashboard":
            wait_ready(self.settings.dashboard_url, process, log)

    def stop(self, name: str) -> None:
        stop(self.processes.pop(name))

    def kill(self, name: str) -> None:
        process = self.processes.pop(name)
        process.send_signal(signal.SIGKILL)
        process.wait(10)

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.stop(name)


@pytest.fixture
def pipeline(
    settings: Settings, settings_env: dict[str, str], tmp_path: Path
) -> Iterator[Pipeline]:
    assert (DIST / "index.html").is_file(), "web/dist is not built: run `make web`"
    running = Pipeline(settings, settings_env, tmp_path)
    try:
        for name in ("position", "trader", "gateway", "dashboard"):
            running.start(name)
        yield running
    finally:
        running.stop_all()


def test_dashboard_against_running_pipeline(
    pipeline: Pipeline, settings: Settings, redis_client: redis.Redis
) -> None:
    pipeline.start("generator", "--rate", "200")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 900})
            page.add_init_script(LONG_TASKS)
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            # Polling from Python (page.evaluate), not wait_for_function: the page's CSP forbids
            # the eval that wait_for_function's string predicates need.
            page.goto(settings.dashboard_url)

            _wait_live(page)
            _eventually(lambda: len(_column(page, 0)) >= 20)
            statuses = set(_column(page, 7))
            assert statuses <= {"NEW", "ENRICHED", "DONE", "NOT DONE"}
            _eventually(lambda: "NOT DONE" in _column(page, 7))

            _check_filters(page)
            _check_gateway_restart(page, pipeline)
            _measure_under_load(page, pipeline)
            pipeline.stop("generator")
            _check_positions_equal_redis(page, redis_client)
            assert errors == []
        finally:
            browser.close()


def _wait_live(page: Page) -> None:
    page.wait_for_selector("#conn[data-state='live']", timeout=WAIT_MS)


def _column(page: Page, index: int) -> list[str]:
    texts: list[str] = page.eval_on_selector_all(
        f"#blotter tbody tr:not([hidden]) td:nth-child({index + 1})",
        "(cells) => cells.map((cell) => cell.textContent)",
    )
    return texts


def _check_filters(page: Page) -> None:
    _eventually(lambda: page.locator("#filter-book option").count() > 2)
    page.select_option("#filter-book", "BOOK2")
    _eventually(lambda: set(_column(page, 2)) == {"BOOK2"})
    page.select_option("#filter-status", "2")
    _eventually(lambda: set(_column(page, 7)) == {"DONE"} and set(_column(page, 2)) == {"BOOK2"})
    page.select_option("#filter-book", "")
    page.select_option("#filter-status", "")
    _eventually(lambda: len(set(_column(page, 2))) > 1)


def _check_gateway_restart(page: Page, pipeline: Pipeline) -> None:
    pipeline.kill("gateway")
    page.wait_for_selector("#conn[data-state='reconnecting']", timeout=WAIT_MS)
    newest_before = max(int(i) for i in _column(page, 0))
    pipeline.start("gateway")
    _wait_live(page)
    _eventually(lambda: max(int(i) for i in _column(page, 0)) > newest_before)


def _measure_under_load(page: Page, pipeline: Pipeline) -> None:
    pipeline.stop("generator")
    pipeline.start("generator", "--rate", "3000")
    page.wait_for_timeout(8000)
    before = page.evaluate(
        "({...window.tradefast.stats, now: performance.now(), "
        "longTasks: window.__longTasks.length})"
    )
    page.wait_for_timeout(5000)
    after = page.evaluate(
        "({...window.tradefast.stats, now: performance.now(), "
        "longTasks: window.__longTasks.length, "
        "longest: Math.max(0, ...window.__longTasks)})"
    )
    seconds = (after["now"] - before["now"]) / 1000
    frames = after["animationFrames"] - before["animationFrames"]
    print(
        f"\ndashboard at 3000 inquiries/s offered: {frames / seconds:.1f} frames/s, "
        f"{(after['batches'] - before['batches']) / seconds:.0f} WebSocket frames/s, "
        f"render {(after['renderMs'] - before['renderMs']) / max(frames, 1):.2f} ms/frame, "
        f"{after['longTasks'] - before['longTasks']} long tasks in {seconds:.1f} s "
        f"(longest so far {after['longest']:.0f} ms)"
    )
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"))
    if os.environ.get("TRADEFAST_DOCS_SCREENSHOT") == "1":
        shutil.copyfile(ARTIFACTS / "dashboard.png", REPO / "docs" / "dashboard.png")


def _check_positions_equal_redis(page: Page, redis_client: redis.Redis) -> None:
    def matches() -> bool:
        stored = _redis_positions(redis_client)
        shown: dict[str, str] = page.eval_on_selector_all(
            "#positions td[data-notional]",
            "(cells) => Object.fromEntries(cells.map((c) => [c.dataset.key, c.dataset.notional]))",
        )
        return bool(stored) and shown == {key: str(value) for key, value in stored.items()}

    _eventually(matches)
    key, notional = next(iter(_redis_positions(redis_client).items()))
    text = page.text_content(f"#positions td[data-key='{key}'] .notional")
    assert text == _signed_cents(notional)


def _redis_positions(redis_client: redis.Redis) -> dict[str, int]:
    positions: dict[str, int] = {}
    for name in redis_client.scan_iter(match="position:*"):
        book, _, instrument = name.decode().removeprefix("position:{").partition("}:")
        notional = redis_client.hget(name, "notional")
        positions[f"{book}|{instrument}"] = int(notional or 0)
    return positions


def _signed_cents(value: int) -> str:
    sign = "-" if value < 0 else "+" if value > 0 else ""
    return f"{sign}{abs(value) // 100:,}.{abs(value) % 100:02d}"


def _eventually(condition: Callable[[], bool], wait: float = 60.0) -> None:
    deadline = time.monotonic() + wait
    while not condition():
        assert time.monotonic() < deadline, "the page never got there"
        time.sleep(0.2)
