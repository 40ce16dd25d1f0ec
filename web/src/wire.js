// Decoding of the gateway's frames with code generated from proto/tradefast.proto (npm run proto).
import "./longs.js";
import { tradefast } from "./gen/tradefast.js";

export const Status = tradefast.Status;
export const Side = tradefast.Side;

/** @param {ArrayBuffer} buffer */
export function decodeBatch(buffer) {
  return tradefast.InquiryBatch.decode(new Uint8Array(buffer));
}
