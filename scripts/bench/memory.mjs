/**
 * Memory: bytes per key for the same data in redis-server and in Hotslot: the growth of
 * used_memory (INFO memory) over the load, divided by the keys loaded. Hotslot's is the sum
 * over shards of each shard's accounted heap bytes (the constants of src/engine/memory.ts).
 * Beside it, what the same commands really cost on the V8 heap of workerd, measured after
 * a full GC with the engine alone (scripts/bench/heap.mjs): the check on the accounting.
 * Datasets (scripts/bench/datasets.mjs), each loaded into a fresh Hotslot (keys spread over
 * every shard) and a flushed redis-server:
 * - 1,000,000 small strings: 16-byte keys, 8-byte values (as calibrate-memory.mjs);
 * - 100,000 small hashes of 10 fields (8-byte names, 8-byte values);
 * - 100,000 small sorted sets of 10 members (8-byte members, scores with 2 decimals).
 * Redis keeps the small hashes and sorted sets as listpacks, its most compact encoding.
 * Evictions must be 0 (the Worker is started with a MAXMEMORY that fits, noeviction).
 */
import { SMALL_DATASETS } from "./datasets.mjs";
import { fixed, ratio, table } from "./format.mjs";
import { measureHeap } from "./heap.mjs";
import { parseInfo, RespClient } from "./resp.mjs";
import { withClient } from "./targets.mjs";

const CONNECTIONS = 4;

async function info(port, section) {
  return withClient(port, async (c) => parseInfo(await c.command("INFO", section)));
}

/** Loads `make(0..n-1)` over CONNECTIONS connections, each a contiguous share; seconds. */
async function load(port, n, make) {
  const clients = await Promise.all(Array.from({ length: CONNECTIONS }, () => RespClient.connect(port)));
  const start = performance.now();
  try {
    const share = Math.ceil(n / CONNECTIONS);
    await Promise.all(clients.map((c, k) => c.load(Math.max(0, Math.min(share, n - k * share)), (i) => make(k * share + i), { batch: 1000, window: 4 })));
  } finally {
    for (const c of clients) c.close();
  }
  return (performance.now() - start) / 1000;
}

/** Loads one dataset into a target: { used (bytes), seconds, evicted }. */
async function measure(port, ds) {
  await withClient(port, (c) => c.command("DBSIZE")); // every shard up before the baseline
  const before = (await info(port, "memory")).used_memory;
  const seconds = await load(port, ds.keys, ds.make);
  const after = (await info(port, "memory")).used_memory;
  const stats = await info(port, "stats");
  const size = await withClient(port, (c) => c.command("DBSIZE"));
  if (size !== ds.keys) throw new Error(`${ds.title}: DBSIZE ${size} after loading, expected ${ds.keys}`);
  return { used: after - before, seconds, evicted: stats.evicted_keys ?? 0 };
}

export async function memory({ redisPort, withHotslot, log }) {
  const rows = [];
  const out = {};
  let vars;
  const heap = await measureHeap(Object.entries(SMALL_DATASETS).map(([kind, ds]) => ({ kind, n: ds.keys })));
  for (const [k, [kind, ds]] of Object.entries(SMALL_DATASETS).entries()) {
    // A fresh Worker per dataset, so each starts from empty shards.
    const h = await withHotslot(async (hotslot) => {
      vars = hotslot.vars;
      return measure(hotslot.port, ds);
    });
    if (h.evicted) throw new Error(`${ds.title}: Hotslot evicted ${h.evicted} keys; raise MAXMEMORY`);
    await withClient(redisPort, (c) => c.command("FLUSHALL"));
    const r = await measure(redisPort, ds);
    await withClient(redisPort, (c) => c.command("FLUSHALL"));
    const measured = heap[k].heap;
    out[kind] = { keys: ds.keys, elements: ds.elements, redis: r, hotslot: h, heap: measured };
    rows.push([
      ds.title,
      fixed(r.used / ds.keys),
      fixed(h.used / ds.keys),
      ratio(h.used, r.used),
      fixed(measured / ds.keys),
      ratio(measured, r.used),
      ds.elements === ds.keys ? "—" : `${fixed(r.used / ds.elements)} / ${fixed(h.used / ds.elements)}`,
      `${fixed(r.seconds)} / ${fixed(h.seconds)}`,
    ]);
  }
  log(`### Memory per key\n`);
  log(
    `used_memory growth (INFO memory) over the load ÷ keys loaded. Hotslot's used_memory is its accounting, summed over ${vars.SHARDS} shards (started with MAXMEMORY=${vars.MAXMEMORY}, MAXMEMORY_POLICY=${vars.MAXMEMORY_POLICY}; nothing was evicted). "Hotslot heap" is the same commands' real cost on workerd's V8 heap after a full GC, measured with the engine alone. Loaded over ${CONNECTIONS} connections in pipelines of 1,000 commands.\n`,
  );
  log(table(["data", "redis B/key", "Hotslot B/key (used_memory)", "ratio", "Hotslot heap B/key (measured)", "ratio", "B/element redis / Hotslot", "load s redis / Hotslot"], rows, "lrrrrrrr"));
  log("");
  return out;
}
