// Everything the page shows, updated per frame without touching the DOM; the views read it once
// per animation frame.
import { Status } from "./wire.js";

const KEEP_INQUIRIES = 5000;
const HISTORY_SECONDS = 120;

export class Model {
  constructor() {
    /** @type {Map<number, any>} latest version by inquiry id */
    this.inquiries = new Map();
    /** ids in order of first sighting, newest last */
    this.order = [];
    /** @type {Map<string, {book: string, instrument: string, notional: number, quantity: number, sequence: number, changedMs: number}>} */
    this.positions = new Map();
    this.books = new Set();
    this.instruments = new Set();
    this.blotterDirty = true;
    this.positionsDirty = true;
    this.filtersDirty = true;
    this.second = new SecondStats();
    this.history = new History(HISTORY_SECONDS);
  }

  /** @param {any} batch @param {number} receivedMs */
  apply(batch, receivedMs) {
    if (batch.snapshot) this.reset();
    const receivedNs = receivedMs * 1e6;
    this.second.updates += batch.inquiries.length;
    for (const inquiry of batch.inquiries) {
      const id = inquiry.inquiryId;
      const held = this.inquiries.get(id);
      if (held !== undefined && held.version >= inquiry.version) continue;
      inquiry.receivedNs = receivedNs;
      if (held === undefined) this.order.push(id);
      this.inquiries.set(id, inquiry);
      this.noteNames(inquiry.bookId, inquiry.instrumentId);
      if (!batch.snapshot && (inquiry.status === Status.DONE || inquiry.status === Status.NOT_DONE)) {
        this.second.completed(inquiry, receivedNs);
      }
    }
    if (this.order.length > KEEP_INQUIRIES * 1.2) {
      for (const id of this.order.splice(0, this.order.length - KEEP_INQUIRIES)) {
        this.inquiries.delete(id);
      }
    }
    for (const position of batch.positions) {
      const key = `${position.bookId}|${position.instrumentId}`;
      this.noteNames(position.bookId, position.instrumentId);
      this.positions.set(key, {
        book: position.bookId,
        instrument: position.instrumentId,
        notional: position.notional,
        quantity: position.quantity,
        sequence: position.sequence,
        changedMs: batch.snapshot ? 0 : receivedMs,
      });
      this.positionsDirty = true;
    }
    if (batch.inquiries.length) this.blotterDirty = true;
  }

  reset() {
    this.inquiries.clear();
    this.order = [];
    this.positions.clear();
    this.blotterDirty = true;
    this.positionsDirty = true;
  }

  noteNames(book, instrument) {
    if (!this.books.has(book)) { this.books.add(book); this.filtersDirty = true; this.positionsDirty = true; }
    if (!this.instruments.has(instrument)) { this.instruments.add(instrument); this.filtersDirty = true; this.positionsDirty = true; }
  }

  /** Close the current second: its figures go to the charts' history. */
  tick(nowMs) {
    this.history.push(nowMs / 1000, this.second.summary());
    this.second = new SecondStats();
  }
}

/** Figures of the current second. */
class SecondStats {
  constructor() {
    this.updates = 0;
    this.done = 0;
    this.notDone = 0;
    this.e2e = [];
    this.enrich = [];
    this.decide = [];
    this.deliver = [];
  }

  completed(inquiry, receivedNs) {
    if (inquiry.status === Status.DONE) this.done += 1; else this.notDone += 1;
    if (!inquiry.createdNs) return;
    this.e2e.push((receivedNs - inquiry.createdNs) / 1e6);
    if (inquiry.enrichedNs) this.enrich.push((inquiry.enrichedNs - inquiry.createdNs) / 1e6);
    if (inquiry.decidedNs && inquiry.enrichedNs) this.decide.push((inquiry.decidedNs - inquiry.enrichedNs) / 1e6);
    if (inquiry.decidedNs) this.deliver.push((receivedNs - inquiry.decidedNs) / 1e6);
  }

  summary() {
    const total = this.done + this.notDone;
    return {
      rate: total,
      updates: this.updates,
      doneRatio: total ? (100 * this.done) / total : null,
      p50: percentile(this.e2e, 0.5),
      p99: percentile(this.e2e, 0.99),
      enrich: percentile(this.enrich, 0.5),
      decide: percentile(this.decide, 0.5),
      deliver: percentile(this.deliver, 0.5),
    };
  }
}

function percentile(values, q) {
  if (!values.length) return null;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** Column arrays for uPlot, one point per second, bounded. */
class History {
  constructor(size) {
    this.size = size;
    this.columns = { t: [], rate: [], updates: [], doneRatio: [], p50: [], p99: [], enrich: [], decide: [], deliver: [] };
  }

  push(t, summary) {
    const c = this.columns;
    c.t.push(t);
    for (const name of Object.keys(summary)) c[name].push(summary[name]);
    if (c.t.length > this.size) for (const name of Object.keys(c)) c[name].shift();
  }

  last() {
    const c = this.columns;
    const i = c.t.length - 1;
    if (i < 0) return null;
    return { rate: c.rate[i], updates: c.updates[i], doneRatio: c.doneRatio[i], p50: c.p50[i], p99: c.p99[i] };
  }
}
