// The blotter, virtualised: only as many rows exist as the viewport shows, recycled. A tall sizer
// gives the scroll bar its length; the table stays pinned at the top of the viewport (position:
// sticky) and shows the rows from the first visible index on. The feed worker says which rows
// those are.
//
// A row that already shows an inquiry the new view still shows keeps it and only moves
// (placement.js): a new inquiry on top moves one row to the top and rewrites it, not every row.
// Text goes into each cell's own Text node (`data`), and only where it changed. At thousands of
// inquiries a second every row is new in every view; a view is written in one animation frame
// (a screenful of new rows in one frame cost less main-thread time in all than a third of one in
// each of three frames, each paying its own style, layout, paint and commit), up to
// ROWS_PER_FRAME rewritten rows: a taller blotter than that is written over several frames, top
// first; except the answer to something the user did, always written in one frame.
import { COLUMNS, padded } from "./columns.js";
import { inNextFrame } from "./paint.js";
import { placement } from "./placement.js";

const FALLBACK_ROW_PX = 22;
const ROWS_PER_FRAME = 48;
// The scroll range grows in steps of this many rows: a new height is a layout of the scroller,
// which per view would cost a little at every rate for nothing the eye sees.
const RANGE_STEP_ROWS = 1000;

export class Blotter {
  /**
   * @param {HTMLElement} scroller the scrolling viewport
   * @param {HTMLElement} sizer its content, as tall as all the rows
   * @param {HTMLTableElement} table pinned in the viewport
   * @param {{onWindow: (from: number, count: number) => void, onSelect: (id: number) => void}} handlers
   */
  constructor(scroller, sizer, table, handlers) {
    this.scroller = scroller;
    this.sizer = sizer;
    this.table = table;
    this.body = table.tBodies[0];
    this.handlers = handlers;
    /** the rows, in DOM order as of the last view */
    this.rows = [];
    this.rowOf = new Map();
    this.header();
    this.rowPx = FALLBACK_ROW_PX;
    this.headPx = 0;
    this.measured = false;
    this.from = 0;
    this.rangeRows = 0;
    this.selected = null;
    // The view being written, frame by frame; a newer one replaces it.
    this.writing = null;
    scroller.addEventListener("scroll", () => this.onScroll(), { passive: true });
    this.body.addEventListener("click", (event) => {
      const row = this.rowOf.get(event.target.closest("tr"));
      if (row && row.id !== null) handlers.onSelect(row.id);
    });
    new ResizeObserver(() => this.fit()).observe(scroller);
  }

  /** As many rows as the viewport holds, plus one partly shown. Reads layout: only on resize. */
  fit() {
    this.inDomOrder();
    const shown = this.rows.find((row) => !row.tr.hidden);
    if (shown) {
      this.rowPx = shown.tr.getBoundingClientRect().height || this.rowPx;
      this.measured = true;
    }
    this.headPx = this.table.tHead.getBoundingClientRect().height;
    this.sizer.style.height = `${this.headPx + this.rangeRows * this.rowPx}px`;
    const count = Math.max(1, Math.ceil((this.scroller.clientHeight - this.headPx) / this.rowPx) + 1);
    while (this.rows.length < count) this.rows.push(this.makeRow());
    while (this.rows.length > count) {
      const row = this.rows.pop();
      row.tr.remove();
      this.rowOf.delete(row.tr);
    }
    this.handlers.onWindow(this.from, count);
  }

  header() {
    const tr = this.table.tHead.insertRow();
    COLUMNS.forEach((column, index) => {
      const th = document.createElement("th");
      th.textContent = padded(column.label, index);
      tr.appendChild(th);
    });
  }

  makeRow() {
    const tr = document.createElement("tr");
    const cells = [];
    const textNodes = COLUMNS.map((column) => {
      const td = document.createElement("td");
      if (column.cls) td.className = column.cls;
      const text = document.createTextNode("");
      td.appendChild(text);
      tr.appendChild(td);
      cells.push(td);
      return text;
    });
    tr.hidden = true;
    this.body.appendChild(tr);
    const row = { tr, cells, textNodes, texts: new Array(cells.length).fill(""), cls: "", sell: null, id: null };
    this.rowOf.set(tr, row);
    return row;
  }

  /** The rows in the order the DOM has them (a view written only in part leaves them moved). */
  inDomOrder() {
    this.rows = Array.from(this.body.children, (tr) => this.rowOf.get(tr));
  }

  /** The inquiry on the top row, or null. */
  topId() {
    const first = this.body.firstElementChild;
    return first === null || first.hidden ? null : this.rowOf.get(first).id;
  }

  onScroll() {
    const from = Math.floor(this.scroller.scrollTop / this.rowPx);
    if (from === this.from) return;
    this.from = from;
    this.handlers.onWindow(from, this.rows.length);
  }

  /** Back to the newest inquiries. */
  toTop() {
    this.scroller.scrollTop = 0;
    this.from = 0;
  }

  /**
   * Writes `page` over the next frames (in one if `urgent`); `done` gets the main thread's time
   * for those frames.
   * @param {{total: number, from: number, rows: {id: number, texts: string[], cls: string, sell: boolean}[]}} page
   * @param {boolean} urgent
   * @param {(ms: number) => void} done
   */
  show(page, urgent, done) {
    this.inDomOrder();
    const plan = placement(this.rows.map((row) => row.id), page.rows.map((row) => row.id));
    const writing = { page, plan, next: 0, spentMs: 0, perFrame: urgent ? Infinity : ROWS_PER_FRAME };
    this.writing = writing;
    const step = () => inNextFrame(() => this.writeSome(writing), (ms) => {
      writing.spentMs += ms;
      if (this.writing !== writing) return;
      if (writing.next < this.rows.length) step();
      else { this.writing = null; done(writing.spentMs); }
    });
    step();
  }

  /** Stops writing the current view (a newer one is coming); true if there was one. */
  abandon() {
    const had = this.writing !== null;
    this.writing = null;
    return had;
  }

  /** Places and fills the next slots, top first, until `perFrame` rows were rewritten. */
  writeSome(writing) {
    if (this.writing !== writing) return;
    const { page, plan } = writing;
    if (writing.next === 0) this.setRange(page.total);
    let rewritten = 0;
    while (writing.next < this.rows.length && rewritten < writing.perFrame) {
      const slot = writing.next++;
      const index = plan.rowAt[slot];
      const row = this.rows[index];
      if (!plan.stays[index]) {
        // Right after the row of the slot above: rows not yet placed sit below it.
        const anchor = slot === 0 ? this.body.firstChild : this.rows[plan.rowAt[slot - 1]].tr.nextSibling;
        if (anchor !== row.tr) this.body.insertBefore(row.tr, anchor);
      }
      const data = page.rows[slot];
      if (data === undefined) {
        if (!row.tr.hidden) row.tr.hidden = true;
        row.id = null;
        continue;
      }
      if (this.fill(row, data) || !plan.kept[index]) rewritten += 1;
    }
    // The row height is known once a row shows.
    if (!this.measured && page.rows.length) this.fit();
  }

  setRange(total) {
    const rangeRows = Math.ceil(total / RANGE_STEP_ROWS) * RANGE_STEP_ROWS;
    if (rangeRows === this.rangeRows) return;
    this.rangeRows = rangeRows;
    this.sizer.style.height = `${this.headPx + rangeRows * this.rowPx}px`;
  }

  /** Writes what differs from what the row shows; true if anything did. */
  fill(row, data) {
    let changed = false;
    for (let c = 0; c < data.texts.length; c++) {
      if (row.texts[c] !== data.texts[c]) {
        row.texts[c] = data.texts[c];
        row.textNodes[c].data = data.texts[c];
        changed = true;
      }
    }
    row.id = data.id;
    const cls = data.cls + (data.id === this.selected ? " selected" : "");
    if (row.cls !== cls) { row.cls = cls; row.tr.className = cls; changed = true; }
    if (row.sell !== data.sell) { row.sell = data.sell; row.cells[4].className = data.sell ? "side sell" : "side buy"; changed = true; }
    if (row.tr.hidden) { row.tr.hidden = false; changed = true; }
    return changed;
  }

  /** Mark the selected inquiry's row (null: none). */
  select(id) {
    this.selected = id;
    for (const row of this.rows) {
      if (row.id === null) continue;
      const cls = row.cls.replace(" selected", "") + (row.id === id ? " selected" : "");
      if (row.cls !== cls) { row.cls = cls; row.tr.className = cls; }
    }
  }
}
