// Decoding of the gateway's frames with code generated from proto/tradefast.proto (npm run proto).
import $protobuf from "protobufjs/minimal.js";
import { tradefast } from "./gen/tradefast.js";

// int64 fields as plain numbers: ids, cents and nanosecond stamps all fit well enough
// (stamps lose sub-microsecond digits, far below what the charts show).
$protobuf.util.Long = null;
$protobuf.configure();

export const Status = tradefast.Status;
export const Side = tradefast.Side;

/** @param {ArrayBuffer} buffer */
export function decodeBatch(buffer) {
  return tradefast.InquiryBatch.decode(new Uint8Array(buffer));
}
