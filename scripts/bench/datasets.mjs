/**
 * The data the memory and large-collection benchmarks load, as pure command makers, so the
 * same commands go to redis-server, to Hotslot, and to the engine alone in workerd
 * (scripts/bench/heap.mjs bundles this file). No Node imports here.
 */

export const pad = (i, n) => String(i).padStart(n, "0");

export const N_STRINGS = 1_000_000;
export const N_COLLECTIONS = 100_000;
export const FIELDS = 10;

/** Small-data sets for the memory-per-key table. */
export const SMALL_DATASETS = {
  strings: {
    title: `${N_STRINGS.toLocaleString("en-US")} strings (16-byte key, 8-byte value)`,
    keys: N_STRINGS,
    elements: N_STRINGS,
    make: (i) => ["SET", `key:${pad(i, 12)}`, `v${pad(i, 7)}`],
  },
  hashes: {
    title: `${N_COLLECTIONS.toLocaleString("en-US")} hashes × ${FIELDS} fields (8-byte fields and values)`,
    keys: N_COLLECTIONS,
    elements: N_COLLECTIONS * FIELDS,
    make: (i) => {
      const argv = ["HSET", `hash:${pad(i, 11)}`];
      for (let j = 0; j < FIELDS; j++) argv.push(`field:${pad(j, 2)}`, `v${pad(i * FIELDS + j, 7)}`);
      return argv;
    },
  },
  zsets: {
    title: `${N_COLLECTIONS.toLocaleString("en-US")} sorted sets × ${FIELDS} members (8-byte members)`,
    keys: N_COLLECTIONS,
    elements: N_COLLECTIONS * FIELDS,
    // Scores with 2 decimals, a pure function of (key, member).
    make: (i) => {
      const argv = ["ZADD", `zset:${pad(i, 11)}`];
      for (let j = 0; j < FIELDS; j++) argv.push((((i * 7919 + j * 104729) % 100000) / 100).toFixed(2), `m${pad(i * FIELDS + j, 7)}`);
      return argv;
    },
  },
};

// --- the large sorted set -------------------------------------------------------------------

export const BIG_ZSET_KEY = "bench:bigzset";
export const BIG_ZSET_SIZES = [10_000, 100_000, 1_000_000];
export const MEMBERS_PER_ZADD = 500;

/** Member i: 15 bytes. */
export const bigMember = (i) => `member:${pad(i, 8)}`;

/** Score of member i: pseudo-random in [0, 1e6) with 3 decimals (a hash of i, so any prefix is the same data). */
export function bigScore(i) {
  let t = (Math.imul(i + 1, 0x9e3779b1) ^ 0x5bd1e995) >>> 0;
  t = Math.imul(t ^ (t >>> 15), t | 1) >>> 0;
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((((t ^ (t >>> 14)) >>> 0) % 1_000_000_000) / 1000).toFixed(3);
}

/** The ZADD that adds members [from + k·MEMBERS_PER_ZADD, …) below `to`. */
export function bigZadd(from, to, k) {
  const argv = ["ZADD", BIG_ZSET_KEY];
  for (let i = from + k * MEMBERS_PER_ZADD; i < Math.min(to, from + (k + 1) * MEMBERS_PER_ZADD); i++) argv.push(bigScore(i), bigMember(i));
  return argv;
}

/** How many ZADDs grow the set from `from` to `to` members. */
export const bigZaddCount = (from, to) => Math.ceil((to - from) / MEMBERS_PER_ZADD);
