/**
 * Replication's cost and lag: redis-benchmark SET (100k random keys, `clients` clients, -P 1
 * and -P 16) through the bridge with REPLICAS=0 and REPLICAS=1 (target: ≥ 0.8×); the
 * replication lag under that load, sampled every LAG_SAMPLE_MS while the -P 16 run goes on —
 * in bytes (INFO replication of group 0's primary: master_repl_offset minus its replica's
 * acknowledged offset) and in ms (a marker written on a connection of its own, then read on a
 * READONLY connection until its replica returns it); then read throughput with replicas
 * serving reads: pipelined GETs on `clients` connections that sent READONLY first
 * (redis-benchmark cannot), against the same on the primaries (READWRITE) and REPLICAS=0.
 */
import { fixed, int, ratio, table } from "./format.mjs";
import { RespClient } from "./resp.mjs";
import { redisBenchmark } from "./throughput.mjs";

const LAG_SAMPLE_MS = 20;
const KEYS = 100_000;

/** redis-benchmark's key for `i` under -r (key:__rand_int__ is 12 digits, zero-padded). */
const keyOf = (i) => `key:${String(i).padStart(12, "0")}`;

function percentile(sorted, p) {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** The fields of an INFO reply. */
function infoFields(text) {
  const out = {};
  for (const line of String(text).split("\r\n")) {
    const at = line.indexOf(":");
    if (at > 0) out[line.slice(0, at)] = line.slice(at + 1);
  }
  return out;
}

/** Group 0's primary offset minus its replica's acknowledged one (bytes), from INFO replication. */
async function offsetLag(c) {
  const f = infoFields(await c.command("INFO", "replication"));
  const acked = /offset=(\d+)/.exec(f.slave0 ?? "")?.[1];
  return acked === undefined ? NaN : Number(f.master_repl_offset) - Number(acked);
}

/** ms from a marker's write (acknowledged) until a READONLY read returns it. */
async function visibilityLag(writer, reader, n) {
  const value = `m${n}-${Date.now()}`;
  await writer.command("SET", "bench:repl:marker", value);
  const start = performance.now();
  for (;;) {
    if ((await reader.command("GET", "bench:repl:marker")) === value) return performance.now() - start;
    if (performance.now() - start > 10_000) return Infinity;
  }
}

/** Samples both lags until `done` resolves; returns the sorted samples. */
async function sampleLag(port, done) {
  const info = await RespClient.connect(port);
  const writer = await RespClient.connect(port);
  const reader = await RespClient.connect(port);
  await reader.command("READONLY");
  const bytes = [];
  const ms = [];
  let finished = false;
  done.then(() => (finished = true));
  try {
    for (let n = 0; !finished; n++) {
      bytes.push(await offsetLag(info));
      ms.push(await visibilityLag(writer, reader, n));
      await new Promise((r) => setTimeout(r, LAG_SAMPLE_MS));
    }
  } finally {
    info.close();
    writer.close();
    reader.close();
  }
  return { bytes: bytes.filter((b) => !Number.isNaN(b)).sort((a, b) => a - b), ms: ms.sort((a, b) => a - b) };
}

/** Pipelined GETs of random keys on `clients` connections, `depth` per round trip: commands/s. */
async function readThroughput(port, { clients, depth, total, readonly }) {
  const conns = await Promise.all(Array.from({ length: clients }, () => RespClient.connect(port)));
  try {
    if (readonly) await Promise.all(conns.map((c) => c.command("READONLY")));
    let left = total;
    const start = performance.now();
    await Promise.all(
      conns.map(async (c) => {
        while (left > 0) {
          left -= depth;
          const cmds = Array.from({ length: depth }, () => ["GET", keyOf(Math.floor(Math.random() * KEYS))]);
          await c.pipeline(cmds);
        }
      }),
    );
    return total / ((performance.now() - start) / 1000);
  } finally {
    for (const c of conns) c.close();
  }
}

/** Loads `KEYS` keys for the reads, pipelined. */
async function preload(port) {
  const c = await RespClient.connect(port);
  try {
    await c.load(KEYS, (i) => ["SET", keyOf(i), "xxx"], { batch: 1000, window: 4 });
  } finally {
    c.close();
  }
}

/** Waits until group 0's replica has acknowledged everything (idle after a load). */
async function caughtUp(port) {
  const c = await RespClient.connect(port);
  try {
    for (let i = 0; i < 200; i++) {
      if ((await offsetLag(c)) === 0) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    c.close();
  }
}

/**
 * @param {{ withHotslot: (vars: object, fn: (h: { port: number, vars: object }) => Promise<any>) => Promise<any>, requests: number, clients: number, log: (s?: string) => void }} o
 */
export async function replication({ withHotslot, requests, clients, log }) {
  log("### Replication: write cost, lag under load, replica reads\n");
  const setArgs = (depth) => ["-n", String(requests * (depth === 1 ? 1 : 2)), "-c", String(clients), "-P", String(depth), "-r", String(KEYS), "-t", "set"];
  const readTotal = requests * 2;
  const results = {};
  for (const replicas of ["0", "1"]) {
    results[replicas] = await withHotslot({ REPLICAS: replicas }, async (h) => {
      const r = { write: {}, read: {}, shards: h.vars.SHARDS };
      r.write[1] = await redisBenchmark(h.port, setArgs(1));
      // The -P 16 load with the lag sampled alongside it (with REPLICAS=0 too: the same extra load).
      const bench = redisBenchmark(h.port, setArgs(16));
      [r.write[16], r.lag] = await Promise.all([bench, sampleLag(h.port, bench.catch(() => {}))]);
      await preload(h.port);
      if (replicas === "1") await caughtUp(h.port);
      for (const depth of [1, 16]) {
        r.read[depth] = { primary: await readThroughput(h.port, { clients, depth, total: readTotal, readonly: false }) };
        if (replicas === "1") r.read[depth].replica = await readThroughput(h.port, { clients, depth, total: readTotal, readonly: true });
      }
      return r;
    });
  }
  const [r0, r1] = [results["0"], results["1"]];
  log(`Hotslot: ${r1.shards} shards under wrangler dev, through the TCP bridge; ${clients} clients; everything on this machine (replicas are objects in the same workerd process, so they share its cores).\n`);
  log(
    table(
      ["SET, 100k keys", "REPLICAS=0 ops/s", "REPLICAS=1 ops/s", "1 ÷ 0", "REPLICAS=1 p50 ms"],
      [1, 16].map((d) => [`-P ${d}`, int(r0.write[d].rps), int(r1.write[d].rps), ratio(r1.write[d].rps, r0.write[d].rps, 2), fixed(r1.write[d].p50, 2)]),
      "lrrrr",
    ),
  );
  log("");
  const { bytes, ms } = r1.lag;
  log(`Replication lag during the SET -P 16 run (${bytes.length} samples, every ${LAG_SAMPLE_MS} ms, group 0):\n`);
  log(
    table(
      ["lag", "p50", "p99", "max"],
      [
        ["offset (bytes of effects not yet acknowledged)", int(percentile(bytes, 50)), int(percentile(bytes, 99)), int(bytes.at(-1))],
        ["ms until a write is readable on the replica", fixed(percentile(ms, 50)), fixed(percentile(ms, 99)), fixed(ms.at(-1))],
      ],
      "lrrr",
    ),
  );
  log("");
  log(`Reads: GET of random keys (100k loaded), ${clients} connections, ${int(readTotal)} commands per row:\n`);
  log(
    table(
      ["GET", "REPLICAS=0 ops/s", "REPLICAS=1 primaries ops/s", "REPLICAS=1 READONLY (replicas) ops/s", "READONLY ÷ primaries"],
      [1, 16].map((d) => [`-P ${d}`, int(r0.read[d].primary), int(r1.read[d].primary), int(r1.read[d].replica), ratio(r1.read[d].replica, r1.read[d].primary, 2)]),
      "lrrrr",
    ),
  );
  log("");
}
