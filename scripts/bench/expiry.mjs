/**
 * Active expiry (issue 5): 200,000 keys whose expiry times are spread uniformly over a
 * 10-second window, loaded into redis-server and into Hotslot (keys spread over its
 * shards), then nothing touches them; INFO keyspace is sampled on both every 250 ms. Its
 * `expires=` (keys holding a TTL, expired-but-not-yet-deleted ones included, as Redis
 * counts them) is the measure: all the keys loaded have a TTL, and a stray key without one
 * written by anything else cannot hold the count above 0. Reported: how long after the last
 * expiry time each keyspace reached 0, the most expired-but-present keys seen, and the
 * keyspace size over time next to the number of keys not yet expired.
 *
 * Keys get absolute expiry times (SET … PXAT), in random order, and the window starts
 * LEAD_MS after loading begins, so every key is stored before it is due. Both servers run
 * on this machine, so they share one clock.
 */
import { int, sleep, table } from "./format.mjs";
import { parseInfo, RespClient, seededRandom } from "./resp.mjs";

const N = 200_000;
const WINDOW_MS = 10_000;
const LEAD_MS = 6_000;
const SAMPLE_MS = 250;
/** Give up waiting this long after the last expiry. */
const GIVE_UP_MS = 15_000;
const CONNECTIONS = 4;
/** Rows of the series printed sample by sample after the last expiry time. */
const TAIL_ROWS = 8;

/** Keys holding a TTL: INFO keyspace's expires= (no db0 line: none). */
async function withTtl(client) {
  const db0 = parseInfo(await client.command("INFO", "keyspace")).db0;
  return db0 ? Number(/expires=(\d+)/.exec(db0)[1]) : 0;
}

async function load(port, expiries) {
  const clients = await Promise.all(Array.from({ length: CONNECTIONS }, () => RespClient.connect(port)));
  const start = performance.now();
  try {
    const share = Math.ceil(N / CONNECTIONS);
    await Promise.all(
      clients.map((c, k) =>
        c.load(Math.max(0, Math.min(share, N - k * share)), (i) => ["SET", `ttl:${k * share + i}`, "value", "PXAT", String(expiries[k * share + i])], { batch: 1000, window: 4 }),
      ),
    );
  } finally {
    for (const c of clients) c.close();
  }
  return (performance.now() - start) / 1000;
}

export async function expiry({ redisPort, hotslot, log }) {
  const rnd = seededRandom(5);
  const t0 = Date.now() + LEAD_MS;
  const expiries = Array.from({ length: N }, () => t0 + Math.floor(rnd() * WINDOW_MS));
  const sortedExpiries = Float64Array.from(expiries).sort();
  const lastExpiry = sortedExpiries[N - 1];
  /** Keys whose expiry time is still ahead at `t`. */
  const live = (t) => {
    let lo = 0;
    let hi = N;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sortedExpiries[mid] <= t) lo = mid + 1;
      else hi = mid;
    }
    return N - lo;
  };

  const redisLoad = await load(redisPort, expiries);
  const hotslotLoad = await load(hotslot.port, expiries);
  const loadedAt = Date.now();
  if (loadedAt > t0) log(`(warning: loading ended ${loadedAt - t0} ms after the first expiry time; raise LEAD_MS)`);

  const probes = { redis: await RespClient.connect(redisPort), hotslot: await RespClient.connect(hotslot.port) };
  const samples = [];
  const emptyAt = {};
  try {
    for (let next = Date.now(); ; next += SAMPLE_MS) {
      await sleep(Math.max(0, next - Date.now()));
      const at = Date.now();
      const [r, h] = await Promise.all([withTtl(probes.redis), withTtl(probes.hotslot)]);
      samples.push({ at, expected: live(at), redis: r, hotslot: h });
      if (r === 0) emptyAt.redis ??= at;
      if (h === 0) emptyAt.hotslot ??= at;
      if ((emptyAt.redis && emptyAt.hotslot) || at > lastExpiry + GIVE_UP_MS) break;
    }
  } finally {
    for (const c of Object.values(probes)) c.close();
  }

  const stale = (name) => samples.reduce((m, s) => Math.max(m, s[name] - s.expected), 0);
  const after = (name) => (emptyAt[name] ? `${int(emptyAt[name] - lastExpiry)} ms` : `not within ${GIVE_UP_MS / 1000} s`);
  // The series: one row per second, every sample around the end of the window until both
  // are empty (at most TAIL_ROWS of them), then one row per 10 s, and the last sample.
  const rows = [];
  let lastBucket = null;
  let tail = 0;
  for (const [k, s] of samples.entries()) {
    const t = (s.at - t0) / 1000;
    const inTail = s.at >= lastExpiry - SAMPLE_MS && tail < TAIL_ROWS;
    const bucket = s.at <= lastExpiry ? Math.floor(t) : `10s:${Math.floor((s.at - lastExpiry) / 10_000)}`;
    if (!inTail && bucket === lastBucket && k !== samples.length - 1) continue;
    if (inTail) tail++;
    lastBucket = bucket;
    rows.push([t.toFixed(2), int(s.expected), int(s.redis), int(s.hotslot)]);
  }

  log(`### Active expiry: ${int(N)} keys, expiry times uniform over ${WINDOW_MS / 1000} s, nothing touched\n`);
  log(`Hotslot: ${hotslot.vars.SHARDS} shards (alarm-driven expiry). Loaded (SET … PXAT, ${CONNECTIONS} connections) in ${redisLoad.toFixed(1)} s into redis-server and ${hotslotLoad.toFixed(1)} s into Hotslot. Every ${SAMPLE_MS} ms, both are asked INFO keyspace: keys holding a TTL (expires=; like DBSIZE it counts expired keys not yet deleted). "Reached 0" is the first sample at 0, so it is an upper bound within ${SAMPLE_MS} ms.\n`);
  log(
    table(
      ["", "redis-server", "Hotslot"],
      [
        ["keyspace reached 0, after the last expiry time", after("redis"), after("hotslot")],
        ["most expired keys still present in a sample", int(stale("redis")), int(stale("hotslot"))],
      ],
      "lrr",
    ),
  );
  for (const [name, label] of [["redis", "redis-server"], ["hotslot", "Hotslot"]]) {
    if (!emptyAt[name]) log(`\n${label} still held ${int(samples.at(-1)[name])} keys with a TTL ${GIVE_UP_MS / 1000} s after the last expiry time: its active expiry stopped.`);
  }
  log(`\nKeyspace over time (t = seconds since the first expiry time; the last is at ${((lastExpiry - t0) / 1000).toFixed(2)} s):\n`);
  log(table(["t (s)", "not yet expired", "redis-server keys with TTL", "Hotslot keys with TTL"], rows, "rrrr"));
  log("");
  return { samples, emptyAfterMs: { redis: emptyAt.redis - lastExpiry, hotslot: emptyAt.hotslot - lastExpiry }, maxStale: { redis: stale("redis"), hotslot: stale("hotslot") }, load: { redis: redisLoad, hotslot: hotslotLoad } };
}
