// Positions grid: books down, instruments across; a cell flashes when its position changes.
import { signedCents, signedInteger } from "./format.js";

const FLASH_MS = 600;

export class PositionsGrid {
  /** @param {HTMLTableElement} table */
  constructor(table) {
    this.table = table;
    this.cells = new Map();
    this.totals = new Map();
    this.shape = "";
    this.seen = new Map();
  }

  /** @param {import("./model.js").Model} model */
  render(model) {
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
      cell.td.className = position.notional > 0 ? "pos long" : position.notional < 0 ? "pos short" : "pos flat";
      // At high rates a key changes many times a second: one flash per FLASH_MS is enough.
      if (!first && position.changedMs && position.changedMs - cell.flashedMs > FLASH_MS) {
        cell.flashedMs = position.changedMs;
        const up = position.notional >= cell.lastNotional;
        cell.td.animate(
          [{ backgroundColor: up ? "rgba(63, 185, 160, 0.35)" : "rgba(255, 107, 107, 0.35)" }, { backgroundColor: "rgba(20, 27, 36, 1)" }],
          { duration: FLASH_MS, easing: "ease-out" },
        );
      }
      cell.lastNotional = position.notional;
    }
  }

  build(books, instruments, shape) {
    this.shape = shape;
    this.cells.clear();
    this.totals.clear();
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
        this.cells.set(td.dataset.key, { td, notional, quantity, flashedMs: 0, lastNotional: 0 });
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
