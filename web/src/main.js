// The dashboard: frames from the gateway update the model as they arrive; the DOM is touched
// once per animation frame, and the charts once per second.
import "./styles.css";
import { Blotter } from "./blotter.js";
import { Charts } from "./charts.js";
import { connectFeed } from "./feed.js";
import { duration, integer } from "./format.js";
import { Model } from "./model.js";
import { PositionsGrid } from "./positions.js";
import { watchServices } from "./services.js";

const model = new Model();
const blotter = new Blotter(document.querySelector("#blotter tbody"));
const grid = new PositionsGrid(document.getElementById("positions"));
const charts = new Charts();
const $ = (id) => document.getElementById(id);

let frames = 0;
let framesPerSecond = 0;
// Exposed for the browser test's measurements.
window.tradefast = { model, stats: { batches: 0, animationFrames: 0, renderMs: 0, decodeMs: 0 } };
const feed = { updates: 0, reconnects: 0, since: null, snapshot: "–", renderMs: 0, renders: 0 };

async function gatewayUrl() {
  const response = await fetch("config.json", { cache: "no-store" });
  const config = await response.json();
  const url = new URL(config.gatewayUrl);
  const token = new URLSearchParams(location.search).get("token");
  if (token) url.searchParams.set("token", token);
  return url.toString();
}

function setConnection(state, detail) {
  if (state === "live") feed.since = new Date();
  if (state === "reconnecting") { feed.since = null; feed.reconnects += 1; }
  const element = $("conn");
  element.dataset.state = state;
  $("conn-text").textContent = state === "live" ? "live" : state;
  element.title = detail;
}

function refreshFilters() {
  if (!model.filtersDirty) return;
  model.filtersDirty = false;
  fillSelect($("filter-book"), [...model.books].sort());
  fillSelect($("filter-instrument"), [...model.instruments].sort());
}

function fillSelect(select, values) {
  const present = new Set([...select.options].map((o) => o.value));
  for (const value of values) {
    if (!present.has(value)) select.add(new Option(value, value));
  }
}

function onAnimationFrame(now) {
  const started = performance.now();
  frames += 1;
  refreshFilters();
  blotter.render(model, now);
  grid.render(model);
  const stats = window.tradefast.stats;
  stats.animationFrames += 1;
  stats.renderMs += performance.now() - started;
  requestAnimationFrame(onAnimationFrame);
}

function everySecond() {
  model.tick(Date.now());
  framesPerSecond = frames;
  frames = 0;
  charts.update(model);
  const last = model.history.last();
  if (last) {
    $("kpi-rate").textContent = integer(last.rate);
    $("kpi-done").textContent = last.doneRatio === null ? "–" : last.doneRatio.toFixed(1) + " %";
    $("kpi-p50").textContent = duration(last.p50);
    $("kpi-p99").textContent = duration(last.p99);
    $("kpi-updates").textContent = integer(last.updates);
  }
  $("kpi-fps").textContent = String(framesPerSecond);
  const stats = window.tradefast.stats;
  $("feed-frames").textContent = integer(stats.batches);
  $("feed-updates").textContent = integer(feed.updates);
  $("feed-snapshot").textContent = feed.snapshot;
  $("feed-since").textContent = feed.since ? feed.since.toLocaleTimeString() : "–";
  $("feed-reconnects").textContent = String(feed.reconnects);
  const frameCount = stats.animationFrames - feed.renders;
  $("feed-render").textContent = frameCount ? duration((stats.renderMs - feed.renderMs) / frameCount) : "–";
  feed.renders = stats.animationFrames;
  feed.renderMs = stats.renderMs;
}

function wireControls() {
  for (const [id, field] of [["filter-book", "book"], ["filter-instrument", "instrument"], ["filter-status", "status"]]) {
    $(id).addEventListener("change", (event) => {
      blotter.filter[field] = event.target.value;
      model.blotterDirty = true;
    });
  }
  $("pause").addEventListener("click", (event) => {
    blotter.paused = !blotter.paused;
    event.target.textContent = blotter.paused ? "Resume" : "Pause";
    event.target.classList.toggle("active", blotter.paused);
    model.blotterDirty = true;
  });
}

function showServicesDown(line) {
  const element = $("services");
  element.hidden = line === null;
  element.textContent = line || "";
}

async function start() {
  wireControls();
  requestAnimationFrame(onAnimationFrame);
  setInterval(everySecond, 1000);
  watchServices(showServicesDown);
  let url;
  try {
    url = await gatewayUrl();
    $("feed-url").textContent = url.replace(/token=[^&]*/, "token=…");
  } catch (error) {
    setConnection("error", `no gateway configuration: ${error}`);
    return;
  }
  connectFeed(url, {
    onBatch: (batch, receivedMs) => {
      const stats = window.tradefast.stats;
      stats.batches += 1;
      feed.updates += batch.inquiries.length;
      if (batch.snapshot) feed.snapshot = `${batch.inquiries.length} inquiries, ${batch.positions.length} positions`;
      model.apply(batch, receivedMs);
      stats.decodeMs += performance.now() + performance.timeOrigin - receivedMs;
    },
    onState: setConnection,
  });
}

start();
