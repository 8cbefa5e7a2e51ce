// DUMP and RESTORE against a real redis-server 7.0, started here on port 7810: payloads
// Hotslot writes equal redis-server's byte for byte wherever Redis's own bytes are
// deterministic, every payload RESTOREs on the other side with identical contents and
// encoding, payloads in the older encodings Redis 7.0 still loads (ziplist, zipmap,
// linked list, text-score sorted sets, quicklist of ziplists) load identically, and
// damaged payloads are refused with the same errors.
import { spawn, type ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Executor } from "../../src/commands/execute";
import { HashValue } from "../../src/engine/hash";
import { Keyspace, type Value } from "../../src/engine/keyspace";
import { ListValue } from "../../src/engine/list";
import { ByteReader } from "../../src/engine/rdb/bytes";
import { parseDumpPayload } from "../../src/engine/rdb/dump";
import { RDB_TYPE, readLength, readStringBytes, type RdbValue } from "../../src/engine/rdb/object";
import { RedisSet } from "../../src/engine/set";
import { defaultSettings } from "../../src/engine/settings";
import { SortedSet } from "../../src/engine/zset";
import { formatDouble } from "../../src/protocol/resp";
import { binaryToBytes } from "../../src/util/binary";
import { Rng } from "../support/differential";
import { blob, object, payload, writeLength, writeString, ziplist, zipmap } from "../support/rdb-craft";
import { parseReply, RawRespClient, type Resp } from "../support/resp-wire";

const PORT = 7810;
const settings = defaultSettings();

let server: ChildProcess;
let redis: RawRespClient;

async function connectWithRetry(port: number): Promise<RawRespClient> {
  for (let i = 0; i < 100; i++) {
    try {
      return await RawRespClient.connect(port);
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`redis-server did not start on ${port}`);
}

beforeAll(async () => {
  server = spawn("redis-server", ["--port", String(PORT), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1"], { stdio: "ignore" });
  redis = await connectWithRetry(PORT);
  expect(await redis.call("INFO", "server")).toMatch(/redis_version:7\.0\./);
});

afterAll(async () => {
  await redis?.close();
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server.once("exit", r));
    server.kill("SIGTERM");
    await exited;
  }
});

/** One command on redis-server, parsed. */
async function r(...argv: string[]): Promise<Resp> {
  return parseReply(await redis.call(...argv));
}

function text(reply: Resp): string | null {
  if (reply.type === "*") throw new Error("not a simple reply");
  return reply.text;
}

// --- values on both sides --------------------------------------------------------------

/** A value to create, as the commands that build it on redis-server. */
type Spec =
  | { type: "string"; value: string }
  | { type: "list"; items: string[] }
  | { type: "hash"; pairs: [string, string][] }
  | { type: "set"; members: string[] }
  | { type: "zset"; entries: [number, string][] };

function randomElement(rng: Rng, maxLen: number): string {
  switch (rng.int(7)) {
    case 0:
      return String(rng.range(-200, 200));
    case 1:
      return String(rng.range(-(2 ** 31), 2 ** 31) * (rng.chance(0.3) ? 2 ** rng.int(22) : 1));
    case 2:
      return "ab".repeat(rng.int(Math.ceil(maxLen / 2) + 1));
    case 3:
      return rng.bytes(rng.int(maxLen + 1));
    case 4:
      return "x".repeat(rng.int(maxLen + 1));
    case 5:
      return `item:${rng.int(1e9)}`;
    default:
      return String(rng.u32() * 2 ** 20 + rng.int(2 ** 20));
  }
}

function randomSpec(rng: Rng, type: Spec["type"], big: boolean): Spec {
  const n = big ? rng.range(100, 1500) : rng.range(1, 20);
  const maxLen = big ? 300 : 40;
  switch (type) {
    case "string":
      return { type, value: big ? rng.pick(["z".repeat(rng.range(21, 5000)), rng.bytes(rng.range(21, 2000)), "ab".repeat(rng.range(11, 900))]) : randomElement(rng, 40) };
    case "list":
      return { type, items: Array.from({ length: n }, () => randomElement(rng, maxLen)) };
    case "hash": {
      const pairs: [string, string][] = [];
      for (let i = 0; i < n; i++) pairs.push([`f${i}:${randomElement(rng, big ? 80 : 20)}`, randomElement(rng, maxLen)]);
      return { type, pairs };
    }
    case "set": {
      const ints = rng.chance(0.5);
      const members = new Set<string>();
      while (members.size < n) members.add(ints ? String(rng.range(-(2 ** 40), 2 ** 40)) : randomElement(rng, maxLen));
      return { type, members: [...members] };
    }
    case "zset": {
      const entries: [number, string][] = [];
      for (let i = 0; i < n; i++) {
        const score = rng.pick([rng.range(-50, 50), rng.float() * 1e6 - 5e5, 1 / (rng.int(9) + 1), rng.u32() * 1e10]);
        entries.push([score, `m${i}:${randomElement(rng, big ? 80 : 20)}`]);
      }
      return { type, entries };
    }
  }
}

/** Creates the value on redis-server with the commands a user would send. */
async function createOnRedis(key: string, spec: Spec): Promise<void> {
  await r("DEL", key);
  switch (spec.type) {
    case "string":
      expect(text(await r("SET", key, spec.value))).toBe("OK");
      return;
    case "list":
      await r("RPUSH", key, ...spec.items);
      return;
    case "hash":
      await r("HSET", key, ...spec.pairs.flat());
      return;
    case "set":
      await r("SADD", key, ...spec.members);
      return;
    case "zset":
      await r("ZADD", key, ...spec.entries.flatMap(([s, m]) => [formatDouble(s), m]));
      return;
  }
}

/** Builds the same value in the engine through each type's API, as its commands would. */
function buildValue(spec: Spec): Value {
  switch (spec.type) {
    case "string":
      return spec.value;
    case "list":
      return new ListValue(spec.items);
    case "hash": {
      const h = new HashValue();
      for (const [f, v] of spec.pairs) h.set(f, v, settings);
      return h;
    }
    case "set": {
      const s = RedisSet.forMember(spec.members[0]);
      for (const m of spec.members) s.add(m, settings);
      return s;
    }
    case "zset": {
      const z = SortedSet.forFirstMember(spec.entries[0][1], settings);
      for (const [score, m] of spec.entries) z.add(score, m, 0, settings);
      return z;
    }
  }
}

/** A value's contents in a canonical form (unordered collections sorted). */
async function contentsOnRedis(key: string): Promise<unknown> {
  const type = text(await r("TYPE", key));
  const items = (reply: Resp) => (reply.type === "*" ? reply.items!.map((x) => text(x)) : []);
  switch (type) {
    case "string":
      return { type, value: text(await r("GET", key)) };
    case "list":
      return { type, items: items(await r("LRANGE", key, "0", "-1")) };
    case "hash": {
      const flat = items(await r("HGETALL", key)) as string[];
      const pairs: string[][] = [];
      for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i], flat[i + 1]]);
      return { type, pairs: pairs.sort(byFirst) };
    }
    case "set":
      return { type, members: (items(await r("SMEMBERS", key)) as string[]).sort() };
    case "zset": {
      const flat = items(await r("ZRANGE", key, "0", "-1", "WITHSCORES")) as string[];
      const entries: string[][] = [];
      for (let i = 0; i < flat.length; i += 2) entries.push([flat[i], flat[i + 1]]);
      return { type, entries };
    }
    default:
      return { type };
  }
}

function byFirst(a: string[], b: string[]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

/** The same canonical form, read from Hotslot's keyspace through the type APIs. */
function contentsOnHotslot(db: Keyspace, key: string): unknown {
  const v = db.get(key);
  if (v === undefined) return { type: "none" };
  if (typeof v === "string") return { type: "string", value: v };
  switch (v.type) {
    case "list":
      return { type: "list", items: [...(v as ListValue).values()] };
    case "hash":
      return { type: "hash", pairs: [...(v as HashValue).entries()].map((e) => [...e]).sort(byFirst) };
    case "set":
      return { type: "set", members: (v as RedisSet).members().sort() };
    case "zset": {
      const z = v as SortedSet;
      const entries: string[][] = [];
      z.forEachInRange({ from: 0, to: z.size - 1 }, false, (m, s) => entries.push([m, formatDouble(s)]));
      return { type: "zset", entries };
    }
  }
}

function encodingOnHotslot(db: Keyspace, key: string): string {
  const v = db.get(key)!;
  if (typeof v === "string") return v.length <= 20 && /^(?:0|-?[1-9][0-9]*)$/.test(v) && BigInt(v) < 2n ** 63n && BigInt(v) >= -(2n ** 63n) ? "int" : v.length <= 44 ? "embstr" : "raw";
  return v.encoding(settings);
}

/** The payload's object decoded, unordered encodings sorted: equal when the data is. */
function canonicalPayload(p: string): unknown {
  const v: RdbValue = parseDumpPayload(binaryToBytes(p), settings);
  if (v.type === "hash" && !v.listpack) return { ...v, entries: [...v.entries].sort((a, b) => (a[0] < b[0] ? -1 : 1)) };
  if (v.type === "set" && !v.intset) return { ...v, members: [...v.members].sort() };
  return v;
}

function hotslot() {
  const db = new Keyspace();
  const ex = new Executor(db);
  return { db, run: (...argv: string[]) => ex.runOne(argv) };
}

const TYPES: Spec["type"][] = ["string", "list", "hash", "set", "zset"];

// --- the tests ------------------------------------------------------------------------

describe("DUMP payloads compared with redis-server 7.0", () => {
  it("are byte-identical for small values of every type and encoding", async () => {
    const rng = new Rng(7810);
    const { db, run } = hotslot();
    let compared = 0;
    for (const type of TYPES) {
      for (let i = 0; i < 60; i++) {
        const spec = randomSpec(rng, type, false);
        const key = `small:${type}:${i}`;
        await createOnRedis(key, spec);
        db.set(key, buildValue(spec));
        const theirs = text(await r("DUMP", key));
        const ours = run("DUMP", key);
        // A small set of non-integers is a hashtable, whose order is Redis's dict order.
        if (type === "set" && text(await r("OBJECT", "ENCODING", key)) === "hashtable") {
          expect(canonicalPayload(ours as string)).toEqual(canonicalPayload(theirs!));
        } else {
          expect(ours, `${key} ${JSON.stringify(spec).slice(0, 200)}`).toBe(theirs);
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(250);
  });

  it("carry the same data and encoding for large values (listpack nodes byte-identical)", async () => {
    const rng = new Rng(20);
    const { db, run } = hotslot();
    for (const type of TYPES) {
      for (let i = 0; i < 8; i++) {
        const spec = randomSpec(rng, type, true);
        const key = `big:${type}:${i}`;
        await createOnRedis(key, spec);
        db.set(key, buildValue(spec));
        const theirs = text(await r("DUMP", key))!;
        const ours = run("DUMP", key) as string;
        expect(ours.charCodeAt(0), key).toBe(theirs.charCodeAt(0));
        expect(canonicalPayload(ours), key).toEqual(canonicalPayload(theirs));
        if (type === "list") expect(listNodes(ours), key).toEqual(listNodes(theirs));
      }
    }
  });
});

/**
 * A quicklist payload's nodes: for each, whether it is stored LZF-compressed and its
 * listpack bytes (decompressed) as hex.
 */
function listNodes(p: string): string[] {
  const rd = new ByteReader(binaryToBytes(p));
  expect(rd.byte()).toBe(RDB_TYPE.LIST_QUICKLIST_2);
  const n = readLength(rd);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    readLength(rd);
    const compressed = rd.peek() === 0xc3;
    out.push(`${compressed ? "lzf" : "raw"}:${Buffer.from(readStringBytes(rd)).toString("hex")}`);
  }
  return out;
}

describe("list payloads under other list settings", () => {
  it("split and compress nodes as redis-server does for each list-max-listpack-size and list-compress-depth", async () => {
    const rng = new Rng(5);
    try {
      for (const fill of [-1, -3, -5, 5, 128]) {
        for (const depth of [0, 1, 2]) {
          await r("CONFIG", "SET", "list-max-listpack-size", String(fill), "list-compress-depth", String(depth));
          const local = { ...settings, listMaxListpackSize: fill, listCompressDepth: depth };
          const db = new Keyspace();
          Object.assign(db.settings, local);
          const ex = new Executor(db);
          // Very compressible elements, so whether a node compresses is never borderline.
          const items = Array.from({ length: rng.range(50, 600) }, (_, i) => `${"abc".repeat(rng.int(20))}${i % 7}`);
          const key = `conf:${fill}:${depth}`;
          await createOnRedis(key, { type: "list", items });
          db.set(key, new ListValue(items));
          const theirs = text(await r("DUMP", key))!;
          const ours = ex.runOne(["DUMP", key]) as string;
          expect(listNodes(ours), key).toEqual(listNodes(theirs));
          if (depth === 0) expect(ours, key).toBe(theirs);
        }
      }
    } finally {
      await r("CONFIG", "SET", "list-max-listpack-size", "-2", "list-compress-depth", "0");
    }
  });
});

describe("RESTORE across servers", () => {
  it("loads a Hotslot payload in redis-server with identical contents and encoding, every type", async () => {
    const rng = new Rng(99);
    const { db, run } = hotslot();
    for (const type of TYPES) {
      for (const big of [false, true]) {
        for (let i = 0; i < 10; i++) {
          const key = `toredis:${type}:${big}:${i}`;
          db.set(key, buildValue(randomSpec(rng, type, big)));
          await r("DEL", key);
          expect(text(await r("RESTORE", key, "0", run("DUMP", key) as string)), key).toBe("OK");
          expect(await contentsOnRedis(key), key).toEqual(contentsOnHotslot(db, key));
          expect(text(await r("OBJECT", "ENCODING", key)), key).toBe(encodingOnHotslot(db, key));
        }
      }
    }
  });

  it("loads a redis-server payload in Hotslot with identical contents and encoding, every type", async () => {
    const rng = new Rng(1234);
    const { db, run } = hotslot();
    for (const type of TYPES) {
      for (const big of [false, true]) {
        for (let i = 0; i < 10; i++) {
          const key = `fromredis:${type}:${big}:${i}`;
          await createOnRedis(key, randomSpec(rng, type, big));
          expect(run("RESTORE", key, "0", text(await r("DUMP", key))!), key).toEqual({ kind: "simple", value: "OK" });
          expect(contentsOnHotslot(db, key), key).toEqual(await contentsOnRedis(key));
          expect(encodingOnHotslot(db, key), key).toBe(text(await r("OBJECT", "ENCODING", key)));
        }
      }
    }
  });

  it("keeps TTLs: RESTORE with ABSTTL on both sides gives the same expiry time", async () => {
    const { db, run } = hotslot();
    db.set("ttl", "value");
    const when = String(Date.now() + 3_600_000);
    await r("DEL", "ttl");
    expect(text(await r("RESTORE", "ttl", when, run("DUMP", "ttl") as string, "ABSTTL"))).toBe("OK");
    expect(text(await r("PEXPIRETIME", "ttl"))).toBe(when);
  });
});

// --- older encodings -----------------------------------------------------------------------

/** Payloads in encodings Redis 7.0 reads but no longer writes, with what they hold. */
function legacyPayloads(): { name: string; payload: string }[] {
  const items = ["a", "0", "12", "13", "-1", "127", "-129", "40000", "-8000000", "2147483648", "x".repeat(70), "y".repeat(20000), "9223372036854775807"];
  const zipPairs = ["f1", "v1", "f2", "123", "number", "-5", "long", "z".repeat(300)];
  // A sorted set ziplist holds its pairs in score order (Redis trusts that order).
  const zsetZip = ["c", "-3", "a", "1", "b", "1.5", "d", "1e300"];
  return [
    { name: "linked list (RDB_TYPE_LIST)", payload: payload(object(RDB_TYPE.LIST, (w) => { writeLength(w, items.length); for (const i of items) writeString(w, i); })) },
    { name: "ziplist list", payload: payload(object(RDB_TYPE.LIST_ZIPLIST, (w) => blob(w, ziplist(items)))) },
    {
      name: "quicklist of ziplists",
      payload: payload(object(RDB_TYPE.LIST_QUICKLIST, (w) => {
        writeLength(w, 3);
        blob(w, ziplist(items.slice(0, 4)));
        blob(w, ziplist(items.slice(4, 9)));
        blob(w, ziplist(items.slice(9)));
      })),
    },
    { name: "plain set (RDB_TYPE_SET) of integers", payload: payload(object(RDB_TYPE.SET, (w) => { writeLength(w, 3); for (const m of ["3", "-2", "1000000"]) writeString(w, m); })) },
    { name: "plain set of strings", payload: payload(object(RDB_TYPE.SET, (w) => { writeLength(w, 3); for (const m of ["a", "2", "ccc"]) writeString(w, m); })) },
    {
      name: "sorted set with text scores (RDB_TYPE_ZSET)",
      payload: payload(object(RDB_TYPE.ZSET, (w) => {
        writeLength(w, 4);
        for (const [m, s] of [["a", "1.5"], ["b", "-2"], ["inf", null], ["ninf", "-"]] as const) {
          writeString(w, m);
          if (s === null) w.byte(254);
          else if (s === "-") w.byte(255);
          else {
            w.byte(s.length);
            w.binary(s);
          }
        }
      })),
    },
    {
      name: "sorted set ZSET_2, small enough to become a listpack",
      payload: payload(object(RDB_TYPE.ZSET_2, (w) => { writeLength(w, 2); writeString(w, "hi"); w.f64le(2.5); writeString(w, "lo"); w.f64le(-1); })),
    },
    { name: "ziplist sorted set", payload: payload(object(RDB_TYPE.ZSET_ZIPLIST, (w) => blob(w, ziplist(zsetZip)))) },
    { name: "ziplist hash", payload: payload(object(RDB_TYPE.HASH_ZIPLIST, (w) => blob(w, ziplist(zipPairs)))) },
    { name: "zipmap hash", payload: payload(object(RDB_TYPE.HASH_ZIPMAP, (w) => blob(w, zipmap([["f1", "v1"], ["f2", "x".repeat(300)], ["f3", ""]])))) },
    { name: "zipmap hash, small values", payload: payload(object(RDB_TYPE.HASH_ZIPMAP, (w) => blob(w, zipmap([["a", "1"], ["b", "2"]])))) },
    {
      name: "plain hash (RDB_TYPE_HASH)",
      payload: payload(object(RDB_TYPE.HASH, (w) => { writeLength(w, 2); writeString(w, "k"); writeString(w, "v"); writeString(w, "n"); writeString(w, "42"); })),
    },
  ];
}

describe("payloads in older encodings", () => {
  it("load in Hotslot exactly as redis-server 7.0 loads them", async () => {
    const { db, run } = hotslot();
    for (const [i, { name, payload: p }] of legacyPayloads().entries()) {
      const key = `legacy:${i}`;
      await r("DEL", key);
      expect(text(await r("RESTORE", key, "0", p)), name).toBe("OK");
      expect(run("RESTORE", key, "0", p), name).toEqual({ kind: "simple", value: "OK" });
      expect(contentsOnHotslot(db, key), name).toEqual(await contentsOnRedis(key));
      expect(encodingOnHotslot(db, key), name).toBe(text(await r("OBJECT", "ENCODING", key)));
      // And Hotslot's DUMP of what it loaded reads back on redis-server as the same value.
      await r("DEL", `${key}:again`);
      expect(text(await r("RESTORE", `${key}:again`, "0", run("DUMP", key) as string)), name).toBe("OK");
      expect(await contentsOnRedis(`${key}:again`), name).toEqual(await contentsOnRedis(key));
    }
  });
});

describe("payload footers", () => {
  it("accept any RDB version up to 10, as redis-server does", async () => {
    const { db, run } = hotslot();
    db.set("src", "value");
    const body = binaryToBytes((run("DUMP", "src") as string).slice(0, -10));
    for (const version of [1, 6, 9, 10]) {
      await r("DEL", "v");
      expect(text(await r("RESTORE", "v", "0", payload(body, version))), `version ${version}`).toBe("OK");
      expect(run("RESTORE", "v", "0", payload(body, version), "REPLACE"), `version ${version}`).toEqual({ kind: "simple", value: "OK" });
      expect(db.get("v")).toBe("value");
    }
  });
});

describe("damaged payloads", () => {
  it("are refused with the same error as redis-server", async () => {
    const { db, run } = hotslot();
    db.set("src", "some value that is long enough to be compressed by LZF: aaaaaaaaaaaaaaaaaaaaaaaaa");
    const good = run("DUMP", "src") as string;
    const flip = (s: string, at: number) => s.slice(0, at) + String.fromCharCode(s.charCodeAt(at) ^ 1) + s.slice(at + 1);
    const reframe = (s: string, version: number) => payload(binaryToBytes(s.slice(0, -10)), version);
    const cases: [string, string][] = [
      ["empty", ""],
      ["too short", "123456789"],
      ["a flipped bit in the body", flip(good, 5)],
      ["a flipped bit in the checksum", flip(good, good.length - 1)],
      ["a newer RDB version", reframe(good, 11)],
      ["a truncated body with a valid footer", reframe(good.slice(0, 8) + "\0\0", 10)],
      ["an unknown object type", payload(new Uint8Array([8, 1, 2]), 10)],
      ["an empty list", payload(object(RDB_TYPE.LIST_QUICKLIST_2, (w) => writeLength(w, 0)), 10)],
      ["an empty hash", payload(object(RDB_TYPE.HASH, (w) => writeLength(w, 0)), 10)],
      ["a zset with a NaN score", payload(object(RDB_TYPE.ZSET_2, (w) => { writeLength(w, 1); writeString(w, "m"); w.f64le(NaN); }), 10)],
      ["a set with a duplicate", payload(object(RDB_TYPE.SET, (w) => { writeLength(w, 2); writeString(w, "a"); writeString(w, "a"); }), 10)],
      ["a bad LZF stream", payload(object(RDB_TYPE.STRING, (w) => { w.byte(0xc3); writeLength(w, 3); writeLength(w, 50); w.bytes(new Uint8Array([0xff, 0xff, 0xff])); }), 10)],
      ["a listpack with a wrong size", payload(object(RDB_TYPE.HASH_LISTPACK, (w) => blob(w, new Uint8Array([9, 0, 0, 0, 0, 0, 0xff]))), 10)],
      ["a bad quicklist container", payload(object(RDB_TYPE.LIST_QUICKLIST_2, (w) => { writeLength(w, 1); writeLength(w, 7); writeString(w, "x"); }), 10)],
    ];
    for (const [name, p] of cases) {
      await r("DEL", "bad");
      const theirs = await r("RESTORE", "bad", "0", p);
      expect(theirs.type, name).toBe("-");
      const ours = run("RESTORE", "bad", "0", p);
      expect(ours, name).toEqual({ kind: "error", message: text(theirs) });
      expect(db.has("bad"), name).toBe(false);
    }
  });
});
