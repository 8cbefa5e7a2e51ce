/**
 * Persistence of every data type inside workerd, through the router: for strings, lists,
 * hashes, sets and sorted sets a seeded dataset (binary keys, values, fields and members
 * holding every byte 0–255, TTLs, keys over all 4 shards, collections past Redis's encoding
 * thresholds) is written, read back whole (SCAN of the cluster, then per key TYPE, OBJECT
 * ENCODING, PEXPIRETIME, PTTL and the contents), checked against the model the test kept,
 * and read back again after every shard is evicted from memory and rebuilt — from the log
 * alone, or from a snapshot taken halfway and the log after it: the two dumps must be
 * equal. Also: every shard crashing (aborted) under blocked clients and queued or watching
 * transactions, and a graceful eviction under a blocked client; many small concurrent write
 * batches (the log replays in the order they ran); and a seeded history heavy in deletes,
 * overwrites of every type and expiries, with and without background snapshots while it
 * runs, replays to the same final state.
 */
import { abortAllDurableObjects, evictAllDurableObjects, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { SlotMap } from "../../src/router/slots";
import { Rng } from "../support/random";
import { connect, http, shardStub, type RespConnection } from "./helpers";

const SHARDS = 4;
const slots = SlotMap.contiguous(SHARDS);
/** Every byte value once: a value, element, field or member made of it must round-trip. */
const ALL_BYTES = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join("");
/** Far enough that nothing in the datasets expires while a test runs. */
const HOUR = 3_600_000;

// --- RESP2 replies ---------------------------------------------------------------------------

type Resp = string | number | null | Resp[] | { simple: string } | { error: string };

/** Parses every RESP2 reply in a frame (a binary string). */
function parseReplies(buf: string): Resp[] {
  let pos = 0;
  const one = (): Resp => {
    const eol = buf.indexOf("\r\n", pos);
    if (eol < 0) throw new Error(`incomplete reply at ${pos}`);
    const type = buf[pos];
    const head = buf.slice(pos + 1, eol);
    pos = eol + 2;
    switch (type) {
      case "+":
        return { simple: head };
      case "-":
        return { error: head };
      case ":":
        return Number(head);
      case "$": {
        const n = Number(head);
        if (n < 0) return null;
        const s = buf.slice(pos, pos + n);
        pos += n + 2;
        return s;
      }
      case "*": {
        const n = Number(head);
        if (n < 0) return null;
        const items: Resp[] = [];
        for (let i = 0; i < n; i++) items.push(one());
        return items;
      }
      default:
        throw new Error(`not a RESP2 reply: ${JSON.stringify(buf.slice(pos - 1, pos + 20))}`);
    }
  };
  const out: Resp[] = [];
  while (pos < buf.length) out.push(one());
  return out;
}

function isErrorReply(r: Resp): r is { error: string } {
  return r !== null && typeof r === "object" && "error" in r;
}

/** Frames stay well under any WebSocket message limit. */
const FRAME_COMMANDS = 200;
const FRAME_BYTES = 256 * 1024;

/** Sends commands over a RESP WebSocket in frames (pipelines); returns every reply in order. */
async function run(c: RespConnection, cmds: readonly string[][]): Promise<Resp[]> {
  const out: Resp[] = [];
  for (let i = 0; i < cmds.length; ) {
    const frame: string[][] = [];
    let bytes = 0;
    while (i < cmds.length && frame.length < FRAME_COMMANDS && (frame.length === 0 || bytes < FRAME_BYTES)) {
      bytes += cmds[i].reduce((n, a) => n + a.length + 16, 0);
      frame.push(cmds[i++]);
    }
    const replies = parseReplies(await c.call(...frame));
    // Replies ready before a blocking command come in a frame of their own (the router sends
    // them at once); an empty frame asks nothing, so sending one just waits for the next.
    while (replies.length < frame.length) replies.push(...parseReplies(await c.send("")));
    expect(replies.length).toBe(frame.length);
    out.push(...replies);
  }
  return out;
}

/** Runs commands that must all succeed (no error reply). */
async function write(c: RespConnection, cmds: readonly string[][]): Promise<Resp[]> {
  const replies = await run(c, cmds);
  const failures = replies.flatMap((r, i) => (isErrorReply(r) ? [`${cmds[i][0]} ${JSON.stringify(cmds[i][1])}: ${r.error}`] : []));
  expect(failures).toEqual([]);
  return replies;
}

// --- the full dump -----------------------------------------------------------------------------

interface KeyState {
  type: string;
  encoding: string;
  /** PEXPIRETIME: absolute, so it must survive a restart exactly (-1: no TTL). */
  expireAt: number;
  content: unknown;
}

interface Dump {
  /** Keys in byte order, each with its state. */
  keys: [string, KeyState][];
  /** PTTL of each key, read at `at`. */
  ttls: Map<string, number>;
  at: number;
}

/** Every key of the cluster, by walking SCAN through the router (which visits every shard). */
async function scanCluster(c: RespConnection): Promise<string[]> {
  const seen = new Set<string>();
  let cursor = "0";
  do {
    const [reply] = await run(c, [["SCAN", cursor, "COUNT", "100"]]);
    const [next, batch] = reply as [string, string[]];
    for (const k of batch) seen.add(k);
    cursor = next;
  } while (cursor !== "0");
  return [...seen].sort();
}

/** A value's contents by type; hash-table orders (hashes, sets) are normalised by sorting. */
function readCommand(key: string, type: string): string[] {
  switch (type) {
    case "string":
      return ["GET", key];
    case "list":
      return ["LRANGE", key, "0", "-1"];
    case "hash":
      return ["HGETALL", key];
    case "set":
      return ["SMEMBERS", key];
    case "zset":
      return ["ZRANGE", key, "0", "-1", "WITHSCORES"];
    default:
      throw new Error(`unexpected type ${type}`);
  }
}

function pairsOf(flat: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i], flat[i + 1]]);
  return out;
}

function normalise(type: string, encoding: string, reply: Resp): unknown {
  if (type === "set") return [...(reply as string[])].sort();
  // A listpack hash has an order (insertion) a restart must keep; a hash table's is its own.
  if (type === "hash") return encoding === "listpack" ? pairsOf(reply as string[]) : pairsOf(reply as string[]).sort(byFirst);
  if (type === "zset") return pairsOf(reply as string[]);
  return reply;
}

function byFirst(a: [string, ...unknown[]], b: [string, ...unknown[]]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

/** SCAN of the whole cluster, then each key's type, encoding, expiry, TTL and contents. */
async function dumpCluster(c: RespConnection): Promise<Dump> {
  const keys = await scanCluster(c);
  const meta = await run(
    c,
    keys.flatMap((k) => [["TYPE", k], ["OBJECT", "ENCODING", k], ["PEXPIRETIME", k], ["PTTL", k]]),
  );
  const at = Date.now();
  const types = keys.map((_, i) => (meta[4 * i] as { simple: string }).simple);
  const contents = await run(
    c,
    keys.map((k, i) => readCommand(k, types[i])),
  );
  const ttls = new Map<string, number>();
  const states: [string, KeyState][] = keys.map((k, i) => {
    const encoding = meta[4 * i + 1] as string;
    ttls.set(k, meta[4 * i + 3] as number);
    return [k, { type: types[i], encoding, expireAt: meta[4 * i + 2] as number, content: normalise(types[i], encoding, contents[i]) }];
  });
  return { keys: states, ttls, at };
}

/**
 * What Redis's RDB loading does to a collection saved in its large encoding that now fits
 * the compact one (rdbLoadObject, default thresholds): a hash table hash of at most 512
 * fields and values of at most 64 bytes loads as a listpack; a hash table set of at most 512
 * integers as an intset; a skiplist of at most 128 members of at most 64 bytes as a listpack.
 */
const COMPACTED_ON_LOAD: Record<string, { from: string; to: string; fits(content: unknown): boolean }> = {
  hash: {
    from: "hashtable",
    to: "listpack",
    fits: (c) => (c as [string, string][]).length <= 512 && (c as [string, string][]).every(([f, v]) => f.length <= 64 && v.length <= 64),
  },
  set: { from: "hashtable", to: "intset", fits: (c) => (c as string[]).length <= 512 && (c as string[]).every(isInt64Text) },
  zset: { from: "skiplist", to: "listpack", fits: (c) => (c as [string, string][]).length <= 128 && (c as [string, string][]).every(([m]) => m.length <= 64) },
};

/** A canonical 64-bit integer, as Redis's string2ll accepts it (what an intset may hold). */
function isInt64Text(s: string): boolean {
  return /^(0|-?[1-9][0-9]{0,18})$/.test(s) && BigInt(s) >= -(2n ** 63n) && BigInt(s) < 2n ** 63n;
}

/** The same collection regardless of order; zset scores compared as numbers (a listpack shows -0 as 0). */
function sameUnordered(type: string, a: unknown, b: unknown): boolean {
  const norm = (c: unknown) =>
    type === "zset"
      ? (c as [string, string][]).map(([m, sc]) => JSON.stringify([m, parseScore(sc)]))
      : (c as unknown[]).map((x) => JSON.stringify(x)).sort();
  return JSON.stringify(norm(a)) === JSON.stringify(norm(b));
}

/**
 * The second dump equals the first; each TTL ran down by no more than the time between
 * them. After a load from a snapshot (`reloaded`), a collection may also come back in its
 * compact encoding exactly where Redis's own loading would put it there (see
 * COMPACTED_ON_LOAD), with the same contents.
 */
function expectSameDump(before: Dump, after: Dump, reloaded = false): void {
  expect(after.keys.map(([k]) => k)).toEqual(before.keys.map(([k]) => k));
  for (let i = 0; i < before.keys.length; i++) {
    const [key, state] = before.keys[i];
    const now = after.keys[i][1];
    const label = JSON.stringify(key);
    const rule = COMPACTED_ON_LOAD[state.type];
    if (reloaded && rule && state.encoding === rule.from && now.encoding === rule.to) {
      expect(rule.fits(state.content), label).toBe(true);
      expect({ ...now, content: null, encoding: rule.from }, label).toEqual({ ...state, content: null });
      expect(sameUnordered(state.type, now.content, state.content), label).toBe(true);
    } else expect(now, label).toEqual(state);
  }
  const elapsed = after.at - before.at;
  for (const [key, ttl] of before.ttls) {
    const now = after.ttls.get(key)!;
    if (ttl < 0) expect(now, JSON.stringify(key)).toBe(ttl);
    else {
      expect(now, JSON.stringify(key)).toBeLessThanOrEqual(ttl);
      expect(ttl - now, JSON.stringify(key)).toBeLessThanOrEqual(elapsed + 1000);
    }
  }
}

// --- eviction -----------------------------------------------------------------------------------

/**
 * Evicts every shard, proving it happened: a mark left on each shard instance before is
 * gone after (the instances were torn down and the shards rebuilt from storage).
 */
async function evictEveryShard(): Promise<void> {
  const mark = (i: number, set: boolean) =>
    (runInDurableObject as any)(shardStub(i), (shard: any) => {
      const had = shard.__persistenceTestMark === true;
      if (set) shard.__persistenceTestMark = true;
      return had;
    }) as Promise<boolean>;
  for (let i = 0; i < SHARDS; i++) await mark(i, true);
  await evictAllDurableObjects();
  for (let i = 0; i < SHARDS; i++) expect(await mark(i, false)).toBe(false);
}

// --- datasets and their models --------------------------------------------------------------

interface Expected {
  type: string;
  /** Contents as the dump normalises them (hashes as sorted pairs, zsets as [member, score]). */
  content: unknown;
  /** Absolute expiry, or a [lo, hi] window for a relative one; -1 when none. */
  expireAt: number | [number, number];
}

/** A dataset: the commands that build it, run in order, and what they leave (some steps fill it in from replies). */
interface Dataset {
  steps: Step[];
  model: Map<string, Expected>;
  /** Encodings the dataset must reach (proves the thresholds were crossed). */
  encodings: string[];
}

/** A batch of commands; `after` updates the model from the replies (SPOP, ZPOPMIN …). */
interface Step {
  cmds: string[][];
  after?: (replies: Resp[], sentAt: number, doneAt: number) => void;
}

/**
 * `count` binary keys for a family: key i holds bytes 3i, 3i+1, 3i+2 (so every byte value
 * occurs in some key once count ≥ 86) and random bytes; they land on every shard.
 */
function familyKeys(family: string, count: number, rng: Rng): string[] {
  const keys = Array.from({ length: count }, (_, i) => {
    const own = [3 * i, 3 * i + 1, 3 * i + 2].map((b) => String.fromCharCode(b % 256)).join("");
    return `${family}:${i}:${own}${rng.bytes(rng.range(0, 6))}`;
  });
  expect(new Set(keys.map((k) => slots.shardOfKey(k))).size).toBe(SHARDS);
  return keys;
}

/** A binary piece of data: random bytes, a printable word, or every byte at once. */
function blob(rng: Rng, maxLen: number): string {
  const r = rng.int(10);
  if (r < 5) return rng.bytes(rng.range(0, maxLen));
  if (r < 9) return "v" + rng.u32().toString(36);
  return ALL_BYTES;
}

/**
 * Gives some keys a TTL, in every way there is, and records it: PEXPIREAT (exact),
 * EXPIRE / PEXPIRE (relative: a window), and a PERSIST that takes one away again.
 */
function ttlSteps(keys: readonly string[], model: Map<string, Expected>, rng: Rng): Step[] {
  const steps: Step[] = [];
  for (const key of keys) {
    const r = rng.int(10);
    if (r < 2) {
      const at = Date.now() + HOUR + rng.int(HOUR);
      steps.push({ cmds: [["PEXPIREAT", key, String(at)]], after: () => (model.get(key)!.expireAt = at) });
    } else if (r < 4) {
      const ms = HOUR + rng.int(HOUR);
      const seconds = rng.chance(0.5);
      const cmd = seconds ? ["EXPIRE", key, String(Math.floor(ms / 1000))] : ["PEXPIRE", key, String(ms)];
      const span = seconds ? Math.floor(ms / 1000) * 1000 : ms;
      steps.push({ cmds: [cmd], after: (_r, sentAt, doneAt) => (model.get(key)!.expireAt = [sentAt + span, doneAt + span]) });
    } else if (r < 5) {
      steps.push({ cmds: [["PEXPIRE", key, String(HOUR)], ["PERSIST", key]], after: () => (model.get(key)!.expireAt = -1) });
    }
  }
  return steps;
}

function stringDataset(seed: number): Dataset {
  const rng = new Rng(seed);
  const keys = familyKeys("str", 90, rng);
  const model = new Map<string, Expected>();
  const steps: Step[] = [];
  const mset: string[] = ["MSET"];
  keys.forEach((key, i) => {
    let value: string;
    switch (i % 6) {
      case 0:
        value = String(rng.range(-1_000_000, 1_000_000)); // "int"
        break;
      case 1:
        value = rng.bytes(rng.range(0, 44)); // "embstr"
        break;
      case 2:
        value = rng.bytes(rng.range(45, 3000)); // "raw"
        break;
      case 3:
        value = i === 3 ? ALL_BYTES : "";
        break;
      default:
        value = blob(rng, 100);
    }
    model.set(key, { type: "string", content: value, expireAt: -1 });
    // Half by MSET (split over shards by the router), half by SET, some with a TTL at once.
    if (i % 2 === 0) mset.push(key, value);
    else if (i % 5 === 1) {
      const at = Date.now() + HOUR + rng.int(HOUR);
      steps.push({ cmds: [["SET", key, value, "PXAT", String(at)]], after: () => (model.get(key)!.expireAt = at) });
    } else if (i % 5 === 3) {
      steps.push({ cmds: [["SET", key, value, "EX", "7200"]], after: (_r, s, d) => (model.get(key)!.expireAt = [s + 7_200_000, d + 7_200_000]) });
    } else steps.push({ cmds: [["SET", key, value]] });
  });
  steps.unshift({ cmds: [mset] });
  // Some history: appends, counters, a range overwrite.
  for (const key of keys.filter((_, i) => i % 6 === 0).slice(0, 6)) {
    const by = rng.range(-500, 500);
    steps.push({ cmds: [["INCRBY", key, String(by)]], after: () => (model.get(key)!.content = String(BigInt(model.get(key)!.content as string) + BigInt(by))) });
  }
  for (const key of keys.filter((_, i) => i % 6 === 1).slice(0, 6)) {
    const tail = rng.bytes(rng.range(1, 60));
    steps.push({ cmds: [["APPEND", key, tail]], after: () => (model.get(key)!.content = (model.get(key)!.content as string) + tail) });
  }
  const big = `str:big:${ALL_BYTES.slice(200)}`;
  const bigValue = rng.bytes(200_000);
  model.set(big, { type: "string", content: bigValue, expireAt: -1 });
  steps.push({ cmds: [["SET", big, bigValue.slice(0, 100_000)], ["APPEND", big, bigValue.slice(100_000)]] });
  steps.push(...ttlSteps([...model.keys()], model, rng));
  return { steps, model, encodings: ["int", "embstr", "raw"] };
}

function listDataset(seed: number): Dataset {
  const rng = new Rng(seed);
  const keys = familyKeys("list", 90, rng);
  const model = new Map<string, Expected>();
  const steps: Step[] = [];
  const listOf = (key: string) => model.get(key)!.content as string[];
  keys.forEach((key, i) => {
    model.set(key, { type: "list", content: [], expireAt: -1 });
    const n = i === 0 ? 5000 : rng.range(1, 40);
    // Long lists go in pushes of 500 (many quicklist nodes: elements up to 300 bytes).
    for (let done = 0; done < n; ) {
      const batch = Array.from({ length: Math.min(500, n - done) }, () => (i === 1 && done === 0 ? ALL_BYTES : blob(rng, i === 0 ? 300 : 30)));
      done += batch.length;
      if (rng.chance(0.5)) {
        steps.push({ cmds: [["RPUSH", key, ...batch]], after: () => listOf(key).push(...batch) });
      } else {
        steps.push({ cmds: [["LPUSH", key, ...batch]], after: () => listOf(key).unshift(...[...batch].reverse()) });
      }
    }
  });
  // Edits: LSET, LINSERT, pops with counts, trims, LREM, LMOVE within one key.
  for (const key of keys.slice(2, 30)) {
    const r = rng.int(6);
    const el = blob(rng, 20);
    if (r === 0) {
      steps.push({ cmds: [["LSET", key, "0", el]], after: () => (listOf(key)[0] = el) });
    } else if (r === 1) {
      steps.push({ cmds: [["LPOP", key, "2"]], after: () => listOf(key).splice(0, 2) });
    } else if (r === 2) {
      steps.push({ cmds: [["RPOP", key]], after: () => listOf(key).pop() });
    } else if (r === 3) {
      steps.push({ cmds: [["LTRIM", key, "1", "-2"]], after: () => model.get(key)!.content = listOf(key).slice(1, -1) });
    } else if (r === 4) {
      steps.push({
        cmds: [["LINSERT", key, "AFTER", "__none__", el], ["RPUSH", key, "__mark__"], ["LINSERT", key, "BEFORE", "__mark__", el]],
        after: () => listOf(key).push(el, "__mark__"),
      });
    } else {
      steps.push({ cmds: [["LMOVE", key, key, "LEFT", "RIGHT"]], after: () => listOf(key).push(listOf(key).shift()!) });
    }
  }
  steps.push(...ttlSteps(keys, model, rng));
  // Lists that became empty are gone.
  steps.push({ cmds: [], after: () => keys.forEach((k) => listOf(k).length === 0 && model.delete(k)) });
  return { steps, model, encodings: ["quicklist"] };
}

function hashDataset(seed: number): Dataset {
  const rng = new Rng(seed);
  const keys = familyKeys("hash", 90, rng);
  const model = new Map<string, Expected>();
  const steps: Step[] = [];
  const fields = new Map<string, Map<string, string>>();
  const hset = (key: string, pairs: [string, string][]) => {
    steps.push({ cmds: [["HSET", key, ...pairs.flat()]], after: () => pairs.forEach(([f, v]) => fields.get(key)!.set(f, v)) });
  };
  keys.forEach((key, i) => {
    fields.set(key, new Map());
    model.set(key, { type: "hash", content: null, expireAt: -1 });
    if (i === 0) {
      // Past hash-max-listpack-entries (512): a hash table.
      for (let done = 0; done < 700; done += 100) hset(key, Array.from({ length: 100 }, (_, j) => [`f${done + j}:${rng.bytes(3)}`, blob(rng, 20)]));
    } else if (i === 1) {
      // One value past hash-max-listpack-value (64 bytes): a hash table from the start.
      hset(key, [["long", rng.bytes(100)], ["all", ALL_BYTES], ["short", "x"]]);
    } else {
      hset(key, Array.from({ length: rng.range(1, 20) }, () => [blob(rng, 12), blob(rng, 30)] as [string, string]));
    }
  });
  // Counters, deletes, overwrites.
  for (const key of keys.slice(2, 40)) {
    const r = rng.int(4);
    if (r === 0) {
      const by = rng.range(-100, 100);
      steps.push({ cmds: [["HINCRBY", key, "counter", String(by)], ["HINCRBY", key, "counter", "1"]], after: () => fields.get(key)!.set("counter", String(by + 1)) });
    } else if (r === 1) {
      // Halves and quarters: exact in binary, so Redis's %.17Lg prints them as JavaScript does.
      const by = rng.range(-40, 40) / 4;
      steps.push({ cmds: [["HSET", key, "float", "10"], ["HINCRBYFLOAT", key, "float", String(by)]], after: () => fields.get(key)!.set("float", String(10 + by)) });
    } else if (r === 2) {
      steps.push({
        cmds: [["HSET", key, "gone", "1", "kept", "2"], ["HDEL", key, "gone", "nothing"]],
        after: () => fields.get(key)!.set("kept", "2"),
      });
    } else {
      const v = blob(rng, 40);
      steps.push({ cmds: [["HSET", key, "over", "first"], ["HSET", key, "over", v]], after: () => fields.get(key)!.set("over", v) });
    }
  }
  steps.push(...ttlSteps(keys, model, rng));
  steps.push({ cmds: [], after: () => keys.forEach((k) => (model.get(k)!.content = [...fields.get(k)!].sort(byFirst))) });
  return { steps, model, encodings: ["listpack", "hashtable"] };
}

function setDataset(seed: number): Dataset {
  const rng = new Rng(seed);
  const keys = familyKeys("set", 90, rng);
  const model = new Map<string, Expected>();
  const steps: Step[] = [];
  const members = new Map<string, Set<string>>();
  const sadd = (key: string, ms: string[]) => steps.push({ cmds: [["SADD", key, ...ms]], after: () => ms.forEach((m) => members.get(key)!.add(m)) });
  keys.forEach((key, i) => {
    members.set(key, new Set());
    model.set(key, { type: "set", content: null, expireAt: -1 });
    if (i === 0 || i === 1) {
      // Past set-max-intset-entries (512) integers: a hash table.
      for (let done = 0; done < 600; done += 150) sadd(key, Array.from({ length: 150 }, (_, j) => String((done + j) * 7 - 1000)));
    } else if (i % 3 === 0) {
      sadd(key, Array.from({ length: rng.range(1, 50) }, () => String(rng.range(-1e6, 1e6)))); // intset
    } else if (i === 2) {
      sadd(key, [ALL_BYTES, "1", "2", "", "\x00"]);
    } else {
      sadd(key, Array.from({ length: rng.range(1, 40) }, () => (rng.chance(0.3) ? String(rng.int(100)) : blob(rng, 16))));
    }
  });
  // SPOP is random: the log holds SREM of what was popped, which the model learns from the reply.
  for (const key of [keys[0], keys[2], keys[3], keys[4]]) {
    steps.push({ cmds: [["SPOP", key, "3"]], after: ([r]) => (r as string[]).forEach((m) => members.get(key)!.delete(m)) });
    steps.push({ cmds: [["SPOP", key]], after: ([r]) => void members.get(key)!.delete(r as string) });
  }
  // Members that come and go, and SMOVE / SINTERSTORE between keys of one slot.
  for (const key of keys.slice(5, 25)) {
    steps.push({ cmds: [["SREM", key, "__absent__"], ["SADD", key, "__extra__"], ["SREM", key, "__extra__"]] });
  }
  const src = "{set-move}:src";
  const dst = "{set-move}:dst\xff";
  members.set(src, new Set());
  members.set(dst, new Set());
  model.set(src, { type: "set", content: null, expireAt: -1 });
  model.set(dst, { type: "set", content: null, expireAt: -1 });
  sadd(src, ["a", "b", "1"]);
  steps.push({ cmds: [["SMOVE", src, dst, "a"], ["SMOVE", src, dst, "1"]], after: () => {
    members.get(src)!.delete("a");
    members.get(src)!.delete("1");
    members.get(dst)!.add("a").add("1");
  } });
  const stored = "{set-move}:inter";
  members.set(stored, new Set());
  model.set(stored, { type: "set", content: null, expireAt: -1 });
  steps.push({ cmds: [["SADD", dst, "b"], ["SINTERSTORE", stored, src, dst]], after: () => {
    members.get(dst)!.add("b");
    members.get(stored)!.add("b");
  } });
  steps.push(...ttlSteps(keys, model, rng));
  steps.push({
    cmds: [],
    after: () => {
      for (const [k, ms] of members) {
        if (ms.size === 0) model.delete(k);
        else model.get(k)!.content = [...ms].sort();
      }
    },
  });
  return { steps, model, encodings: ["intset", "hashtable"] };
}

/** A score: small halves and quarters, integers, infinities, or an arbitrary double. */
function score(rng: Rng): number {
  const r = rng.int(10);
  if (r < 4) return rng.range(-400, 400) / 4;
  if (r < 6) return rng.range(-1_000_000, 1_000_000);
  if (r < 7) return rng.pick([Infinity, -Infinity, 0, -0]);
  return (rng.u32() / 4294967296 - 0.5) * 10 ** rng.range(-10, 300);
}

function scoreArg(s: number): string {
  if (Object.is(s, -0)) return "-0";
  return s === Infinity ? "+inf" : s === -Infinity ? "-inf" : String(s);
}

function zsetDataset(seed: number): Dataset {
  const rng = new Rng(seed);
  const keys = familyKeys("zset", 90, rng);
  const model = new Map<string, Expected>();
  const steps: Step[] = [];
  const scores = new Map<string, Map<string, number>>();
  const zadd = (key: string, pairs: [number, string][]) =>
    steps.push({ cmds: [["ZADD", key, ...pairs.flatMap(([s, m]) => [scoreArg(s), m])]], after: () => pairs.forEach(([s, m]) => scores.get(key)!.set(m, s + 0)) });
  keys.forEach((key, i) => {
    scores.set(key, new Map());
    model.set(key, { type: "zset", content: null, expireAt: -1 });
    if (i === 0) {
      // Past zset-max-listpack-entries (128): a skiplist.
      for (let done = 0; done < 300; done += 100) zadd(key, Array.from({ length: 100 }, (_, j) => [score(rng), `m${done + j}:${rng.bytes(4)}`]));
    } else if (i === 1) {
      // A member past zset-max-listpack-value (64 bytes): a skiplist from the start.
      zadd(key, [[1, rng.bytes(80)], [2, ALL_BYTES], [-Infinity, "low"], [Infinity, "high"]]);
    } else {
      zadd(key, Array.from({ length: rng.range(1, 30) }, () => [score(rng), blob(rng, 12)] as [number, string]));
    }
  });
  for (const key of keys.slice(2, 40)) {
    const r = rng.int(4);
    if (r === 0) {
      const by = rng.range(-20, 20) / 2;
      steps.push({ cmds: [["ZADD", key, "5", "__inc__"], ["ZINCRBY", key, String(by), "__inc__"]], after: () => scores.get(key)!.set("__inc__", 5 + by) });
    } else if (r === 1) {
      steps.push({ cmds: [["ZPOPMIN", key, "2"]], after: ([rep]) => pairsOf(rep as string[]).forEach(([m]) => scores.get(key)!.delete(m)) });
    } else if (r === 2) {
      steps.push({ cmds: [["ZADD", key, "1", "__gone__"], ["ZREM", key, "__gone__", "__never__"]] });
    } else {
      steps.push({ cmds: [["ZADD", key, "0", "__moved__"], ["ZADD", key, "XX", "GT", "7.5", "__moved__"]], after: () => scores.get(key)!.set("__moved__", 7.5) });
    }
  }
  steps.push(...ttlSteps(keys, model, rng));
  steps.push({
    cmds: [],
    after: () => {
      for (const [k, ms] of scores) {
        if (ms.size === 0) model.delete(k);
        else {
          const sorted = [...ms].sort(([ma, sa], [mb, sb]) => (sa !== sb ? sa - sb : ma < mb ? -1 : ma > mb ? 1 : 0));
          model.get(k)!.content = sorted;
        }
      }
    },
  });
  return { steps, model, encodings: ["listpack", "skiplist"] };
}

/** Runs a dataset's steps in pipelined groups (a step's `after` sees its own replies). */
async function build(c: RespConnection, data: Dataset): Promise<void> {
  for (let i = 0; i < data.steps.length; ) {
    const group: Step[] = [];
    let n = 0;
    while (i < data.steps.length && (group.length === 0 || n + data.steps[i].cmds.length <= FRAME_COMMANDS)) {
      n += data.steps[i].cmds.length;
      group.push(data.steps[i++]);
    }
    const sentAt = Date.now();
    const replies = await write(c, group.flatMap((s) => s.cmds));
    const doneAt = Date.now();
    let at = 0;
    for (const s of group) {
      s.after?.(replies.slice(at, at + s.cmds.length), sentAt, doneAt);
      at += s.cmds.length;
    }
  }
}

/**
 * A dumped score as a number (Redis prints inf / -inf). Zero's sign is dropped: Redis shows
 * -0 as "-0" in a skiplist and "0" in a listpack, which the dumps compare as text anyway.
 */
function parseScore(s: string): number {
  return (s === "inf" ? Infinity : s === "-inf" ? -Infinity : Number(s)) + 0;
}

/** The first dump holds exactly what the model says the dataset left. */
function expectDumpMatchesModel(dump: Dump, data: Dataset): void {
  expect(dump.keys.map(([k]) => k)).toEqual([...data.model.keys()].sort());
  for (const [key, state] of dump.keys) {
    const want = data.model.get(key)!;
    const label = JSON.stringify(key);
    expect(state.type, label).toBe(want.type);
    if (want.type === "hash") expect((state.content as [string, string][]).slice().sort(byFirst), label).toEqual(want.content);
    else if (want.type === "zset") {
      const got = (state.content as [string, string][]).map(([m, s]) => [m, parseScore(s)]);
      expect(got, label).toEqual(want.content);
    } else expect(state.content, label).toEqual(want.content);
    if (Array.isArray(want.expireAt)) {
      expect(state.expireAt, label).toBeGreaterThanOrEqual(want.expireAt[0]);
      expect(state.expireAt, label).toBeLessThanOrEqual(want.expireAt[1]);
    } else expect(state.expireAt, label).toBe(want.expireAt);
  }
  const encodings = new Set(dump.keys.map(([, s]) => s.encoding));
  expect([...encodings].sort()).toEqual([...data.encodings].sort());
}

// --- the tests -----------------------------------------------------------------------------------

describe("every data type survives the eviction of every shard", () => {
  const families: [string, (seed: number) => Dataset][] = [
    ["strings", stringDataset],
    ["lists", listDataset],
    ["hashes", hashDataset],
    ["sets", setDataset],
    ["sorted sets", zsetDataset],
  ];
  for (const [name, dataset] of families) {
    for (const from of ["the log", "a snapshot and the log after it"]) {
      it(`${name}: a seeded binary dataset with TTLs, over all shards and past the encoding thresholds, reads back identical from ${from}`, async () => {
        const c = await connect();
        expect(await c.call(["FLUSHALL"])).toBe("+OK\r\n");
        const data = dataset(name.length * 1000 + 7);
        if (from === "the log") await build(c, data);
        else {
          // SAVE (on every shard) halfway: recovery loads the snapshot, then replays the rest.
          const half = Math.floor(data.steps.length / 2);
          await build(c, { ...data, steps: data.steps.slice(0, half) });
          expect(await c.call(["SAVE"])).toBe("+OK\r\n");
          await build(c, { ...data, steps: data.steps.slice(half) });
        }
        const before = await dumpCluster(c);
        expectDumpMatchesModel(before, data);
        await evictEveryShard();
        const after = await dumpCluster(c);
        expectSameDump(before, after, from !== "the log");
        c.close();
      }, 120_000);
    }
  }
});

// --- blocking clients, transactions and crashes ---------------------------------------------

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Whether a promise has settled within `ms` (without consuming it). */
async function settledWithin<T>(p: Promise<T>, ms: number): Promise<boolean> {
  return Promise.race([p.then(() => true), sleep(ms).then(() => false)]);
}

const bulk = (s: string) => `$${s.length}\r\n${s}\r\n`;

describe("blocked clients and transactions when shards go away", () => {
  it("a crash of every shard under blocked clients and queued transactions loses no acknowledged write and leaves no ghost waiter", async () => {
    const [other, served, listWaiter, zsetWaiter, tx, watcher] = await Promise.all(Array.from({ length: 6 }, () => connect()));
    const listShard = slots.shardOfKey("{q}list");
    const zsetShard = slots.shardOfKey("{z}set");
    expect(listShard).not.toBe(zsetShard);
    expect(await other.call(["FLUSHALL"], ["RPUSH", "{q}done", "1", "2\x00\xff"], ["ZADD", "{z}done", "1.5", "a"])).toBe("+OK\r\n:2\r\n:1\r\n");

    // Blocked clients served before the crash: their pops are acknowledged writes too.
    const pop = served.call(["BLPOP", "{q}served", "0"]);
    await sleep(20);
    expect(await other.call(["RPUSH", "{q}served", "a", "b", "c"])).toBe(":3\r\n");
    expect(await pop).toBe("*2\r\n" + bulk("{q}served") + bulk("a"));
    const move = served.call(["BLMOVE", "{q}src", "{q}dst", "LEFT", "RIGHT", "0"]);
    await sleep(20);
    expect(await other.call(["RPUSH", "{q}src", "x"])).toBe(":1\r\n");
    expect(await move).toBe(bulk("x"));

    // Still blocked when the shards crash; a transaction queued, another watching a key.
    const blpop = listWaiter.call(["BLPOP", "{q}list", "0"]);
    const bzpop = zsetWaiter.call(["BZPOPMIN", "{z}set", "0"]);
    expect(await tx.call(["MULTI"], ["RPUSH", "{q}list", "from-tx"], ["INCR", "{q}n"])).toBe("+OK\r\n+QUEUED\r\n+QUEUED\r\n");
    expect(await watcher.call(["WATCH", "{w}k"], ["MULTI"], ["SET", "{w}k", "mine"])).toBe("+OK\r\n+OK\r\n+QUEUED\r\n");
    await sleep(20);
    expect(await settledWithin(blpop, 0)).toBe(false);
    const before = await dumpCluster(other);
    expect(before.keys.map(([k]) => k)).toEqual(["{q}done", "{q}dst", "{q}served", "{z}done"]);

    await abortAllDurableObjects();

    // Each blocked client gets an error (its call died with the shard), and its connection lives on.
    expect(await blpop).toMatch(new RegExp(`^-ERR shard ${listShard} unavailable: [^\\r\\n]+\\r\\n$`));
    expect(await bzpop).toMatch(new RegExp(`^-ERR shard ${zsetShard} unavailable: [^\\r\\n]+\\r\\n$`));
    expectSameDump(before, await dumpCluster(other));
    // The queued transaction runs now; its push goes to the list, not to a ghost of the old waiter.
    expect(await tx.call(["EXEC"])).toBe("*2\r\n:1\r\n:1\r\n");
    expect(await other.call(["LRANGE", "{q}list", "0", "-1"])).toBe("*1\r\n" + bulk("from-tx"));
    // A WATCH the crashed shard can no longer vouch for aborts the transaction.
    expect(await watcher.call(["EXEC"], ["EXISTS", "{w}k"])).toBe("*-1\r\n:0\r\n");
    // The same connections block and are woken again.
    const again = zsetWaiter.call(["BZPOPMIN", "{z}set", "0"]);
    await sleep(20);
    expect(await other.call(["ZADD", "{z}set", "2", "m"])).toBe(":1\r\n");
    expect(await again).toBe("*3\r\n" + bulk("{z}set") + bulk("m") + bulk("2"));
    expect(await listWaiter.call(["BLPOP", "{q}list", "0"])).toBe("*2\r\n" + bulk("{q}list") + bulk("from-tx"));
    for (const c of [other, served, listWaiter, zsetWaiter, tx, watcher]) c.close();
  }, 60_000);

  it("a graceful eviction lets blocked clients time out first, then restores every shard; queued transactions run after it", async () => {
    const [other, waiter, tx] = await Promise.all(Array.from({ length: 3 }, () => connect()));
    expect(await other.call(["FLUSHALL"], ["HSET", "{g}h", "f", "v"], ["SADD", "{g}s", "1", "2", "x"])).toBe("+OK\r\n:1\r\n:3\r\n");
    const blpop = waiter.call(["BLPOP", "{g}list", "{g}other", "0.3"]);
    expect(await tx.call(["MULTI"], ["LPUSH", "{g}list", "late"], ["HGET", "{g}h", "f"])).toBe("+OK\r\n+QUEUED\r\n+QUEUED\r\n");
    await sleep(20);
    const before = await dumpCluster(other);
    await evictEveryShard();
    expect(await blpop).toBe("*-1\r\n");
    expectSameDump(before, await dumpCluster(other));
    expect(await tx.call(["EXEC"])).toBe("*2\r\n:1\r\n" + bulk("v"));
    expect(await waiter.call(["BLPOP", "{g}list", "0"])).toBe("*2\r\n" + bulk("{g}list") + bulk("late"));
    for (const c of [other, waiter, tx]) c.close();
  }, 60_000);
});

// --- the log's order, and a history heavy in deletes, overwrites and expiries ----------------

describe("the log replays in the order the writes ran", () => {
  it("many small write batches from concurrent connections and HTTP pipelines come back exactly, in order", async () => {
    const ws = await Promise.all(Array.from({ length: 4 }, () => connect()));
    expect(await ws[0].call(["FLUSHALL"])).toBe("+OK\r\n");
    const ROUNDS = 120;
    /** Keys of each writer's own, spread over the shards: overwritten, deleted, re-created. */
    const own = (writer: string, i: number) => `own:${writer}:${i % 9}\xfe`;
    // Both writes of a round run in one batch on the shard of {seq}, so the text and the list record one order.
    const round = (writer: string, i: number): string[][] => {
      const tag = `${writer}.${i}`;
      const cmds = [
        ["APPEND", "{seq}text", tag + ";"],
        ["RPUSH", "{seq}list", tag],
        ["INCR", "{seq}n"],
        ["HSET", "{seq}last", writer, String(i)],
        ["ZADD", "{seq}z", String(i), writer],
        ["SET", own(writer, i), tag],
      ];
      if (i % 4 === 3) cmds.push(["DEL", own(writer, i - 1)]);
      if (i % 5 === 4) cmds.push(["SADD", `{seq}set:${writer}`, String(i)], ["SREM", `{seq}set:${writer}`, String(i - 4)]);
      return cmds;
    };
    const wsWriters = ws.map(async (c, n) => {
      for (let i = 0; i < ROUNDS; i++) {
        const cmds = round(`w${n}`, i);
        const replies = parseReplies(await c.call(...cmds));
        expect(replies.filter(isErrorReply)).toEqual([]);
      }
    });
    const httpWriter = (async () => {
      for (let i = 0; i < ROUNDS; i++) {
        const { json } = await http(round("h", i), "/pipeline");
        expect((json as { error?: string }[]).filter((r) => "error" in r)).toEqual([]);
      }
    })();
    await Promise.all([...wsWriters, httpWriter]);

    const writers = ["w0", "w1", "w2", "w3", "h"];
    const [text, list, n] = parseReplies(await ws[0].call(["GET", "{seq}text"], ["LRANGE", "{seq}list", "0", "-1"], ["GET", "{seq}n"])) as [string, string[], string];
    expect(n).toBe(String(writers.length * ROUNDS));
    expect(text).toBe(list.map((t) => t + ";").join(""));
    // The writers interleaved, and each one's writes are in its own order.
    expect(list.slice(0, writers.length * 4).some((t, i, a) => i > 0 && t.split(".")[0] !== a[i - 1].split(".")[0])).toBe(true);
    for (const w of writers) {
      expect(list.filter((t) => t.startsWith(w + ".")).map((t) => Number(t.split(".")[1]))).toEqual(Array.from({ length: ROUNDS }, (_, i) => i));
    }
    const before = await dumpCluster(ws[0]);
    expect(new Set(before.keys.filter(([k]) => k.startsWith("own:")).map(([k]) => slots.shardOfKey(k))).size).toBe(SHARDS);
    await evictEveryShard();
    expectSameDump(before, await dumpCluster(ws[0]));
    for (const c of ws) c.close();
  }, 120_000);

  for (const snapshots of [false, true]) {
    it(`a seeded history heavy in deletes, overwrites of every type and expiries replays to the same final state${snapshots ? ", background snapshots taken while it runs" : ""}`, async () => {
      const c = await connect();
      expect(await c.call(["FLUSHALL"])).toBe("+OK\r\n");
      const rng = new Rng(snapshots ? 4243 : 4242);
      const history = historySteps(rng, 4000);
      // BGSAVE halfway and BGREWRITEAOF at three quarters: each copies keys the writes after it touch first.
      if (snapshots) {
        history.splice(3000, 0, ["BGREWRITEAOF"]);
        history.splice(2000, 0, ["BGSAVE"]);
      }
      const errors = new Set<string>();
      let expiring = 0;
      for (let i = 0; i < history.length; ) {
        const frame = history.slice(i, (i += rng.range(1, 60)));
        const replies = await run(c, frame);
        replies.forEach((r, j) => {
          if (isErrorReply(r)) errors.add(r.error);
          else if (/^p?expire$/i.test(frame[j][0]) && r === 1 && Number(frame[j][2]) < 1000) expiring++;
        });
        // Now and then let short TTLs run out, so keys expire (lazily, or by the shards' alarms) mid-history.
        if (rng.chance(0.1)) await sleep(rng.range(5, 40));
      }
      // The history ran, with only the refusals it invites (wrong types, non-numbers, missing keys).
      const invited = [
        "ERR index out of range",
        "ERR no such key",
        "ERR source and destination objects are the same",
        "ERR value is not an integer or out of range",
        "WRONGTYPE Operation against a key holding the wrong kind of value",
      ];
      for (const e of errors) expect(invited).toContain(e);
      expect(errors).toContain("WRONGTYPE Operation against a key holding the wrong kind of value");
      expect(expiring).toBeGreaterThan(50);
      // Every short TTL has passed.
      await sleep(200);
      const before = await dumpCluster(c);
      expect(before.keys.length).toBeGreaterThanOrEqual(10);
      expect(new Set(before.keys.map(([, s]) => s.type)).size).toBeGreaterThanOrEqual(4);
      expect(new Set(before.keys.map(([k]) => slots.shardOfKey(k))).size).toBe(SHARDS);
      expect(before.keys.some(([, s]) => s.expireAt > 0)).toBe(true);
      if (snapshots) {
        // Every shard finished both (the router sums its shards' counters).
        const info = (await run(c, [["INFO", "persistence"]]))[0] as string;
        expect(info).toMatch(/^rdb_bgsave_in_progress:0\r$/m);
        expect(info).toMatch(/^aof_rewrite_in_progress:0\r$/m);
        expect(info).toMatch(new RegExp(`^rdb_saves:${SHARDS}\r$`, "m"));
        expect(info).toMatch(new RegExp(`^aof_rewrites:${SHARDS}\r$`, "m"));
      }
      await evictEveryShard();
      expectSameDump(before, await dumpCluster(c), snapshots);
      c.close();
    }, 120_000);
  }
});

/** Hash tags (so multi-key commands stay in a slot) whose keys land on every shard. */
const HISTORY_TAGS = ["{h0}", "{h1}", "{h2}", "{h3}", "{h4}", "{h5}", "{h6}", "{h7}"];
const HISTORY_NAMES = ["a", "b", "c\x00", "d\xff", "e\r\n"];

/**
 * A seeded write history over a small keyspace: every type created, overwritten by another
 * type, deleted (DEL, UNLINK, GETDEL, pops to empty, stores of empty results), renamed and
 * copied, given short TTLs that run out mid-history, long ones, past ones (deleting) and
 * PERSIST, plus random effects (SPOP) that the log must record in deterministic form.
 */
function historySteps(rng: Rng, count: number): string[][] {
  const tag = () => rng.pick(HISTORY_TAGS);
  const keyIn = (t: string) => t + rng.pick(HISTORY_NAMES);
  const key = () => keyIn(tag());
  const small = () => rng.pick(["1", "2", "3", "x", "", "\x00\xff", "-7", "10", ALL_BYTES.slice(rng.int(250))]);
  const makers: [number, () => string[]][] = [
    [6, () => ["SET", key(), small()]],
    [3, () => ["SET", key(), small(), "PX", String(rng.range(1, 120))]],
    [2, () => ["SET", key(), small(), "EX", String(rng.range(1000, 9000))]],
    [1, () => ["SET", key(), small(), "KEEPTTL"]],
    [2, () => ["APPEND", key(), small()]],
    [2, () => ["INCRBY", key(), String(rng.range(-5, 5))]],
    [1, () => ["SETRANGE", key(), String(rng.int(20)), small()]],
    [2, () => ["GETDEL", key()]],
    [2, () => ["GETEX", key(), "PX", String(rng.range(1, 120))]],
    [5, () => ["DEL", key()]],
    [2, () => ["UNLINK", key(), key(), key()]],
    [4, () => ["PEXPIRE", key(), String(rng.range(1, 120))]],
    [2, () => ["EXPIRE", key(), String(rng.range(1000, 9000)), ...(rng.chance(0.3) ? [rng.pick(["NX", "XX", "GT", "LT"])] : [])]],
    [1, () => ["PEXPIREAT", key(), String(rng.range(1, 1_000_000))]],
    [2, () => ["PERSIST", key()]],
    [6, () => [rng.pick(["RPUSH", "LPUSH"]), key(), ...Array.from({ length: rng.range(1, 5) }, small)]],
    [3, () => [rng.pick(["LPOP", "RPOP"]), key(), String(rng.range(1, 3))]],
    [2, () => { const t = tag(); return ["LMOVE", keyIn(t), keyIn(t), rng.pick(["LEFT", "RIGHT"]), rng.pick(["LEFT", "RIGHT"])]; }],
    [1, () => ["LTRIM", key(), String(rng.range(0, 2)), String(rng.range(-3, 3))]],
    [1, () => ["LREM", key(), String(rng.range(-2, 2)), small()]],
    [1, () => ["LSET", key(), String(rng.range(-2, 2)), small()]],
    [1, () => { const t = tag(); return ["LMPOP", "2", keyIn(t), keyIn(t), rng.pick(["LEFT", "RIGHT"]), "COUNT", "2"]; }],
    [1, () => ["BLPOP", key(), "0.01"]],
    [6, () => ["HSET", key(), ...Array.from({ length: rng.range(1, 3) }, () => [small(), small()]).flat()]],
    [2, () => ["HDEL", key(), small(), small()]],
    [2, () => ["HINCRBY", key(), "n", String(rng.range(-3, 3))]],
    [1, () => ["HINCRBYFLOAT", key(), "f", String(rng.range(-8, 8) / 4)]],
    [6, () => ["SADD", key(), ...Array.from({ length: rng.range(1, 5) }, small)]],
    [2, () => ["SREM", key(), small(), small()]],
    [3, () => ["SPOP", key(), ...(rng.chance(0.5) ? [String(rng.range(1, 3))] : [])]],
    [1, () => { const t = tag(); return ["SMOVE", keyIn(t), keyIn(t), small()]; }],
    [2, () => { const t = tag(); return [rng.pick(["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]), keyIn(t), keyIn(t), keyIn(t)]; }],
    [6, () => ["ZADD", key(), ...Array.from({ length: rng.range(1, 3) }, () => [String(rng.range(-8, 8) / 2), small()]).flat()]],
    [2, () => ["ZINCRBY", key(), String(rng.range(-4, 4)), small()]],
    [2, () => ["ZREM", key(), small(), small()]],
    [2, () => [rng.pick(["ZPOPMIN", "ZPOPMAX"]), key(), String(rng.range(1, 3))]],
    [1, () => ["ZREMRANGEBYRANK", key(), "0", String(rng.range(0, 2))]],
    [2, () => { const t = tag(); return [rng.pick(["ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"]), keyIn(t), "2", keyIn(t), keyIn(t)]; }],
    [1, () => { const t = tag(); return ["ZRANGESTORE", keyIn(t), keyIn(t), "0", "1"]; }],
    [1, () => ["BZPOPMIN", key(), "0.01"]],
    [2, () => { const t = tag(); return [rng.pick(["RENAME", "RENAMENX"]), keyIn(t), keyIn(t)]; }],
    [2, () => { const t = tag(); return ["COPY", keyIn(t), keyIn(t), ...(rng.chance(0.5) ? ["REPLACE"] : [])]; }],
    [1, () => { const t = tag(); return ["SORT", keyIn(t), "ALPHA", "LIMIT", "0", "3", "STORE", keyIn(t)]; }],
  ];
  const total = makers.reduce((s, [w]) => s + w, 0);
  const steps: string[][] = [];
  while (steps.length < count) {
    if (steps.length === Math.floor(count / 3)) steps.push(["FLUSHALL"]);
    let r = rng.int(total);
    for (const [w, make] of makers) {
      if ((r -= w) < 0) {
        steps.push(make());
        break;
      }
    }
  }
  return steps;
}
