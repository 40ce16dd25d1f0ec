// The feed worker: the WebSocket, decoding and the model live here, off the page's main thread.
// The page tells it what it shows (filters, search, Pause, scroll window, selected inquiry) and
// gets back, only when something changed, exactly what to write: the visible rows, the
// positions that changed, the selected inquiry's history. Updates are conflated here, never
// queued for the page: a view goes only once the page has shown the last one, 5 to 20 times a
// second, spaced so that showing them takes at most a fifteenth of the page's main thread (at
// thousands of inquiries a second every view replaces every row, and the page says what that
// cost). What the user asks for (a filter, Pause, a scroll) is answered at once. Nothing runs on a
// timer while nothing changes: a view is scheduled when an update arrives.
import { connectFeed } from "./feed.js";
import { lifecycle } from "./lifecycle.js";
import { Model } from "./model.js";
import { blotterPage, frozenListing, liveListing } from "./rows.js";

const VIEW_INTERVAL_MS = 50;
const MAX_VIEW_INTERVAL_MS = 200;
// Positions change with nearly every DONE; four times a second is plenty to read them by.
const POSITIONS_INTERVAL_MS = 250;
// A view may cost the page's main thread at most 1 / MAIN_THREAD_SHARE of the time until the next.
const MAIN_THREAD_SHARE = 15;

const model = new Model();
const live = liveListing(model);
let frozen = null;
let query = { seq: 0, book: "", instrument: "", status: "", search: "", from: 0, count: 0, paused: false, selected: null };
let queryChanged = false;
let awaitingAck = false;
let lastViewAt = 0;
let nextViewAt = 0;
let positionsAt = 0;
let viewTimer = null;
const shown = { version: -1, namesVersion: -1, selection: "" };
const feed = { frames: 0, updates: 0, snapshot: null, busyMs: 0 };

self.onmessage = ({ data }) => {
  if (data.type === "connect") {
    connectFeed(data.url, { onBatch, onState: (state, detail) => self.postMessage({ type: "state", state, detail }) });
  } else if (data.type === "query") {
    setQuery(data.query);
  } else if (data.type === "shown") {
    awaitingAck = false;
    const interval = Math.min(MAX_VIEW_INTERVAL_MS, Math.max(VIEW_INTERVAL_MS, data.costMs * MAIN_THREAD_SHARE));
    nextViewAt = lastViewAt + interval;
    if (queryChanged) postView(); else scheduleView(nextViewAt);
  }
};

function onBatch(batch, receivedMs) {
  // feed.js stamps a frame before decoding it: the worker's time for a frame counts from there.
  const started = receivedMs - performance.timeOrigin;
  feed.frames += 1;
  feed.updates += batch.inquiries.length;
  if (batch.snapshot) feed.snapshot = { inquiries: batch.inquiries.length, positions: batch.positions.length };
  model.apply(batch, receivedMs);
  scheduleView(nextViewAt);
  feed.busyMs += performance.now() - started;
}

/** A view at `atMs` (or sooner if one is due sooner), unless the page has not shown the last. */
function scheduleView(atMs) {
  if (awaitingAck) return;
  const delay = Math.max(0, atMs - performance.now());
  if (viewTimer !== null) {
    if (viewTimer.atMs <= atMs) return;
    clearTimeout(viewTimer.id);
  }
  viewTimer = { atMs, id: setTimeout(() => { viewTimer = null; postView(); }, delay) };
}

function setQuery(next) {
  if (next.paused && !query.paused) frozen = frozenListing(model);
  if (!next.paused) frozen = null;
  query = next;
  queryChanged = true;
  postView();
}

function selection() {
  const record = query.selected === null ? undefined : model.inquiries.get(query.selected);
  return record === undefined ? `${query.selected}` : `${record.id}:${record.latest.version}:${record.seen.length}`;
}

function postView() {
  if (awaitingAck) return;
  const started = performance.now();
  const listing = frozen ?? live;
  const blotterChanged = queryChanged || (frozen === null && model.version !== shown.version);
  const namesChanged = model.namesVersion !== shown.namesVersion;
  const selected = selection();
  const selectionChanged = selected !== shown.selection;
  const positionsDue = model.changedPositions.size > 0 && started - positionsAt >= POSITIONS_INTERVAL_MS;
  if (!blotterChanged && !namesChanged && !selectionChanged && !positionsDue) {
    if (model.changedPositions.size) scheduleView(positionsAt + POSITIONS_INTERVAL_MS);
    return;
  }
  // An answer to the user (a filter, Pause, a scroll) is written at once, in one frame.
  const view = { type: "view", seq: query.seq, urgent: queryChanged };
  if (blotterChanged) view.blotter = blotterPage(listing, query);
  if (namesChanged || positionsDue) {
    view.positions = positionsDelta(namesChanged);
    positionsAt = started;
  }
  if (selectionChanged) {
    const record = query.selected === null ? undefined : model.inquiries.get(query.selected);
    view.history = record === undefined
      ? { id: query.selected, missing: query.selected !== null, keep: model.keep }
      : lifecycle(record);
  }
  shown.version = model.version;
  shown.namesVersion = model.namesVersion;
  shown.selection = selected;
  queryChanged = false;
  awaitingAck = true;
  lastViewAt = performance.now();
  feed.busyMs += lastViewAt - started;
  self.postMessage(view);
}

/** The positions that changed (all of them when the grid's shape changed) and the totals. */
function positionsDelta(namesChanged) {
  const keys = namesChanged ? [...model.positions.keys()] : [...model.changedPositions];
  model.changedPositions.clear();
  const instruments = new Set(keys.map((key) => model.positions.get(key).instrument));
  const totals = new Map([...instruments].map((name) => [name, { instrument: name, notional: 0, quantity: 0, sequence: 0 }]));
  for (const position of model.positions.values()) {
    const total = totals.get(position.instrument);
    if (total === undefined) continue;
    total.notional += position.notional;
    total.quantity += position.quantity;
    total.sequence += position.sequence;
  }
  return {
    names: namesChanged ? { books: [...model.books].sort(), instruments: [...model.instruments].sort() } : null,
    cells: keys.map((key) => ({ key, ...model.positions.get(key) })),
    totals: [...totals.values()],
  };
}

function everySecond() {
  model.tick(Date.now());
  self.postMessage({ type: "second", columns: model.history.columns, last: model.history.last(), feed: { ...feed } });
  feed.busyMs = 0;
}

setInterval(everySecond, 1000);
