"""The dashboard in a real Chromium against a real running pipeline: Kafka, Redis, generator,
position service, auto trader, gateway and dashboard, each its own process.

Checks rows, filters, the id search, Pause, the virtualised blotter, reconnecting after a gateway
restart, the positions grid against Redis (notional, quantity and DONE count of every key) and a
clicked inquiry's history against the three stage topics. Also saves a screenshot under load
(test-artifacts/dashboard.png; with TRADEFAST_DOCS_SCREENSHOT=1 also docs/dashboard.png, the
README's) and prints frames per second and long tasks at a high update rate (printed, not asserted:
`tradefast bench dashboard` measures the page).
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
from chromium import launch
from confluent_kafka import Consumer, TopicPartition
from gateway_io import start_service, stop, wait_ready
from playwright.sync_api import Page, sync_playwright
from tradefast.config import Settings
from tradefast.infra.kafka_config import consumer_config
from tradefast.proto.tradefast_pb2 import Inquiry, Status

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
        browser = launch(playwright)
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
            _check_pause(page)
            _check_gateway_restart(page, pipeline)
            _measure_under_load(page, pipeline)
            pipeline.stop("generator")
            _check_virtualised(page)
            _check_positions_equal_redis(page, redis_client)
            _check_history_matches_topics(page, settings)
            assert errors == []
        finally:
            browser.close()


def _wait_live(page: Page) -> None:
    page.wait_for_selector("#conn[data-state='live']", timeout=WAIT_MS)


def _column(page: Page, index: int) -> list[str]:
    texts: list[str] = page.eval_on_selector_all(
        f"#blotter tbody tr:not([hidden]) td:nth-child({index + 1})",
        "(cells) => cells.map((cell) => cell.textContent.trim())",
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
    # The id search: part of an id keeps the rows whose id holds it.
    part = _column(page, 0)[0][-4:]
    page.fill("#search", part)
    _eventually(lambda: bool(_column(page, 0)) and all(part in i for i in _column(page, 0)))
    page.fill("#search", "")
    _eventually(lambda: any(part not in i for i in _column(page, 0)))


def _check_pause(page: Page) -> None:
    page.click("#pause")
    # The frozen rows are written within a few frames of the click.
    page.wait_for_timeout(300)
    frozen = _column(page, 0)
    page.wait_for_timeout(1500)
    assert _column(page, 0) == frozen, "rows changed while paused"
    page.click("#pause")
    _eventually(lambda: _column(page, 0) != frozen)


def _check_gateway_restart(page: Page, pipeline: Pipeline) -> None:
    pipeline.kill("gateway")
    page.wait_for_selector("#conn[data-state='reconnecting']", timeout=WAIT_MS)
    newest_before = max(int(i) for i in _column(page, 0))
    pipeline.start("gateway")
    _wait_live(page)
    # Between reconnecting and the snapshot's first view the blotter can be empty: not yet.
    _eventually(lambda: max((int(i) for i in _column(page, 0)), default=0) > newest_before)


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
    views = after["views"] - before["views"]
    view_ms = (after["viewMs"] - before["viewMs"]) / max(views, 1)
    print(
        f"\ndashboard at 3000 inquiries/s offered: {after['fps'] or 0:.1f} frames/s (sampled), "
        f"{(after['updates'] - before['updates']) / seconds:.0f} updates/s, "
        f"{views / seconds:.1f} views/s taking {view_ms:.2f} ms of script each, "
        f"{after['longTasks'] - before['longTasks']} long tasks in "
        f"{seconds:.1f} s (longest so far {after['longest']:.0f} ms)"
    )
    # An inquiry's history open, as a trader would have it.
    page.click("#blotter tbody tr:nth-child(4)")
    page.wait_for_selector("#inquiry tr[data-stage='NEW']")
    page.wait_for_timeout(1000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"))
    if os.environ.get("TRADEFAST_DOCS_SCREENSHOT") == "1":
        shutil.copyfile(ARTIFACTS / "dashboard.png", REPO / "docs" / "dashboard.png")


def _check_virtualised(page: Page) -> None:
    """Only the rows in view exist; scrolling down shows older ones (and pauses the rows)."""
    rows = page.locator("#blotter tbody tr").count()
    held = page.evaluate("() => document.getElementById('blotter-sizer').offsetHeight")
    row_height = page.evaluate(
        "() => document.querySelector('#blotter tbody tr').getBoundingClientRect().height"
    )
    assert rows < 60 and held / row_height > 10 * rows, (rows, held, row_height)
    # Inquiries in flight when the generator stopped still arrive (seconds of them on a busy
    # machine): the newest is read once they have, or Pause would freeze rows newer than it.
    newest = _settled_top_row(page)
    page.eval_on_selector("#blotter-scroll", "(element) => { element.scrollTop = 500 * 22; }")
    _eventually(lambda: page.text_content("#pause") == "Resume")
    _eventually(lambda: int(_column(page, 0)[0]) < int(newest))
    assert page.locator("#blotter tbody tr").count() == rows
    page.click("#pause")
    _eventually(lambda: int(_column(page, 0)[0]) >= int(newest))


def _settled_top_row(page: Page, quiet: float = 1.0) -> str:
    """The blotter's top inquiry id once it has not changed for `quiet` seconds."""
    seen: list[str] = []

    def unchanged() -> bool:
        top = _column(page, 0)[0]
        page.wait_for_timeout(quiet * 1000)
        seen.append(top)
        return _column(page, 0)[0] == top

    _eventually(unchanged)
    return seen[-1]


def _check_positions_equal_redis(page: Page, redis_client: redis.Redis) -> None:
    def shown() -> dict[str, tuple[str, str, str]]:
        cells: dict[str, tuple[str, str, str]] = page.eval_on_selector_all(
            "#positions td[data-notional]",
            "(cells) => Object.fromEntries(cells.map((c) => "
            "[c.dataset.key, [c.dataset.notional, c.dataset.quantity, c.dataset.done]]))",
        )
        return {key: tuple(value) for key, value in cells.items()}  # type: ignore[misc]

    def matches() -> bool:
        stored = _redis_positions(redis_client)
        return bool(stored) and shown() == {
            key: tuple(str(v) for v in value) for key, value in stored.items()
        }

    _eventually(matches)
    assert any(done > 0 for _, _, done in _redis_positions(redis_client).values())
    for key, (notional, quantity, done) in _redis_positions(redis_client).items():
        cell = f"#positions td[data-key='{key}']"
        assert page.text_content(f"{cell} .notional") == _signed(notional, cents=True)
        assert page.text_content(f"{cell} .qty") == _signed(quantity)
        assert page.text_content(f"{cell} .done") == f"{done:,} DONE"


def _redis_positions(redis_client: redis.Redis) -> dict[str, tuple[int, int, int]]:
    """Notional, quantity and DONE count of every key, as Redis holds them."""
    positions: dict[str, tuple[int, int, int]] = {}
    for name in redis_client.scan_iter(match="position:*"):
        book, _, instrument = name.decode().removeprefix("position:{").partition("}:")
        notional, quantity, sequence = redis_client.hmget(name, "notional", "quantity", "sequence")
        positions[f"{book}|{instrument}"] = (
            int(notional or 0),
            int(quantity or 0),
            int(sequence or 0),
        )
    return positions


def _signed(value: int, cents: bool = False) -> str:
    sign = "-" if value < 0 else "+" if value > 0 else ""
    if cents:
        return f"{sign}{abs(value) // 100:,}.{abs(value) % 100:02d}"
    return f"{sign}{abs(value):,}"


def _check_history_matches_topics(page: Page, settings: Settings) -> None:
    """Click a decided inquiry: its history shows the stamps, the enrichment and the decision
    that the three stage topics hold for it."""
    row = page.locator("#blotter tbody tr:not([hidden]).st-done").first
    if row.count() == 0:
        row = page.locator("#blotter tbody tr:not([hidden]).st-notdone").first
    inquiry_id = int(row.locator("td").first.text_content() or "")
    row.click()
    page.wait_for_selector(f"#inquiry[data-id='{inquiry_id}'] tr[data-stage='NEW']")
    stages: dict[str, dict[str, str]] = page.eval_on_selector_all(
        "#stages tbody tr",
        "(rows) => Object.fromEntries(rows.map((r) => [r.dataset.stage, {...r.dataset}]))",
    )
    new, enriched, decided = (
        _from_topic(settings, topic, inquiry_id) for topic in settings.topics.stages
    )
    final = "DONE" if decided.status == Status.DONE else "NOT_DONE"
    assert list(stages) == ["NEW", "POSITION_ENRICHED", final]
    # Nanosecond stamps are JavaScript numbers in the page: exact to well under a microsecond.
    assert abs(int(stages["NEW"]["ns"]) - new.created_ns) <= 1000
    assert abs(int(stages["POSITION_ENRICHED"]["ns"]) - enriched.enriched_ns) <= 1000
    assert abs(int(stages[final]["ns"]) - decided.decided_ns) <= 1000
    assert int(stages["POSITION_ENRICHED"]["position"]) == enriched.position
    assert int(stages["POSITION_ENRICHED"]["positionQuantity"]) == enriched.position_quantity
    assert int(stages["POSITION_ENRICHED"]["sequence"]) == enriched.sequence
    text = page.text_content("#inquiry") or ""
    assert final in text and _signed(enriched.position, cents=True) in text
    # The id search finds it: exactly one row, and Enter opens its history.
    page.click("#inquiry-close")
    _eventually(lambda: page.is_hidden("#inquiry"))
    page.fill("#search", str(inquiry_id))
    _eventually(lambda: _column(page, 0) == [str(inquiry_id)])
    page.press("#search", "Enter")
    page.wait_for_selector(f"#inquiry[data-id='{inquiry_id}']")


def _from_topic(settings: Settings, topic: str, inquiry_id: int) -> Inquiry:
    """The message of `inquiry_id` on `topic`, read from the start of every partition."""
    consumer = Consumer(consumer_config(settings, f"browser-test-{topic}"))
    try:
        consumer.assign([TopicPartition(topic, p, 0) for p in range(settings.partitions)])
        deadline = time.monotonic() + WAIT_MS / 1000
        while time.monotonic() < deadline:
            for message in consumer.consume(10_000, 0.5):
                assert message.error() is None, message.error()
                inquiry = Inquiry.FromString(message.value() or b"")
                if inquiry.inquiry_id == inquiry_id:
                    return inquiry
        raise AssertionError(f"inquiry {inquiry_id} is not on {topic}")
    finally:
        consumer.close()


def _eventually(condition: Callable[[], bool], wait: float = 60.0) -> None:
    deadline = time.monotonic() + wait
    while not condition():
        assert time.monotonic() < deadline, "the page never got there"
        time.sleep(0.2)
