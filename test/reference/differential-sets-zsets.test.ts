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
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Executor } from "../../src/commands/execute";
import { lookupCommand } from "../../src/commands/table";
import { Keyspace } from "../../src/engine/keyspace";
import { isIntsetMember, RedisSet } from "../../src/engine/set";
import { SortedSet } from "../../src/engine/zset";
import { encodeRepliesBinary, encodeReply } from "../../src/protocol/resp";
import { bytesToBinary } from "../../src/util/binary";
import { formatDouble } from "../../src/util/numbers";
import {
  generateSzSteps,
  SET_GENERATORS,
  szStateSteps,
  ZSET_GENERATORS,
  type SzStep,
} from "../support/gen-sets-zsets";
import { parseReply, printable, printableCommand, RawRespClient, type Resp } from "../support/resp-wire";
import { startReferenceRedis, type ReferenceRedis } from "../support/reference-redis";
import { seedList } from "../support/differential";

const SEEDS = seedList(process.env.SZ_DIFF_SEEDS ?? "1-50");
const STEPS_PER_SEED = Number(process.env.SZ_DIFF_STEPS ?? 1000);


// --- the reference server ----------------------------------------------------------------

let redis: RawRespClient;
let port = 0;
let reference: ReferenceRedis | undefined;

beforeAll(async () => {
  reference = await startReferenceRedis();
  redis = reference.client;
  port = reference.port;
});

afterAll(async () => {
  await reference?.stop();
});

// --- reading replies ------------------------------------------------------------------------

const text = (r: Resp): string | null => (r.type === "*" ? null : r.text);
const items = (r: Resp): Resp[] | null => (r.type === "*" ? r.items : null);

function sameSorted(x: string[], y: string[]): boolean {
  const a = [...x].sort();
  const b = [...y].sort();
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** The bulk texts of an array reply, or null when it is not an array of bulk strings. */
function bulks(r: Resp): string[] | null {
  const list = items(r);
  if (!list) return null;
  const out: string[] = [];
  for (const i of list) {
    const t = text(i);
    if (i.type !== "$" || t === null) return null;
    out.push(t);
  }
  return out;
}

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
  const name = argv[0].toLowerCase();
  const key = argv[1];
  const r = parseReply(raw);
  const zset = name === "zrandmember";
  const held: string[] = zset ? (zsetAt(db, key)?.entries({ from: 0, to: Infinity }).members ?? []) : (setAt(db, key)?.members() ?? []);
  const heldSet = new Set(held);
  if (argv.length === 2) {
    if (r.type !== "$") return false;
    return held.length === 0 ? r.text === null : r.text !== null && heldSet.has(r.text);
  }
  const n = Number(argv[2]);
  const scored = argv.length === 4;
  const list = bulks(r);
  if (list === null) return false;
  const picked: string[] = [];
  for (let i = 0; i < list.length; i += scored ? 2 : 1) {
    picked.push(list[i]);
    if (scored) {
      const s = zsetAt(db, key)?.score(list[i]);
      if (s === undefined || list[i + 1] !== formatDouble(s)) return false;
    }
  }
  if (!picked.every((m) => heldSet.has(m))) return false;
  if (held.length === 0) return picked.length === 0;
  if (n < 0 && !pop) return picked.length === -n;
  return picked.length === Math.min(n, held.length) && new Set(picked).size === picked.length;
}

/**
 * True when a random read or SPOP asks for at least the whole set, so the reply is
 * deterministic: ZRANDMEMBER lists it highest score first; SRANDMEMBER and SPOP of an
 * intset list it in numeric order.
 */
function deterministicWhole(db: Keyspace, argv: string[]): boolean {
  const name = argv[0].toLowerCase();
  if (argv.length < 3 || !/^[0-9]+$/.test(argv[2])) return false;
  const n = Number(argv[2]);
  if (name === "zrandmember") {
    const z = zsetAt(db, argv[1]);
    return z !== undefined && n >= z.size && n > 1;
  }
  const s = setAt(db, argv[1]);
  return s !== undefined && n >= s.size && n > 1 && s.encoding(db.settings) === "intset";
}

/** Whether a step's replies agree, given Hotslot's state just before the step ran. */
function agree(db: Keyspace, step: SzStep, ours: string, theirs: string): boolean {
  if (ours === theirs) return true;
  if (step.mode === "exact") return false;
  const a = parseReply(ours);
  const b = parseReply(theirs);
  if (a.type === "-" || b.type === "-") return false;
  const name = step.argv[0].toLowerCase();
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
      if (compact) return false;
      const [ca, ea] = items(a) ?? [];
      const [cb, eb] = items(b) ?? [];
      if (!ca || !cb || !ea || !eb || ca.type !== "$" || cb.type !== "$") return false;
      const x = bulks(ea);
      const y = bulks(eb);
      if (x === null || y === null) return false;
      if (step.argv[2] === "0" && text(ca) === "0" && text(cb) === "0") {
        if (name === "sscan") return sameSorted(x, y);
        const pairsOf = (l: string[]) => l.flatMap((m, i) => (i % 2 === 0 ? [JSON.stringify([m, l[i + 1]])] : []));
        return sameSorted(pairsOf(x), pairsOf(y));
      }
      return true;
    }
  }
  return false;
}

// --- running a sequence --------------------------------------------------------------------

interface Mismatch {
  seed: number;
  index: number;
  step: SzStep;
  hotslot: string;
  redis: string;
}

function describeMismatch(m: Mismatch): string {
  return (
    `seed ${m.seed} #${m.index}: ${printableCommand(m.step.argv)} (${m.step.mode})\n` +
    `    hotslot: ${printable(m.hotslot)}\n    redis:   ${printable(m.redis)}`
  );
}

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
  for (let i = 0, c = 0; i < steps.length; c++) {
    let size = 1 + ((seed * 7919 + c * 104729) % 200);
    const spop = steps.slice(i, i + size).findIndex((s) => s.mode === "spop");
    if (spop >= 0) size = spop + 1;
    const chunk = steps.slice(i, i + size);
    const theirs = await redis.pipeline(chunk.map((s) => s.argv));
    for (let j = 0; j < chunk.length; j++) {
      const step = chunk[j];
      // Judged against the state before the step (a copy, for the commands that change it).
      const before = step.mode === "spop" ? snapshot(db, step.argv[1]) : db;
      const ours = bytesToBinary(encodeReply(ex.runOne(step.argv)));
      if (ours.startsWith("-")) errors++;
      if (step.argv[0] === "OBJECT" && ours.startsWith("$") && !ours.startsWith("$-1")) encodings.add(text(parseReply(ours)) ?? "");
      if (!agree(before, step, ours, theirs[j])) {
        return { mismatch: { seed, index: i + j, step, hotslot: ours, redis: theirs[j] }, errors, encodings };
      }
      if (step.mode === "spop" && !theirs[j].startsWith("-")) await resyncSet(db, step.argv[1]);
    }
    i += chunk.length;
  }
  return { mismatch: null, errors, encodings };
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

/** The end of the RESP3 reply at `pos`, or -1 when incomplete (the types Redis 7.0 sends). */
function frame3(buf: string, pos: number): number {
  if (pos >= buf.length) return -1;
  const eol = buf.indexOf("\r\n", pos);
  if (eol < 0) return -1;
  const head = buf.slice(pos + 1, eol);
  switch (buf[pos]) {
    case "+":
    case "-":
    case ":":
    case ",":
    case "_":
    case "#":
    case "(":
      return eol + 2;
    case "$":
    case "=":
    case "!": {
      if (Number(head) < 0) return eol + 2;
      const end = eol + 2 + Number(head) + 2;
      return end <= buf.length ? end : -1;
    }
    case "*":
    case "~":
    case "%":
    case ">": {
      const n = Number(head) * (buf[pos] === "%" ? 2 : 1);
      let at = eol + 2;
      for (let i = 0; i < n && at >= 0; i++) at = frame3(buf, at);
      return at;
    }
    default:
      throw new Error(`not RESP3 at ${pos}: ${printable(buf.slice(pos, pos + 20))}`);
  }
}

/** Sends commands to redis-server over a fresh RESP3 connection; returns each reply's bytes. */
function resp3Replies(cmds: string[][]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ port, host: "127.0.0.1" });
    let buf = "";
    const all = [["HELLO", "3"], ...cmds];
    sock.on("connect", () => {
      sock.write(Buffer.from(all.map((c) => `*${c.length}\r\n` + c.map((a) => `$${a.length}\r\n${a}\r\n`).join("")).join(""), "latin1"));
    });
    sock.on("data", (d: Buffer) => {
      buf += d.toString("latin1");
      const out: string[] = [];
      let pos = 0;
      while (out.length < all.length) {
        const end = frame3(buf, pos);
        if (end < 0) return;
        out.push(buf.slice(pos, end));
        pos = end;
      }
      sock.end();
      resolve(out.slice(1));
    });
    sock.on("error", reject);
  });
}

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
    const names = generators.map((g) => g.name);
    const info = parseReply(await redis.call("COMMAND", "INFO", ...names));
    const rows = items(info)!;
    expect(rows).toHaveLength(names.length);
    for (const row of rows) {
      const [name, arity, flags, first, last, step, categories] = items(row)!;
      const n = text(name)!;
      const spec = lookupCommand(n)!;
      const list = (r: Resp) => (items(r) ?? []).map((i) => text(i)!);
      expect(spec.arity, n).toBe(Number(text(arity)));
      // movablekeys is derived from getKeys, not declared.
      expect([...spec.flags].sort(), n).toEqual(list(flags).filter((f) => f !== "movablekeys").sort());
      const keys = spec.keys ?? { first: 0, last: 0, step: 0 };
      expect([keys.first, keys.last, keys.step], n).toEqual([first, last, step].map((r) => Number(text(r))));
      expect([...spec.categories].sort(), n).toEqual(list(categories).map((c) => c.slice(1)).sort());
      expect(spec.getKeys !== undefined, n).toBe(list(flags).includes("movablekeys"));
    }
  });

  it("finds the keys of numkeys commands as COMMAND GETKEYS does", async () => {
    for (const argv of [
      ["ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "2"],
      ["ZINTER", "3", "a", "b", "c"],
      ["ZDIFFSTORE", "d", "1", "a"],
      ["ZMPOP", "2", "a", "b", "MIN", "COUNT", "2"],
      ["ZINTERCARD", "2", "a", "b", "LIMIT", "1"],
      ["SINTERCARD", "1", "a"],
    ]) {
      const theirs = bulks(parseReply(await redis.call("COMMAND", "GETKEYS", ...argv)));
      const spec = lookupCommand(argv[0])!;
      expect(spec.getKeys!(argv).map((i) => argv[i]), argv.join(" ")).toEqual(theirs);
    }
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
      expect(mismatches.map(describeMismatch).join("\n")).toBe("");
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
      expect(r.mismatch ? describeMismatch(r.mismatch) : "").toBe("");
    }
  }, 120_000);

  it("replies byte for byte as Redis does in RESP3", async () => {
    const theirs = await resp3Replies(RESP3_SCRIPT);
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
