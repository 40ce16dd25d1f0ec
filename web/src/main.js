// The dashboard's main thread: the views only. The WebSocket, decoding and the model run in the
// feed worker (worker.js), which sends back what to show; the main thread writes it into the DOM
// and says what the user asks for (filters, search, Pause, scrolling, the selected inquiry).
import "./styles.css";
import { Blotter } from "./blotter.js";
import { Charts } from "./charts.js";
import { duration, integer } from "./format.js";
import { HistoryPanel } from "./history.js";
import { inNextFrame } from "./paint.js";
import { PositionsGrid } from "./positions.js";
import { watchServices } from "./services.js";

const $ = (id) => document.getElementById(id);
const worker = new Worker("worker.js", { type: "module" });
const grid = new PositionsGrid($("positions"));
const charts = new Charts();
const history = new HistoryPanel($("inquiry"), () => select(null));
// `seq` numbers each change: a view made before the last change is stale for the blotter (rows
// that moved after Pause was clicked, or that a filter has since hidden).
const query = { seq: 0, book: "", instrument: "", status: "", search: "", from: 0, count: 0, paused: false, selected: null };
// Why the blotter is paused: the button, or scrolling away from the newest rows.
let pausedBy = null;
const blotter = new Blotter($("blotter-scroll"), $("blotter-sizer"), $("blotter"), {
  onWindow: (from, count) => {
    if (from > 0 && !query.paused) setPaused("scroll");
    if (from === 0 && pausedBy === "scroll") setPaused(null);
    ask({ from, count });
  },
  onSelect: (id) => select(id),
});

// The page's frame rate, measured over this many frames once a second, only while views come: an
// idle page requests no frames at all.
const FPS_SAMPLE_FRAMES = 10;

// Exposed for the browser test and the benchmark.
const stats = { views: 0, viewMs: 0, fps: null, updates: 0 };
window.tradefast = { stats };
const feed = { reconnects: 0, since: null, views: 0, viewMs: 0 };

function ask(change) {
  Object.assign(query, change, { seq: query.seq + 1 });
  worker.postMessage({ type: "query", query });
  // The rows still being written are stale now: the worker may send the fresh ones at once.
  if (blotter.abandon()) shown(0);
}

function shown(costMs) {
  worker.postMessage({ type: "shown", costMs });
}

function select(id) {
  blotter.select(id);
  ask({ selected: id });
}

function setPaused(by) {
  pausedBy = by;
  const button = $("pause");
  button.textContent = by ? "Resume" : "Pause";
  button.classList.toggle("active", by !== null);
  button.title = by === "scroll" ? "paused while scrolled down: scroll to the top or resume" : "";
  if (by === null && blotter.from !== 0) blotter.toTop();
  ask({ paused: by !== null, from: by === null ? 0 : query.from });
}

worker.onmessage = ({ data }) => {
  if (data.type === "view") {
    const started = performance.now();
    if (data.positions) {
      if (data.positions.names) fillFilters(data.positions.names);
      grid.apply(data.positions);
    }
    if (data.history) history.show(data.history);
    const scriptMs = performance.now() - started;
    stats.views += 1;
    stats.viewMs += scriptMs;
    if (data.blotter && data.seq === query.seq) {
      blotter.show(data.blotter, data.urgent, (ms) => shown(scriptMs + ms));
    } else {
      inNextFrame(() => {}, (ms) => shown(scriptMs + ms));
    }
  } else if (data.type === "second") {
    everySecond(data);
  } else if (data.type === "state") {
    setConnection(data.state, data.detail);
  }
};

function fillFilters({ books, instruments }) {
  for (const [select, values] of [[$("filter-book"), books], [$("filter-instrument"), instruments]]) {
    const present = new Set([...select.options].map((o) => o.value));
    for (const value of values) if (!present.has(value)) select.add(new Option(value, value));
  }
}

function setConnection(state, detail) {
  if (state === "live") feed.since = new Date();
  if (state === "reconnecting") { feed.since = null; feed.reconnects += 1; }
  const element = $("conn");
  element.dataset.state = state;
  setText($("conn-text"), state);
  element.title = detail;
}

function everySecond({ columns, last, feed: counts }) {
  charts.update(columns);
  if (last) {
    setText($("kpi-rate"), integer(last.rate));
    setText($("kpi-done"), last.doneRatio === null ? "–" : last.doneRatio.toFixed(1) + " %");
    setText($("kpi-p50"), duration(last.p50));
    setText($("kpi-p99"), duration(last.p99));
    setText($("kpi-updates"), integer(last.updates));
  }
  const views = stats.views - feed.views;
  setText($("kpi-fps"), views && stats.fps !== null ? String(Math.round(stats.fps)) : "–");
  if (views) sampleFrameRate();
  stats.updates = counts.updates;
  setText($("feed-frames"), integer(counts.frames));
  setText($("feed-updates"), integer(counts.updates));
  setText($("feed-snapshot"), counts.snapshot
    ? `${counts.snapshot.inquiries} inquiries, ${counts.snapshot.positions} positions` : "–");
  setText($("feed-since"), feed.since ? feed.since.toLocaleTimeString() : "–");
  setText($("feed-reconnects"), String(feed.reconnects));
  setText($("feed-render"), views ? duration((stats.viewMs - feed.viewMs) / views) : "–");
  setText($("feed-worker"), `${Math.round(counts.busyMs)} ms/s`);
  feed.views = stats.views;
  feed.viewMs = stats.viewMs;
}

/** Frames per second over the next FPS_SAMPLE_FRAMES animation frames, into stats.fps. */
function sampleFrameRate() {
  let first = null;
  let frames = 0;
  const frame = (now) => {
    if (first === null) first = now; else frames += 1;
    if (frames < FPS_SAMPLE_FRAMES) requestAnimationFrame(frame);
    else stats.fps = (frames * 1000) / (now - first);
  };
  requestAnimationFrame(frame);
}

/** Writes `text` into the element's Text node, only if it differs: an unchanged figure costs no
 * style or layout. */
function setText(element, text) {
  const node = element.firstChild;
  if (node !== null && node.nodeType === Node.TEXT_NODE && node.nextSibling === null) {
    if (node.data !== text) node.data = text;
  } else {
    element.textContent = text;
  }
}

function wireControls() {
  for (const [id, field] of [["filter-book", "book"], ["filter-instrument", "instrument"], ["filter-status", "status"]]) {
    $(id).addEventListener("change", (event) => filter({ [field]: event.target.value }));
  }
  $("search").addEventListener("input", (event) => filter({ search: event.target.value.replace(/\D/g, "") }));
  $("search").addEventListener("keydown", (event) => {
    // Enter opens the history of the first match.
    const top = blotter.topId();
    if (event.key === "Enter" && top !== null) select(top);
  });
  $("pause").addEventListener("click", () => setPaused(pausedBy ? null : "button"));
}

function filter(change) {
  blotter.toTop();
  if (pausedBy === "scroll") setPaused(null);
  ask({ ...change, from: 0 });
}

async function gatewayUrl() {
  const response = await fetch("config.json", { cache: "no-store" });
  const config = await response.json();
  const url = new URL(config.gatewayUrl);
  const token = new URLSearchParams(location.search).get("token");
  if (token) url.searchParams.set("token", token);
  return url.toString();
}

async function start() {
  wireControls();
  watchServices((line) => {
    $("services").hidden = line === null;
    $("services").textContent = line || "";
  });
  let url;
  try {
    url = await gatewayUrl();
  } catch (error) {
    setConnection("error", `no gateway configuration: ${error}`);
    return;
  }
  $("feed-url").textContent = url.replace(/token=[^&]*/, "token=…");
  worker.postMessage({ type: "connect", url });
}

start();
