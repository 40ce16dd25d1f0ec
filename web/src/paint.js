// Frame timing on the main thread.

const afterPaint = new MessageChannel();
const waiting = [];
afterPaint.port1.onmessage = () => waiting.shift()();

/**
 * Runs `work` in the next animation frame, then calls back once that frame is rendered with the
 * main thread's time for it: from the animation frame callback to the end of its paint (the
 * work, style, layout, paint, and whatever else changed in that frame). A message posted from an
 * animation frame callback runs after that frame's rendering.
 * @param {() => void} work
 * @param {(ms: number) => void} done
 */
export function inNextFrame(work, done) {
  requestAnimationFrame(() => {
    const started = performance.now();
    work();
    waiting.push(() => done(performance.now() - started));
    afterPaint.port2.postMessage(null);
  });
}
