// DUMP, RESTORE and whole RDB files against a real redis-server 7.0, started here on a
// free port (and another to load files at start-up): payloads Hotslot writes equal redis-server's byte for byte wherever Redis's own bytes are
// deterministic, every payload RESTOREs on the other side with identical contents and
// encoding, payloads in the older encodings Redis 7.0 still loads (ziplist, zipmap,
// linked list, text-score sorted sets, quicklist of ziplists) load identically, and
// damaged payloads are refused with the same errors.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Executor } from "../../src/commands/execute";
import { HashValue } from "../../src/engine/hash";
import { Keyspace, type Value } from "../../src/engine/keyspace";
import { ListValue } from "../../src/engine/list";
import { ByteReader, ByteWriter } from "../../src/engine/rdb/bytes";
import { crc64, crc64Bytes } from "../../src/engine/rdb/crc64";
import { parseDumpPayload } from "../../src/engine/rdb/dump";
import { RDB_OPCODE } from "../../src/engine/rdb/file";
import { RDB_TYPE, readLength, readStringBytes, type RdbValue } from "../../src/engine/rdb/object";
import { RedisSet } from "../../src/engine/set";
import { defaultSettings } from "../../src/engine/settings";
import { SortedSet } from "../../src/engine/zset";
import { importRdb, rdbFile, type ExportSource } from "../../src/router/rdb-transfer";
import { ShardPersistence } from "../../src/shard/persistence";
import { binaryToBytes } from "../../src/util/binary";
import { formatDouble } from "../../src/util/numbers";
import { Rng } from "../support/random";
import { blob, object, payload, writeLength, writeString, ziplist, zipmap } from "../support/rdb-craft";
import { MemoryPool } from "../support/memory-pool";
import { NodeSqlStorage } from "../support/node-sql";
import { startReferenceRedis, useReferenceRedis, type ReferenceRedis } from "../support/reference-redis";
import { parseReply, type RawRespClient, type Resp } from "../support/resp-wire";

const settings = defaultSettings();

/** A scratch directory: redis-server's SAVE goes here, and the files exported. */
const dir = mkdtempSync(join(tmpdir(), "hotslot-rdb-"));
// Registered before the server's hooks, so it runs after the server has stopped.
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const redis = useReferenceRedis({ dir, args: ["--dbfilename", "redis.rdb", "--enable-debug-command", "yes"] });

beforeAll(async () => {
  expect(await redis.call("INFO", "server")).toMatch(/redis_version:7\.0\./);
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
async function contentsOnRedis(key: string, client: Pick<RawRespClient, "call"> = redis): Promise<unknown> {
  const r = async (...argv: string[]) => parseReply(await client.call(...argv));
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

// --- whole RDB files: export, import ------------------------------------------------------

/** Starts another redis-server that loads `file` (in the scratch directory) at start. */
async function redisWithFile(file: string): Promise<ReferenceRedis> {
  const loaded = await startReferenceRedis({ dir, args: ["--dbfilename", file] });
  // Loading: wait until it answers commands that need the data.
  for (let i = 0; i < 100; i++) {
    if (!(await loaded.client.call("DBSIZE")).startsWith("-LOADING")) break;
    await new Promise((res) => setTimeout(res, 50));
  }
  return loaded;
}

/** Commands that build a random dataset: every type, binary keys and values, TTLs. */
function datasetCommands(rng: Rng, n: number): string[][] {
  const cmds: string[][] = [];
  for (let i = 0; i < n; i++) {
    const type = TYPES[i % TYPES.length];
    const key = `${type}:${i}:${rng.bytes(rng.int(4))}`;
    const spec = randomSpec(rng, type, rng.chance(0.1));
    switch (spec.type) {
      case "string":
        cmds.push(["SET", key, spec.value]);
        break;
      case "list":
        cmds.push(["RPUSH", key, ...spec.items]);
        break;
      case "hash":
        cmds.push(["HSET", key, ...spec.pairs.flat()]);
        break;
      case "set":
        cmds.push(["SADD", key, ...spec.members]);
        break;
      case "zset":
        cmds.push(["ZADD", key, ...spec.entries.flatMap(([sc, m]) => [formatDouble(sc), m])]);
        break;
    }
    if (rng.chance(0.2)) cmds.push(["PEXPIREAT", key, String(Date.now() + 3_600_000 + rng.int(1e6))]);
  }
  return cmds;
}

/** Each key's canonical contents and expiry time on Hotslot's shards. */
function clusterContents(pool: MemoryPool): Map<string, [unknown, number]> {
  const out = new Map<string, [unknown, number]>();
  for (const core of pool.shards) {
    for (const key of core.db.keys()) out.set(key, [contentsOnHotslot(core.db, key), core.db.getExpire(key) ?? -1]);
  }
  return out;
}

/** The same from a redis-server. */
async function redisContents(client: Pick<RawRespClient, "call">): Promise<Map<string, [unknown, number]>> {
  const out = new Map<string, [unknown, number]>();
  let cursor = "0";
  do {
    const reply = parseReply(await client.call("SCAN", cursor, "COUNT", "1000"));
    if (reply.type !== "*") throw new Error("SCAN failed");
    cursor = text(reply.items![0])!;
    const keys = reply.items![1];
    if (keys.type !== "*") throw new Error("SCAN failed");
    for (const k of keys.items!) {
      const key = text(k)!;
      const at = Number(text(parseReply(await client.call("PEXPIRETIME", key))));
      out.set(key, [await contentsOnRedis(key, client), at]);
    }
  } while (cursor !== "0");
  return out;
}

/** Every shard of `pool` as an export source (each with its persistence, on Node's SQLite). */
function exportSources(pool: MemoryPool): ExportSource[] {
  return pool.shards.map((core) => {
    const p = new ShardPersistence(new NodeSqlStorage(), core.db, core.executor, { flushPending() {}, warn: () => {} });
    const { id, keys, expires } = p.exportStart();
    return { keys, expires, pull: async (maxBytes: number) => p.exportPull(id, maxBytes) };
  });
}

async function exportToFile(pool: MemoryPool, name: string): Promise<string> {
  const parts: Uint8Array[] = [];
  for await (const piece of rdbFile(exportSources(pool))) parts.push(piece);
  writeFileSync(join(dir, name), Buffer.concat(parts));
  return join(dir, name);
}

async function* fileInPieces(path: string, size: number): AsyncGenerator<Uint8Array> {
  const bytes = new Uint8Array(readFileSync(path));
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

describe("RDB files across servers", () => {
  it("exports every shard as one file that redis-check-rdb accepts and redis-server loads identically", async () => {
    const rng = new Rng(4242);
    const pool = new MemoryPool(4);
    const cmds = datasetCommands(rng, 400);
    for (const argv of cmds) await pool.exec(pool.slots.shardOfKey(argv[1]), [argv]);
    const path = await exportToFile(pool, "export.rdb");
    const check = execFileSync("redis-check-rdb", [path], { encoding: "utf8" });
    expect(check).toContain("RDB looks OK");
    const loaded = await redisWithFile("export.rdb");
    try {
      const theirs = await redisContents(loaded.client);
      const ours = clusterContents(pool);
      expect(theirs.size).toBe(ours.size);
      for (const [key, value] of ours) expect(theirs.get(key), key).toEqual(value);
    } finally {
      await loaded.stop();
    }
  });

  it("imports a file written by redis-server's SAVE, routing each key to its shard, TTLs kept", async () => {
    const rng = new Rng(777);
    await r("FLUSHALL");
    for (const argv of datasetCommands(rng, 400)) await r(...argv);
    expect(text(await r("SAVE"))).toBe("OK");
    const pool = new MemoryPool(4);
    const counts = await importRdb(pool, fileInPieces(join(dir, "redis.rdb"), 777));
    const theirs = await redisContents(redis);
    expect(counts).toEqual({ keys: theirs.size, expired: 0, otherDatabases: 0, functions: 0, errors: [] });
    const ours = clusterContents(pool);
    expect(ours.size).toBe(theirs.size);
    for (const [key, value] of theirs) expect(ours.get(key), key).toEqual(value);
    // Every key sits in the shard its slot belongs to.
    pool.shards.forEach((core, i) => {
      for (const key of core.db.keys()) expect(pool.slots.shardOfKey(key)).toBe(i);
    });
  });

  it("imports older encodings, skipping expired keys and other databases, as redis-server loads the file", async () => {
    // A version-9 file, written by hand, of the encodings older Redis versions wrote.
    const w = new ByteWriterForFile();
    w.header(9);
    w.selectDb(0);
    legacyPayloads().forEach(({ payload: p }, i) => w.object(`legacy:${i}`, binaryToBytes(p).subarray(0, -10)));
    w.expiring("ttl", Date.now() + 3_600_000, binaryToBytes(legacyPayloads()[0].payload).subarray(0, -10));
    w.expiring("expired", Date.now() - 1000, binaryToBytes(legacyPayloads()[0].payload).subarray(0, -10));
    w.selectDb(3);
    w.object("elsewhere", binaryToBytes(legacyPayloads()[0].payload).subarray(0, -10));
    const path = join(dir, "legacy.rdb");
    writeFileSync(path, w.end());
    const loaded = await redisWithFile("legacy.rdb");
    try {
      const theirs = await redisContents(loaded.client);
      const pool = new MemoryPool(4);
      const counts = await importRdb(pool, fileInPieces(path, 50));
      expect(counts).toEqual({ keys: theirs.size, expired: 1, otherDatabases: 1, functions: 0, errors: [] });
      const ours = clusterContents(pool);
      expect(ours.size).toBe(theirs.size);
      for (const [key, value] of theirs) expect(ours.get(key), key).toEqual(value);
    } finally {
      await loaded.stop();
    }
  });

  it("refuses a damaged file, saying how far it got", async () => {
    const pool = new MemoryPool(2);
    await pool.exec(pool.slots.shardOfKey("a"), [["SET", "a", "1"]]);
    const good = new Uint8Array(readFileSync(await exportToFile(pool, "small.rdb")));
    const bad = good.slice();
    bad[bad.length - 3] ^= 1;
    await expect(importRdb(new MemoryPool(2), fileInPieces(join(dir, "small.rdb"), 3))).resolves.toMatchObject({ keys: 1 });
    writeFileSync(join(dir, "bad.rdb"), bad);
    await expect(importRdb(new MemoryPool(2), fileInPieces(join(dir, "bad.rdb"), 3))).rejects.toThrow("ERR invalid RDB file: Wrong RDB checksum (1 keys were imported before it)");
    writeFileSync(join(dir, "cut.rdb"), good.subarray(0, good.length - 12));
    await expect(importRdb(new MemoryPool(2), fileInPieces(join(dir, "cut.rdb"), 3))).rejects.toThrow("ERR invalid RDB file: the RDB file ends in the middle of a record");
  });
});

/** A hand-made RDB file: header, SELECTDB, records of already-serialized objects, EOF, CRC. */
class ByteWriterForFile {
  private readonly w = new ByteWriter();
  header(version: number): void {
    this.w.binary(`REDIS${String(version).padStart(4, "0")}`);
  }
  selectDb(db: number): void {
    this.w.byte(RDB_OPCODE.SELECTDB);
    writeLength(this.w, db);
  }
  /** A key record of `obj`, an object as DUMP frames it (type byte, then the body). */
  object(key: string, obj: Uint8Array): void {
    this.w.byte(obj[0]);
    writeString(this.w, key);
    this.w.bytes(obj.subarray(1));
  }
  expiring(key: string, at: number, obj: Uint8Array): void {
    this.w.byte(RDB_OPCODE.EXPIRETIME_MS);
    this.w.i64leNumber(at);
    this.object(key, obj);
  }
  end(): Uint8Array {
    this.w.byte(RDB_OPCODE.EOF);
    this.w.bytes(crc64Bytes(crc64(this.w.view())));
    return this.w.toBytes();
  }
}

// --- DEBUG DIGEST ---------------------------------------------------------------------------

describe("DEBUG DIGEST and DIGEST-VALUE", () => {
  it("equal redis-server's for random datasets of every type, encoding and TTL", async () => {
    const debugOn = { maxValueBytes: 1 << 30 };
    for (const seed of [1, 2, 3]) {
      const rng = new Rng(seed * 101);
      await r("FLUSHALL");
      const db = new Keyspace();
      const ex = new Executor(db, debugOn);
      const cmds = datasetCommands(rng, 150);
      for (const argv of cmds) {
        await r(...argv);
        ex.runOne(argv);
      }
      expect(ex.runOne(["DEBUG", "DIGEST"]), `seed ${seed}`).toEqual({ kind: "simple", value: text(await r("DEBUG", "DIGEST")) });
      const keys = [...new Set(cmds.map((c) => c[1]))].slice(0, 40);
      const theirs = parseReply(await redis.call("DEBUG", "DIGEST-VALUE", ...keys));
      expect(ex.runOne(["DEBUG", "DIGEST-VALUE", ...keys])).toEqual(theirs.type === "*" ? theirs.items!.map((i) => ({ kind: "simple", value: text(i) })) : null);
    }
  });
});
