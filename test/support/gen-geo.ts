/**
 * Differential generator for the geo family: seeded sequences of GEOADD, GEOPOS, GEODIST,
 * GEOHASH, GEOSEARCH, GEOSEARCHSTORE, GEORADIUS[BYMEMBER][_RO] (every option, in any
 * order), plus ZADD of scores that are not geohashes and reads of what the STORE forms
 * wrote. Every reply is compared byte for byte: a search's order is defined (cells, then
 * scores, then Redis's sorts), so nothing here is compared loosely.
 *
 * Points cluster around a few centres (so searches find things and distances tie), and
 * include the edges: Redis's latitude limits ±85.05112878, the poles' coarser steps (|lat|
 * past 66 and 80), the antimeridian ±180, the equator and prime meridian, duplicates.
 * Bad arguments of every kind are mixed in (not a float, out of range, negative radius,
 * bad unit, bad COUNT, option combinations Redis refuses, arity).
 *
 * Keys share the hash tag {g}, so the store forms stay in one slot.
 */
import { Rng } from "./random";

export const GEO_KEYS = ["{g}a", "{g}b"];
/** A sorted set whose scores ZADD writes directly: fractions, negatives, huge ones. */
export const ODD_ZSET_KEY = "{g}z";
export const STRING_KEY = "{g}str";
const MISSING_KEY = "{g}none";
export const STORE_KEYS = ["{g}dst", "{g}dst2"];
const ALL_KEYS = [...GEO_KEYS, ODD_ZSET_KEY, STRING_KEY, MISSING_KEY, ...STORE_KEYS];

const MEMBERS = ["p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9", "q1", "q2", "q3", "", "\x00", "\xff\xfe", "x y", "7"];

/** Centres points gather around: ordinary places, near the poles, on the antimeridian. */
const CENTRES: readonly [number, number][] = [
  [13.361389, 38.115556],
  [15.087269, 37.502669],
  [0, 0],
  [-122.27652, 37.805186],
  [179.9999, 10],
  [-179.9999, -10],
  [10, 84.9],
  [-40, -85.05],
  [100, 66.5],
  [-70, -80.5],
  [139.6917, 35.6895],
];

function decimal(rng: Rng, x: number): string {
  // Up to 6 decimals, as people type coordinates; sometimes full precision.
  return rng.chance(0.8) ? String(Number(x.toFixed(rng.range(0, 6)))) : String(x);
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}

/** A valid longitude/latitude pair as text. */
function point(rng: Rng): [string, string] {
  const r = rng.int(100);
  if (r < 55) {
    const [cx, cy] = rng.pick(CENTRES);
    const spread = rng.pick([0, 0.0001, 0.01, 0.5, 3, 20]);
    const x = clamp(cx + (rng.float() * 2 - 1) * spread, -180, 180);
    const y = clamp(cy + (rng.float() * 2 - 1) * spread, -85.05112878, 85.05112878);
    return [decimal(rng, x), decimal(rng, y)];
  }
  if (r < 75) return [decimal(rng, rng.float() * 360 - 180), decimal(rng, rng.float() * 170.10225756 - 85.05112878)];
  const edges: [string, string][] = [
    ["180", "85.05112878"],
    ["-180", "-85.05112878"],
    ["180", "0"],
    ["-180", "0"],
    ["0", "85.05112878"],
    ["0", "-85.05112878"],
    ["179.99999999", "85.0511"],
    ["-179.99999999", "-85.0511"],
    ["0", "0"],
    ["-0", "-0"],
    ["1e-10", "-1e-10"],
    ["45", "66.0000001"],
    ["45", "80.0000001"],
    ["1.5e1", "3.75e1"],
  ];
  return rng.pick(edges);
}

/** A coordinate pair, now and then a bad one. */
function maybeBadPoint(rng: Rng): [string, string] {
  if (rng.chance(0.93)) return point(rng);
  return rng.pick<[string, string]>([
    ["200", "100"],
    ["180.0000001", "0"],
    ["0", "85.06"],
    ["-180.5", "-86"],
    ["inf", "0"],
    ["0", "-inf"],
    ["nan", "0"],
    ["abc", "1"],
    ["1", ""],
    ["1e400", "1"],
    ["-1e300", "-1e300"],
    ["0x10", "1"],
    [" 1", "1"],
  ]);
}

function member(rng: Rng): string {
  return rng.pick(MEMBERS);
}

function geoKey(rng: Rng): string {
  return rng.chance(0.85) ? rng.pick(GEO_KEYS) : rng.pick(ALL_KEYS);
}

const UNITS = ["m", "km", "ft", "mi", "M", "KM", "Ft", "mI"];

function unit(rng: Rng): string {
  return rng.chance(0.95) ? rng.pick(UNITS) : rng.pick(["yd", "", "meters", "k", "m\x00"]);
}

/** A radius (or box side) in some unit: every scale from 0 to the whole earth. */
function size(rng: Rng): string {
  const r = rng.int(100);
  if (r < 80) return String(rng.pick([0, 1, 50, 200, 1000, 5000, 20000, 100000, 500000, 2000000, 5000000, 20000000]) * (rng.chance(0.5) ? 1 : rng.float()));
  if (r < 90) return rng.pick(["0", "1e-3", "inf", "6000", "300.5", "1.5e2"]);
  return rng.pick(["-1", "-0.001", "abc", "", "nan", "-inf"]);
}

/** A COUNT argument: mostly small, sometimes invalid. */
function countArg(rng: Rng): string {
  return rng.chance(0.9) ? String(rng.range(1, 12)) : rng.pick(["0", "-1", "x", "1.5", "9223372036854775807", "9223372036854775808"]);
}

/** The optional part of a search, options shuffled; `store` adds STORE/STOREDIST. */
function searchOptions(rng: Rng, forms: { with: boolean; store: "none" | "key" | "flag" }): string[][] {
  const opts: string[][] = [];
  if (forms.with) {
    if (rng.chance(0.4)) opts.push([rng.pick(["WITHDIST", "withdist"])]);
    if (rng.chance(0.3)) opts.push(["WITHHASH"]);
    if (rng.chance(0.3)) opts.push([rng.pick(["WITHCOORD", "withcoord"])]);
  } else if (rng.chance(0.04)) {
    opts.push([rng.pick(["WITHDIST", "WITHHASH", "WITHCOORD"])]);
  }
  if (rng.chance(0.5)) opts.push([rng.pick(["ASC", "DESC", "asc", "desc"])]);
  if (rng.chance(0.5)) {
    const c = ["COUNT", countArg(rng)];
    if (rng.chance(0.3)) c.push("ANY");
    opts.push(c);
  } else if (rng.chance(0.05)) {
    opts.push(["ANY"]);
  }
  if (forms.store === "key" && rng.chance(0.3)) opts.push([rng.pick(["STORE", "STOREDIST", "store"]), rng.pick(STORE_KEYS)]);
  if (forms.store === "flag" && rng.chance(0.4)) opts.push(["STOREDIST"]);
  if (rng.chance(0.03)) opts.push([rng.pick(["NOPE", "COUNT", "STORE", "BYRADIUS", "FROMMEMBER"])]);
  return rng.shuffle(opts);
}

/** FROMMEMBER/FROMLONLAT and BYRADIUS/BYBOX parts of GEOSEARCH, sometimes missing or doubled. */
function searchShape(rng: Rng): string[][] {
  const parts: string[][] = [];
  const from = (): string[] => (rng.chance(0.6) ? ["FROMLONLAT", ...maybeBadPoint(rng)] : ["FROMMEMBER", member(rng)]);
  const by = (): string[] => (rng.chance(0.5) ? ["BYRADIUS", size(rng), unit(rng)] : ["BYBOX", size(rng), size(rng), unit(rng)]);
  if (rng.chance(0.97)) parts.push(from());
  if (rng.chance(0.04)) parts.push(from());
  if (rng.chance(0.97)) parts.push(by());
  if (rng.chance(0.04)) parts.push(by());
  return parts;
}

type Maker = (rng: Rng) => string[];

const MAKERS: readonly { weight: number; make: Maker }[] = [
  {
    weight: 24,
    make(rng) {
      const argv = ["GEOADD", geoKey(rng)];
      if (rng.chance(0.25)) argv.push(...rng.shuffle(["NX", "XX", "CH"].filter(() => rng.chance(0.4))));
      const n = rng.range(1, 5);
      for (let i = 0; i < n; i++) argv.push(...maybeBadPoint(rng), member(rng));
      if (rng.chance(0.03)) argv.pop();
      return argv;
    },
  },
  { weight: 6, make: (rng) => ["GEOPOS", geoKey(rng), ...Array.from({ length: rng.range(0, 4) }, () => member(rng))] },
  { weight: 5, make: (rng) => ["GEOHASH", geoKey(rng), ...Array.from({ length: rng.range(0, 4) }, () => member(rng))] },
  {
    weight: 6,
    make(rng) {
      const argv = ["GEODIST", geoKey(rng), member(rng), member(rng)];
      if (rng.chance(0.6)) argv.push(unit(rng));
      if (rng.chance(0.03)) argv.push("extra");
      return argv;
    },
  },
  {
    weight: 18,
    make(rng) {
      const name = rng.pick(["GEOSEARCH", "geosearch", "GeoSearch"]);
      return [name, geoKey(rng), ...rng.shuffle([...searchShape(rng), ...searchOptions(rng, { with: true, store: "none" })]).flat()];
    },
  },
  {
    weight: 10,
    make(rng) {
      const parts = rng.shuffle([...searchShape(rng), ...searchOptions(rng, { with: false, store: "flag" })]);
      return [rng.pick(["GEOSEARCHSTORE", "geosearchstore"]), rng.pick(STORE_KEYS), geoKey(rng), ...parts.flat()];
    },
  },
  {
    weight: 10,
    make(rng) {
      const name = rng.pick(["GEORADIUS", "GEORADIUS_RO"]);
      const store = name === "GEORADIUS" ? "key" : rng.chance(0.1) ? "key" : "none";
      const withs = !(store === "key" && rng.chance(0.5));
      return [name, geoKey(rng), ...maybeBadPoint(rng), size(rng), unit(rng), ...searchOptions(rng, { with: withs, store }).flat()];
    },
  },
  {
    weight: 8,
    make(rng) {
      const name = rng.pick(["GEORADIUSBYMEMBER", "GEORADIUSBYMEMBER_RO"]);
      const store = name === "GEORADIUSBYMEMBER" ? "key" : rng.chance(0.1) ? "key" : "none";
      const withs = !(store === "key" && rng.chance(0.5));
      return [name, geoKey(rng), member(rng), size(rng), unit(rng), ...searchOptions(rng, { with: withs, store }).flat()];
    },
  },
  {
    weight: 4,
    make(rng) {
      const score = rng.pick(["-1.5", "1.5", "3479099956230698.5", "9007199254740993", "4503599627370496", "1e300", "-1e300", "inf", "-inf", "0", "-0", String(rng.int(2 ** 52)), "18446744073709551615", "9223372036854775808"]);
      return ["ZADD", rng.chance(0.7) ? ODD_ZSET_KEY : rng.pick(GEO_KEYS), score, member(rng)];
    },
  },
  { weight: 2, make: (rng) => ["ZREM", geoKey(rng), member(rng)] },
  { weight: 5, make: (rng) => ["ZRANGE", rng.pick([...STORE_KEYS, ...GEO_KEYS]), "0", "-1", "WITHSCORES"] },
  { weight: 2, make: (rng) => ["OBJECT", "ENCODING", rng.pick([...STORE_KEYS, ...GEO_KEYS])] },
  { weight: 1, make: (rng) => ["TYPE", rng.pick(STORE_KEYS)] },
  {
    weight: 2,
    make: (rng) =>
      rng.pick([
        ["GEOADD", "{g}a"],
        ["GEOADD", "{g}a", "1", "2"],
        ["GEOPOS"],
        ["GEODIST", "{g}a", "p1"],
        ["GEOSEARCH", "{g}a", "FROMLONLAT", "1", "2"],
        ["GEOSEARCHSTORE", "{g}dst", "{g}a", "BYRADIUS", "1", "m"],
        ["GEORADIUS", "{g}a", "1", "2", "3"],
        ["GEORADIUSBYMEMBER", "{g}a", "p1", "3"],
        ["GEOHASH"],
      ]),
  },
];

const TOTAL_WEIGHT = MAKERS.reduce((s, m) => s + m.weight, 0);

/** `count` commands for `seed`, after a setup that makes the string key and the listpack limits. */
export function generateGeoSteps(seed: number, count: number): string[][] {
  const rng = new Rng(seed);
  const steps: string[][] = [
    ["CONFIG", "SET", "zset-max-listpack-entries", String(rng.pick([0, 3, 8, 128]))],
    ["SET", STRING_KEY, "not a zset"],
  ];
  // Seed both geo sets with clustered points so the first searches find something.
  for (const key of GEO_KEYS) {
    const argv = ["GEOADD", key];
    for (let i = 0; i < 10; i++) argv.push(...point(rng), member(rng));
    steps.push(argv);
  }
  while (steps.length < count) {
    let r = rng.int(TOTAL_WEIGHT);
    for (const m of MAKERS) {
      r -= m.weight;
      if (r < 0) {
        steps.push(m.make(rng));
        break;
      }
    }
  }
  return steps;
}

/** Reads back every key at the end: whole contents with scores. */
export function geoStateSteps(): string[][] {
  return [...GEO_KEYS, ODD_ZSET_KEY, ...STORE_KEYS].flatMap((k) => [
    ["TYPE", k],
    ["ZRANGE", k, "0", "-1", "WITHSCORES"],
    ["GEOPOS", k, ...MEMBERS],
    ["GEOHASH", k, ...MEMBERS],
  ]);
}
