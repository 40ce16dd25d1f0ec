// Where the blotter's existing rows go when a view arrives. A row already showing an inquiry the
// view still shows keeps it (its text stays, only its place may change); the others are reused
// for the inquiries new to the screen. Of the rows, as few as possible move in the DOM: those
// outside the longest run already in the wanted order. When one new inquiry comes on top, one
// row moves (the bottom one, to the top, rewritten) instead of every row being rewritten.

/**
 * @param {(number | null)[]} current the inquiry id each row shows, in DOM order (null: none)
 * @param {number[]} wanted the ids the view shows, top first (at most current.length)
 * @returns {{rowAt: number[], stays: boolean[], kept: boolean[]}} per slot (top first, one per
 *   row): which row goes there; per row: whether it stays where it is in the DOM, whether it
 *   keeps the inquiry it shows
 */
export function placement(current, wanted) {
  const slotOf = new Map();
  wanted.forEach((id, slot) => slotOf.set(id, slot));
  const rowAt = new Array(current.length).fill(-1);
  const kept = new Array(current.length).fill(false);
  const free = [];
  current.forEach((id, row) => {
    const slot = id === null ? undefined : slotOf.get(id);
    if (slot !== undefined && rowAt[slot] === -1) {
      rowAt[slot] = row;
      kept[row] = true;
    } else {
      free.push(row);
    }
  });
  // Reused rows fill the open slots in their DOM order, so a screenful of new inquiries moves
  // nothing.
  let next = 0;
  for (let slot = 0; slot < rowAt.length; slot++) if (rowAt[slot] === -1) rowAt[slot] = free[next++];
  const slotOfRow = new Array(current.length);
  rowAt.forEach((row, slot) => { slotOfRow[row] = slot; });
  return { rowAt, stays: increasingRun(slotOfRow), kept };
}

/** Marks a longest strictly increasing subsequence of `values` (patience sorting). */
function increasingRun(values) {
  const tails = []; // index into values of the smallest tail of each run length
  const before = new Array(values.length).fill(-1);
  values.forEach((value, i) => {
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (values[tails[mid]] < value) lo = mid + 1; else hi = mid;
    }
    if (lo > 0) before[i] = tails[lo - 1];
    tails[lo] = i;
  });
  const marked = new Array(values.length).fill(false);
  for (let i = tails.length ? tails[tails.length - 1] : -1; i !== -1; i = before[i]) marked[i] = true;
  return marked;
}
