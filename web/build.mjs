// Bundles the dashboard into dist/: app.js (the page's main thread: the views, uPlot), worker.js
// (the feed worker: WebSocket, the protobuf code generated from ../proto/tradefast.proto by
// `npm run proto`, the model), app.css (uPlot's CSS and ours) and index.html.
import { build } from "esbuild";
import { copyFile, mkdir, rm } from "node:fs/promises";

const dist = new URL("./dist/", import.meta.url);
await rm(dist, { recursive: true, force: true });
await mkdir(dist, { recursive: true });
await build({
  entryPoints: { app: "src/main.js", worker: "src/worker.js" },
  bundle: true,
  minify: process.env.TRADEFAST_WEB_MINIFY !== "0",
  sourcemap: true,
  format: "esm",
  target: ["es2020"],
  outdir: "dist",
  logLevel: "warning",
});
for (const name of ["index.html", "favicon.svg"]) {
  await copyFile(new URL(`./src/${name}`, import.meta.url), new URL(name, dist));
}
