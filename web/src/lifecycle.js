// An inquiry's whole life as the page can tell it: NEW → POSITION_ENRICHED → DONE / NOT_DONE,
// each stage with its time (the stamp the pipeline put on it), the position it was enriched
// with, and when the page received that state. The gateway conflates an inquiry's updates by id,
// so the page may never receive a state (two stages inside one flush), or only the last ones (it
// connected later): such a stage still shows, from the stamps later versions carry, marked as
// not seen.
import { Side, Status } from "./wire.js";

/**
 * @param {import("./model.js").InquiryRecord} record
 */
export function lifecycle(record) {
  const inquiry = record.latest;
  const seen = (status) => record.seen.find((state) => state.status === status) ?? null;
  const stages = [stage("NEW", inquiry.createdNs, seen(Status.NEW))];
  if (inquiry.status !== Status.NEW) {
    stages.push({
      ...stage("POSITION_ENRICHED", inquiry.enrichedNs, seen(Status.POSITION_ENRICHED)),
      position: inquiry.position,
      positionQuantity: inquiry.positionQuantity,
      sequence: inquiry.sequence,
    });
  }
  if (inquiry.status === Status.DONE || inquiry.status === Status.NOT_DONE) {
    const name = inquiry.status === Status.DONE ? "DONE" : "NOT_DONE";
    stages.push({ ...stage(name, inquiry.decidedNs, seen(inquiry.status)), rejectReason: inquiry.rejectReason });
  }
  return {
    id: inquiry.inquiryId,
    bookId: inquiry.bookId,
    instrumentId: inquiry.instrumentId,
    side: inquiry.side === Side.SELL ? "SELL" : "BUY",
    quantity: inquiry.quantity,
    price: inquiry.price,
    counterparty: inquiry.counterparty,
    version: inquiry.version,
    // The page's first sight of it was a snapshot: what came before, it could not receive.
    firstSeenInSnapshot: record.seen[0].snapshot,
    stages,
  };
}

function stage(name, ns, state) {
  return { name, ns, seenMs: state ? state.receivedMs : null, inSnapshot: state ? state.snapshot : false };
}
