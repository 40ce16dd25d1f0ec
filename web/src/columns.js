// The blotter's columns. A row is one line of monospace text (white-space: pre): each cell's text
// is padded to its column's width, so the columns line up without a table layout, and a row lays
// out as one line instead of ten boxes, which took the least main-thread time of those tried.

/** @type {{label: string, width: number, right: boolean, cls: string}[]} */
export const COLUMNS = [
  { label: "id", width: 17, right: true, cls: "id" },
  { label: "time", width: 12, right: false, cls: "" },
  { label: "book", width: 6, right: false, cls: "" },
  { label: "instr", width: 6, right: false, cls: "" },
  { label: "side", width: 5, right: false, cls: "side" },
  { label: "qty", width: 7, right: true, cls: "" },
  { label: "price", width: 9, right: true, cls: "" },
  { label: "status", width: 9, right: false, cls: "status" },
  { label: "position", width: 16, right: true, cls: "" },
  { label: "latency", width: 10, right: true, cls: "" },
];
const GAP = "  ";

/** `text` padded to column `index`'s width and followed by the gap to the next column. */
export function padded(text, index) {
  const column = COLUMNS[index];
  const cell = column.right ? text.padStart(column.width) : text.padEnd(column.width);
  return index === COLUMNS.length - 1 ? cell : cell + GAP;
}
