#!/usr/bin/env node
/**
 * `npm run bench`: Hotslot against redis-server, measured in the same run on this machine,
 * printed as markdown tables with Hotslot ÷ redis-server ratios. Sections (each in
 * scripts/bench/, each with its own fresh Hotslot Worker under wrangler's local runtime
 * and the TCP bridge; one redis-server shared and flushed between sections):
 *
 * - ceiling      SET at c50/c1 × P1/P16 and 100-command WebSocket frames ×16 in flight, for
 *                redis-server, ../shared/ceiling/bench.sh (when present), the durable ceiling
 *                (that ceiling plus a commit per frame) and Hotslot, with ratios, and shard
 *                RPCs per command at c50 P16 (scripts/bench/ceiling.mjs)
 * - throughput   redis-benchmark at -P 1 and -P 16, 50 clients: strings over random keys,
 *                lists / hashes / sets / sorted sets on one key and spread over 1,000 keys;
 *                then HTTP POST /pipeline (scripts/bench/throughput.mjs)
 * - scripting    EVALSHA of a fixed-window rate-limiter script, -P 1 and -P 16 (scripts/bench/scripting.mjs)
 * - collections  one sorted set grown to 10k / 100k / 1M members: per-command cost of ZADD,
 *                ZRANK, ZRANGE, and memory per member (scripts/bench/bigzset.mjs)
 * - expiry       200,000 keys with expiry times spread over 10 s, nothing touched: keyspace
 *                size over time until empty (scripts/bench/expiry.mjs)
 * - memory       bytes per key for 1,000,000 small strings, small hashes and small sorted
 *                sets: used_memory of both (scripts/bench/memory.mjs)
 * - log          SET throughput with the append log and with PERSISTENCE=no, then snapshot
 *                time, worst request pause during a snapshot and recovery time for 10/50/100 MB
 *                (scripts/bench/durability.mjs, scripts/snapshot-bench.mjs)
 * - pubsub       one publisher to 1 / 100 / 1,000 subscribers of one channel: messages/s,
 *                deliveries/s and publish → receive latency p50/p99 (scripts/bench/pubsub.mjs)
 * - reshard      live resharding 4 → 8 under a write load: keys and MB moved per second,
 *                the load's throughput and p99 during vs before (scripts/bench/reshard.mjs)
 * - failover     failover time over 20 injected primary failures: fault → next write
 *                acknowledged through the router (scripts/bench/failover.mjs)
 * - replication  SET throughput with REPLICAS=1 vs 0, replication lag under that load (bytes
 *                and ms), GET throughput on READONLY connections (replicas) vs primaries
 *                (scripts/bench/replication.mjs)
 *
 * A round trip costs far more on this runtime than a command does, so throughput must rise
 * with pipeline depth: a pipeline of N commands to one shard is one RPC, not N.
 *
 * Options (environment):
 *   BENCH_ONLY       comma list of sections (default: all)
 *   BENCH_REQUESTS   redis-benchmark requests per test at -P 1 (default 10000; -P 16 runs 2×)
 *   BENCH_CLIENTS    redis-benchmark clients (default 50)
 *   BENCH_SHARDS     shards of the throughput and expiry Workers (default 4)
 *   BENCH_REPLICAS   REPLICAS of the ceiling, throughput and scripting Workers (default: the
 *                    deployment default, 1)
 *
 * Only 127.0.0.1 is ever contacted. Takes 2½–4 minutes on a 2-core machine.
 */
import { execFileSync } from "node:child_process";
import { cpus, totalmem } from "node:os";
import { createRequire } from "node:module";
import { bigZset } from "./bench/bigzset.mjs";
import { ceiling } from "./bench/ceiling.mjs";
import { durability } from "./bench/durability.mjs";
import { expiry } from "./bench/expiry.mjs";
import { failover, FAILOVER_VARS } from "./bench/failover.mjs";
import { memory } from "./bench/memory.mjs";
import { pubsub } from "./bench/pubsub.mjs";
import { startHotslot, startRedisServer, withClient } from "./bench/targets.mjs";
import { scripting } from "./bench/scripting.mjs";
import { reshard, RESHARD_VARS } from "./bench/reshard.mjs";
import { throughput } from "./bench/throughput.mjs";
import { replication } from "./bench/replication.mjs";

const SECTIONS = ["ceiling", "throughput", "scripting", "collections", "expiry", "memory", "log", "pubsub", "failover", "replication", "reshard"];
const only = (process.env.BENCH_ONLY ?? SECTIONS.join(",")).split(",").map((s) => s.trim()).filter(Boolean);
for (const s of only) if (!SECTIONS.includes(s)) throw new Error(`BENCH_ONLY: unknown section "${s}" (one of ${SECTIONS.join(", ")})`);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 10000);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 50);
const SHARDS = process.env.BENCH_SHARDS ?? "4";
/** The Workers measured against redis-server: SHARDS, and REPLICAS when asked for. */
const MEASURED = { SHARDS, ...(process.env.BENCH_REPLICAS ? { REPLICAS: process.env.BENCH_REPLICAS } : {}) };

const log = (s = "") => console.log(s);

function machine() {
  const c = cpus();
  const redisVersion = /v=(\S+)/.exec(execFileSync("redis-server", ["--version"], { encoding: "utf8" }))?.[1];
  const wranglerVersion = createRequire(import.meta.url)("wrangler/package.json").version;
  return `${c.length} × ${c[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GB RAM; Node ${process.versions.node}; wrangler ${wranglerVersion} (local workerd, \`wrangler dev\`); redis-server ${redisVersion}`;
}

/** Runs `fn(hotslot)` with a fresh Hotslot Worker started with `vars`, and stops it. */
async function withHotslot(vars, fn) {
  const hotslot = await startHotslot(vars);
  try {
    return await fn(hotslot);
  } finally {
    await hotslot.stop();
  }
}

const started = performance.now();
log(`## Hotslot vs redis-server\n`);
log(`Machine: ${machine()}.`);
log(`Everything runs on this machine over 127.0.0.1: Hotslot under \`wrangler dev\` (workerd, local Durable Objects with SQLite storage), not on Cloudflare's network.\n`);

const redis = await startRedisServer();
try {
  const flushRedis = () => withClient(redis.port, (c) => c.command("FLUSHALL"));
  if (only.includes("ceiling")) {
    // Default settings (persistence on), as the throughput issue's targets are stated.
    await withHotslot(MEASURED, (hotslot) => ceiling({ redisPort: redis.port, hotslot, log }));
    await flushRedis();
  }
  if (only.includes("throughput")) {
    await withHotslot(MEASURED, (hotslot) => throughput({ redisPort: redis.port, hotslot, requests: REQUESTS, clients: CLIENTS, log }));
    await flushRedis();
  }
  if (only.includes("scripting")) {
    await withHotslot(MEASURED, (hotslot) => scripting({ redisPort: redis.port, hotslot, requests: REQUESTS, clients: CLIENTS, log }));
    await flushRedis();
  }
  if (only.includes("collections")) {
    // One key is one shard: the shard must hold the whole set, and must not evict it.
    await withHotslot({ SHARDS, MAXMEMORY: "200mb", MAXMEMORY_POLICY: "noeviction" }, (hotslot) => bigZset({ redisPort: redis.port, hotslot, log }));
    await flushRedis();
  }
  if (only.includes("expiry")) {
    await withHotslot({ SHARDS }, (hotslot) => expiry({ redisPort: redis.port, hotslot, log }));
    await flushRedis();
  }
  if (only.includes("memory")) {
    await memory({ redisPort: redis.port, withHotslot: (fn) => withHotslot({ SHARDS, MAXMEMORY: "200mb", MAXMEMORY_POLICY: "noeviction" }, fn), log });
    await flushRedis();
  }
  if (only.includes("log")) {
    await durability({ withHotslot: (vars, fn) => withHotslot({ SHARDS, ...vars }, fn), requests: REQUESTS, clients: CLIENTS, log });
  }
  if (only.includes("pubsub")) {
    await withHotslot({ SHARDS }, (hotslot) => pubsub({ redisPort: redis.port, hotslot, log }));
  }
  if (only.includes("reshard")) {
    await withHotslot(RESHARD_VARS, (hotslot) => reshard({ hotslot, log }));
  }
  if (only.includes("failover")) {
    await withHotslot(FAILOVER_VARS, (hotslot) => failover({ hotslot, log }));
  }
  if (only.includes("replication")) {
    await replication({ withHotslot: (vars, fn) => withHotslot({ SHARDS, ...vars }, fn), requests: REQUESTS, clients: CLIENTS, log });
  }
} finally {
  await redis.stop();
}
log(`_Total benchmark time: ${Math.round((performance.now() - started) / 1000)} s._`);
