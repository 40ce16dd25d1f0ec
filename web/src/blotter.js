// The blotter: a fixed pool of rows, newest inquiry first, refreshed at most once per animation
// frame, and only the cells whose text changed are written.
import { Side, Status } from "./wire.js";
import { cents, clock, duration, integer, signedCents } from "./format.js";

// As many rows as a tall screen shows; every new inquiry shifts them all down by one.
const ROWS = 60;
// Repainting every row is the page's main cost, and nobody reads rows changing 60 times a second:
// the blotter follows at most 20 times a second; the model and the other views every frame.
const MIN_INTERVAL_MS = 50;
const STATUS_NAME = { [Status.NEW]: "NEW", [Status.POSITION_ENRICHED]: "ENRICHED", [Status.DONE]: "DONE", [Status.NOT_DONE]: "NOT DONE" };
const STATUS_CLASS = { [Status.NEW]: "st-new", [Status.POSITION_ENRICHED]: "st-enriched", [Status.DONE]: "st-done", [Status.NOT_DONE]: "st-notdone" };

export class Blotter {
  /** @param {HTMLTableSectionElement} body */
  constructor(body) {
    this.rows = [];
    for (let i = 0; i < ROWS; i++) {
      const tr = document.createElement("tr");
      const cells = [];
      for (const cls of ["num", "", "", "", "side", "num", "num", "status", "num", "num"]) {
        const td = document.createElement("td");
        if (cls) td.className = cls;
        tr.appendChild(td);
        cells.push(td);
      }
      tr.hidden = true;
      body.appendChild(tr);
      this.rows.push({ tr, cells, texts: new Array(cells.length).fill(""), cls: "", side: "" });
    }
    this.filter = { book: "", instrument: "", status: "" };
    this.paused = false;
    this.renderedAt = -Infinity;
  }

  /** @param {import("./model.js").Model} model */
  render(model, now) {
    if (this.paused || !model.blotterDirty || now - this.renderedAt < MIN_INTERVAL_MS) return;
    this.renderedAt = now;
    model.blotterDirty = false;
    const { book, instrument, status } = this.filter;
    const wantStatus = status === "" ? -1 : Number(status);
    let shown = 0;
    for (let i = model.order.length - 1; i >= 0 && shown < ROWS; i--) {
      const inquiry = model.inquiries.get(model.order[i]);
      if (inquiry === undefined) continue;
      if (book && inquiry.bookId !== book) continue;
      if (instrument && inquiry.instrumentId !== instrument) continue;
      if (wantStatus >= 0 && inquiry.status !== wantStatus) continue;
      this.fill(this.rows[shown], inquiry);
      shown += 1;
    }
    for (let i = shown; i < ROWS; i++) this.rows[i].tr.hidden = true;
  }

  fill(row, inquiry) {
    // Formatted once per inquiry version (a new version is a new object), not once per frame.
    const texts = inquiry.texts ?? (inquiry.texts = rowTexts(inquiry));
    for (let c = 0; c < texts.length; c++) {
      if (row.texts[c] !== texts[c]) {
        row.texts[c] = texts[c];
        row.cells[c].textContent = texts[c];
      }
    }
    const cls = STATUS_CLASS[inquiry.status] ?? "";
    if (row.cls !== cls) { row.cls = cls; row.tr.className = cls; }
    const side = inquiry.side === Side.SELL ? "side sell" : "side buy";
    if (row.side !== side) { row.side = side; row.cells[4].className = side; }
    row.tr.hidden = false;
  }
}

function rowTexts(inquiry) {
  const end = inquiry.decidedNs || inquiry.receivedNs;
  const latency = inquiry.createdNs ? (end - inquiry.createdNs) / 1e6 : null;
  const sell = inquiry.side === Side.SELL;
  return [
    String(inquiry.inquiryId),
    clock(inquiry.createdNs ? inquiry.createdNs / 1e6 : inquiry.eventTime),
    inquiry.bookId,
    inquiry.instrumentId,
    sell ? "SELL" : "BUY",
    integer(inquiry.quantity),
    cents(inquiry.price),
    STATUS_NAME[inquiry.status] ?? String(inquiry.status),
    inquiry.status === Status.NEW ? "" : signedCents(inquiry.position),
    duration(latency),
  ];
}
