/**
 * Scripting: EVALSHA of a small rate-limiter script (a fixed window: INCR, and PEXPIRE on the
 * window's first hit — what @upstash/ratelimit and rate-limiter-flexible run per request),
 * redis-benchmark against redis-server and against Hotslot through the bridge, same run,
 * over 100,000 limiter keys (every shard), at pipeline depth 1 and 16.
 */
import { int, ratio, table } from "./format.mjs";
import { redisBenchmark } from "./throughput.mjs";
import { withClient } from "./targets.mjs";

const LIMITER = "local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end return n";

/** @param {{ redisPort: number, hotslot: { port: number, vars: Record<string, string> }, requests: number, clients: number, log: (s: string) => void }} o */
export async function scripting({ redisPort, hotslot, requests, clients, log }) {
  // SCRIPT LOAD reaches every shard in Hotslot, so EVALSHA finds it wherever its key lands.
  const sha = await withClient(redisPort, (c) => c.command("SCRIPT", "LOAD", LIMITER));
  const hotslotSha = await withClient(hotslot.port, (c) => c.command("SCRIPT", "LOAD", LIMITER));
  if (sha !== hotslotSha) throw new Error(`SCRIPT LOAD answered ${hotslotSha}, redis-server ${sha}`);
  const rows = [];
  for (const depth of [1, 16]) {
    const args = ["-n", String(depth === 1 ? requests : requests * 2), "-c", String(clients), "-P", String(depth), "-r", "100000", "EVALSHA", sha, "1", "rl:__rand_int__", "60000"];
    const r = await redisBenchmark(redisPort, args);
    const h = await redisBenchmark(hotslot.port, args);
    rows.push([`-c ${clients} -P ${depth}`, int(r.rps), int(h.rps), ratio(h.rps, r.rps), h.p50.toFixed(2)]);
  }
  log(`### Scripting: EVALSHA of a fixed-window rate limiter (INCR + PEXPIRE), 100k keys\n`);
  log(`Hotslot: ${hotslot.vars.SHARDS} shards under wrangler dev, through the TCP bridge. Ratio = Hotslot ÷ redis-server.\n`);
  log(table(["clients / pipeline", "redis ops/s", "Hotslot ops/s", "ratio", "Hotslot p50 ms"], rows, "lrrrr"));
  log("");
}
