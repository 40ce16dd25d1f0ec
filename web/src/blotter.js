// The blotter, virtualised: only as many rows exist as the viewport shows, and scrolling or new
// inquiries rewrite their cells (only those whose text changed). A tall sizer gives the scroll
// bar its length; the table stays pinned at the top of the viewport (position: sticky) and shows
// the rows from the first visible index on. The feed worker says which rows those are.
//
// At thousands of inquiries a second every view replaces every row, and laying out and painting
// a screenful of new text takes longer than a frame on a slow or busy machine: a view is written
// ROWS_PER_FRAME rows per animation frame, top first, so no frame carries all of it; except the
// answer to something the user did, written in one frame.
import { COLUMNS, padded } from "./columns.js";
import { inNextFrame } from "./paint.js";
const FALLBACK_ROW_PX = 22;
const ROWS_PER_FRAME = 12;

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
    this.rows = [];
    this.header();
    this.rowPx = FALLBACK_ROW_PX;
    this.headPx = 0;
    this.measured = false;
    this.from = 0;
    this.total = 0;
    this.selected = null;
    // The view being written, frame by frame; a newer one replaces it.
    this.writing = null;
    scroller.addEventListener("scroll", () => this.onScroll(), { passive: true });
    this.body.addEventListener("click", (event) => {
      const tr = event.target.closest("tr");
      const row = this.rows.find((r) => r.tr === tr);
      if (row && row.id !== null) handlers.onSelect(row.id);
    });
    new ResizeObserver(() => this.fit()).observe(scroller);
  }

  /** As many rows as the viewport holds, plus one partly shown. Reads layout: only on resize. */
  fit() {
    const shown = this.rows.find((row) => !row.tr.hidden);
    if (shown) {
      this.rowPx = shown.tr.getBoundingClientRect().height || this.rowPx;
      this.measured = true;
    }
    this.headPx = this.table.tHead.getBoundingClientRect().height;
    this.sizer.style.height = `${this.headPx + this.total * this.rowPx}px`;
    const count = Math.max(1, Math.ceil((this.scroller.clientHeight - this.headPx) / this.rowPx) + 1);
    while (this.rows.length < count) this.rows.push(this.makeRow());
    while (this.rows.length > count) this.rows.pop().tr.remove();
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
    const cells = COLUMNS.map((column) => {
      const td = document.createElement("td");
      if (column.cls) td.className = column.cls;
      tr.appendChild(td);
      return td;
    });
    tr.hidden = true;
    this.body.appendChild(tr);
    return { tr, cells, texts: new Array(cells.length).fill(""), cls: "", sell: null, id: null };
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
    const writing = { page, next: 0, spentMs: 0, perFrame: urgent ? this.rows.length : ROWS_PER_FRAME };
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

  writeSome(writing) {
    if (this.writing !== writing) return;
    const { page } = writing;
    if (writing.next === 0 && page.total !== this.total) {
      this.total = page.total;
      this.sizer.style.height = `${this.headPx + page.total * this.rowPx}px`;
    }
    const end = Math.min(this.rows.length, writing.next + writing.perFrame);
    for (let i = writing.next; i < end; i++) {
      const row = this.rows[i];
      const data = page.rows[i];
      if (data === undefined) {
        if (!row.tr.hidden) row.tr.hidden = true;
        row.id = null;
        continue;
      }
      this.fill(row, data);
    }
    writing.next = end;
    // The row height is known once a row shows.
    if (!this.measured && page.rows.length) this.fit();
  }

  fill(row, data) {
    for (let c = 0; c < data.texts.length; c++) {
      if (row.texts[c] !== data.texts[c]) {
        row.texts[c] = data.texts[c];
        row.cells[c].textContent = data.texts[c];
      }
    }
    row.id = data.id;
    const cls = data.cls + (data.id === this.selected ? " selected" : "");
    if (row.cls !== cls) { row.cls = cls; row.tr.className = cls; }
    if (row.sell !== data.sell) { row.sell = data.sell; row.cells[4].className = data.sell ? "side sell" : "side buy"; }
    if (row.tr.hidden) row.tr.hidden = false;
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
