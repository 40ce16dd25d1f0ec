// The feed worker's model without a browser: snapshots reset, the highest version wins, positions
// and per-second figures follow the frames, each inquiry keeps the states the page saw, and old
// inquiries are evicted. Run by `npm test` (node's own test runner).
import assert from "node:assert/strict";
import { test } from "node:test";
import { Model } from "../src/model.js";
import { Status } from "../src/wire.js";

const inquiry = (inquiryId, version, status, extra = {}) => ({
  inquiryId, version, status, bookId: "BOOK1", instrumentId: "AAPL", createdNs: 0, ...extra,
});
const position = (notional) => ({ bookId: "BOOK1", instrumentId: "AAPL", notional, quantity: 1, sequence: 1 });
const frame = (inquiries, positions = [], snapshot = false) => ({ snapshot, inquiries, positions });

test("a snapshot replaces everything, later frames add to it", () => {
  const model = new Model();
  model.apply(frame([inquiry(1, 1, Status.NEW)]), 1000);
  model.apply(frame([inquiry(2, 1, Status.NEW)], [position(5)], true), 1000);
  assert.deepEqual([...model.inquiries.keys()], [2]);
  assert.equal(model.positions.get("BOOK1|AAPL").notional, 5);
  model.apply(frame([inquiry(3, 1, Status.NEW)], [position(7)]), 1000);
  assert.deepEqual(model.order, [2, 3]);
  assert.equal(model.newest(0).id, 3);
  assert.equal(model.positions.get("BOOK1|AAPL").notional, 7);
  assert.deepEqual([...model.changedPositions], ["BOOK1|AAPL"]);
});

test("an older version never replaces a newer one, nor counts as seen", () => {
  const model = new Model();
  model.apply(frame([inquiry(1, 3, Status.DONE)]), 1000);
  model.apply(frame([inquiry(1, 2, Status.POSITION_ENRICHED)]), 1001);
  const record = model.inquiries.get(1);
  assert.equal(record.latest.status, Status.DONE);
  assert.deepEqual(record.seen.map((s) => s.status), [Status.DONE]);
  assert.deepEqual(model.order, [1]);
});

test("each inquiry keeps every state the page received, with when", () => {
  const model = new Model();
  model.apply(frame([inquiry(1, 1, Status.NEW)], [], true), 1000);
  model.apply(frame([inquiry(1, 2, Status.POSITION_ENRICHED)]), 1005);
  model.apply(frame([inquiry(1, 3, Status.NOT_DONE)]), 1010);
  assert.deepEqual(model.inquiries.get(1).seen, [
    { status: Status.NEW, version: 1, receivedMs: 1000, snapshot: true },
    { status: Status.POSITION_ENRICHED, version: 2, receivedMs: 1005, snapshot: false },
    { status: Status.NOT_DONE, version: 3, receivedMs: 1010, snapshot: false },
  ]);
});

test("the oldest inquiries go once the model holds more than it keeps", () => {
  const model = new Model(10);
  for (let id = 1; id <= 13; id++) model.apply(frame([inquiry(id, 1, Status.NEW)]), 1000);
  assert.equal(model.size, 10);
  assert.equal(model.inquiries.has(3), false);
  assert.equal(model.newest(9).id, 4);
  assert.equal(model.newest(0).id, 13);
});

test("new books and instruments bump the names version, repeats do not", () => {
  const model = new Model();
  model.apply(frame([inquiry(1, 1, Status.NEW)]), 1000);
  const after = model.namesVersion;
  model.apply(frame([inquiry(2, 1, Status.NEW)]), 1000);
  assert.equal(model.namesVersion, after);
  model.apply(frame([inquiry(3, 1, Status.NEW, { bookId: "BOOK2" })]), 1000);
  assert.equal(model.namesVersion, after + 1);
  assert.deepEqual([...model.books].sort(), ["BOOK1", "BOOK2"]);
});

test("completed inquiries feed the per-second figures", () => {
  const model = new Model();
  const createdNs = 1_000 * 1e6;
  const stamps = { createdNs, enrichedNs: createdNs + 1e6, decidedNs: createdNs + 2e6 };
  model.apply(frame([inquiry(1, 3, Status.DONE, stamps), inquiry(2, 3, Status.NOT_DONE, stamps)]), 1_004);
  model.tick(2_000_000);
  const last = model.history.last();
  assert.equal(last.rate, 2);
  assert.equal(last.doneRatio, 50);
  assert.equal(last.p50, 4);
});
