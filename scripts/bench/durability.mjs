/**
 * What durability costs: SET throughput through the bridge with the append log (the
 * default) and with PERSISTENCE=no (nothing logged), in the same run, at pipeline depth 1
 * and 16; then the snapshot benchmark (scripts/snapshot-bench.mjs: snapshot time, worst
 * pause of requests while a snapshot is taken, recovery time, for 10/50/100 MB — on Node's
 * V8 and SQLite, since workerd's clock does not move during synchronous code).
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { int, ratio, table } from "./format.mjs";
import { redisBenchmark } from "./throughput.mjs";

export async function durability({ withHotslot, requests, clients, log }) {
  log("### Durability: the append log's cost, snapshots and recovery\n");
  const rows = [];
  for (const depth of [1, 16]) {
    const args = ["-n", String(requests * (depth === 1 ? 1 : 2)), "-c", String(clients), "-P", String(depth), "-r", "100000", "-t", "set"];
    const logged = await withHotslot({}, (h) => redisBenchmark(h.port, args));
    const unlogged = await withHotslot({ PERSISTENCE: "no" }, (h) => redisBenchmark(h.port, args));
    rows.push([`SET -P ${depth}`, int(logged.rps), int(unlogged.rps), ratio(logged.rps, unlogged.rps)]);
  }
  log(table(["test", "with the log ops/s", "PERSISTENCE=no ops/s", "with ÷ without"], rows, ["l", "r", "r", "r"]));
  log("");
  const script = fileURLToPath(new URL("../snapshot-bench.mjs", import.meta.url));
  const run = spawnSync(process.execPath, [script], { encoding: "utf8", env: { ...process.env, SNAPSHOT_BENCH_MB: process.env.SNAPSHOT_BENCH_MB ?? "10,50,100" } });
  if (run.status !== 0) throw new Error(`snapshot benchmark failed: ${run.stderr}`);
  log(run.stdout.trim());
  log("");
}
