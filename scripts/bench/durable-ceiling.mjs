/**
 * Runs the durable ceiling probe (scripts/bench/durable-ceiling/worker.ts: the runtime
 * ceiling plus one durable commit per frame that writes) under wrangler dev and measures
 * the ceiling section's rows against it, with the ceiling's own bridge and frame tool (from
 * the ceiling's directory, installed by its bench.sh), so the two columns differ only by the
 * commit. Returns { c50P1, c50P16, c1P16, c1P1, ws100x16 } or null when it cannot run.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { redisBenchmark } from "./throughput.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, "../..");
const CONFIG = join(HERE, "durable-ceiling/wrangler.toml");
const { freePort } = await import("../../test/e2e/setup/worker.ts");

async function waitForPort(port, seconds) {
  const { connect } = await import("node:net");
  for (let i = 0; i < seconds * 4; i++) {
    const open = await new Promise((resolve) => {
      const s = connect(port, "127.0.0.1", () => (s.destroy(), resolve(true)));
      s.on("error", () => resolve(false));
    });
    if (open) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

function startDetached(cmd, args, env) {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"], detached: true });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr = (stderr + d).slice(-4000)));
  return { child, stderr: () => stderr, stop: () => { try { process.kill(-child.pid, "SIGTERM"); } catch {} } };
}

/** `rows`: [label, clients, pipeline, requests] as in ceiling.mjs; `ceilingDir`: where bench.sh installed its tools. */
export async function runDurableCeiling({ rows, ceilingDir, log }) {
  const bridgeTool = join(ceilingDir, "tools/bridge.cjs");
  const framesTool = join(ceilingDir, "tools/respws.cjs");
  if (!existsSync(bridgeTool) || !existsSync(framesTool)) {
    log(`(no durable ceiling: the ceiling's tools are not in ${ceilingDir})`);
    return null;
  }
  const state = await mkdtemp(join(tmpdir(), "hotslot-durable-ceiling-"));
  const port = await freePort();
  const bridgePort = await freePort();
  const wrangler = startDetached(
    process.execPath,
    [join(ROOT, "node_modules/wrangler/bin/wrangler.js"), "dev", "-c", CONFIG, "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(await freePort()), "--log-level", "warn", "--persist-to", state],
    { X_LOCAL_OBSERVABILITY: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" },
  );
  let bridge;
  try {
    if (!(await waitForPort(port, 90))) {
      log(`(the durable ceiling did not start: ${wrangler.stderr().trim()})`);
      return null;
    }
    bridge = startDetached(process.execPath, [bridgeTool, String(bridgePort), `ws://127.0.0.1:${port}/`], {});
    await waitForPort(bridgePort, 10);
    const figures = {};
    for (const [label, clients, pipeline, requests] of rows) {
      const args = ["-t", "set", "-r", "100000", "-n", String(requests), "-c", String(clients), "-P", String(pipeline)];
      figures[label.replace(" ", "")] = (await redisBenchmark(bridgePort, args)).rps;
    }
    const r = spawnSync(process.execPath, [framesTool, `ws://127.0.0.1:${port}/`, "16", "5", "100", "1"], { encoding: "utf8", timeout: 120_000 });
    try {
      const result = JSON.parse(`${r.stdout ?? ""}`.trim().split("\n").pop() ?? "");
      if (result.errors === 0) figures.ws100x16 = result.cmds_per_s;
    } catch {}
    return figures;
  } finally {
    bridge?.stop();
    wrangler.stop();
    await rm(state, { recursive: true, force: true });
  }
}
