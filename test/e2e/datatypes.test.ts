/**
 * Lists, hashes, sets and sorted sets through the whole stack (TCP bridge → WebSocket →
 * router Worker → 4 shard Durable Objects under wrangler's local runtime), with real
 * clients, against the harness's real redis-server 7.0 as the reference:
 *   - ioredis round trips: seeded pipelines of 1,000 mixed collection commands over keys on
 *     every shard, answered as redis-server answers them (RESP2 and RESP3); HGETALL into
 *     objects; ZRANGE WITHSCORES; binary elements, fields and members as Buffers.
 *   - blocking commands with ioredis: a client blocked on BLPOP is woken by an LPUSH from
 *     another connection, a BRPOP timeout returns null, two blocked clients are served in
 *     the order they blocked — each scenario run against redis-server too, with the same result.
 *   - the collection families' differential generators (test/support/gen-lists-hashes.ts,
 *     gen-sets-zsets.ts) run through the full stack as raw RESP over TCP, beside redis-server,
 *     reply for reply (the pattern of test/e2e/differential.test.ts). Where the engine-level
 *     tests judge a reply by Hotslot's in-memory state (encodings, the members a random
 *     command drew from), this file reads that state over the wire instead: read-only
 *     probes (OBJECT ENCODING, SMEMBERS, ZRANGE) sent to both sides just before the step,
 *     and compared too. SPOP's random choice is checked, then Hotslot is resynced to the
 *     set redis-server kept. Two differences from a single redis-server are by design and
 *     checked as such: a step whose keys span slots by Redis's own key rules (a generated
 *     numkeys naming an option as a key) gets CROSSSLOT, as from Redis Cluster; and a command
 *     or OBJECT subcommand name holding a NUL, which Redis resolves or not depending on its
 *     random hash seed, is unknown to Hotslot.
 *
 * The Worker and redis-server are shared with the other e2e files: the client tests use a
 * per-run key prefix; the differential runs FLUSHALL both sides (as differential.test.ts
 * does), and the encoding thresholds the generators change are restored afterwards.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { Rng } from "../support/random";
import { generateLhSteps, lhStateSteps, sameLhReply, type LhStep } from "../support/gen-lists-hashes";
import { generateSzSteps, szStateSteps, type SzStep } from "../support/gen-sets-zsets";
import { bulks, isValidDraw, isWholeDraw, sameHashTableScan, sameSorted } from "../support/differential-sets";
import { RawRespClient, parseReply, printable, printableCommand } from "../support/resp-wire";
import { SlotMap } from "../../src/router/slots";
import { keySlot } from "../../src/util/keyslot";

const bridgePort = inject("bridgePort");
const redisPort = inject("redisPort");

/** Keys of this run's client tests: shared servers, so never collide with other files or runs. */
const P = `e2e:types:${process.pid}:${Date.now().toString(36)}:`;
/** Every byte value 0..255 once. */
const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Whether a promise settles within `ms`, without consuming it. */
function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  return Promise.race([p.then(() => true, () => true), sleep(ms).then(() => false)]);
}

const clients: Redis[] = [];
/** An ioredis client on `port`, closed after all tests. */
async function client(port: number, protocol: 2 | 3 = 2): Promise<Redis> {
  const c = new Redis({ host: "127.0.0.1", port, protocol, lazyConnect: true, maxRetriesPerRequest: 0 });
  await c.connect();
  clients.push(c);
  return c;
}

afterAll(async () => {
  await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
});

// --- ioredis round trips ---------------------------------------------------------------------

/**
 * Commands whose reply lists a set in the server's own order (a hash table set's order is
 * Redis's dict order, which cannot be matched): compared sorted. Everything else is
 * compared exactly — the pipelines' hashes stay small, so listpacks in insertion order.
 */
const UNORDERED = new Set(["smembers", "sinter", "sunion", "sdiff"]);

/** Groups of keys sharing a hash tag (multi-key commands stay in a slot): two on each of the 4 shards. */
const GROUPS: string[] = (() => {
  const slots = SlotMap.contiguous(4);
  const perShard = [0, 0, 0, 0];
  const out: string[] = [];
  for (let i = 0; out.length < 8; i++) {
    const tag = `{${P}g${i}}`;
    const shard = slots.shardOfKey(tag);
    if (perShard[shard]++ < 2) out.push(tag);
  }
  return out;
})();

/**
 * A seeded pipeline of `count` collection commands with deterministic replies (no SPOP,
 * SRANDMEMBER, HRANDFIELD, ZRANDMEMBER), each argv lowercase-named, over the groups' keys:
 * l* lists, h* hashes, s* sets, z* sorted sets, so WRONGTYPE and missing keys happen too.
 */
function mixedPipeline(seed: number, count: number): string[][] {
  const rng = new Rng(seed);
  const group = () => rng.pick(GROUPS);
  const k = (g: string, kind: string) => `${g}${kind}${rng.int(2)}`;
  const el = () => rng.pick(["a", "b", "c", "", "1", "-2", "x y", "\r\n", "dup", "dup", String(rng.int(50))]);
  const field = () => rng.pick(["f1", "f2", "f3", "n", "", "x"]);
  const member = () => (rng.chance(0.6) ? String(rng.range(-20, 20)) : rng.pick(["m", "n", "o", "", "\xff", "long-member"]));
  const score = () => rng.pick(["1", "2.5", "-3", "0", "+inf", "-inf", "1e3", String(rng.range(-9, 9) / 4)]);
  const makers: (() => string[])[] = [
    // lists
    () => [rng.pick(["lpush", "rpush"]), k(group(), "l"), ...Array.from({ length: rng.range(1, 4) }, el)],
    () => [rng.pick(["lpop", "rpop"]), k(group(), "l"), ...(rng.chance(0.5) ? [String(rng.range(0, 3))] : [])],
    () => ["llen", k(group(), "l")],
    () => ["lrange", k(group(), "l"), String(rng.range(-5, 3)), String(rng.range(-3, 10))],
    () => ["lindex", k(group(), "l"), String(rng.range(-4, 4))],
    () => ["lset", k(group(), "l"), String(rng.range(-2, 2)), el()],
    () => ["linsert", k(group(), "l"), rng.pick(["BEFORE", "AFTER"]), el(), el()],
    () => ["lrem", k(group(), "l"), String(rng.range(-2, 2)), el()],
    () => ["lpos", k(group(), "l"), el(), ...(rng.chance(0.5) ? ["RANK", String(rng.pick([1, 2, -1]))] : []), ...(rng.chance(0.5) ? ["COUNT", "0"] : [])],
    () => { const g = group(); return ["lmove", k(g, "l"), k(g, "l"), rng.pick(["LEFT", "RIGHT"]), rng.pick(["LEFT", "RIGHT"])]; },
    () => { const g = group(); return ["lmpop", "2", k(g, "l"), k(g, "l"), rng.pick(["LEFT", "RIGHT"]), "COUNT", String(rng.range(1, 3))]; },
    // hashes
    () => ["hset", k(group(), "h"), ...Array.from({ length: rng.range(1, 3) }, () => [field(), el()]).flat()],
    () => ["hsetnx", k(group(), "h"), field(), el()],
    () => ["hget", k(group(), "h"), field()],
    () => ["hmget", k(group(), "h"), field(), field(), field()],
    () => ["hdel", k(group(), "h"), field(), field()],
    () => ["hlen", k(group(), "h")],
    () => ["hexists", k(group(), "h"), field()],
    () => ["hstrlen", k(group(), "h"), field()],
    () => ["hincrby", k(group(), "h"), "n", String(rng.range(-5, 5))],
    () => ["hincrbyfloat", k(group(), "h"), "n", String(rng.range(-8, 8) / 4)],
    () => ["hgetall", k(group(), "h")],
    () => [rng.pick(["hkeys", "hvals"]), k(group(), "h")],
    // sets
    () => ["sadd", k(group(), "s"), ...Array.from({ length: rng.range(1, 4) }, member)],
    () => ["srem", k(group(), "s"), member(), member()],
    () => ["scard", k(group(), "s")],
    () => ["sismember", k(group(), "s"), member()],
    () => ["smismember", k(group(), "s"), member(), member()],
    () => ["smembers", k(group(), "s")],
    () => { const g = group(); return [rng.pick(["sinter", "sunion", "sdiff"]), k(g, "s"), k(g, "s")]; },
    () => { const g = group(); return [rng.pick(["sinterstore", "sunionstore", "sdiffstore"]), k(g, "s"), k(g, "s"), k(g, "s")]; },
    () => { const g = group(); return ["sintercard", "2", k(g, "s"), k(g, "s")]; },
    () => { const g = group(); return ["smove", k(g, "s"), k(g, "s"), member()]; },
    // sorted sets
    () => ["zadd", k(group(), "z"), ...(rng.chance(0.3) ? [rng.pick(["NX", "XX", "GT", "LT", "CH"])] : []), ...Array.from({ length: rng.range(1, 3) }, () => [score(), member()]).flat()],
    () => ["zadd", k(group(), "z"), "INCR", score(), member()],
    () => ["zincrby", k(group(), "z"), score(), member()],
    () => ["zrem", k(group(), "z"), member(), member()],
    () => ["zcard", k(group(), "z")],
    () => ["zscore", k(group(), "z"), member()],
    () => ["zmscore", k(group(), "z"), member(), member()],
    () => [rng.pick(["zrank", "zrevrank"]), k(group(), "z"), member()],
    () => ["zcount", k(group(), "z"), rng.pick(["-inf", "(0", "1"]), rng.pick(["+inf", "(3", "10"])],
    () => ["zrange", k(group(), "z"), "0", "-1", "WITHSCORES"],
    () => ["zrange", k(group(), "z"), rng.pick(["-inf", "(0", "1"]), rng.pick(["+inf", "(3", "10"]), "BYSCORE", "LIMIT", "0", String(rng.range(1, 4))],
    () => ["zrangebyscore", k(group(), "z"), "-inf", "+inf", "WITHSCORES"],
    () => ["zrevrange", k(group(), "z"), "0", String(rng.range(0, 5))],
    () => [rng.pick(["zpopmin", "zpopmax"]), k(group(), "z"), ...(rng.chance(0.5) ? [String(rng.range(1, 3))] : [])],
    () => ["zremrangebyscore", k(group(), "z"), rng.pick(["-inf", "(0"]), rng.pick(["0", "(2"])],
    () => { const g = group(); return [rng.pick(["zunionstore", "zinterstore"]), k(g, "z"), "2", k(g, "z"), k(g, "s"), ...(rng.chance(0.5) ? ["WEIGHTS", "2", "0.5"] : []), ...(rng.chance(0.5) ? ["AGGREGATE", rng.pick(["MIN", "MAX", "SUM"])] : [])]; },
    () => { const g = group(); return ["zrangestore", k(g, "z"), k(g, "z"), "0", "2"]; },
    // across types
    () => [rng.pick(["type", "exists", "del"]), k(group(), rng.pick(["l", "h", "s", "z"]))],
  ];
  return Array.from({ length: count }, () => rng.pick(makers)());
}

/** One pipeline result as compared: [error text or null, value], unordered replies sorted. */
function comparable(argv: string[], [err, value]: [Error | null, unknown]): [string | null, unknown] {
  if (err) return [err.message, null];
  if (UNORDERED.has(argv[0]) && Array.isArray(value)) return [null, [...value].sort()];
  return [null, value];
}

/** Runs the commands as one ioredis pipeline; results made comparable. */
async function runPipeline(c: Redis, cmds: string[][]): Promise<[string | null, unknown][]> {
  const p = c.pipeline();
  for (const [name, ...args] of cmds) p.call(name, ...args);
  const results = (await p.exec()) as [Error | null, unknown][];
  return results.map((r, i) => comparable(cmds[i], r));
}

function keysOf(cmds: string[][]): string[] {
  return [...new Set(cmds.flatMap((argv) => argv.filter((a) => a.startsWith("{" + P))))];
}

describe("ioredis round trips of lists, hashes, sets and sorted sets", () => {
  for (const protocol of [2, 3] as const) {
    it(`answers seeded pipelines of 1,000 mixed collection commands as redis-server does (RESP${protocol})`, async () => {
      const [hot, ref] = await Promise.all([client(bridgePort, protocol), client(redisPort, protocol)]);
      for (const seed of [1, 2, 3]) {
        const cmds = mixedPipeline(seed * 10 + protocol, 1000);
        const keys = keysOf(cmds);
        await Promise.all([hot.del(...keys), ref.del(...keys)]);
        const [ours, theirs] = await Promise.all([runPipeline(hot, cmds), runPipeline(ref, cmds)]);
        const diffs = cmds.flatMap((argv, i) =>
          JSON.stringify(ours[i]) === JSON.stringify(theirs[i]) ? [] : [`#${i} ${printableCommand(argv)}: ${JSON.stringify(ours[i])} vs ${JSON.stringify(theirs[i])}`],
        );
        expect(diffs).toEqual([]);
        // Not a run of errors: most commands succeeded, and every family left keys behind.
        expect(ours.filter(([e]) => e === null).length).toBeGreaterThan(800);
        const types = await Promise.all(keys.map((k) => hot.type(k)));
        expect(new Set(types)).toEqual(new Set(["list", "hash", "set", "zset", "none"]));
        await Promise.all([hot.del(...keys), ref.del(...keys)]);
      }
    }, 60_000);
  }

  it("returns HGETALL as an object and binary fields and values as Buffers", async () => {
    const c = await client(bridgePort);
    const key = `${P}hash`;
    expect(await c.hset(key, { name: "hotslot", visits: "10", "": "empty field" })).toBe(3);
    expect(await c.hincrby(key, "visits", 5)).toBe(15);
    expect(await c.hincrbyfloat(key, "visits", "0.25")).toBe("15.25");
    expect(await c.hgetall(key)).toEqual({ name: "hotslot", visits: "15.25", "": "empty field" });
    expect(await c.hgetall(`${P}hash:missing`)).toEqual({});
    const bin = Buffer.concat([Buffer.from(`${P}hash:`), ALL_BYTES]);
    const reversed = Buffer.from(ALL_BYTES).reverse();
    expect(await c.hset(bin, ALL_BYTES, reversed)).toBe(1);
    const got = await c.hgetallBuffer(bin);
    expect(Object.keys(got)).toHaveLength(1);
    expect((await c.hgetBuffer(bin, ALL_BYTES))!.equals(reversed)).toBe(true);
    expect(await c.hstrlen(bin, ALL_BYTES)).toBe(256);
  });

  it("returns ZRANGE WITHSCORES as member/score pairs, infinities and doubles printed as Redis prints them", async () => {
    for (const protocol of [2, 3] as const) {
      const [hot, ref] = await Promise.all([client(bridgePort, protocol), client(redisPort, protocol)]);
      const key = `${P}zset:${protocol}`;
      const answers = async (c: Redis) => {
        await c.del(key);
        const added = await c.zadd(key, 1.5, "a", "-inf", "low", "+inf", "high", 0.1, "tenth", 2, "b");
        return [
          added,
          await c.zrange(key, "0", "-1", "WITHSCORES"),
          await c.zrange(key, "(0", "+inf", "BYSCORE", "LIMIT", "1", "2", "WITHSCORES"),
          await c.zrevrange(key, "0", "1", "WITHSCORES"),
          await c.zscore(key, "tenth"),
          await c.zincrby(key, 0.2, "tenth"),
          await c.zpopmin(key, 2),
        ];
      };
      const ours = await answers(hot);
      expect(ours).toEqual(await answers(ref));
      // What an application sees in RESP2 (and in RESP3 with ioredis's default "legacy" mapping).
      expect(ours[1]).toEqual(["low", "-inf", "tenth", "0.10000000000000001", "a", "1.5", "b", "2", "high", "inf"]);
      expect(ours[5]).toBe("0.30000000000000004");
    }
  });

  it("round-trips binary list elements and set and sorted set members holding every byte", async () => {
    const c = await client(bridgePort);
    const list = `${P}bin:list`;
    const set = `${P}bin:set`;
    const zset = `${P}bin:zset`;
    const other = Buffer.from([0, 13, 10, 255]);
    expect(await c.rpush(list, ALL_BYTES, other, "")).toBe(3);
    const elements = await c.lrangeBuffer(list, 0, -1);
    expect(elements.map((b) => b.toString("hex"))).toEqual([ALL_BYTES.toString("hex"), other.toString("hex"), ""]);
    expect(await c.lpos(list, other)).toBe(1);
    expect(await c.sadd(set, ALL_BYTES, other, "1")).toBe(3);
    expect((await c.smembersBuffer(set)).map((b) => b.toString("hex")).sort()).toEqual([ALL_BYTES, other, Buffer.from("1")].map((b) => b.toString("hex")).sort());
    expect(await c.smismember(set, ALL_BYTES, "2")).toEqual([1, 0]);
    expect(await c.zadd(zset, 2, ALL_BYTES, 1, other)).toBe(2);
    const pairs = await c.zrangeBuffer(zset, "0", "-1", "WITHSCORES");
    expect(pairs.map((b) => b.toString("hex"))).toEqual([other.toString("hex"), Buffer.from("1").toString("hex"), ALL_BYTES.toString("hex"), Buffer.from("2").toString("hex")]);
    expect(await c.zrank(zset, ALL_BYTES)).toBe(1);
    await c.del(list, set, zset);
  });
});

// --- blocking commands ----------------------------------------------------------------------

describe("blocking commands with ioredis, as redis-server serves them", () => {
  const servers: [string, () => number][] = [
    ["Hotslot", () => bridgePort],
    ["redis-server", () => redisPort],
  ];
  for (const [name, port] of servers) {
    it(`${name}: a client blocked on BLPOP is woken by an LPUSH from another connection`, async () => {
      const [waiter, pusher] = await Promise.all([client(port()), client(port())]);
      const key = `${P}block:wake`;
      const popped = waiter.blpop(key, 0);
      await sleep(100);
      expect(await settlesWithin(popped, 0)).toBe(false);
      expect(await pusher.lpush(key, "hello")).toBe(1);
      expect(await popped).toEqual([key, "hello"]);
      // The element went to the waiter, not into the list.
      expect(await pusher.llen(key)).toBe(0);
      // BZPOPMIN and BLMOVE wake the same way.
      const zkey = `${P}block:z`;
      const zpopped = waiter.bzpopmin(zkey, 0);
      await sleep(50);
      expect(await pusher.zadd(zkey, 2, "two", 1, "one")).toBe(2);
      expect(await zpopped).toEqual([zkey, "one", "1"]);
      const [src, dst] = [`{${P}mv}src`, `{${P}mv}dst`];
      const moved = waiter.blmove(src, dst, "RIGHT", "LEFT", 0);
      await sleep(50);
      expect(await pusher.rpush(src, "a", "b")).toBe(2);
      expect(await moved).toBe("b");
      expect(await pusher.lrange(dst, 0, -1)).toEqual(["b"]);
      await pusher.del(zkey, src, dst);
    });

    it(`${name}: BRPOP times out with null`, async () => {
      const c = await client(port());
      const started = Date.now();
      expect(await c.brpop(`${P}block:empty`, 0.3)).toBeNull();
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      // The connection answers at once afterwards.
      expect(await c.ping()).toBe("PONG");
    });

    it(`${name}: two blocked clients are served in the order they blocked`, async () => {
      const [first, second, pusher] = await Promise.all([client(port()), client(port()), client(port())]);
      const key = `${P}block:order`;
      const a = first.blpop(key, 0);
      await sleep(100);
      const b = second.blpop(key, 0);
      await sleep(100);
      // One element: only the first waiter gets it.
      expect(await pusher.rpush(key, "one")).toBe(1);
      expect(await a).toEqual([key, "one"]);
      expect(await settlesWithin(b, 200)).toBe(false);
      // Two more: the second waiter takes the head, the other stays.
      expect(await pusher.rpush(key, "two", "three")).toBe(2);
      expect(await b).toEqual([key, "two"]);
      expect(await pusher.lrange(key, 0, -1)).toEqual(["three"]);
      // Both blocked again, one push of two elements serves both, in order.
      const c1 = first.brpop(key + ":2", 0);
      await sleep(100);
      const c2 = second.brpop(key + ":2", 0);
      await sleep(100);
      expect(await pusher.rpush(key + ":2", "x", "y")).toBe(2);
      expect([await c1, await c2]).toEqual([[key + ":2", "y"], [key + ":2", "x"]]);
      await pusher.del(key, key + ":2");
    });
  }
});

// --- the collection generators, differential through the full stack -------------------------

let hot: RawRespClient;
let ref: RawRespClient;
/** The encoding thresholds before the generators change them, restored after. */
let savedConfig: string[][] = [];
const THRESHOLDS = ["hash-max-listpack-entries", "hash-max-listpack-value", "set-max-intset-entries", "zset-max-listpack-entries", "zset-max-listpack-value"];

/** One step for the full-stack runner: its mode, and read-only probes sent just before it. */
interface Probed {
  argv: string[];
  mode: string;
  probes: string[][];
}

interface Mismatch {
  label: string;
  index: number;
  argv: string[];
  mode: string;
  hotslot: string;
  redis: string;
}

function formatMismatch(m: Mismatch): string {
  return `${m.label} #${m.index}: ${printableCommand(m.argv)} (${m.mode})\n    hotslot: ${printable(m.hotslot)}\n    redis:   ${printable(m.redis)}`;
}

/** A probe's reply, as both sides must agree on it: SMEMBERS of a hash table in any order. */
function sameProbe(argv: string[], ours: string, theirs: string): boolean {
  if (ours === theirs) return true;
  return argv[0] === "SMEMBERS" && sameSorted(bulks(parseReply(ours)), bulks(parseReply(theirs)));
}

const encodingProbe = (key: string) => ["OBJECT", "ENCODING", key];
const encodingOf = (raw: string): string | null => {
  const r = parseReply(raw);
  return r.type === "$" ? r.text : null;
};

// --- lists and hashes ---

/** Hash-order steps are judged by the hash's encoding just before them: probe it. */
function probeLh(step: LhStep): Probed {
  return { argv: step.argv, mode: step.mode, probes: step.mode === "hash-order" ? [encodingProbe(step.argv[1])] : [] };
}

/**
 * A command name or OBJECT subcommand holding a NUL ("get\0", "ENCODING\0junk": the error
 * generators make them now and then). Redis looks both up in dicts hashed over the whole
 * name but compared with strcasecmp, which stops at the NUL: whether "get\0" runs GET then
 * depends on the two names sharing a bucket under the server's random hash seed (for
 * OBJECT's five subcommands, about one server start in five). Hotslot answers as Redis
 * does when they do not — unknown command / unknown subcommand — and that is what is
 * required of it; Redis's reply is taken as it comes (both lookups are read-only here).
 */
function hashSeedDependent(argv: string[]): ((ours: string) => boolean) | null {
  const upToNul = (s: string) => s.slice(0, s.indexOf("\x00"));
  if (argv[0].includes("\x00")) return (ours) => ours.startsWith(`-ERR unknown command '${upToNul(argv[0])}', with args beginning with: `);
  if (argv[0].toLowerCase() === "object" && argv.length > 1 && argv[1].includes("\x00")) {
    return (ours) => ours === `-ERR unknown subcommand '${upToNul(argv[1])}'. Try OBJECT HELP.\r\n`;
  }
  return null;
}

function judgeLh(step: Probed, probes: string[], ours: string, theirs: string): boolean {
  const listpack = step.mode !== "hash-order" || encodingOf(probes[0]) !== "hashtable";
  return sameLhReply({ argv: step.argv, mode: step.mode as LhStep["mode"] }, listpack, ours, theirs);
}

// --- sets and sorted sets ---

/** The keys a set-algebra read names (SMEMBERS, SINTER, SUNION, SDIFF). */
function setReadKeys(argv: string[]): string[] {
  return argv[0].toLowerCase() === "smembers" ? [argv[1]] : argv.slice(1);
}

function probeSz(step: SzStep): Probed {
  const key = step.argv[1];
  let probes: string[][] = [];
  if (step.mode === "set-order") probes = setReadKeys(step.argv).map(encodingProbe);
  else if (step.mode === "scan") probes = [encodingProbe(key)];
  else if (step.mode === "random" || step.mode === "spop") probes = [encodingProbe(key), ["SMEMBERS", key], ["ZRANGE", key, "0", "-1", "WITHSCORES"]];
  return { argv: step.argv, mode: step.mode, probes };
}

/**
 * Whether a random read or SPOP reply `raw` is a valid draw from what the probes read just
 * before: the right number of members, all held, distinct unless the count is negative
 * (SRANDMEMBER / ZRANDMEMBER only), with their own scores.
 */
function validDraw(argv: string[], probes: string[], raw: string, pop: boolean): boolean {
  const zset = argv[0].toLowerCase() === "zrandmember";
  const read = bulks(parseReply(zset ? probes[2] : probes[1])) ?? [];
  const scores = new Map<string, string>();
  const held = zset ? read.filter((_, i) => i % 2 === 0) : read;
  if (zset) for (let i = 0; i < read.length; i += 2) scores.set(read[i], read[i + 1]);
  return isValidDraw(argv, raw, held, (member) => scores.get(member), pop);
}

/** A draw of the whole set or more is deterministic (see isWholeDraw). */
function wholeDraw(argv: string[], probes: string[]): boolean {
  const zset = argv[0].toLowerCase() === "zrandmember";
  const read = bulks(parseReply(zset ? probes[2] : probes[1])) ?? [];
  return isWholeDraw(argv, zset ? read.length / 2 : read.length, encodingOf(probes[0]) === "intset");
}

function judgeSz(setMaxIntset: number) {
  return (step: Probed, probes: string[], ours: string, theirs: string): boolean => {
    if (ours === theirs) return true;
    if (step.mode === "exact") return false;
    const a = parseReply(ours);
    const b = parseReply(theirs);
    if (a.type === "-" || b.type === "-") return false;
    const name = step.argv[0].toLowerCase();
    switch (step.mode) {
      case "set-order": {
        // Exact when the order comes from intsets: SMEMBERS / SINTER of intsets, SUNION /
        // SDIFF of intsets whose result still fits one. Otherwise as a multiset.
        const x = bulks(a);
        const y = bulks(b);
        if (x === null || y === null) return false;
        const encodings = probes.map(encodingOf).filter((e) => e !== null);
        const fromIntsets = encodings.every((e) => e === "intset") && (name === "smembers" || name === "sinter" || y.length <= setMaxIntset);
        return !fromIntsets && sameSorted(x, y);
      }
      case "random":
      case "spop":
        if (wholeDraw(step.argv, probes)) return false;
        return validDraw(step.argv, probes, ours, step.mode === "spop") && validDraw(step.argv, probes, theirs, step.mode === "spop");
      case "scan": {
        // An intset or listpack comes back whole: exact. A hash table scanned from 0 to the end:
        // the same elements; an unfinished scan: the shape (cursors are each server's own).
        const encoding = encodingOf(probes[0]);
        if (encoding === "intset" || encoding === "listpack") return false;
        return sameHashTableScan(step.argv, a, b);
      }
    }
    return false;
  };
}

/** A member no generator makes (not an integer, so a set holding it is a hash table). */
const RESYNC_SENTINEL = "\x00resync\x00";

/**
 * After an SPOP: replaces Hotslot's set by the one redis-server kept — members, encoding
 * (a hash table made so by adding and removing a non-integer), expiry — and checks it.
 */
async function resyncSet(key: string): Promise<string | null> {
  const [membersRaw, encodingRaw, expireRaw] = await ref.pipeline([["SMEMBERS", key], encodingProbe(key), ["PEXPIRETIME", key]]);
  const members = bulks(parseReply(membersRaw)) ?? [];
  const encoding = encodingOf(encodingRaw);
  const cmds: string[][] = [["DEL", key]];
  if (members.length > 0) {
    if (encoding === "hashtable") cmds.push(["SADD", key, RESYNC_SENTINEL, ...members], ["SREM", key, RESYNC_SENTINEL]);
    else cmds.push(["SADD", key, ...members]);
    const expireAt = parseReply(expireRaw);
    if (expireAt.type === ":" && Number(expireAt.text) > 0) cmds.push(["PEXPIREAT", key, expireAt.text]);
  }
  cmds.push(encodingProbe(key));
  const replies = await hot.pipeline(cmds);
  const ours = replies[replies.length - 1];
  return ours === encodingRaw ? null : `resync of ${printable(key)}: encoding ${printable(ours)} vs ${printable(encodingRaw)}`;
}

async function resetBoth(): Promise<void> {
  const [ours, theirs] = await Promise.all([hot.call("FLUSHALL"), ref.call("FLUSHALL")]);
  expect([ours, theirs]).toEqual(["+OK\r\n", "+OK\r\n"]);
}

const CROSSSLOT = "-CROSSSLOT Keys in request don't hash to the same slot\r\n";

/**
 * The steps whose keys span slots by Redis's own key rules (COMMAND GETKEYS on the
 * reference): a generator sometimes names a non-key where a key goes (a numkeys larger
 * than the keys it wrote: "ZINTER 4 {t}a {t}b {t}c WEIGHTS …" takes WEIGHTS as a key).
 * Redis Cluster refuses those with CROSSSLOT before running them, and so must Hotslot; a
 * single Redis runs them. They are sent to Hotslot alone, whose reply must be CROSSSLOT.
 */
async function crossSlotSteps(steps: readonly Probed[]): Promise<Set<number>> {
  const replies = await ref.pipeline(steps.map((s) => ["COMMAND", "GETKEYS", ...s.argv]));
  const out = new Set<number>();
  replies.forEach((raw, i) => {
    const keys = bulks(parseReply(raw));
    if (keys && new Set(keys.map(keySlot)).size > 1) out.add(i);
  });
  return out;
}

/**
 * Sends the steps to both sides in pipelined chunks of seeded random size (each SPOP ends
 * its chunk, so the resync comes before anything reads the set), each step preceded by its
 * probes; compares probes exactly (SMEMBERS as a multiset) and steps by `judge`. After a
 * mismatch the rest of the chunk is skipped and both sides are flushed.
 */
async function compareFullStack(
  label: string,
  seed: number,
  steps: readonly Probed[],
  judge: (step: Probed, probes: string[], ours: string, theirs: string) => boolean,
): Promise<{ mismatches: Mismatch[]; sent: number; errors: number; crossSlot: number; resyncs: number }> {
  const rng = new Rng(seed ^ 0x5bd1e995);
  const crossSlot = await crossSlotSteps(steps);
  const mismatches: Mismatch[] = [];
  let sent = 0;
  let errors = 0;
  let resyncs = 0;
  for (let i = 0; i < steps.length && mismatches.length < 10; ) {
    let size = rng.range(1, 150);
    const spop = steps.slice(i, i + size).findIndex((s) => s.mode === "spop");
    if (spop >= 0) size = spop + 1;
    const chunk = steps.slice(i, i + size);
    const toHotslot: string[][] = [];
    const toRedis: string[][] = [];
    chunk.forEach((s, j) => {
      if (crossSlot.has(i + j)) toHotslot.push(s.argv);
      else {
        toHotslot.push(...s.probes, s.argv);
        toRedis.push(...s.probes, s.argv);
      }
    });
    const theirsP = ref.pipeline(toRedis);
    const oursP = hot.pipeline(toHotslot);
    const [theirs, ours] = await Promise.all([theirsP, oursP]);
    sent += toHotslot.length;
    let at = 0;
    let atRedis = 0;
    let failed = false;
    for (let j = 0; j < chunk.length && !failed; j++) {
      const step = chunk[j];
      if (crossSlot.has(i + j)) {
        if (ours[at] !== CROSSSLOT) {
          mismatches.push({ label: `${label} (keys span slots)`, index: i + j, argv: step.argv, mode: "crossslot", hotslot: ours[at], redis: CROSSSLOT });
          failed = true;
        }
        at += 1;
        continue;
      }
      const n = step.probes.length;
      const probeDiff = step.probes.findIndex((p, q) => !sameProbe(p, ours[at + q], theirs[atRedis + q]));
      const [o, t] = [ours[at + n], theirs[atRedis + n]];
      const seedDependent = o !== t ? hashSeedDependent(step.argv) : null;
      const agreed = seedDependent ? seedDependent(o) : judge(step, theirs.slice(atRedis, atRedis + n), o, t);
      if (o.startsWith("-")) errors++;
      if (probeDiff >= 0) {
        mismatches.push({ label: `${label} (probe before)`, index: i + j, argv: step.probes[probeDiff], mode: "probe", hotslot: ours[at + probeDiff], redis: theirs[atRedis + probeDiff] });
        failed = true;
      } else if (!agreed) {
        mismatches.push({ label, index: i + j, argv: step.argv, mode: step.mode, hotslot: o, redis: t });
        failed = true;
      } else if (step.mode === "spop" && !t.startsWith("-")) {
        const problem = await resyncSet(step.argv[1]);
        resyncs++;
        if (problem) {
          mismatches.push({ label, index: i + j, argv: step.argv, mode: "resync", hotslot: problem, redis: "" });
          failed = true;
        }
      }
      at += n + 1;
      atRedis += n + 1;
    }
    if (failed) await resetBoth();
    i += chunk.length;
  }
  return { mismatches, sent, errors, crossSlot: crossSlot.size, resyncs };
}

describe("the collection generators through the full stack, against redis-server 7.0", () => {
  beforeAll(async () => {
    hot = await RawRespClient.connect(bridgePort);
    ref = await RawRespClient.connect(redisPort);
    const got = await ref.pipeline(THRESHOLDS.map((name) => ["CONFIG", "GET", name]));
    savedConfig = got.map((raw, i) => ["CONFIG", "SET", THRESHOLDS[i], bulks(parseReply(raw))![1]]);
  });

  afterAll(async () => {
    // Both sides back to the thresholds they had (the sequences change them).
    if (hot && ref && savedConfig.length) {
      const [ours, theirs] = await Promise.all([hot.pipeline(savedConfig), ref.pipeline(savedConfig)]);
      expect([...ours, ...theirs].every((r) => r === "+OK\r\n")).toBe(true);
    }
    await Promise.all([hot?.close(), ref?.close()]);
  });

  const LH_SEEDS = [301, 302, 303];
  for (const seed of LH_SEEDS) {
    it(`lists and hashes: 1,000 seeded commands in one hash tag, then every key read back, agree reply for reply (seed ${seed})`, async () => {
      await resetBoth();
      const steps = [...generateLhSteps(seed, 1000, ["lists", "hashes"]), ...lhStateSteps()].map(probeLh);
      const { mismatches, sent, errors } = await compareFullStack(`lists/hashes seed ${seed}`, seed, steps, judgeLh);
      expect(mismatches.map(formatMismatch)).toEqual([]);
      expect(sent).toBeGreaterThan(1000);
      expect(errors).toBeGreaterThan(30);
    }, 120_000);
  }

  const SZ_SEEDS = [401, 402, 403];
  for (const seed of SZ_SEEDS) {
    it(`sets and sorted sets: 1,000 seeded commands in one hash tag, then every key read back, agree reply for reply (seed ${seed})`, async () => {
      await resetBoth();
      const generated = generateSzSteps(seed, 1000, ["sets", "zsets"]);
      // The run's set-max-intset-entries (its first step) decides when a union stays an intset.
      const config = generated.find((s) => s.argv[0] === "CONFIG" && s.argv[2] === "set-max-intset-entries")!;
      const steps = [...generated, ...szStateSteps()].map(probeSz);
      const { mismatches, sent, errors, resyncs } = await compareFullStack(`sets/zsets seed ${seed}`, seed, steps, judgeSz(Number(config.argv[3])));
      expect(mismatches.map(formatMismatch)).toEqual([]);
      expect(sent).toBeGreaterThan(1000);
      expect(errors).toBeGreaterThan(30);
      // SPOPs ran, were judged as draws, and Hotslot was brought back to what redis-server kept.
      expect(resyncs).toBeGreaterThan(5);
    }, 120_000);
  }
});
