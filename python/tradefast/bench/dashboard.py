"""`tradefast bench dashboard`: the page alone, in a real Chromium, under recorded gateway frames.

The page is served as the project serves it (`tradefast service dashboard`, web/dist), told that
the gateway is the replay server (`tradefast.bench.replay`, its own process), which sends the
frames of a `record-frames` file at each chosen rate of inquiry updates. No pipeline runs beside
it, so the two cores are the page's and the replay's. For each rate, on a fresh page, after a
warm-up, over the measured window:

- frames/s: how many animation frames a second the browser runs for the page when every frame is
  asked for, in a window of its own after the measured one: a `requestAnimationFrame` loop counts
  its callbacks for FRAME_WINDOW_S, with the longest gap between two. A main thread that holds a
  task past a frame's deadline drops frames here (the page's own frames/s figure, a loop like
  this, read 5-17 at ~9,000 updates/s before the feed worker and the virtualised blotter). Its
  own window, because the loop makes the browser run every frame and costs the main thread
  ~30 ms a second, which would count in the busy figures;
- frames drawn/s: the frames the page drew in the measured window, from a DevTools trace (the
  `DrawFrame` events of the page's renderer, category
  `disabled-by-default-devtools.timeline.frame`). A page with nothing new to show draws nothing,
  so from 1,000 updates/s this is the views it shows (5 to 20 a second by design: it conflates)
  plus charts and header; at 10 updates/s it is near the number of updates;
- long tasks: PerformanceObserver `longtask` entries (main-thread tasks over 50 ms), how many and
  the longest; and from a DevTools trace of the window, the most CPU time any task over 50 ms
  used (a long task with little CPU waited for a core that other processes held);
- main-thread busy: the renderer main thread's task time (DevTools `Performance.getMetrics`,
  `TaskDuration`), per 1,000 inquiry updates sent in the window;
- display lag: for how long the page had been sent an inquiry newer than the one on the blotter's
  top row (sampled 4 times a second); it grows without bound when the page falls behind, and
  stays within a view or two when it conflates;
- reactions: from the moment the bench acts until the first animation frame that shows the effect,
  for pausing and resuming the blotter (a real mouse click) and for setting and clearing the book
  filter;
- the most bytes the replay server's socket held unread (the browser not reading);
- with `--phases`, where the main thread's time went: the self time of each DevTools timeline
  event (script, style, layout, paint, commit, ...) per second of the window. The extra trace
  categories cost the page a little, so the other figures of such a run read slightly high.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from bisect import bisect_left
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

from tradefast import config, processes
from tradefast.bench import frames, report, trace_phases
from tradefast.bench.calibrate import loadavg
from tradefast.bench.e2e import BenchError
from tradefast.bench.record_frames import default_path
from tradefast.infra.netcheck import free_port

RATES = (1_000.0, 10_000.0, 30_000.0)
WARMUP_S = 4.0
DURATION_S = 10.0
# The frame-rate window after the measured one, then the reaction probes: the replay runs on
# for both.
FRAME_WINDOW_S = 3.0
TAIL_S = 12.0
LAG_SAMPLE_S = 0.25
VIEWPORT = {"width": 1600, "height": 900}
READY_TIMEOUT = 30.0
STOP_GRACE = 10.0
WAIT_MS = 30_000
REPO = Path(__file__).resolve().parents[3]
DIST = REPO / "web" / "dist"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Runs in the page before its own code: keeps long tasks (nothing per frame: frames come from the
# trace).
PROBE = """
(() => {
  const probe = { longTasks: [] };
  window.__benchProbe = probe;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) probe.longTasks.push(entry.duration);
  }).observe({ type: "longtask", buffered: true });
})();
"""
SAMPLE = """() => ({
  wallMs: performance.timeOrigin + performance.now(),
  longTasks: window.__benchProbe.longTasks.length,
})"""
TOP_ROW = """() => {
  const cell = document.querySelector("#blotter tbody tr:not([hidden]) td");
  return [performance.timeOrigin + performance.now(), cell ? cell.textContent.trim() : null];
}"""
# Resolves with the wall time of the first animation frame in which the blotter's visible rows
# satisfy the condition.
WAIT_FOR_ROWS = """([column, want, distinct]) => new Promise((resolve) => {
  const check = () => {
    const cells = [...document.querySelectorAll(
      `#blotter tbody tr:not([hidden]) td:nth-child(${column})`)].map((c) => c.textContent.trim());
    const ok = cells.length > 0 && (want === null
      ? new Set(cells).size >= distinct : cells.every((text) => text === want));
    if (ok) resolve(performance.timeOrigin + performance.now());
    else requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
})"""
SET_FILTER = """([id, value]) => {
  const select = document.getElementById(id);
  select.value = value;
  select.dispatchEvent(new Event("change", { bubbles: true }));
}"""
# Resolves with the times of the animation frames of `seconds`, each asked for by the last.
COUNT_FRAMES = """(seconds) => new Promise((resolve) => {
  const times = [];
  const step = (now) => {
    times.push(now);
    if (now - times[0] < seconds * 1000) requestAnimationFrame(step);
    else resolve(times);
  };
  requestAnimationFrame(step);
})"""
WAIT_FOR_PAUSED = """(paused) => new Promise((resolve) => {
  const check = () => {
    if (document.getElementById("pause").classList.contains("active") === paused) {
      resolve(performance.timeOrigin + performance.now());
    } else requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
})"""
BOOK_COLUMN = 3
LONG_TASK_MS = 50.0
# With --phases: how many of the main thread's heaviest event names to keep.
PHASES_KEPT = 12
# DevTools Performance.getMetrics, in seconds: the renderer main thread's task time (wall clock,
# what the DevTools timeline shows as busy), its CPU time, the CPU time of the page's whole
# renderer process (main thread, workers, compositor, raster), and where the main thread's task
# time went: script, style recalculation, layout.
# A DevTools trace of the measured window, for each main-thread task's wall and CPU time (a task
# over 50 ms that used a few ms of CPU waited for a core, not for the page) and the frames drawn:
# the compositor marks each frame it draws with a `DrawFrame` instant event (DevTools' frames
# track counts the same); `BeginFrame` also comes for frames that draw nothing.
TRACE_CATEGORIES = ["toplevel", "disabled-by-default-devtools.timeline.frame"]
TASK_EVENTS = ("ThreadControllerImpl::RunTask", "RunTask")
FRAME_EVENT = "DrawFrame"
METRICS = (
    "TaskDuration",
    "ThreadTime",
    "ProcessTime",
    "ScriptDuration",
    "RecalcStyleDuration",
    "LayoutDuration",
)


@dataclass(frozen=True)
class Options:
    recording: Path
    rates: tuple[float, ...] = RATES
    warmup_s: float = WARMUP_S
    duration_s: float = DURATION_S
    # The built page to serve: web/dist, or another build to compare with.
    dist: Path = DIST
    # Also trace the main thread's phases (self time by timeline event).
    phases: bool = False


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        raise BenchError(
            "the dashboard benchmark needs Chromium (Debian: apt-get install chromium)"
        )
    return found


def run(options: Options, report: Any = print) -> dict[str, Any]:
    """Every rate of `options` on a fresh page; the figures, with the recording's header."""
    from playwright.sync_api import sync_playwright

    recording = frames.read(options.recording)
    if not (options.dist / "index.html").is_file():
        raise BenchError(f"{options.dist} holds no built page: run `make web`")
    executable = chromium_path()
    gateway_port = free_port()
    results: list[dict[str, Any]] = []
    with (
        tempfile.TemporaryDirectory(prefix="tradefast-dashboard-bench-") as scratch,
        _dashboard_server(Path(scratch), options.dist, gateway_port) as dashboard_url,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            for rate in options.rates:
                stats_path = Path(scratch) / f"replay-{rate:.0f}.json"
                load_before = loadavg()
                seconds = options.warmup_s + options.duration_s + TAIL_S
                with _replay_server(
                    options.recording, gateway_port, rate, seconds, stats_path
                ) as start_ms:
                    page_figures = _measure_page(browser, dashboard_url, start_ms, options)
                sent = json.loads(stats_path.read_text())
                figures = _figures(rate, page_figures, sent)
                figures["loadavg_before"], figures["loadavg"] = load_before, loadavg()
                report(describe(figures))
                results.append(figures)
        finally:
            browser.close()
    return {
        "command": "tradefast bench dashboard",
        "recording": {k: v for k, v in recording.header.items() if k != "wall_start_ns"},
        "chromium": executable,
        "dist": str(options.dist),
        "viewport": VIEWPORT,
        "warmup_s": options.warmup_s,
        "duration_s": options.duration_s,
        "runs": results,
    }


@contextmanager
def _dashboard_server(scratch: Path, dist: Path, gateway_port: int) -> Iterator[str]:
    """`tradefast service dashboard` on a free port, its gateway URL naming the replay server."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRADEFAST_")}
    env.update(
        TRADEFAST_HOME=str(scratch),
        TRADEFAST_DASHBOARD_PORT=str(port),
        TRADEFAST_GATEWAY_PORT=str(gateway_port),
        TRADEFAST_DASHBOARD_DIST=str(dist),
    )
    argv = [sys.executable, "-m", "tradefast", "service", "dashboard"]
    process = processes.start(argv, scratch / "dashboard.log", env=env)
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_http(url, process)
        yield url
    finally:
        processes.stop_process(process, STOP_GRACE)


@contextmanager
def _replay_server(
    recording: Path, port: int, rate: float, seconds: float, stats: Path
) -> Iterator[float]:
    """The replay server, prepared; yields the wall time (ms) its live updates start at."""
    argv = [sys.executable, "-m", "tradefast.bench.replay", "--frames", str(recording)]
    argv += ["--port", str(port), "--rate", str(rate), "--seconds", str(seconds)]
    argv += ["--stats", str(stats)]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        word, _, start_ms = process.stdout.readline().partition(" ")
        if word != "ready":
            raise BenchError(f"the replay server did not start (exit code {process.wait()})")
        yield float(start_ms)
    finally:
        processes.stop_process(process, STOP_GRACE)
    if process.returncode != 0:
        raise BenchError(f"the replay server exited with code {process.returncode}")


def _measure_page(browser: Any, url: str, start_ms: float, options: Options) -> dict[str, Any]:
    page = browser.new_page(viewport=VIEWPORT)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.add_init_script(PROBE)
        cdp = page.context.new_cdp_session(page)
        cdp.send("Performance.enable")
        page.goto(url)
        page.wait_for_selector("#conn[data-state='live']", timeout=WAIT_MS)
        time.sleep(max(0.0, start_ms / 1000 + options.warmup_s - time.time()))
        categories = TRACE_CATEGORIES + (trace_phases.CATEGORIES if options.phases else [])
        browser.start_tracing(page=page, categories=categories)
        before, metrics_before = page.evaluate(SAMPLE), _metrics(cdp)
        shown: list[tuple[float, str | None]] = []
        end = time.monotonic() + options.duration_s
        while time.monotonic() < end:
            wall_ms, text = page.evaluate(TOP_ROW)
            shown.append((wall_ms, text))
            time.sleep(LAG_SAMPLE_S)
        after, metrics_after = page.evaluate(SAMPLE), _metrics(cdp)
        main_tasks, drawn, phases = traced_page(json.loads(browser.stop_tracing()), options.phases)
        long_tasks: list[float] = page.evaluate(
            f"() => window.__benchProbe.longTasks.slice({before['longTasks']})"
        )
        frame_times: list[float] = page.evaluate(COUNT_FRAMES, FRAME_WINDOW_S)
        reactions = _reactions(page)
        if errors:
            raise BenchError(f"the page threw: {errors[0]}")
        return {
            "before": before,
            "after": after,
            "spent_s": {name: metrics_after[name] - metrics_before[name] for name in METRICS},
            "long_tasks": long_tasks,
            "main_tasks": main_tasks,
            "frames": drawn,
            "frame_times": frame_times,
            "phases": phases,
            "shown": shown,
            "reactions": reactions,
        }
    finally:
        page.close()


def traced_page(
    trace: dict[str, Any], phases: bool
) -> tuple[list[tuple[float, float]], int, dict[str, float] | None]:
    """From a DevTools trace of `TRACE_CATEGORIES`: (wall ms, CPU ms) of each task of the page's
    renderer main thread, how many frames that renderer drew, and with `phases` (traced with
    `trace_phases.CATEGORIES` too) the thread's self time (ms) by timeline event, else None."""
    events = trace.get("traceEvents", [])
    tasks = main_thread_tasks(events)
    if tasks is None:
        return [], 0, {} if phases else None
    (pid, tid), found = tasks
    drawn = sum(1 for e in events if e.get("name") == FRAME_EVENT and e.get("pid") == pid)
    return found, drawn, dict(trace_phases.self_times(events, (pid, tid))) if phases else None


def main_thread_tasks(
    events: list[dict[str, Any]],
) -> tuple[tuple[int, int], list[tuple[float, float]]] | None:
    """The page's renderer main thread, the CrRendererMain thread that ran the most (a spare
    renderer idles), with the (wall ms, CPU ms) of each of its tasks; None without one."""
    mains = {
        (e["pid"], e["tid"])
        for e in events
        if e.get("ph") == "M"
        and e.get("name") == "thread_name"
        and e.get("args", {}).get("name") == "CrRendererMain"
    }
    tasks: dict[tuple[int, int], list[tuple[float, float]]] = {thread: [] for thread in mains}
    for e in events:
        thread = (e.get("pid"), e.get("tid"))
        if e.get("ph") == "X" and e.get("name") in TASK_EVENTS and thread in tasks:
            tasks[thread].append((e.get("dur", 0) / 1000, e.get("tdur", 0) / 1000))
    if not tasks:
        return None
    return max(tasks.items(), key=lambda item: sum(wall for wall, _ in item[1]))


def _metrics(cdp: Any) -> dict[str, float]:
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return {name: float(metrics[name]) for name in METRICS}


def _reactions(page: Any) -> dict[str, float]:
    """Milliseconds from acting to the first animation frame that shows the effect."""
    box = page.locator("#pause").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    found: dict[str, float] = {}
    for name, paused in (("pause_ms", True), ("resume_ms", False)):
        acted = time.time() * 1000
        page.mouse.click(x, y)
        found[name] = page.evaluate(WAIT_FOR_PAUSED, paused) - acted
    books = page.eval_on_selector_all(
        "#filter-book option", "(options) => options.map((o) => o.value).filter((v) => v)"
    )
    if books:
        book = sorted(books)[0]
        acted = time.time() * 1000
        page.evaluate(SET_FILTER, ["filter-book", book])
        found["filter_ms"] = page.evaluate(WAIT_FOR_ROWS, [BOOK_COLUMN, book, 1]) - acted
        acted = time.time() * 1000
        page.evaluate(SET_FILTER, ["filter-book", ""])
        found["unfilter_ms"] = page.evaluate(WAIT_FOR_ROWS, [BOOK_COLUMN, None, 2]) - acted
    return {name: round(ms, 1) for name, ms in found.items()}


def _figures(rate: float, page: dict[str, Any], sent: dict[str, Any]) -> dict[str, Any]:
    before, after = page["before"], page["after"]
    seconds = (after["wallMs"] - before["wallMs"]) / 1000
    log = sent["sent"]
    updates = _sent_by(log, after["wallMs"]) - _sent_by(log, before["wallMs"])
    ids, times = sent["first_sent"]
    lags = _display_lags(page["shown"], dict(zip(ids, times, strict=True)))
    long_tasks = page["long_tasks"]
    spent = page["spent_s"]
    traced_long = [(wall, cpu) for wall, cpu in page["main_tasks"] if wall > LONG_TASK_MS]

    def per_1000(spent_s: float) -> float | None:
        return round(spent_s * 1e6 / updates, 2) if updates else None

    figures: dict[str, Any] = {
        "rate_target": rate,
        "updates_per_s": round(updates / seconds, 1),
        "window_s": round(seconds, 2),
        **_frame_rate(page["frame_times"]),
        "drawn_frames_per_s": round(page["frames"] / seconds, 1),
        "long_tasks": len(long_tasks),
        "longest_task_ms": round(max(long_tasks, default=0.0), 1),
        # The trace's tasks over 50 ms: how many, and the most CPU any of them used.
        "traced_long_tasks": len(traced_long),
        "long_task_max_cpu_ms": round(max((cpu for _, cpu in traced_long), default=0.0), 1),
        "main_busy_ms_per_s": round(spent["TaskDuration"] * 1000 / seconds, 1),
        "main_busy_ms_per_1000_updates": per_1000(spent["TaskDuration"]),
        "main_cpu_ms_per_1000_updates": per_1000(spent["ThreadTime"]),
        "renderer_cpu_ms_per_1000_updates": per_1000(spent["ProcessTime"]),
        "main_ms_per_s": {
            "script": round(spent["ScriptDuration"] * 1000 / seconds, 1),
            "style": round(spent["RecalcStyleDuration"] * 1000 / seconds, 1),
            "layout": round(spent["LayoutDuration"] * 1000 / seconds, 1),
        },
        "display_lag_ms": {
            "p50": round(statistics.median(lags), 1) if lags else None,
            "max": round(max(lags), 1) if lags else None,
            "last": round(lags[-1], 1) if lags else None,
        },
        "reactions_ms": page["reactions"],
        "replay": {
            "messages": sent["messages"],
            "updates": sent["updates"],
            "speed": sent["speed"],
            "prepare_s": sent["prepare_s"],
            "max_unread_bytes": sent["max_buffered_bytes"],
        },
    }
    if page["phases"] is not None:
        heaviest = sorted(page["phases"].items(), key=lambda item: -item[1])[:PHASES_KEPT]
        figures["main_self_ms_per_s"] = {name: round(ms / seconds, 2) for name, ms in heaviest}
    return figures


def _frame_rate(times: list[float]) -> dict[str, float]:
    """Animation frames a second over the frame-rate window, and the longest gap (ms)."""
    gaps = [later - earlier for earlier, later in pairwise(times)]
    if not gaps:
        return {"frames_per_s": 0.0, "longest_frame_ms": 0.0}
    return {
        "frames_per_s": round(len(gaps) * 1000 / sum(gaps), 1),
        "longest_frame_ms": round(max(gaps), 1),
    }


def _sent_by(log: list[list[float]], wall_ms: float) -> int:
    """Updates the replay server had sent by `wall_ms`."""
    index = bisect_left([entry[0] for entry in log], wall_ms)
    return int(log[index - 1][1]) if index > 0 else 0


def _display_lags(
    shown: list[tuple[float, str | None]], first_sent: dict[int, float]
) -> list[float]:
    """For each sample: for how long the page had been sent an inquiry newer than the one on the
    blotter's top row (0 when it had not). The blotter lists inquiries newest first in the order
    the page first saw them, which is the order the replay first sent them."""
    order = list(first_sent)
    position = {inquiry_id: index for index, inquiry_id in enumerate(order)}
    lags: list[float] = []
    for wall_ms, text in shown:
        index = position.get(int(text)) if text is not None and text.isdigit() else None
        if index is None:
            continue
        following = first_sent[order[index + 1]] if index + 1 < len(order) else wall_ms
        lags.append(max(0.0, wall_ms - following))
    return lags


def describe(figures: dict[str, Any]) -> str:
    lag = figures["display_lag_ms"]
    reactions = ", ".join(
        f"{k.removesuffix('_ms')} {v:.0f}" for k, v in figures["reactions_ms"].items()
    )
    phases = figures.get("main_self_ms_per_s")
    spent = (
        "; main thread self ms/s: " + ", ".join(f"{k} {v:.1f}" for k, v in phases.items())
        if phases
        else ""
    )
    return (
        f"{figures['rate_target']:>8,.0f} updates/s offered, "
        f"{figures['updates_per_s']:>8,.0f} sent: "
        f"{figures['frames_per_s']:.1f} frames/s (longest {figures['longest_frame_ms']:.0f} ms), "
        f"{figures['drawn_frames_per_s']:.1f} drawn/s, {figures['long_tasks']} long tasks "
        f"(longest {figures['longest_task_ms']:.0f} ms, at most "
        f"{figures['long_task_max_cpu_ms']:.0f} ms of CPU); per 1,000 updates: main thread busy "
        f"{figures['main_busy_ms_per_1000_updates']} ms, its CPU "
        f"{figures['main_cpu_ms_per_1000_updates']} ms, renderer CPU "
        f"{figures['renderer_cpu_ms_per_1000_updates']} ms; display lag p50 {lag['p50']} ms "
        f"max {lag['max']} ms; reactions ms: {reactions}; load {figures['loadavg_before'][0]:.1f}"
        f" → {figures['loadavg'][0]:.1f}{spent}"
    )


def _wait_http(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"the dashboard server exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1.0):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    raise BenchError(f"the dashboard server did not answer at {url}")


def register(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = actions.add_parser(
        "dashboard", help="the page in Chromium under recorded frames replayed at each rate"
    )
    parser.add_argument(
        "--frames", type=Path, help="a record-frames file (default TRADEFAST_HOME/bench/frames.bin)"
    )
    parser.add_argument(
        "--rates",
        default=",".join(f"{r:.0f}" for r in RATES),
        help="inquiry updates/s, comma-separated (default %(default)s)",
    )
    parser.add_argument("--warmup", type=float, default=WARMUP_S, help="seconds before measuring")
    parser.add_argument("--duration", type=float, default=DURATION_S, help="seconds measured")
    parser.add_argument(
        "--dist", type=Path, default=DIST, help="the built page to serve (default web/dist)"
    )
    parser.add_argument(
        "--phases",
        action="store_true",
        help="also trace where the main thread's time goes (self time by DevTools timeline "
        "event, per second); the extra tracing costs the page a little",
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures here")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    try:
        rates = tuple(float(r) for r in args.rates.split(","))
    except ValueError:
        raise config.ConfigError(f"--rates={args.rates!r} is not a comma list of numbers") from None
    if not all(0 < r <= 200_000 for r in rates):
        raise config.ConfigError(f"--rates={args.rates!r}: each must be within 0..200000")
    settings = config.load()
    recording = args.frames or default_path(settings)
    options = Options(
        recording, rates, args.warmup, args.duration, args.dist.resolve(), args.phases
    )
    try:
        results = run(options)
    except OSError as exc:
        raise BenchError(str(exc)) from exc
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    print()
    print("\n".join(report.dashboard_section(results)))
    return 0
