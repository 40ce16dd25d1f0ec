// Where the blotter's rows go when a view arrives (placement.js): rows keep the inquiries the
// view still shows, and as few rows as possible move. Run by `npm test`.
import assert from "node:assert/strict";
import { test } from "node:test";
import { placement } from "../src/placement.js";

/** The rows' DOM order after moving the rows that do not stay, as the blotter does. */
function arranged(current, plan) {
  const order = current.map((_, row) => row);
  plan.rowAt.forEach((row, slot) => {
    if (plan.stays[row]) return;
    order.splice(order.indexOf(row), 1);
    const before = slot === 0 ? 0 : order.indexOf(plan.rowAt[slot - 1]) + 1;
    order.splice(before, 0, row);
  });
  return order;
}

const moved = (plan) => plan.stays.filter((stays) => !stays).length;

test("a new inquiry on top moves the bottom row up and keeps the others' inquiries", () => {
  const current = [5, 4, 3, 2, 1];
  const plan = placement(current, [6, 5, 4, 3, 2]);
  assert.deepEqual(plan.rowAt, [4, 0, 1, 2, 3]);
  assert.deepEqual(plan.kept, [true, true, true, true, false]);
  assert.equal(moved(plan), 1);
  assert.deepEqual(arranged(current, plan), plan.rowAt);
});

test("scrolling one row down moves the top row to the bottom", () => {
  const current = [5, 4, 3, 2, 1];
  const plan = placement(current, [4, 3, 2, 1, 0]);
  assert.deepEqual(plan.rowAt, [1, 2, 3, 4, 0]);
  assert.equal(moved(plan), 1);
  assert.deepEqual(arranged(current, plan), plan.rowAt);
});

test("a screenful of new inquiries moves no row and keeps none", () => {
  const current = [5, 4, 3, 2, 1];
  const plan = placement(current, [10, 9, 8, 7, 6]);
  assert.deepEqual(plan.rowAt, [0, 1, 2, 3, 4]);
  assert.equal(moved(plan), 0);
  assert.ok(plan.kept.every((kept) => !kept));
});

test("fewer inquiries than rows: the rows left over go last, and empty rows are reused", () => {
  const current = [null, 3, null, 2, 1];
  const plan = placement(current, [4, 3, 1]);
  assert.deepEqual(plan.rowAt.slice(0, 3), [0, 1, 4]);
  assert.deepEqual(arranged(current, plan).slice(0, 3), [0, 1, 4]);
  assert.equal(new Set(plan.rowAt).size, current.length);
});

test("any order of inquiries ends in the wanted order", () => {
  const current = [1, 2, 3, 4, 5, 6];
  const wanted = [6, 9, 2, 5, 1, 8];
  const plan = placement(current, wanted);
  const order = arranged(current, plan);
  assert.deepEqual(order, plan.rowAt);
  order.forEach((row, slot) => {
    if (plan.kept[row]) assert.equal(current[row], wanted[slot]);
  });
  // At most two rows are already in the wanted order (a longest increasing run): four move.
  assert.equal(moved(plan), 4);
});
