// Everything the page knows, kept in the feed worker: the latest version of each recent inquiry
// with the states the page saw it in, the positions, and the per-second figures. No DOM here:
// the views ask for what they show (blotter.js's rows, lifecycle.js's history).
import { Status } from "./wire.js";

export const KEEP_INQUIRIES = 20_000;
const HISTORY_SECONDS = 120;

/**
 * One inquiry: its latest version (a decoded Inquiry) and, per version the page received, the
 * status and when it came. States the gateway conflated away never arrive: lifecycle.js shows
 * them from the stamps that later versions carry.
 */
export class InquiryRecord {
  constructor(inquiry, receivedMs, snapshot) {
    this.id = inquiry.inquiryId;
    this.idText = String(inquiry.inquiryId);
    this.latest = inquiry;
    /** @type {{status: number, version: number, receivedMs: number, snapshot: boolean}[]} */
    this.seen = [];
    this.see(inquiry, receivedMs, snapshot);
  }

  see(inquiry, receivedMs, snapshot) {
    this.latest = inquiry;
    this.seen.push({ status: inquiry.status, version: inquiry.version, receivedMs, snapshot });
  }
}

export class Model {
  constructor(keep = KEEP_INQUIRIES) {
    this.keep = keep;
    /** @type {Map<number, InquiryRecord>} */
    this.inquiries = new Map();
    /** ids in the order the page first saw them, newest last */
    this.order = [];
    /** @type {Map<string, {book: string, instrument: string, notional: number, quantity: number, sequence: number}>} */
    this.positions = new Map();
    /** keys whose position changed since the views last took them */
    this.changedPositions = new Set();
    this.books = new Set();
    this.instruments = new Set();
    /** bumps when the set of books or instruments grows, or on a snapshot */
    this.namesVersion = 0;
    /** bumps on every change the blotter may show */
    this.version = 0;
    this.second = new SecondStats();
    this.history = new History(HISTORY_SECONDS);
  }

  /** @param {any} batch a decoded InquiryBatch @param {number} receivedMs */
  apply(batch, receivedMs) {
    if (batch.snapshot) this.reset();
    const receivedNs = receivedMs * 1e6;
    this.second.updates += batch.inquiries.length;
    for (const inquiry of batch.inquiries) {
      const id = inquiry.inquiryId;
      const held = this.inquiries.get(id);
      if (held !== undefined && held.latest.version >= inquiry.version) continue;
      inquiry.receivedNs = receivedNs;
      if (held === undefined) {
        this.inquiries.set(id, new InquiryRecord(inquiry, receivedMs, batch.snapshot));
        this.order.push(id);
      } else {
        held.see(inquiry, receivedMs, batch.snapshot);
      }
      this.noteNames(inquiry.bookId, inquiry.instrumentId);
      if (!batch.snapshot && (inquiry.status === Status.DONE || inquiry.status === Status.NOT_DONE)) {
        this.second.completed(inquiry, receivedNs);
      }
    }
    if (batch.inquiries.length) this.version += 1;
    this.evict();
    for (const position of batch.positions) {
      const key = `${position.bookId}|${position.instrumentId}`;
      this.noteNames(position.bookId, position.instrumentId);
      this.positions.set(key, {
        book: position.bookId,
        instrument: position.instrumentId,
        notional: position.notional,
        quantity: position.quantity,
        sequence: position.sequence,
      });
      this.changedPositions.add(key);
    }
  }

  /** Keep the newest `keep` inquiries; evicting in steps keeps this O(1) per update. */
  evict() {
    if (this.order.length <= this.keep * 1.2) return;
    const end = this.order.length - this.keep;
    for (let i = 0; i < end; i++) this.inquiries.delete(this.order[i]);
    this.order = this.order.slice(end);
  }

  reset() {
    this.inquiries.clear();
    this.order = [];
    this.positions.clear();
    this.changedPositions.clear();
    this.namesVersion += 1;
    this.version += 1;
  }

  noteNames(book, instrument) {
    if (!this.books.has(book)) { this.books.add(book); this.namesVersion += 1; }
    if (!this.instruments.has(instrument)) { this.instruments.add(instrument); this.namesVersion += 1; }
  }

  /** The i-th newest inquiry (in the order the page first saw them). */
  newest(i) {
    return this.inquiries.get(this.order[this.order.length - 1 - i]);
  }

  get size() {
    return this.order.length;
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
