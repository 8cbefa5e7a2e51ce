/**
 * Live resharding: loads 100,000 keys (100-byte values) into 4 groups, then reshards 4 → 8
 * (POST /admin/reshard, polled on GET /admin/topology) while 20 connections keep writing, and
 * reports the keys and MB moved per second and the write load's throughput and p99 during the
 * migration (exactly its window) against the same load for 3 s before it (4 groups) and for
 * as long as the migration took after it (8 groups); then reshards back 8 → 4 with no load
 * (an idle deployment's migration speed). BENCH_RESHARD_OPTIONS (JSON) adds POST
 * /admin/reshard's tuning, e.g. {"pauseMs":20,"batchKeys":250}: gentler on the load, slower. No redis-server equivalent (it has no live
 * resharding of a single endpoint), so no ratio.
 */
import { fixed, int, percentile, sleep, table } from "./format.mjs";
import { RespClient } from "./resp.mjs";
import { redisBenchmark } from "./throughput.mjs";
import { withClient } from "./targets.mjs";

const CONNECTIONS = 20;

/** 20 connections each writing SET over the 100k keys, one at a time, until `until()` resolves: ops/s and p99 ms. */
async function writeLoad(port, until) {
  const clients = await Promise.all(Array.from({ length: CONNECTIONS }, () => RespClient.connect(port)));
  const latencies = [];
  let stop = false;
  const started = performance.now();
  const loops = clients.map(async (c) => {
    while (!stop) {
      const t = performance.now();
      await c.command("SET", `key:${String(Math.floor(Math.random() * 100000)).padStart(12, "0")}`, "x".repeat(100));
      latencies.push(performance.now() - t);
    }
  });
  await until();
  stop = true;
  await Promise.all(loops);
  const seconds = (performance.now() - started) / 1000;
  for (const c of clients) c.close();
  return { rps: latencies.length / seconds, p99: percentile(latencies, 99), seconds };
}

export const RESHARD_ADMIN_TOKEN = "bench-admin-token";
/** The Worker this section measures: 4 groups, the admin token for /admin/reshard. */
export const RESHARD_VARS = { SHARDS: "4", HOTSLOT_ADMIN_TOKEN: RESHARD_ADMIN_TOKEN };

async function admin(url, method, path, body) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${RESHARD_ADMIN_TOKEN}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** Runs a reshard (POST /admin/reshard, polled on GET /admin/topology) to its end: the finished job. */
async function reshardJob(url, body) {
  await admin(url, "POST", "/admin/reshard", body);
  for (;;) {
    const slots = (await admin(url, "GET", "/admin/topology")).slots;
    if (!slots.job && slots.lastJob?.finishedAt) return slots.lastJob;
    await sleep(100);
  }
}

/** @param {{ hotslot: { port: number, url: string }, log: (s: string) => void }} o */
export async function reshard({ hotslot, log, options = JSON.parse(process.env.BENCH_RESHARD_OPTIONS ?? "{}") }) {
  await redisBenchmark(hotslot.port, ["-c", "50", "-P", "16", "-n", "300000", "-r", "100000", "-d", "100", "-t", "set"]);
  const keys = await withClient(hotslot.port, (c) => c.command("DBSIZE"));
  const before = await writeLoad(hotslot.port, () => sleep(3000));
  let job;
  const during = await writeLoad(hotslot.port, async () => void (job = await reshardJob(hotslot.url, { shards: 8, ...options })));
  const after = await writeLoad(hotslot.port, () => sleep(during.seconds * 1000));
  const seconds = (job.finishedAt - job.startedAt) / 1000;
  // The same tuning with no load at all (8 → 4): how fast an idle deployment migrates.
  const idle = await reshardJob(hotslot.url, { shards: 4, ...options });
  const idleSeconds = (idle.finishedAt - idle.startedAt) / 1000;
  log(`### Live resharding: 4 → 8 groups under a write load (options ${JSON.stringify(options)})\n`);
  log(`${int(keys)} keys of 100-byte values; the load is SET over the same 100k keys from ${CONNECTIONS} connections, one command at a time each, for 3 s before the reshard, during it, and for as long after it.\n`);
  log(
    table(
      ["", "value"],
      [
        ["keys moved", int(job.keysMoved)],
        ["MB moved", fixed(job.bytesMoved / 1048576, 1)],
        ["reshard time", `${fixed(seconds, 1)} s`],
        ["keys moved / s", int(job.keysMoved / seconds)],
        ["MB moved / s", fixed(job.bytesMoved / 1048576 / seconds, 2)],
        // busyMs: how long batches held their source (no client served there meanwhile).
        ["batches; time they held a source", `${int(job.batches)}; ${fixed((job.busyMs ?? 0) / 1000, 1)} s (${int(((job.busyMs ?? 0) / 1000 / seconds) * 100)}% of the reshard)`],
        ["SET ops/s before / during / after", `${int(before.rps)} / ${int(during.rps)} / ${int(after.rps)} (during ÷ before ${fixed(during.rps / before.rps, 2)}×)`],
        ["SET p99 ms before / during / after", `${fixed(before.p99, 1)} / ${fixed(during.p99, 1)} / ${fixed(after.p99, 1)}`],
        ["idle reshard 8 → 4 (no load): keys moved / s", `${int(idle.keysMoved / idleSeconds)} (${int(idle.keysMoved)} keys in ${fixed(idleSeconds, 1)} s)`],
      ],
      "lr",
    ),
  );
  log("");
}
