#!/usr/bin/env node
/**
 * Measures what keys, values and JS structures really cost on the V8 heap, to calibrate
 * the constants of src/engine/memory.ts (the shard's memory accounting), and compares
 * bytes per key with redis-server's used_memory for the same data.
 *
 *   node scripts/calibrate-memory.mjs            (about a minute; needs workerd and redis-server)
 *
 * Method: the real engine code (src/engine, bundled with esbuild) builds N entries of one
 * kind; the heap is measured after a full GC before and after, and the difference is
 * divided by N. It runs in two runtimes:
 * - workerd (the runtime shards run in), started with V8 flags --expose-gc and
 *   --trace-gc-nvp: each explicit gc() prints the heap's end_object_size in bytes.
 *   workerd's V8 compresses pointers (4-byte slots), so its figures are the ones the
 *   accounting uses.
 * - Node (node --expose-gc, process.memoryUsage().heapUsed), uncompressed 8-byte pointers,
 *   for comparison.
 * Maps and arrays grow by doubling (by half), so a per-entry cost swings with how full the
 * table is; keyed structures are measured at several N between 2^19 and 2^20 and averaged.
 *
 * Redis: 1,000,000 SETs of the same keys and values, pipelined to a redis-server this
 * script starts on 127.0.0.1 (CALIBRATE_REDIS_PORT, default 7417); used_memory delta / N.
 *
 * Options (environment): CALIBRATE_N (default 1000000), CALIBRATE_SKIP_NODE=1,
 * CALIBRATE_SKIP_WORKERD=1, CALIBRATE_SKIP_REDIS=1.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const N = Number(process.env.CALIBRATE_N ?? 1_000_000);
const FILLS = [0.55, 0.7, 0.85, 1.0].map((f) => Math.round(f * N));
const REDIS_PORT = Number(process.env.CALIBRATE_REDIS_PORT ?? 7417);
const WORKERD_PORT = 7418;

// --- the probe: builds N entries of a kind with the engine's own code ------------------

const PROBE = `
import { Keyspace } from "./src/engine/keyspace";
import { HashValue } from "./src/engine/hash";
import { ListValue } from "./src/engine/list";
import { defaultSettings } from "./src/engine/settings";
import { bytesToBinary } from "./src/util/binary";

const SETTINGS = defaultSettings();
const enc = new TextEncoder();
/** A flat binary string, made as the RESP decoder makes arguments. */
const bin = (text) => bytesToBinary(enc.encode(text));
export const key = (i) => bin("key:" + String(i).padStart(12, "0"));   // 16 bytes
export const val = (i) => bin("v" + String(i).padStart(7, "0"));       // 8 bytes
const ofLength = (i, len) => bin(String(i).padStart(len, "x").slice(-len));

class Object2 { constructor() { this.a = 0; this.b = 1; } }
class Object8 { constructor() { this.a = 0; this.b = 1; this.c = 2; this.d = 3; this.e = 4; this.f = 5; this.g = 6; this.h = 7; } }
let hold = null;
export function drop() { hold = null; }

/** Builds n entries of \`kind\`; returns what the engine's model predicts, if it has one. */
export function buildKind(kind, n) {
  const [name, arg] = kind.split(":");
  const len = Number(arg);
  switch (name) {
    case "strings": { const a = new Array(n); for (let i = 0; i < n; i++) a[i] = ofLength(i, len); hold = a; return null; }
    case "slots": { const s = bin("same"); const a = new Array(n); for (let i = 0; i < n; i++) a[i] = s; hold = a; return null; }
    case "pushed": { const s = bin("same"); const a = []; for (let i = 0; i < n; i++) a.push(s); hold = a; return null; }
    case "map": { const m = new Map(); for (let i = 0; i < n; i++) m.set(key(i), val(i)); hold = m; return null; }
    case "set": { const m = new Set(); for (let i = 0; i < n; i++) m.add(key(i)); hold = m; return null; }
    case "smimap": { const m = new Map(); for (let i = 0; i < n; i++) m.set(key(i), i); hold = m; return null; }
    case "doublemap": { const m = new Map(); for (let i = 0; i < n; i++) m.set(key(i), i + 0.5); hold = m; return null; }
    case "objects": {
      // instances of a class with \`len\` fields, holding small integers
      const C = len === 2 ? Object2 : Object8;
      const a = new Array(n);
      for (let i = 0; i < n; i++) a[i] = new C();
      hold = a;
      return null;
    }
    case "emptyarrays": { const a = new Array(n); for (let i = 0; i < n; i++) a[i] = []; hold = a; return null; }
    case "emptymaps": { const a = new Array(n); for (let i = 0; i < n; i++) a[i] = new Map(); hold = a; return null; }
    case "keyspace":
    case "keyspace-ttl": {
      const db = new Keyspace();
      for (let i = 0; i < n; i++) {
        const k = key(i);
        db.set(k, val(i));
        if (name === "keyspace-ttl") db.setExpire(k, 4_000_000_000_000 + i);
      }
      hold = db;
      return db.usedMemory;
    }
    case "hashes": {
      // n/len hashes of len fields (8-byte field names, 8-byte values)
      const db = new Keyspace();
      const h = Math.floor(n / len);
      for (let i = 0; i < h; i++) {
        const v = new HashValue();
        for (let j = 0; j < len; j++) v.set(bin("f" + String(j).padStart(7, "0")), val(i * len + j), SETTINGS);
        db.set(key(i), v);
      }
      hold = db;
      return db.usedMemory;
    }
    case "lists": {
      const db = new Keyspace();
      const h = Math.floor(n / len);
      for (let i = 0; i < h; i++) {
        const v = new ListValue();
        for (let j = 0; j < len; j++) v.pushTail(val(i * len + j));
        db.set(key(i), v);
      }
      hold = db;
      return db.usedMemory;
    }
    default:
      throw new Error("unknown kind " + kind);
  }
}
`;

const ALL_KINDS = [
  ...[1, 7, 8, 9, 12, 13, 16, 20, 24, 32, 64].map((l) => ({ kind: `strings:${l}`, ns: [N] })),
  { kind: "slots", ns: [N] },
  { kind: "pushed", ns: FILLS },
  { kind: "map", ns: FILLS },
  { kind: "set", ns: FILLS },
  { kind: "smimap", ns: FILLS },
  { kind: "doublemap", ns: FILLS },
  { kind: "emptymaps", ns: [N / 10] },
  { kind: "emptyarrays", ns: [N / 10] },
  { kind: "objects:2", ns: [N / 10] },
  { kind: "objects:8", ns: [N / 10] },
  { kind: "keyspace", ns: FILLS },
  { kind: "keyspace-ttl", ns: FILLS },
  { kind: "hashes:10", ns: [N] },
  { kind: "hashes:200", ns: [N] },
  { kind: "lists:10", ns: [N] },
  { kind: "lists:200", ns: [N] },
];

const KINDS = process.env.CALIBRATE_KINDS ? ALL_KINDS.filter((k) => process.env.CALIBRATE_KINDS.split(",").includes(k.kind.split(":")[0])) : ALL_KINDS;

async function bundle(dir, entry, footer) {
  const result = await build({
    stdin: { contents: PROBE + footer, resolveDir: root, loader: "ts" },
    bundle: true,
    format: "esm",
    platform: "neutral",
    write: false,
    logLevel: "error",
  });
  writeFileSync(join(dir, entry), result.outputFiles[0].text);
}

// --- Node ------------------------------------------------------------------------------

const NODE_RUNNER = `
import { buildKind } from "./probe.mjs";
const [kind, n] = [process.argv[2], Number(process.argv[3])];
const heap = () => { gc(); gc(); return process.memoryUsage().heapUsed; };
const before = heap();
const predicted = buildKind(kind, n);
const after = heap();
console.log(JSON.stringify({ delta: after - before, predicted }));
`;

async function measureNode(dir) {
  await bundle(dir, "probe.mjs", "");
  writeFileSync(join(dir, "run.mjs"), NODE_RUNNER);
  const out = {};
  for (const { kind, ns } of KINDS) {
    out[kind] = ns.map((n) => {
      const r = spawnSync(process.execPath, ["--expose-gc", "--max-old-space-size=4096", join(dir, "run.mjs"), kind, String(n)], { encoding: "utf8" });
      if (r.status !== 0) throw new Error(`node probe ${kind} failed: ${r.stderr}`);
      return { n, ...JSON.parse(r.stdout) };
    });
  }
  return out;
}

// --- workerd ---------------------------------------------------------------------------

const WORKER_FOOTER = `
export default {
  async fetch(request) {
    const u = new URL(request.url);
    const id = u.searchParams.get("id");
    const kind = u.searchParams.get("kind");
    const n = Number(u.searchParams.get("n"));
    gc(); gc();
    console.log("MARK " + id + " before");
    const predicted = buildKind(kind, n);
    gc(); gc();
    console.log("MARK " + id + " after");
    drop();
    return Response.json({ predicted });
  },
};
`;

async function measureWorkerd(dir) {
  await bundle(dir, "worker.mjs", WORKER_FOOTER);
  writeFileSync(
    join(dir, "config.capnp"),
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .probe) ],
  sockets = [ (name = "http", address = "127.0.0.1:${WORKERD_PORT}", http = (), service = "main") ],
  v8Flags = ["--expose-gc", "--trace-gc-nvp"],
);
const probe :Workerd.Worker = (
  modules = [ (name = "worker", esModule = embed "worker.mjs") ],
  compatibilityDate = "2026-11-01",
);
`,
  );
  const bin = join(root, "node_modules", ".bin", "workerd");
  const child = spawn(bin, ["serve", join(dir, "config.capnp")], { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  child.stdout.on("data", (d) => (log += d));
  child.stderr.on("data", (d) => (log += d));
  try {
    await waitFor(async () => (await fetch(`http://127.0.0.1:${WORKERD_PORT}/?id=warm&kind=slots&n=10`)).ok);
    const out = {};
    let id = 0;
    for (const { kind, ns } of KINDS) {
      out[kind] = [];
      for (const n of ns) {
        const tag = `m${id++}`;
        const res = await fetch(`http://127.0.0.1:${WORKERD_PORT}/?id=${tag}&kind=${encodeURIComponent(kind)}&n=${n}`);
        if (!res.ok) throw new Error(`workerd probe ${kind} failed: ${await res.text()}`);
        const { predicted } = await res.json();
        await new Promise((r) => setTimeout(r, 50));
        out[kind].push({ n, tag, predicted });
      }
    }
    // Each MARK follows the GC it measures: the last mark-compact line before it.
    const sizes = {};
    let last = null;
    for (const line of log.split("\n")) {
      const gcAt = line.indexOf("GC: {");
      if (gcAt >= 0) {
        const j = JSON.parse(line.slice(gcAt + 4));
        if (j.gc === "mc") last = j.end_object_size;
        continue;
      }
      const m = /MARK (\S+) (before|after)/.exec(line);
      if (m) (sizes[m[1]] ??= {})[m[2]] = last;
    }
    for (const list of Object.values(out)) {
      for (const r of list) r.delta = sizes[r.tag].after - sizes[r.tag].before;
    }
    return out;
  } finally {
    child.kill();
  }
}

async function waitFor(check, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    try {
      if (await check()) return;
    } catch {}
    if (Date.now() > end) throw new Error("timed out waiting for workerd");
    await new Promise((r) => setTimeout(r, 100));
  }
}

// --- redis-server ------------------------------------------------------------------------

function redisCommand(port, cmds) {
  return new Promise((resolve, reject) => {
    const sock = connect(port, "127.0.0.1");
    let pending = cmds.length;
    let buf = "";
    let replies = [];
    sock.on("data", (d) => {
      buf += d.toString("latin1");
      // Count complete replies: simple/integer/error lines and bulk strings.
      for (;;) {
        if (!buf.length) break;
        const nl = buf.indexOf("\r\n");
        if (nl < 0) break;
        if (buf[0] === "$") {
          const len = Number(buf.slice(1, nl));
          const end = len < 0 ? nl + 2 : nl + 2 + len + 2;
          if (buf.length < end) break;
          replies.push(len < 0 ? null : buf.slice(nl + 2, nl + 2 + len));
          buf = buf.slice(end);
        } else {
          replies.push(buf.slice(1, nl));
          buf = buf.slice(nl + 2);
        }
        if (--pending === 0) {
          sock.end();
          resolve(replies);
        }
      }
    });
    sock.on("error", reject);
    // SHUTDOWN answers nothing: the connection just closes.
    sock.on("close", () => resolve(replies));
    const enc = (argv) => `*${argv.length}\r\n` + argv.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("");
    sock.write(cmds.map(enc).join(""));
  });
}

async function usedMemory(port) {
  const [info] = await redisCommand(port, [["INFO", "memory"]]);
  return Number(/used_memory:(\d+)/.exec(info)[1]);
}

async function measureRedis() {
  const dir = mkdtempSync(join(tmpdir(), "calibrate-redis-"));
  const started = spawnSync("redis-server", ["--port", String(REDIS_PORT), "--save", "", "--appendonly", "no", "--daemonize", "yes", "--dir", dir], { encoding: "utf8" });
  if (started.status !== 0) throw new Error(`redis-server did not start: ${started.stderr}`);
  try {
    await waitFor(async () => (await redisCommand(REDIS_PORT, [["PING"]]))[0] === "PONG");
    await redisCommand(REDIS_PORT, [["FLUSHALL"]]);
    const key = (i) => "key:" + String(i).padStart(12, "0");
    const val = (i) => "v" + String(i).padStart(7, "0");
    const results = {};
    const load = async (label, make) => {
      await redisCommand(REDIS_PORT, [["FLUSHALL"]]);
      const before = await usedMemory(REDIS_PORT);
      for (let i = 0; i < N; i += 10000) {
        const batch = [];
        for (let j = i; j < Math.min(N, i + 10000); j++) batch.push(...make(j));
        await redisCommand(REDIS_PORT, batch);
      }
      results[label] = (await usedMemory(REDIS_PORT)) - before;
    };
    await load("keyspace", (i) => [["SET", key(i), val(i)]]);
    await load("keyspace-ttl", (i) => [["SET", key(i), val(i), "PXAT", String(4_000_000_000_000 + i)]]);
    return results;
  } finally {
    await redisCommand(REDIS_PORT, [["SHUTDOWN", "NOSAVE"]]).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

// --- report ------------------------------------------------------------------------------

function perEntry(list) {
  const per = list.map((r) => r.delta / r.n);
  return { mean: per.reduce((s, x) => s + x, 0) / per.length, min: Math.min(...per), max: Math.max(...per), predicted: list[0].predicted === null ? null : list.reduce((s, r) => s + r.predicted / r.n, 0) / list.length };
}

function report(name, data) {
  console.log(`\n== ${name} (bytes per entry: mean [min..max] over fills)`);
  const t = {};
  for (const [kind, list] of Object.entries(data)) t[kind] = perEntry(list);
  const f = (x) => x.toFixed(2);
  for (const [kind, p] of Object.entries(t)) {
    const model = p.predicted === null ? "" : `   model ${f(p.predicted)} (${(((p.predicted - p.mean) / p.mean) * 100).toFixed(1)}%)`;
    console.log(`${kind.padEnd(14)} ${f(p.mean).padStart(8)} [${f(p.min)}..${f(p.max)}]${model}`);
  }
  if (!t.slots || !t["strings:1"] || !t.map || !t.keyspace) return t;
  const s = (l) => t[`strings:${l}`].mean - t.slots.mean;
  console.log(`derived: string bytes by length: ${[1, 7, 8, 9, 12, 13, 16, 20, 24, 32, 64].map((l) => `${l}→${f(s(l))}`).join(" ")}`);
  console.log(`derived: array slot ${f(t.slots.mean)}, pushed slot ${f(t.pushed.mean)}`);
  console.log(`derived: Map entry ${f(t.map.mean - s(16) - s(8))}, Set entry ${f(t.set.mean - s(16))}, boxed double ${f(t.doublemap.mean - t.smimap.mean)}, empty Map ${f(t.emptymaps.mean - t.slots.mean)}, empty array ${f(t.emptyarrays.mean - t.slots.mean)}, object of 2 / 8 fields ${f(t["objects:2"].mean - t.slots.mean)} / ${f(t["objects:8"].mean - t.slots.mean)}`);
  console.log(`derived: keyspace per key beyond strings ${f(t.keyspace.mean - s(16) - s(8))} [${f(t.keyspace.min - s(16) - s(8))}..${f(t.keyspace.max - s(16) - s(8))}], TTL ${f(t["keyspace-ttl"].mean - t.keyspace.mean)}`);
  return t;
}

const results = {};
if (!process.env.CALIBRATE_SKIP_WORKERD) {
  const dir = mkdtempSync(join(tmpdir(), "calibrate-workerd-"));
  try {
    results.workerd = report("workerd (pointer compression)", await measureWorkerd(dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
if (!process.env.CALIBRATE_SKIP_NODE) {
  const dir = mkdtempSync(join(tmpdir(), "calibrate-node-"));
  try {
    results.node = report(`Node ${process.version}`, await measureNode(dir));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
if (!process.env.CALIBRATE_SKIP_REDIS) {
  const redis = await measureRedis();
  console.log(`\n== ${N} small string keys (16-byte key, 8-byte value): bytes per key`);
  console.log(`redis-server used_memory: ${(redis.keyspace / N).toFixed(1)}; with a TTL: ${(redis["keyspace-ttl"] / N).toFixed(1)}`);
  for (const [runtime, t] of Object.entries(results)) {
    const at = t.keyspace;
    console.log(`hotslot on ${runtime}: heap ${at.mean.toFixed(1)} [${at.min.toFixed(1)}..${at.max.toFixed(1)}], accounted ${at.predicted?.toFixed(1)}; with a TTL: heap ${t["keyspace-ttl"].mean.toFixed(1)}, accounted ${t["keyspace-ttl"].predicted?.toFixed(1)}`);
  }
}
