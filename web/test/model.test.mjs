// The page's model without a browser: snapshots reset, the highest version wins, positions and
// per-second figures follow the frames. Run by `npm test` (node's own test runner).
import assert from "node:assert/strict";
import { test } from "node:test";
import { Model } from "../src/model.js";
import { Status } from "../src/wire.js";

const inquiry = (inquiryId, version, status, extra = {}) => ({
  inquiryId, version, status, bookId: "BOOK1", instrumentId: "AAPL", createdNs: 0, ...extra,
});
const position = (notional) => ({ bookId: "BOOK1", instrumentId: "AAPL", notional, quantity: 1, sequence: 1 });

test("a snapshot replaces everything, later frames add to it", () => {
  const model = new Model();
  model.apply({ snapshot: false, inquiries: [inquiry(1, 1, Status.NEW)], positions: [] }, 1000);
  model.apply({ snapshot: true, inquiries: [inquiry(2, 1, Status.NEW)], positions: [position(5)] }, 1000);
  assert.deepEqual([...model.inquiries.keys()], [2]);
  assert.equal(model.positions.get("BOOK1|AAPL").notional, 5);
  model.apply({ snapshot: false, inquiries: [inquiry(3, 1, Status.NEW)], positions: [position(7)] }, 1000);
  assert.deepEqual(model.order, [2, 3]);
  assert.equal(model.positions.get("BOOK1|AAPL").notional, 7);
});

test("an older version never replaces a newer one", () => {
  const model = new Model();
  model.apply({ snapshot: false, inquiries: [inquiry(1, 3, Status.DONE)], positions: [] }, 1000);
  model.apply({ snapshot: false, inquiries: [inquiry(1, 2, Status.POSITION_ENRICHED)], positions: [] }, 1000);
  assert.equal(model.inquiries.get(1).status, Status.DONE);
  assert.deepEqual(model.order, [1]);
});

test("completed inquiries feed the per-second figures", () => {
  const model = new Model();
  const createdNs = 1_000 * 1e6;
  const frames = [
    inquiry(1, 3, Status.DONE, { createdNs, enrichedNs: createdNs + 1e6, decidedNs: createdNs + 2e6 }),
    inquiry(2, 3, Status.NOT_DONE, { createdNs, enrichedNs: createdNs + 1e6, decidedNs: createdNs + 2e6 }),
  ];
  model.apply({ snapshot: false, inquiries: frames, positions: [] }, 1_004);
  model.tick(2_000_000);
  const last = model.history.last();
  assert.equal(last.rate, 2);
  assert.equal(last.doneRatio, 50);
  assert.equal(last.p50, 4);
});
