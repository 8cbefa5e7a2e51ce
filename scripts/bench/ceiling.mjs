/**
 * The runtime ceiling section: the throughput issue's rows, measured in one sitting for
 * redis-server, the ceiling (`../shared/ceiling/bench.sh` when present: a relay into ONE
 * Durable Object answering SET from a Map — no router, no RPC, no log) and Hotslot with its
 * default settings (persistence on), each Hotslot row with its ratio to both.
 *
 * Rows (redis-benchmark SET over 100,000 random keys through a TCP bridge):
 *   c50 P1, c50 P16, c1 P16, c1 P1 — clients × pipeline depth;
 *   ws100x16 — 100-command RESP frames (SET/GET alternating), 16 frames in flight on one
 *   WebSocket, measured with the ceiling's own tool (tools/respws.cjs, installed by bench.sh
 *   in /tmp/hotslot-ceiling); redis-server's comparable row is c1 P128.
 * The durable ceiling column (scripts/bench/durable-ceiling.mjs) is the ceiling plus one
 * durable commit per frame that writes: for one client (c1 rows) no design that acknowledges
 * only durable writes can pass it here, whatever its hops.
 * Also: shard RPCs per command at c50 P16, from INFO stats `hotslot_rpc_calls` summed over
 * the shards (when the Worker reports it).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runDurableCeiling } from "./durable-ceiling.mjs";
import { withClient } from "./targets.mjs";
import { redisBenchmark } from "./throughput.mjs";
import { int, ratio, table } from "./format.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const CEILING_SCRIPT = join(HERE, "../../../shared/ceiling/bench.sh");
const CEILING_DIR = process.env.CEILING_DIR ?? "/tmp/hotslot-ceiling";
const ROWS = [
  ["c50 P1", 50, 1, 20_000],
  ["c50 P16", 50, 16, 100_000],
  ["c1 P16", 1, 16, 100_000],
  ["c1 P1", 1, 1, 5_000],
];

/** Runs the ceiling's bench.sh; returns { c50P1, c50P16, c1P16, c1P1, ws100x16 } or null. */
function runCeiling(log) {
  if (!existsSync(CEILING_SCRIPT)) {
    log(`(no ceiling: ${CEILING_SCRIPT} is not there)`);
    return null;
  }
  const r = spawnSync("bash", [CEILING_SCRIPT], { encoding: "utf8", timeout: 10 * 60_000 });
  const out = `${r.stdout ?? ""}`;
  const figures = {};
  for (const m of out.matchAll(/(c\d+P\d+)=(\d+)/g)) figures[m[1]] = Number(m[2]);
  const ws = /ceiling ws100x16 (\{.*\})/.exec(out);
  if (ws) figures.ws100x16 = JSON.parse(ws[1]).cmds_per_s;
  if (Object.keys(figures).length === 0) {
    log(`(the ceiling printed nothing usable: ${out.trim() || r.stderr})`);
    return null;
  }
  return figures;
}

/** 100-command frames, 16 in flight, one connection, with the ceiling's tool; cmds/s or null. */
function wsFrames(url, token) {
  const tool = join(CEILING_DIR, "tools/respws.cjs");
  const node = join(CEILING_DIR, "node_modules/.bin/node");
  if (!existsSync(tool)) return null;
  const wsUrl = url.replace(/^http/, "ws") + "/";
  const r = spawnSync(existsSync(node) ? node : process.execPath, [tool, wsUrl, "16", "5", "100", "1", token], {
    encoding: "utf8",
    timeout: 120_000,
  });
  const last = `${r.stdout ?? ""}`.trim().split("\n").pop() ?? "";
  try {
    const result = JSON.parse(last);
    return result.errors === 0 ? result.cmds_per_s : null;
  } catch {
    return null;
  }
}

/** The sum of `hotslot_rpc_calls` in INFO stats, or null when the Worker does not report it. */
async function rpcCalls(port) {
  const info = await withClient(port, (c) => c.command("INFO", "stats"));
  const m = /^hotslot_rpc_calls:(\d+)/m.exec(String(info));
  return m ? Number(m[1]) : null;
}

export async function ceiling({ redisPort, hotslot, log }) {
  log(`### Against the runtime ceiling (same sitting)\n`);
  const ceil = runCeiling(log);
  const durable = ceil ? await runDurableCeiling({ rows: ROWS, ceilingDir: CEILING_DIR, log }) : null;
  const rows = [];
  for (const [label, clients, pipeline, requests] of ROWS) {
    const args = ["-t", "set", "-r", "100000", "-n", String(requests), "-c", String(clients), "-P", String(pipeline)];
    const redis = (await redisBenchmark(redisPort, args)).rps;
    const before = label === "c50 P16" ? await rpcCalls(hotslot.port) : null;
    const ours = (await redisBenchmark(hotslot.port, args)).rps;
    if (before !== null) {
      const after = await rpcCalls(hotslot.port);
      if (after !== null) log(`Shard RPCs per command at c50 P16: ${((after - before) / requests).toFixed(4)} (${after - before} RPCs for ${requests} SETs).\n`);
    }
    const c = ceil?.[label.replace(" ", "")] ?? null;
    const d = durable?.[label.replace(" ", "")] ?? null;
    rows.push([label, int(redis), c ? int(c) : "n/a", d ? `${int(d)} (${ratio(d, c)})` : "n/a", int(ours), ratio(ours, c), ratio(ours, d), ratio(ours, redis)]);
  }
  const redisP128 = (await redisBenchmark(redisPort, ["-t", "set", "-r", "100000", "-n", "400000", "-c", "1", "-P", "128"])).rps;
  const frames = wsFrames(hotslot.url, hotslot.token);
  const c = ceil?.ws100x16 ?? null;
  const d = durable?.ws100x16 ?? null;
  rows.push([
    "100-cmd frames ×16 in flight, 1 conn",
    `${int(redisP128)} (c1 P128)`,
    c ? int(c) : "n/a",
    d ? `${int(d)} (${ratio(d, c)})` : "n/a",
    frames ? int(frames) : "n/a",
    ratio(frames, c),
    ratio(frames, d),
    ratio(frames, redisP128),
  ]);
  log(table(["row", "redis-server", "ceiling", "durable ceiling (÷ ceiling)", "Hotslot", "÷ ceiling", "÷ durable ceiling", "÷ redis-server"], rows));
  log("");
}
