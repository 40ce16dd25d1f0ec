// Positions grid: books down, instruments across; a cell flashes when its position changes.
import { signedCents, signedInteger } from "./format.js";

// At most one flash per cell per FLASH_MS, lit for FLASH_ON_MS of it.
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
    this.flashing = new Set();
    this.shape = "";
    this.seen = new Map();
  }

  /** @param {import("./model.js").Model} model */
  render(model) {
    const now = performance.now();
    for (const cell of this.flashing) {
      if (now - cell.flashedMs > FLASH_ON_MS) {
        cell.flash = "";
        cell.td.className = sideClass(Number(cell.td.dataset.notional));
        this.flashing.delete(cell);
      }
    }
    if (!model.positionsDirty) return;
    model.positionsDirty = false;
    const books = [...model.books].sort();
    const instruments = [...model.instruments].sort();
    const shape = books.join(",") + "/" + instruments.join(",");
    if (shape !== this.shape) this.build(books, instruments, shape);
    const totals = new Map();
    for (const position of model.positions.values()) {
      const total = totals.get(position.instrument) ?? { notional: 0, quantity: 0 };
      total.notional += position.notional;
      total.quantity += position.quantity;
      totals.set(position.instrument, total);
    }
    for (const [instrument, total] of totals) {
      const cell = this.totals.get(instrument);
      if (cell === undefined) continue;
      cell.notional.textContent = signedCents(total.notional);
      cell.quantity.textContent = signedInteger(total.quantity);
    }
    for (const [key, position] of model.positions) {
      const cell = this.cells.get(key);
      if (cell === undefined) continue;
      const stamp = `${position.notional}/${position.quantity}/${position.sequence}`;
      if (this.seen.get(key) === stamp) continue;
      const first = !this.seen.has(key);
      this.seen.set(key, stamp);
      cell.notional.textContent = signedCents(position.notional);
      cell.quantity.textContent = signedInteger(position.quantity);
      cell.td.dataset.notional = String(position.notional);
      cell.td.dataset.quantity = String(position.quantity);
      // A flash is one class on, one class off (two repaints), at most one per FLASH_MS: cheap
      // even when every key changes many times a second.
      if (!first && position.changedMs && now - cell.flashedMs > FLASH_MS) {
        cell.flashedMs = now;
        cell.flash = position.notional >= cell.lastNotional ? " flash-up" : " flash-down";
        this.flashing.add(cell);
      }
      cell.td.className = sideClass(position.notional) + cell.flash;
      cell.lastNotional = position.notional;
    }
  }

  build(books, instruments, shape) {
    this.shape = shape;
    this.cells.clear();
    this.totals.clear();
    this.flashing.clear();
    this.seen.clear();
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
        const td = tr.insertCell();
        td.className = "pos flat";
        td.dataset.key = `${book}|${instrument}`;
        const notional = document.createElement("div");
        notional.className = "notional";
        notional.textContent = "–";
        const quantity = document.createElement("div");
        quantity.className = "qty";
        td.append(notional, quantity);
        this.cells.set(td.dataset.key, { td, notional, quantity, flashedMs: 0, lastNotional: 0, flash: "" });
      }
    }
    const fr = foot.insertRow();
    const label = document.createElement("th");
    label.textContent = "ALL";
    fr.appendChild(label);
    for (const instrument of instruments) {
      const td = fr.insertCell();
      td.className = "pos total";
      const notional = document.createElement("div");
      notional.className = "notional";
      const quantity = document.createElement("div");
      quantity.className = "qty";
      td.append(notional, quantity);
      this.totals.set(instrument, { notional, quantity });
    }
  }
}
