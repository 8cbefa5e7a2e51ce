/**
 * Differential test for sets and sorted sets, engine level: seeded random command
 * sequences (test/support/gen-sets-zsets.ts) run by Hotslot's Executor in Node and by a
 * real redis-server 7.0 started here on a free port; every reply is compared as raw RESP2
 * bytes, except where Redis's answer depends on chance or on its hash tables' order (see
 * the modes in gen-sets-zsets.ts). SPOP is checked for validity and then Hotslot is
 * resynced to what Redis kept. After each sequence the whole state of every key (type,
 * encoding, contents) is read back on both sides and compared too. A fixed script is also
 * compared byte for byte in RESP3 (doubles, set replies, nested WITHSCORES pairs).
 *
 * SZ_DIFF_SEEDS="1-200" and SZ_DIFF_STEPS explore beyond the default run.
 */
import { describe, expect, it } from "vitest";
import { Executor } from "../../src/commands/execute";
import { lookupCommand } from "../../src/commands/table";
import { Keyspace } from "../../src/engine/keyspace";
import { isIntsetMember, RedisSet } from "../../src/engine/set";
import { SortedSet } from "../../src/engine/zset";
import { encodeRepliesBinary } from "../../src/protocol/resp";
import { formatDouble } from "../../src/util/numbers";
import { formatMismatch, seedList, type Mismatch } from "../support/differential";
import { expectSameCommandInfo, expectSameKeys, hotslotReply, runInChunks, seededChunkLength } from "../support/differential-harness";
import { bulks, isValidDraw, isWholeDraw, sameHashTableScan, sameSorted } from "../support/differential-sets";
import {
  generateSzSteps,
  SET_GENERATORS,
  szStateSteps,
  ZSET_GENERATORS,
  type SzStep,
} from "../support/gen-sets-zsets";
import { parseReply, printable, printableCommand, type Resp } from "../support/resp-wire";
import { useReferenceRedis } from "../support/reference-redis";

const SEEDS = seedList(process.env.SZ_DIFF_SEEDS ?? "1-50");
const STEPS_PER_SEED = Number(process.env.SZ_DIFF_STEPS ?? 1000);

const redis = useReferenceRedis();

const text = (r: Resp): string | null => (r.type === "*" ? null : r.text);

// --- what Hotslot's state says about a step, read before it runs -----------------------------

function setAt(db: Keyspace, key: string): RedisSet | undefined {
  const v = db.get(key);
  return v instanceof RedisSet ? v : undefined;
}

function zsetAt(db: Keyspace, key: string): SortedSet | undefined {
  const v = db.get(key);
  return v instanceof SortedSet ? v : undefined;
}

/**
 * Whether a set reply's order is defined (an intset's numeric order) so it must match
 * exactly: SMEMBERS of an intset; SINTER/SUNION/SDIFF whose existing inputs are all
 * intsets (their scratch set then stays one, within set-max-intset-entries).
 */
function setOrderIsExact(db: Keyspace, argv: string[], replyLength: number): boolean {
  const name = argv[0].toLowerCase();
  const keys = name === "smembers" ? [argv[1]] : argv.slice(1);
  const values = keys.map((k) => db.get(k)).filter((v) => v !== undefined);
  if (!values.every((v) => v instanceof RedisSet && v.encoding(db.settings) === "intset")) return false;
  return name === "smembers" || name === "sinter" || replyLength <= db.settings.setMaxIntsetEntries;
}

/** Checks one side's SRANDMEMBER/ZRANDMEMBER/SPOP reply against the state before it ran. */
function validRandom(db: Keyspace, argv: string[], raw: string, pop: boolean): boolean {
  const key = argv[1];
  const zset = argv[0].toLowerCase() === "zrandmember";
  const held: string[] = zset ? (zsetAt(db, key)?.entries({ from: 0, to: Infinity }).members ?? []) : (setAt(db, key)?.members() ?? []);
  const scoreOf = (member: string) => {
    const s = zsetAt(db, key)?.score(member);
    return s === undefined ? undefined : formatDouble(s);
  };
  return isValidDraw(argv, raw, held, scoreOf, pop);
}

/** True when a random read or SPOP asks for at least the whole set (see isWholeDraw). */
function deterministicWhole(db: Keyspace, argv: string[]): boolean {
  if (argv[0].toLowerCase() === "zrandmember") return isWholeDraw(argv, zsetAt(db, argv[1])?.size ?? 0, false);
  const s = setAt(db, argv[1]);
  return isWholeDraw(argv, s?.size ?? 0, s?.encoding(db.settings) === "intset");
}

/** Whether a step's replies agree, given Hotslot's state just before the step ran. */
function agree(db: Keyspace, step: SzStep, ours: string, theirs: string): boolean {
  if (ours === theirs) return true;
  if (step.mode === "exact") return false;
  const a = parseReply(ours);
  const b = parseReply(theirs);
  if (a.type === "-" || b.type === "-") return false;
  switch (step.mode) {
    case "set-order": {
      const x = bulks(a);
      const y = bulks(b);
      if (x === null || y === null) return false;
      return !setOrderIsExact(db, step.argv, y.length) && sameSorted(x, y);
    }
    case "random":
    case "spop":
      // A deterministic whole-set reply must match exactly; others must both be valid draws.
      if (deterministicWhole(db, step.argv)) return false;
      return validRandom(db, step.argv, ours, step.mode === "spop") && validRandom(db, step.argv, theirs, step.mode === "spop");
    case "scan": {
      const key = step.argv[1];
      const compact = setAt(db, key)?.encoding(db.settings) === "intset" || zsetAt(db, key)?.isListpack === true;
      return !compact && sameHashTableScan(step.argv, a, b);
    }
  }
  return false;
}

// --- running a sequence --------------------------------------------------------------------

/** Replaces Hotslot's value at `key` by what Redis holds there after a SPOP. */
async function resyncSet(db: Keyspace, key: string): Promise<void> {
  const [membersRaw, encodingRaw] = await redis.pipeline([
    ["SMEMBERS", key],
    ["OBJECT", "ENCODING", key],
  ]);
  const kept = bulks(parseReply(membersRaw)) ?? [];
  const encoding = text(parseReply(encodingRaw));
  if (kept.length === 0) {
    db.delete(key);
    return;
  }
  // A hashtable from the start (its first member not an integer), or an intset.
  const s = encoding === "intset" ? RedisSet.empty() : RedisSet.forMember("not-an-integer");
  for (const m of kept) s.add(m, db.settings);
  expect(s.encoding(db.settings)).toBe(encoding);
  db.set(key, s, true);
}

interface RunResult {
  mismatch: Mismatch | null;
  errors: number;
  encodings: Set<string>;
}

/**
 * Runs the steps on both sides in pipelined chunks (each SPOP ends its chunk, so Hotslot
 * can be resynced before anything else reads the set) and returns the first mismatch.
 */
async function runSequence(seed: number, steps: readonly SzStep[]): Promise<RunResult> {
  const db = new Keyspace();
  const ex = new Executor(db);
  await redis.call("FLUSHALL");
  let errors = 0;
  const encodings = new Set<string>();
  const mismatch = await runInChunks({
    steps,
    argv: (step) => step.argv,
    chunkLength(c, from) {
      const size = seededChunkLength(seed, c, 200);
      const spop = steps.slice(from, from + size).findIndex((s) => s.mode === "spop");
      return spop >= 0 ? spop + 1 : size;
    },
    redis,
    async judge(step, index, theirs): Promise<Mismatch | null> {
      // Judged against the state before the step (a copy, for the commands that change it).
      const before = step.mode === "spop" ? snapshot(db, step.argv[1]) : db;
      const ours = hotslotReply(ex, step.argv);
      if (ours.startsWith("-")) errors++;
      if (step.argv[0] === "OBJECT" && ours.startsWith("$") && !ours.startsWith("$-1")) encodings.add(text(parseReply(ours)) ?? "");
      if (!agree(before, step, ours, theirs)) return { label: `seed ${seed}`, index, argv: step.argv, mode: step.mode, hotslot: ours, redis: theirs };
      if (step.mode === "spop" && !theirs.startsWith("-")) await resyncSet(db, step.argv[1]);
      return null;
    },
  });
  return { mismatch, errors, encodings };
}

/** A keyspace holding a copy of `key` alone (with the same settings), to judge a SPOP by. */
function snapshot(db: Keyspace, key: string): Keyspace {
  const copy = new Keyspace();
  Object.assign(copy.settings, db.settings);
  const v = db.get(key);
  if (v !== undefined) copy.set(key, typeof v === "string" ? v : v.clone());
  return copy;
}

// --- RESP3 ----------------------------------------------------------------------------------------

const RESP3_SCRIPT: string[][] = [
  ["FLUSHALL"],
  // The defaults (the random sequences change them on the server).
  ["CONFIG", "SET", "set-max-intset-entries", "512"],
  ["CONFIG", "SET", "zset-max-listpack-entries", "128"],
  ["CONFIG", "SET", "zset-max-listpack-value", "64"],
  ["SADD", "{t}s", "3", "1", "2"],
  ["SMEMBERS", "{t}s"],
  ["SINTER", "{t}s", "{t}s"],
  ["SUNION", "{t}s", "{t}none"],
  ["SDIFF", "{t}s", "{t}none"],
  ["SPOP", "{t}none", "2"],
  ["SPOP", "{t}none"],
  ["SPOP", "{t}s", "0"],
  ["SRANDMEMBER", "{t}none", "2"],
  ["SRANDMEMBER", "{t}s", "5"],
  ["SMISMEMBER", "{t}s", "1", "9"],
  ["SSCAN", "{t}s", "0"],
  ["SPOP", "{t}s", "5"],
  ["ZADD", "{t}z", "1", "a", "2.5", "b", "inf", "c", "-0", "d"],
  ["ZRANGE", "{t}z", "0", "-1", "WITHSCORES"],
  ["ZRANGE", "{t}z", "0", "-1"],
  ["ZRANGEBYSCORE", "{t}z", "-inf", "+inf", "WITHSCORES", "LIMIT", "1", "2"],
  ["ZREVRANGE", "{t}z", "0", "1", "WITHSCORES"],
  ["ZSCORE", "{t}z", "b"],
  ["ZSCORE", "{t}z", "nope"],
  ["ZMSCORE", "{t}z", "a", "nope", "c"],
  ["ZINCRBY", "{t}z", "0.1", "a"],
  ["ZADD", "{t}z", "INCR", "1", "b"],
  ["ZADD", "{t}z", "XX", "INCR", "1", "nope"],
  ["ZRANK", "{t}z", "b"],
  ["ZRANK", "{t}z", "nope"],
  ["ZRANDMEMBER", "{t}z", "10", "WITHSCORES"],
  ["ZRANDMEMBER", "{t}z", "10"],
  ["ZUNION", "2", "{t}z", "{t}s", "WITHSCORES"],
  ["ZINTER", "1", "{t}z", "WITHSCORES"],
  ["ZDIFF", "1", "{t}z", "WITHSCORES"],
  ["ZSCAN", "{t}z", "0"],
  ["ZPOPMIN", "{t}z"],
  ["ZPOPMAX", "{t}z", "2"],
  ["ZPOPMIN", "{t}none"],
  ["ZPOPMIN", "{t}z", "0"],
  ["ZMPOP", "1", "{t}z", "MIN", "COUNT", "3"],
  ["ZMPOP", "1", "{t}z", "MIN"],
  ["ZRANDMEMBER", "{t}none"],
  ["ZRANGE", "{t}none", "0", "-1", "WITHSCORES"],
];

// --- the tests -----------------------------------------------------------------------------------

describe("sets and sorted sets against redis-server 7.0", () => {
  const generators = [...SET_GENERATORS, ...ZSET_GENERATORS];

  it("generates every set and sorted set command Hotslot declares here, with Redis's arity", () => {
    for (const g of generators) {
      const spec = lookupCommand(g.name);
      expect(spec, g.name).toBeDefined();
      expect(spec!.arity, g.name).toBe(g.arity);
    }
    expect(new Set(generators.map((g) => g.name)).size).toBe(17 + 32);
  });

  it("declares every set and sorted set command as the server's COMMAND INFO does", async () => {
    await expectSameCommandInfo(redis, generators.map((g) => g.name));
  });

  it("finds the keys of numkeys commands as COMMAND GETKEYS does", async () => {
    await expectSameKeys(redis, [
      ["ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "2"],
      ["ZINTER", "3", "a", "b", "c"],
      ["ZDIFFSTORE", "d", "1", "a"],
      ["ZMPOP", "2", "a", "b", "MIN", "COUNT", "2"],
      ["ZINTERCARD", "2", "a", "b", "LIMIT", "1"],
      ["SINTERCARD", "1", "a"],
    ]);
  });

  it(
    `agrees reply for reply over ${SEEDS.length} seeds of ${STEPS_PER_SEED} commands, and on the final state`,
    async () => {
      const mismatches: Mismatch[] = [];
      let total = 0;
      let errors = 0;
      const encodings = new Set<string>();
      for (const seed of SEEDS) {
        const steps = [...generateSzSteps(seed, STEPS_PER_SEED, ["sets", "zsets"]), ...szStateSteps()];
        total += steps.length;
        const r = await runSequence(seed, steps);
        errors += r.errors;
        for (const e of r.encodings) encodings.add(e);
        if (r.mismatch) mismatches.push(r.mismatch);
      }
      expect(mismatches.map((m) => formatMismatch(m)).join("\n")).toBe("");
      expect(total).toBeGreaterThanOrEqual(10_000);
      // The sequences exercise the error paths too, not only the happy ones.
      expect(errors).toBeGreaterThan(total / 20);
      // Both sides reported (and agreed on) every encoding these types have in 7.0.
      expect([...encodings]).toEqual(expect.arrayContaining(["intset", "hashtable", "listpack", "skiplist"]));
    },
    300_000,
  );

  it("agrees one family at a time", async () => {
    for (const [seed, family] of [
      [2001, "sets"],
      [2002, "zsets"],
      [2003, "sets"],
      [2004, "zsets"],
    ] as const) {
      const r = await runSequence(seed, [...generateSzSteps(seed, 1500, [family]), ...szStateSteps()]);
      expect(r.mismatch ? formatMismatch(r.mismatch) : "").toBe("");
    }
  }, 120_000);

  it("replies byte for byte as Redis does in RESP3", async () => {
    const theirs = await redis.resp3(RESP3_SCRIPT);
    const ex = new Executor(new Keyspace());
    RESP3_SCRIPT.forEach((argv, i) => {
      const r = ex.runOne(argv);
      // Random replies of a whole (small) set are deterministic; the rest must match exactly.
      expect(printable(encodeRepliesBinary([r], 3)), printableCommand(argv)).toBe(printable(theirs[i]));
    });
  });

  it("checks the intset test helper agrees with Redis on what is an integer", () => {
    expect(["1", "-1", "0", "9223372036854775807", "-9223372036854775808"].every(isIntsetMember)).toBe(true);
    expect(["01", "-0", "+1", "1.0", "9223372036854775808", "", " 1"].some(isIntsetMember)).toBe(false);
  });
});
