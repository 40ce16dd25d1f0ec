// The selected inquiry's whole life (lifecycle.js works it out in the feed worker): one row per
// stage with its time, the time since creation, when this page received it, and the position
// it was enriched with or the reason it was declined.
import { cents, clock, duration, integer, signedCents, signedInteger } from "./format.js";

const STAGE_CLASS = { NEW: "st-new", POSITION_ENRICHED: "st-enriched", DONE: "st-done", NOT_DONE: "st-notdone" };

export class HistoryPanel {
  /** @param {HTMLElement} panel @param {() => void} onClose */
  constructor(panel, onClose) {
    this.panel = panel;
    this.title = panel.querySelector("#inquiry-id");
    this.terms = panel.querySelector("#inquiry-terms");
    this.body = panel.querySelector("#stages tbody");
    this.note = panel.querySelector("#inquiry-note");
    panel.querySelector("#inquiry-close").addEventListener("click", onClose);
  }

  /** @param {any} history what lifecycle() returned, or {id, missing, keep} */
  show(history) {
    this.panel.hidden = history.id === null;
    if (history.id === null) return;
    this.panel.dataset.id = String(history.id);
    this.title.textContent = String(history.id);
    if (history.missing) {
      this.terms.textContent = "";
      this.body.replaceChildren();
      this.note.textContent = `Not among the inquiries this page holds (the newest ${integer(history.keep)} it saw since it connected).`;
      return;
    }
    this.terms.textContent = `${history.bookId} · ${history.instrumentId} · ${history.side} ${integer(history.quantity)} @ ${cents(history.price)}` +
      `${history.counterparty ? " · " + history.counterparty : ""} · version ${history.version}`;
    const created = history.stages[0].ns;
    this.body.replaceChildren(...history.stages.map((stage) => this.row(stage, created, history.firstSeenInSnapshot)));
    const unseen = history.stages.some((stage) => stage.seenMs === null);
    this.note.textContent = unseen
      ? "A stage this page did not receive (the gateway sends only an inquiry's latest state per flush, or it came before the page's snapshot) shows the time stamped on the inquiry."
      : "";
  }

  row(stage, createdNs, firstSeenInSnapshot) {
    const tr = document.createElement("tr");
    tr.className = STAGE_CLASS[stage.name] ?? "";
    tr.dataset.stage = stage.name;
    tr.dataset.ns = String(stage.ns);
    tr.dataset.seen = stage.seenMs === null ? "0" : "1";
    const received = stage.seenMs !== null
      ? clock(stage.seenMs) + (stage.inSnapshot ? " (snapshot)" : "")
      : firstSeenInSnapshot ? "before the snapshot" : "conflated";
    let detail = "";
    if (stage.name === "POSITION_ENRICHED") {
      tr.dataset.position = String(stage.position);
      tr.dataset.positionQuantity = String(stage.positionQuantity);
      tr.dataset.sequence = String(stage.sequence);
      detail = `${signedCents(stage.position)} · ${signedInteger(stage.positionQuantity)} · ${integer(stage.sequence)} DONE`;
    } else if (stage.rejectReason) {
      detail = stage.rejectReason;
    }
    const since = stage.ns && createdNs ? "+" + duration((stage.ns - createdNs) / 1e6) : "";
    for (const text of [stage.name, stage.ns ? clock(stage.ns / 1e6) : "–", since, received, detail]) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.appendChild(td);
    }
    return tr;
  }
}
