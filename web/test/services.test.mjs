// The header's line of services that are down, from /services.json. Run by `npm test`.
import assert from "node:assert/strict";
import { test } from "node:test";
import { downLine } from "../src/services.js";

const service = (name, up, exitCode = null, restarts = 0) => ({ name, up, pid: up ? 1 : null, exitCode, restarts });

test("nothing to show when every service is up or no supervisor runs", () => {
  assert.equal(downLine({ services: [service("position", true), service("trader", true)] }), null);
  assert.equal(downLine({ services: [] }), null);
});

test("each service that is down is named with its exit code and restarts", () => {
  const status = { supervisor: 7, services: [service("position", false, 1, 3), service("trader", true), service("gateway", false, -9, 0)] };
  assert.equal(downLine(status), "position down, exit 1, restarts 3 · gateway down, exit -9, restarts 0");
});
