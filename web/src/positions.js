// Positions grid: books down, instruments across, each cell the notional, quantity and DONE count
// of its key as Redis holds them. The feed worker sends only the positions that changed; a cell
// is written only when its value did, and flashes (at most once per FLASH_MS).
import { integer, signedCents, signedInteger } from "./format.js";

const FLASH_MS = 1000;
const FLASH_ON_MS = 250;

function sideClass(notional) {
  return notional > 0 ? "pos long" : notional < 0 ? "pos short" : "pos flat";
}

export class PositionsGrid {
  /** @param {HTMLTableElement} table */
  constructor(table) {
    this.table = table;
    this.cells = new Map();
    this.totals = new Map();
  }

  /**
   * @param {{names: {books: string[], instruments: string[]} | null,
   *          cells: {key: string, notional: number, quantity: number, sequence: number}[],
   *          totals: {instrument: string, notional: number, quantity: number, sequence: number}[]}} delta
   */
  apply(delta) {
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
  }

  write(cell, position, now, flash) {
    if (cell.notional === position.notional && cell.quantity === position.quantity && cell.sequence === position.sequence) return;
    const first = cell.notional === null;
    const up = position.notional >= cell.notional;
    cell.notional = position.notional;
    cell.quantity = position.quantity;
    cell.sequence = position.sequence;
    cell.notionalText.textContent = signedCents(position.notional);
    cell.quantityText.textContent = signedInteger(position.quantity);
    cell.doneText.textContent = `${integer(position.sequence)} DONE`;
    if (cell.total) return;
    cell.td.dataset.notional = String(position.notional);
    cell.td.dataset.quantity = String(position.quantity);
    cell.td.dataset.done = String(position.sequence);
    cell.td.className = sideClass(position.notional) + (cell.flashing ? ` ${cell.flashing}` : "");
    // A flash is one class on and one off, at most once per FLASH_MS: cheap even when every key
    // changes many times a second.
    if (flash && !first && now - cell.flashedMs > FLASH_MS) {
      cell.flashedMs = now;
      cell.flashing = up ? "flash-up" : "flash-down";
      cell.td.classList.add(cell.flashing);
      setTimeout(() => {
        cell.flashing = "";
        cell.td.className = sideClass(cell.notional);
      }, FLASH_ON_MS);
    }
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
      div.textContent = text;
      td.appendChild(div);
      return div;
    };
    return {
      td,
      total,
      notionalText: line("notional", "–"),
      quantityText: line("qty", ""),
      doneText: line("done", ""),
      notional: null,
      quantity: null,
      sequence: null,
      flashedMs: 0,
      flashing: "",
    };
  }
}
