/**
 * Throughput: redis-benchmark against redis-server and against Hotslot through the TCP
 * bridge (→ WebSocket → router → shard Durable Objects), same commands, same run, at
 * pipeline depth 1 and 16, ops/s side by side and their ratio; then HTTP POST /pipeline.
 *
 * Keys: string commands use redis-benchmark's `-r` random keys (key:__rand_int__ over
 * 100,000 keys), so they spread over every shard. redis-benchmark's own collection tests
 * (-t lpush, hset, sadd, zadd) write ONE key each (mylist, myhash, myset, myzset), and a
 * key lives on one shard: those rows measure a single hot shard. The reads that
 * redis-benchmark has no -t test for (HGET, SISMEMBER, ZRANGE, ZRANK) use its custom-command
 * form on the same keys with random members. A second group spreads collections over
 * 1,000 keys of each type (list:__rand_int__, …), so every shard takes part.
 */
import { spawn } from "node:child_process";
import { int, ratio, table } from "./format.mjs";

/** [label, keys description, redis-benchmark arguments (after -n/-c/-P)]. */
const TESTS = [
  ["SET", "100k keys", ["-r", "100000", "-t", "set"]],
  ["GET", "100k keys", ["-r", "100000", "-t", "get"]],
  ["INCR", "100k keys", ["-r", "100000", "-t", "incr"]],
  ["MSET (10 keys)", "100k keys", ["-r", "100000", "-t", "mset"]],
  ["LPUSH", "1 key", ["-r", "100000", "-t", "lpush"]],
  ["LPOP", "1 key", ["-r", "100000", "-t", "lpop"]],
  ["HSET", "1 key", ["-r", "100000", "-t", "hset"]],
  ["HGET", "1 key", ["-r", "100000", "HGET", "myhash", "element:__rand_int__"]],
  ["SADD", "1 key", ["-r", "100000", "-t", "sadd"]],
  ["SISMEMBER", "1 key", ["-r", "100000", "SISMEMBER", "myset", "element:__rand_int__"]],
  ["ZADD", "1 key", ["-r", "100000", "-t", "zadd"]],
  ["ZRANGE 0 9", "1 key", ["-r", "100000", "ZRANGE", "myzset", "0", "9"]],
  ["ZRANK", "1 key", ["-r", "100000", "ZRANK", "myzset", "element:__rand_int__"]],
  ["LPUSH", "1k keys", ["-r", "1000", "LPUSH", "list:__rand_int__", "v:__rand_int__"]],
  ["LPOP", "1k keys", ["-r", "1000", "LPOP", "list:__rand_int__"]],
  ["HSET", "1k keys", ["-r", "1000", "HSET", "hash:__rand_int__", "field:__rand_int__", "v:__rand_int__"]],
  ["HGET", "1k keys", ["-r", "1000", "HGET", "hash:__rand_int__", "field:__rand_int__"]],
  ["SADD", "1k keys", ["-r", "1000", "SADD", "set:__rand_int__", "member:__rand_int__"]],
  ["SISMEMBER", "1k keys", ["-r", "1000", "SISMEMBER", "set:__rand_int__", "member:__rand_int__"]],
  ["ZADD", "1k keys", ["-r", "1000", "ZADD", "zset:__rand_int__", "__rand_int__", "member:__rand_int__"]],
  ["ZRANGE 0 9", "1k keys", ["-r", "1000", "ZRANGE", "zset:__rand_int__", "0", "9"]],
  ["ZRANK", "1k keys", ["-r", "1000", "ZRANK", "zset:__rand_int__", "member:__rand_int__"]],
];

/** Runs redis-benchmark once (one test); returns { rps, p50, p99 } (latencies in ms). */
export function redisBenchmark(port, args) {
  return new Promise((resolve, reject) => {
    const child = spawn("redis-benchmark", ["-h", "127.0.0.1", "-p", String(port), "--csv", ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`redis-benchmark ${args.join(" ")} exited ${code}: ${err}`));
      for (const line of out.split("\n")) {
        // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
        const m = /^"([^"]+)","([\d.]+)","([\d.]+)","([\d.]+)","([\d.]+)","([\d.]+)","([\d.]+)"/.exec(line);
        if (m && m[1] !== "test") return resolve({ rps: Number(m[2]), p50: Number(m[5]), p99: Number(m[7]) });
      }
      reject(new Error(`redis-benchmark ${args.join(" ")} printed no result: ${out}${err}`));
    });
  });
}

/** POST /pipeline with `size`-command bodies, `inFlight` at a time, for `total` commands: commands/s. */
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

/**
 * @param {{ redisPort: number, hotslot: { port, url, token, vars }, requests: number, clients: number, log: (s: string) => void }} o
 * `requests` is per test at -P 1; -P 16 runs 2× as many (it is several times faster).
 */
export async function throughput({ redisPort, hotslot, requests, clients, log }) {
  const depths = [1, 16];
  const results = new Map(); // `${i}` → { [depth]: { redis, hotslot } }
  for (const depth of depths) {
    const n = depth === 1 ? requests : requests * 2;
    for (const [i, [, , args]] of TESTS.entries()) {
      const common = ["-n", String(n), "-c", String(clients), "-P", String(depth)];
      const r = await redisBenchmark(redisPort, [...common, ...args]);
      const h = await redisBenchmark(hotslot.port, [...common, ...args]);
      const row = results.get(i) ?? {};
      row[depth] = { redis: r, hotslot: h };
      results.set(i, row);
    }
  }
  const rows = TESTS.map(([label, keys], i) => {
    const row = results.get(i);
    return [
      label,
      keys,
      ...depths.flatMap((d) => [int(row[d].redis.rps), int(row[d].hotslot.rps), ratio(row[d].hotslot.rps, row[d].redis.rps), row[d].hotslot.p50.toFixed(2)]),
    ];
  });
  log(`### Throughput: redis-benchmark, ${clients} clients, ${int(requests)} requests per test at -P 1 and ${int(requests * 2)} at -P 16\n`);
  log(`Hotslot: ${hotslot.vars.SHARDS} shards under wrangler dev, through the TCP bridge. Ratio = Hotslot ops/s ÷ redis-server ops/s.`);
  log(`"1 key": redis-benchmark's own collection keys (one key, so one shard); "1k keys": 1,000 keys per type, spread over all shards.\n`);
  log(
    table(
      ["command", "keys", "redis -P1 ops/s", "Hotslot -P1 ops/s", "ratio -P1", "Hotslot -P1 p50 ms", "redis -P16 ops/s", "Hotslot -P16 ops/s", "ratio -P16", "Hotslot -P16 p50 ms"],
      rows,
      "llrrrrrrrr",
    ),
  );
  const httpOps = await httpPipeline(hotslot.url, hotslot.token, 100, 8, 40_000);
  log(`\nHTTP POST /pipeline (Upstash REST), 100 commands per body (SET/GET over 10,000 keys), 8 requests in flight: ${int(httpOps)} commands/s (no redis-server equivalent).\n`);
  return { tests: TESTS.map(([label, keys], i) => ({ label, keys, ...results.get(i) })), httpOps };
}
