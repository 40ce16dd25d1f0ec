// The WebSocket to the gateway: binary frames in, reconnect with capped exponential backoff.
import { decodeBatch } from "./wire.js";

// Asks the gateway for its batched format (a snapshot, then InquiryBatch frames); a client that
// asks for nothing gets the original system's, one Inquiry per frame.
const BATCH_PROTOCOL = "tradefast.batch.v1";
const MIN_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 5000;

/**
 * @param {string} url
 * @param {{onBatch: (batch: any, receivedMs: number) => void,
 *          onState: (state: string, detail: string) => void}} handlers
 */
export function connectFeed(url, handlers) {
  let attempt = 0;

  function open() {
    handlers.onState("connecting", url);
    const socket = new WebSocket(url, [BATCH_PROTOCOL]);
    socket.binaryType = "arraybuffer";
    socket.onopen = () => {
      attempt = 0;
      handlers.onState("live", url);
    };
    socket.onmessage = (event) => {
      if (typeof event.data === "string") return;
      const receivedMs = performance.timeOrigin + performance.now();
      let batch;
      try {
        batch = decodeBatch(event.data);
      } catch (error) {
        console.error("undecodable frame", error);
        return;
      }
      handlers.onBatch(batch, receivedMs);
    };
    socket.onclose = (event) => {
      const delay = Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** attempt);
      attempt += 1;
      const jittered = Math.round(delay * (0.75 + Math.random() * 0.5));
      const why = event.code ? `closed ${event.code}${event.reason ? ": " + event.reason : ""}` : "closed";
      handlers.onState("reconnecting", `${why}; retry in ${(jittered / 1000).toFixed(1)} s`);
      setTimeout(open, jittered);
    };
  }

  open();
}
