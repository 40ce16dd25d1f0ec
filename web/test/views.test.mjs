// What the feed worker sends the page: the blotter's rows for a query (filters, id search, the
// list Pause froze, the scroll window) and an inquiry's whole life. Run by `npm test`.
import assert from "node:assert/strict";
import { test } from "node:test";
import { lifecycle } from "../src/lifecycle.js";
import { Model } from "../src/model.js";
import { blotterPage, frozenListing, liveListing } from "../src/rows.js";
import { Side, Status } from "../src/wire.js";

const all = { book: "", instrument: "", status: "", search: "", from: 0, count: 3 };
const inquiry = (inquiryId, version, status, extra = {}) => ({
  inquiryId, version, status, bookId: "BOOK1", instrumentId: "AAPL", side: Side.BUY, quantity: 100,
  price: 12345, position: 0, createdNs: 900e6, ...extra,
});

function modelWith(count) {
  const model = new Model();
  const inquiries = [];
  for (let id = 1; id <= count; id++) {
    inquiries.push(inquiry(id, 1, Status.NEW, { bookId: id % 2 ? "BOOK1" : "BOOK2" }));
  }
  model.apply({ snapshot: false, inquiries, positions: [] }, 1000);
  return model;
}

test("rows come newest first, in the window asked for, with their cells' texts", () => {
  const page = blotterPage(liveListing(modelWith(10)), { ...all, from: 2 });
  assert.equal(page.total, 10);
  assert.equal(page.from, 2);
  assert.deepEqual(page.rows.map((r) => r.id), [8, 7, 6]);
  const row = page.rows[0];
  const texts = row.texts.map((text) => text.trim());
  assert.deepEqual([texts[0], texts[2], texts[4], texts[6], texts[7]], ["8", "BOOK2", "BUY", "123.45", "NEW"]);
  // Padded to the columns' widths: every row's cells line up.
  assert.deepEqual(row.texts.map((text) => text.length), [19, 14, 8, 8, 7, 9, 11, 11, 18, 10]);
  assert.equal(row.cls, "st-new");
  assert.equal(row.sell, false);
});

test("a window past the end is moved back to the last rows", () => {
  const page = blotterPage(liveListing(modelWith(4)), { ...all, from: 50 });
  assert.equal(page.from, 1);
  assert.deepEqual(page.rows.map((r) => r.id), [3, 2, 1]);
});

test("filters and the id search narrow the rows and their count", () => {
  const model = modelWith(30);
  const book2 = blotterPage(liveListing(model), { ...all, book: "BOOK2", count: 100 });
  assert.equal(book2.total, 15);
  assert.ok(book2.rows.every((r) => r.texts[2].trim() === "BOOK2"));
  const search = blotterPage(liveListing(model), { ...all, search: "2", count: 100 });
  assert.deepEqual(search.rows.map((r) => r.id), [29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 12, 2]);
  model.apply({ snapshot: false, inquiries: [inquiry(7, 2, Status.POSITION_ENRICHED)], positions: [] }, 1000);
  const enriched = blotterPage(liveListing(model), { ...all, status: String(Status.POSITION_ENRICHED) });
  assert.deepEqual(enriched.rows.map((r) => r.id), [7]);
});

test("a frozen list keeps its rows and their states while updates go on", () => {
  const model = modelWith(3);
  const frozen = frozenListing(model);
  model.apply({ snapshot: false, inquiries: [inquiry(4, 1, Status.NEW), inquiry(3, 3, Status.DONE)], positions: [] }, 1000);
  const page = blotterPage(frozen, all);
  assert.deepEqual(page.rows.map((r) => [r.id, r.texts[7].trim()]), [[3, "NEW"], [2, "NEW"], [1, "NEW"]]);
  const live = blotterPage(liveListing(model), all);
  assert.deepEqual(live.rows.map((r) => [r.id, r.texts[7].trim()]), [[4, "NEW"], [3, "DONE"], [2, "NEW"]]);
});

test("an inquiry's life: every stage with its stamp, the enrichment and when the page saw it", () => {
  const model = new Model();
  const stamps = { createdNs: 1e18, enrichedNs: 1e18 + 2e6, decidedNs: 1e18 + 5e6 };
  const enriched = { ...stamps, position: -4200, positionQuantity: -300, sequence: 7 };
  model.apply({ snapshot: false, inquiries: [inquiry(9, 1, Status.NEW, { createdNs: stamps.createdNs })], positions: [] }, 1000);
  model.apply({ snapshot: false, inquiries: [inquiry(9, 2, Status.POSITION_ENRICHED, enriched)], positions: [] }, 1002);
  model.apply({ snapshot: false, inquiries: [inquiry(9, 3, Status.DONE, enriched)], positions: [] }, 1005);
  const life = lifecycle(model.inquiries.get(9));
  assert.deepEqual(life.stages.map((s) => [s.name, s.ns, s.seenMs]), [
    ["NEW", stamps.createdNs, 1000],
    ["POSITION_ENRICHED", stamps.enrichedNs, 1002],
    ["DONE", stamps.decidedNs, 1005],
  ]);
  assert.deepEqual([life.stages[1].position, life.stages[1].positionQuantity, life.stages[1].sequence], [-4200, -300, 7]);
  assert.equal(life.firstSeenInSnapshot, false);
});

test("stages the gateway conflated away still show, from the stamps, as not seen", () => {
  const model = new Model();
  const stamps = { createdNs: 1e18, enrichedNs: 1e18 + 2e6, decidedNs: 1e18 + 5e6, position: 100, rejectReason: "position limit" };
  model.apply({ snapshot: false, inquiries: [inquiry(5, 3, Status.NOT_DONE, stamps)], positions: [] }, 1010);
  const life = lifecycle(model.inquiries.get(5));
  assert.deepEqual(life.stages.map((s) => [s.name, s.ns, s.seenMs]), [
    ["NEW", stamps.createdNs, null],
    ["POSITION_ENRICHED", stamps.enrichedNs, null],
    ["NOT_DONE", stamps.decidedNs, 1010],
  ]);
  assert.equal(life.stages[1].position, 100);
  assert.equal(life.stages[2].rejectReason, "position limit");
});

test("an inquiry not yet decided has only the stages it reached", () => {
  const model = new Model();
  model.apply({ snapshot: true, inquiries: [inquiry(6, 2, Status.POSITION_ENRICHED, { createdNs: 1e18, enrichedNs: 1e18 + 1e6 })], positions: [] }, 1000);
  const life = lifecycle(model.inquiries.get(6));
  assert.deepEqual(life.stages.map((s) => s.name), ["NEW", "POSITION_ENRICHED"]);
  assert.equal(life.firstSeenInSnapshot, true);
  assert.equal(life.stages[1].inSnapshot, true);
});
