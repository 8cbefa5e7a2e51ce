#!/usr/bin/env node
/**
 * `npm run bench`: Hotslot against redis-server, measured in the same run on this machine.
 *
 * 1. redis-benchmark through the TCP bridge (→ WebSocket → router → shard Durable Objects
 *    under wrangler's local runtime) and against a redis-server it starts, for each test at
 *    pipeline depth 1 and 16 with 50 clients: ops/s side by side and their ratio.
 * 2. HTTP: POST /pipeline bodies of 100 commands, as @upstash/redis's auto-pipelining
 *    sends them, with several requests in flight: commands per second.
 *
 * A round trip costs far more on this runtime than a command does, so throughput must rise
 * with pipeline depth: a pipeline of N commands to one shard is one RPC, not N.
 *
 * Options (environment): BENCH_REQUESTS (default 20000), BENCH_CLIENTS (50),
 * BENCH_TESTS (comma list of redis-benchmark -t names), BENCH_SHARDS (4).
 */
import { spawn } from "node:child_process";
import { startBridge } from "./bridge.mjs";

const { startHotslotWorker, startRedisServer, makePersistDir, removeDir } = await import("../test/e2e/setup/worker.ts");

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 20000);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 50);
const TESTS = (process.env.BENCH_TESTS ?? "set,get,incr,mset,lpush,lpop,hset,sadd,zadd").split(",");
const SHARDS = process.env.BENCH_SHARDS ?? "4";
const DEPTHS = [1, 16];

/** Runs redis-benchmark and returns ops/s per test name (upper case, as it prints them). */
function redisBenchmark(port, args) {
  return new Promise((resolve, reject) => {
    const child = spawn("redis-benchmark", ["-h", "127.0.0.1", "-p", String(port), "--csv", ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`redis-benchmark exited ${code}: ${err}`));
      const result = {};
      for (const line of out.split("\n")) {
        const m = /^"([^"]+)","([\d.]+)"/.exec(line);
        if (m) result[m[1].split(" ")[0]] = Number(m[2]);
      }
      resolve(result);
    });
  });
}

async function benchTarget(port, tests, depth) {
  return redisBenchmark(port, ["-n", String(REQUESTS), "-c", String(CLIENTS), "-P", String(depth), "-r", "100000", "-t", tests.join(",")]);
}

/** POST /pipeline with `size`-command bodies, `inFlight` at a time, for `total` commands. */
async function httpPipeline(url, token, size, inFlight, total) {
  const bodies = [];
  for (let b = 0; b < total / size; b++) {
    bodies.push(JSON.stringify(Array.from({ length: size }, (_, i) => (i % 2 ? ["GET", `http:${(b * size + i) % 10000}`] : ["SET", `http:${(b * size + i) % 10000}`, "value"]))));
  }
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++];
        const res = await fetch(`${url}/pipeline`, { method: "POST", body, headers: { authorization: `Bearer ${token}` } });
        if (!res.ok) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
        await res.arrayBuffer();
      }
    }),
  );
  return (bodies.length * size) / ((performance.now() - start) / 1000);
}

function fmt(n) {
  return n === undefined ? "—" : Math.round(n).toLocaleString("en-US");
}

const redis = await startRedisServer();
const dir = await makePersistDir();
const worker = await startHotslotWorker({ persistDir: dir, vars: { SHARDS } });
const bridge = await startBridge({ port: 0, url: worker.url, token: worker.token, log: null });
try {
  console.log(`Hotslot (${SHARDS} shards, wrangler dev) through the bridge vs redis-server, ${REQUESTS} requests, ${CLIENTS} clients\n`);
  console.log("| test | pipeline | redis-server ops/s | Hotslot ops/s | ratio |");
  console.log("| --- | ---: | ---: | ---: | ---: |");
  for (const depth of DEPTHS) {
    const r = await benchTarget(redis.port, TESTS, depth);
    const h = await benchTarget(bridge.port, TESTS, depth);
    for (const [name, rps] of Object.entries(r)) {
      const ratio = h[name] ? (h[name] / rps).toFixed(3) : "—";
      console.log(`| ${name} | ${depth} | ${fmt(rps)} | ${fmt(h[name])} | ${ratio} |`);
    }
  }
  const httpOps = await httpPipeline(worker.url, worker.token, 100, 8, 40_000);
  console.log(`\nHTTP POST /pipeline, 100 commands per body, 8 in flight: ${fmt(httpOps)} commands/s`);
} finally {
  await bridge.close();
  await worker.stop();
  await redis.stop();
  await removeDir(dir);
}
