// Positions grid: books down, instruments across, each cell the notional, quantity and DONE count
// of its key as Redis holds them. The feed worker sends only the positions that changed; a cell
// is written only when its value did (into its lines' own Text nodes), and flashes, at most once
// per FLASH_MS. A flash ends with the next positions update (they come 4 times a second while
// positions change), all in the same frame, or after FLASH_ON_MS when none comes: one timer for
// the grid, not one per cell.
import { integer, signedCents, signedInteger } from "./format.js";

const FLASH_MS = 1000;
const FLASH_ON_MS = 300;

function sideClass(notional) {
  return notional > 0 ? "pos long" : notional < 0 ? "pos short" : "pos flat";
}

export class PositionsGrid {
  /** @param {HTMLTableElement} table */
  constructor(table) {
    this.table = table;
    this.cells = new Map();
    this.totals = new Map();
    /** cells whose flash is on */
    this.flashing = new Set();
    this.flashTimer = null;
  }

  /**
   * @param {{names: {books: string[], instruments: string[]} | null,
   *          cells: {key: string, notional: number, quantity: number, sequence: number}[],
   *          totals: {instrument: string, notional: number, quantity: number, sequence: number}[]}} delta
   */
  apply(delta) {
    this.endFlashes();
    if (delta.names) this.build(delta.names.books, delta.names.instruments);
    const now = performance.now();
    for (const position of delta.cells) {
      const cell = this.cells.get(position.key);
      if (cell !== undefined) this.write(cell, position, now, !delta.names);
    }
    for (const total of delta.totals) {
      const cell = this.totals.get(total.instrument);
      if (cell !== undefined) this.write(cell, total, now, false);
    }
    if (this.flashing.size) this.flashTimer = setTimeout(() => this.endFlashes(), FLASH_ON_MS);
  }

  endFlashes() {
    clearTimeout(this.flashTimer);
    this.flashTimer = null;
    for (const cell of this.flashing) {
      cell.flash = "";
      this.setClass(cell);
    }
    this.flashing.clear();
  }

  setClass(cell) {
    const cls = sideClass(cell.notional) + (cell.flash ? ` ${cell.flash}` : "");
    if (cell.cls !== cls) { cell.cls = cls; cell.td.className = cls; }
  }

  write(cell, position, now, flash) {
    if (cell.notional === position.notional && cell.quantity === position.quantity && cell.sequence === position.sequence) return;
    const first = cell.notional === null;
    const up = position.notional >= cell.notional;
    cell.notional = position.notional;
    cell.quantity = position.quantity;
    cell.sequence = position.sequence;
    cell.notionalText.data = signedCents(position.notional);
    cell.quantityText.data = signedInteger(position.quantity);
    cell.doneText.data = `${integer(position.sequence)} DONE`;
    if (cell.total) return;
    cell.td.dataset.notional = String(position.notional);
    cell.td.dataset.quantity = String(position.quantity);
    cell.td.dataset.done = String(position.sequence);
    if (flash && !first && now - cell.flashedMs > FLASH_MS) {
      cell.flashedMs = now;
      cell.flash = up ? "flash-up" : "flash-down";
      this.flashing.add(cell);
    }
    this.setClass(cell);
  }

  build(books, instruments) {
    this.cells.clear();
    this.totals.clear();
    const head = this.table.tHead;
    const body = this.table.tBodies[0];
    const foot = this.table.tFoot;
    head.replaceChildren();
    body.replaceChildren();
    foot.replaceChildren();
    const hr = head.insertRow();
    hr.appendChild(document.createElement("th"));
    for (const instrument of instruments) {
      const th = document.createElement("th");
      th.textContent = instrument;
      hr.appendChild(th);
    }
    for (const book of books) {
      const tr = body.insertRow();
      const th = document.createElement("th");
      th.textContent = book;
      tr.appendChild(th);
      for (const instrument of instruments) {
        const cell = this.makeCell(tr, "pos flat", false);
        cell.td.dataset.key = `${book}|${instrument}`;
        this.cells.set(cell.td.dataset.key, cell);
      }
    }
    const fr = foot.insertRow();
    const label = document.createElement("th");
    label.textContent = "ALL";
    fr.appendChild(label);
    for (const instrument of instruments) this.totals.set(instrument, this.makeCell(fr, "pos total", true));
  }

  makeCell(tr, className, total) {
    const td = tr.insertCell();
    td.className = className;
    const line = (cls, text) => {
      const div = document.createElement("div");
      div.className = cls;
      const node = document.createTextNode(text);
      div.appendChild(node);
      td.appendChild(div);
      return node;
    };
    return {
      td,
      total,
      cls: className,
      notionalText: line("notional", "–"),
      quantityText: line("qty", ""),
      doneText: line("done", ""),
      notional: null,
      quantity: null,
      sequence: null,
      flashedMs: 0,
      flash: "",
    };
  }
}
