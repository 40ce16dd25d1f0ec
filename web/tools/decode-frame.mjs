// Decodes one gateway frame (hex on argv) with the dashboard's own decoder and prints it as
// JSON, so tests/web/test_browser_decoding.py can check it against what Python encoded.
import { decodeBatch } from "../src/wire.js";

const bytes = Buffer.from(process.argv[2], "hex");
const batch = decodeBatch(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
const plain = {
  snapshot: batch.snapshot,
  inquiries: batch.inquiries.map((i) => ({
    inquiryId: i.inquiryId, bookId: i.bookId, instrumentId: i.instrumentId, quantity: i.quantity,
    price: i.price, side: i.side, status: i.status, version: i.version, position: i.position,
    createdNs: i.createdNs, decidedNs: i.decidedNs, rejectReason: i.rejectReason,
  })),
  positions: batch.positions.map((p) => ({
    bookId: p.bookId, instrumentId: p.instrumentId, notional: p.notional, quantity: p.quantity,
    sequence: p.sequence,
  })),
};
console.log(JSON.stringify(plain));
