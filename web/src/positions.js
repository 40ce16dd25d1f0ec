// Positions grid: books down, instruments across; a cell flashes when its position changes.
import { signedCents, signedInteger } from "./format.js";

export class PositionsGrid {
  /** @param {HTMLTableElement} table */
  constructor(table) {
    this.table = table;
    this.cells = new Map();
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
      if (!first && position.changedMs) {
        cell.td.animate(
          [{ boxShadow: "inset 0 0 0 1px rgba(255, 214, 102, 0.9)", backgroundColor: "rgba(255, 214, 102, 0.22)" }, { boxShadow: "inset 0 0 0 1px rgba(255, 214, 102, 0)", backgroundColor: "rgba(255, 214, 102, 0)" }],
          { duration: 600, easing: "ease-out" },
        );
      }
    }
  }

  build(books, instruments, shape) {
    this.shape = shape;
    this.cells.clear();
    this.seen.clear();
    const head = this.table.tHead;
    const body = this.table.tBodies[0];
    head.replaceChildren();
    body.replaceChildren();
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
        this.cells.set(td.dataset.key, { td, notional, quantity });
      }
    }
  }
}
