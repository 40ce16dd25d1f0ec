// The blotter's rows, worked out in the feed worker: which inquiries a query shows (filters, id
// search, the list frozen by Pause, the scroll window) and their cells' texts. The page only
// writes what it gets into the few rows it has.
import { Side, Status } from "./wire.js";
import { padded } from "./columns.js";
import { cents, clock, duration, integer, signedCents } from "./format.js";

const STATUS_CLASS = {
  [Status.NEW]: "st-new",
  [Status.POSITION_ENRICHED]: "st-enriched",
  [Status.DONE]: "st-done",
  [Status.NOT_DONE]: "st-notdone",
};
const STATUS_NAME = {
  [Status.NEW]: "NEW",
  [Status.POSITION_ENRICHED]: "ENRICHED",
  [Status.DONE]: "DONE",
  [Status.NOT_DONE]: "NOT DONE",
};

/** The inquiries as the blotter lists them, newest first, as they are now and from now on. */
export function liveListing(model) {
  return {
    get size() { return model.size; },
    record: (i) => model.newest(i),
    inquiry: (i) => model.newest(i).latest,
  };
}

/** The inquiries as they are now, newest first; later updates change nothing in it (Pause). */
export function frozenListing(model) {
  const records = [];
  const inquiries = [];
  for (let i = 0; i < model.size; i++) {
    const record = model.newest(i);
    records.push(record);
    inquiries.push(record.latest);
  }
  return { size: records.length, record: (i) => records[i], inquiry: (i) => inquiries[i] };
}

/**
 * @param {{size: number, record: (i: number) => any, inquiry: (i: number) => any}} listing
 * @param {{book: string, instrument: string, status: string, search: string, from: number, count: number}} query
 * @returns {{total: number, from: number, rows: {id: number, texts: string[], cls: string, sell: boolean}[]}}
 */
export function blotterPage(listing, query) {
  const wantStatus = query.status === "" ? -1 : Number(query.status);
  const search = query.search.trim();
  const filtered = query.book || query.instrument || wantStatus >= 0 || search;
  if (!filtered) {
    const total = listing.size;
    const from = clampFrom(query.from, total, query.count);
    const rows = [];
    for (let i = from; i < Math.min(total, from + query.count); i++) rows.push(rowOf(listing.inquiry(i)));
    return { total, from, rows };
  }
  const matching = [];
  for (let i = 0; i < listing.size; i++) {
    const inquiry = listing.inquiry(i);
    if (query.book && inquiry.bookId !== query.book) continue;
    if (query.instrument && inquiry.instrumentId !== query.instrument) continue;
    if (wantStatus >= 0 && inquiry.status !== wantStatus) continue;
    if (search && !listing.record(i).idText.includes(search)) continue;
    matching.push(inquiry);
  }
  const from = clampFrom(query.from, matching.length, query.count);
  return { total: matching.length, from, rows: matching.slice(from, from + query.count).map(rowOf) };
}

function clampFrom(from, total, count) {
  return Math.max(0, Math.min(from, total - count));
}

function rowOf(inquiry) {
  // Formatted once per inquiry version (a new version is a new object), not once per view.
  const texts = inquiry.texts ?? (inquiry.texts = rowTexts(inquiry));
  return { id: inquiry.inquiryId, texts, cls: STATUS_CLASS[inquiry.status] ?? "", sell: inquiry.side === Side.SELL };
}

function rowTexts(inquiry) {
  const end = inquiry.decidedNs || inquiry.receivedNs;
  const latency = inquiry.createdNs ? (end - inquiry.createdNs) / 1e6 : null;
  const texts = [
    String(inquiry.inquiryId),
    clock(inquiry.createdNs ? inquiry.createdNs / 1e6 : inquiry.eventTime),
    inquiry.bookId,
    inquiry.instrumentId,
    inquiry.side === Side.SELL ? "SELL" : "BUY",
    integer(inquiry.quantity),
    cents(inquiry.price),
    STATUS_NAME[inquiry.status] ?? String(inquiry.status),
    inquiry.status === Status.NEW ? "" : signedCents(inquiry.position),
    duration(latency),
  ];
  return texts.map(padded);
}
