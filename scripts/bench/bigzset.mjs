/**
 * Large collection: one sorted set grown to 10,000, 100,000 and 1,000,000 members, in
 * redis-server and in Hotslot (through the bridge), with the same members and scores.
 * At each size:
 * - cost per operation of ZADD (a new member; removed again afterwards, untimed), ZRANK
 *   (a random existing member), ZRANGE 0 9 and ZRANGE from the middle rank: measured as
 *   pipelines of BATCH commands (one RPC in Hotslot), median over ROUNDS, divided by BATCH
 *   — this is where an O(n) step would show; plus the round trip of one command at a time
 *   (median of sequential calls), which is dominated by the transport;
 * - memory per member: MEMORY USAGE (Redis with SAMPLES 0, i.e. exact) and used_memory
 *   growth (INFO memory; Hotslot's is its accounting, summed over shards), and the real
 *   heap cost of the same ZADDs in workerd after a full GC (scripts/bench/heap.mjs).
 * A key lives on one shard, so the whole set is in one Durable Object: its memory is
 * compared with the 128 MB isolate limit.
 */
import { BIG_ZSET_KEY as KEY, BIG_ZSET_SIZES as SIZES, bigMember as member, bigZadd, bigZaddCount, MEMBERS_PER_ZADD } from "./datasets.mjs";
import { fixed, int, mb, median, ratio, table, us } from "./format.mjs";
import { measureHeap } from "./heap.mjs";
import { encodeCommands, parseInfo, RespClient, seededRandom } from "./resp.mjs";

const BATCH = 2000;
const ROUNDS = 15;
const SEQUENTIAL = 200;
const ISOLATE_LIMIT = 128 * 1024 * 1024;

async function usedMemory(c) {
  return parseInfo(await c.command("INFO", "memory")).used_memory;
}

/** Per-op µs of `make(j)` commands in pipelines of BATCH; `after(cmds)` runs untimed after each round. */
async function pipelinedCost(c, make, after) {
  const per = [];
  for (let r = 0; r < ROUNDS; r++) {
    const cmds = Array.from({ length: BATCH }, (_, j) => make(r, j));
    const bytes = encodeCommands(cmds);
    const t = performance.now();
    await c.sendRaw(bytes, BATCH);
    per.push(((performance.now() - t) * 1000) / BATCH);
    if (after) await after(cmds);
  }
  return median(per);
}

async function roundTrip(c, make) {
  const t = [];
  for (let j = 0; j < SEQUENTIAL; j++) {
    const argv = make(0, j);
    const s = performance.now();
    await c.pipeline([argv]);
    t.push((performance.now() - s) * 1000);
  }
  return median(t);
}

export async function bigZset({ redisPort, hotslot, log }) {
  const heap = await measureHeap(SIZES.map((n) => ({ kind: "bigzset", n })));
  const targets = {
    redis: { c: await RespClient.connect(redisPort), built: 0, buildSeconds: 0 },
    hotslot: { c: await RespClient.connect(hotslot.port), built: 0, buildSeconds: 0 },
  };
  const rows = [];
  const memRows = [];
  const summary = { sizes: {} };
  try {
    await targets.redis.c.command("FLUSHALL");
    await targets.hotslot.c.command("DEL", KEY);
    await targets.hotslot.c.command("DBSIZE"); // every shard up before the baselines
    for (const t of Object.values(targets)) t.baseline = await usedMemory(t.c);

    for (const size of SIZES) {
      for (const t of Object.values(targets)) {
        const from = t.built;
        t.buildSeconds += await t.c.load(bigZaddCount(from, size), (k) => bigZadd(from, size, k), { batch: 20, window: 2 });
        t.built = size;
        const card = await t.c.command("ZCARD", KEY);
        if (card !== size) throw new Error(`ZCARD ${card}, expected ${size}`);
      }
      const measured = heap[SIZES.indexOf(size)].heap;
      const mem = {};
      for (const [name, t] of Object.entries(targets)) {
        mem[name] = {
          usage: name === "redis" ? await t.c.command("MEMORY", "USAGE", KEY, "SAMPLES", "0") : await t.c.command("MEMORY", "USAGE", KEY),
          total: await usedMemory(t.c),
        };
        mem[name].used = mem[name].total - t.baseline;
      }
      // Only this key is stored, so the sum over shards is (an upper bound of) its shard's.
      const shardUsed = mem.hotslot.total;
      memRows.push([
        int(size),
        fixed(mem.redis.usage / size),
        fixed(mem.hotslot.usage / size),
        ratio(mem.hotslot.usage, mem.redis.usage),
        fixed(mem.redis.used / size),
        fixed(mem.hotslot.used / size),
        fixed(measured / size),
        `${mb(shardUsed)} / ${mb(measured)} (${((Math.max(shardUsed, measured) / ISOLATE_LIMIT) * 100).toFixed(0)}%)`,
      ]);

      const rankOf = seededRandom(size);
      const ops = [
        ["ZADD (new member)", (r, j) => ["ZADD", KEY, (rankOf() * 1e6).toFixed(3), `new:${r}:${j}`], (cmds) => cmds.map((a) => ["ZREM", KEY, a[3]])],
        ["ZRANK (random member)", () => ["ZRANK", KEY, member(Math.floor(rankOf() * size))]],
        ["ZRANGE 0 9", () => ["ZRANGE", KEY, "0", "9"]],
        [`ZRANGE from the middle`, () => ["ZRANGE", KEY, String(size / 2), String(size / 2 + 9)]],
      ];
      const perSize = {};
      for (const [label, make, cleanup] of ops) {
        const cost = {};
        for (const [name, t] of Object.entries(targets)) {
          const after = cleanup ? async (cmds) => void (await t.c.pipeline(cleanup(cmds))) : undefined;
          cost[name] = { pipelined: await pipelinedCost(t.c, make, after), rtt: await roundTrip(t.c, make) };
          if (cleanup) {
            // roundTrip's ZADDs (round 0) are left: remove them too
            await t.c.pipeline(Array.from({ length: SEQUENTIAL }, (_, j) => ["ZREM", KEY, `new:0:${j}`]));
          }
        }
        perSize[label] = cost;
        rows.push([int(size), label, us(cost.redis.pipelined), us(cost.hotslot.pipelined), ratio(cost.hotslot.pipelined, cost.redis.pipelined), us(cost.redis.rtt), us(cost.hotslot.rtt)]);
      }
      summary.sizes[size] = { mem, heap: measured, shardUsed, ops: perSize };
    }

    const first = summary.sizes[SIZES[0]].ops;
    const last = summary.sizes[SIZES.at(-1)].ops;
    const growth = Object.keys(first).map((op) => `${op} ${ratio(last[op].hotslot.pipelined, first[op].hotslot.pipelined, 2)} (redis-server ${ratio(last[op].redis.pipelined, first[op].redis.pipelined, 2)})`);

    log(`### Large sorted set: one key grown to ${SIZES.map(int).join(" / ")} members\n`);
    log(`Members are 15-byte strings with pseudo-random scores (3 decimals); the same data in both. Hotslot started with MAXMEMORY=${hotslot.vars.MAXMEMORY}, MAXMEMORY_POLICY=${hotslot.vars.MAXMEMORY_POLICY} (the default 64mb would not hold the set); one key lives on one shard.`);
    log(`Built with pipelined ZADDs of ${MEMBERS_PER_ZADD} members: redis-server ${fixed(targets.redis.buildSeconds)} s, Hotslot ${fixed(targets.hotslot.buildSeconds)} s for ${int(SIZES.at(-1))} members.\n`);
    log(`Cost per command in µs: "pipelined" = a pipeline of ${BATCH} commands sent in one write (the bridge forwards each TCP read as one frame, one RPC to the shard), median of ${ROUNDS}, ÷ ${BATCH}; "round trip" = one command at a time, median of ${SEQUENTIAL}.\n`);
    log(table(["members", "command", "redis pipelined µs", "Hotslot pipelined µs", "ratio", "redis round trip µs", "Hotslot round trip µs"], rows, "llrrrrr"));
    log(`\nGrowth of Hotslot's pipelined cost from ${int(SIZES[0])} to ${int(SIZES.at(-1))} members (100× the members; log₂ grows 1.5×): ${growth.join("; ")}.\n`);
    log(
      table(
        ["members", "redis MEMORY USAGE B/member", "Hotslot MEMORY USAGE B/member", "ratio", "redis used_memory B/member", "Hotslot used_memory B/member", "Hotslot heap B/member (measured)", "Hotslot shard: used_memory / heap (of the 128 MB isolate)"],
        memRows,
        "lrrrrrrr",
      ),
    );
    log(
      `\nHotslot's used_memory and MEMORY USAGE are its accounting; "heap (measured)" is what the same ZADDs cost on workerd's V8 heap after a full GC, with the engine alone (scripts/bench/heap.mjs). The last column compares the larger of the two with the isolate's 128 MB.\n`,
    );
    return summary;
  } finally {
    await targets.hotslot.c.command("DEL", KEY).catch(() => {});
    await targets.redis.c.command("FLUSHALL").catch(() => {});
    for (const t of Object.values(targets)) t.c.close();
  }
}
