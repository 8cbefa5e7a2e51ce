/**
 * The geo commands of Redis 7.0 (geo.c): GEOADD, GEOPOS, GEODIST, GEOHASH, GEOSEARCH,
 * GEOSEARCHSTORE and the older GEORADIUS, GEORADIUSBYMEMBER and their _RO forms. A geo
 * index is a plain sorted set whose scores are 52-bit geohashes (src/engine/geohash.ts
 * owns the encoding, the cells a search scans and the distance tests); this module parses
 * arguments in Redis's order, walks the sorted set through its type API and formats the
 * replies as Redis does: distances "%.4f", coordinates as long doubles printed "%.17Lf"
 * without trailing zeros (addReplyHumanLongDouble), hashes as integers.
 *
 * Results of a search come in Redis's order: cell by cell, then by score within a cell;
 * sorted by distance with a stable sort when the whole result is sorted (glibc's qsort is
 * a merge sort), and with Redis's partial quicksort (pqsort) when COUNT takes fewer, so
 * ties between equal distances come out as redis-server lists them.
 *
 * Everything here is deterministic given the data: commands are logged as sent.
 */
import { NOTIFY_ZSET } from "../engine/notify";
import {
  decodeScore,
  distance,
  distanceIfWithin,
  GEO_LAT_MAX,
  GEO_LAT_MIN,
  GEO_LONG_MAX,
  GEO_LONG_MIN,
  scoreOf,
  scoreRangeOf,
  searchCells,
  standardGeohash,
  type Shape,
} from "../engine/geohash";
import { SortedSet } from "../engine/zset";
import { double, NULL_ARRAY, type Reply } from "../protocol/reply";
import { cstr } from "../util/binary";
import { formatLongDouble } from "../util/numbers";
import { doubleOrReply, isOption, lookupOfType, parseIntegerArg, storeOrDelete } from "./args";
import type { ExecContext } from "./context";
import { CommandError, ERR_SYNTAX } from "./errors";
import { defineCommand, lookupCommand, readsOneKey, writesOneKey } from "./table";

// --- errors only the geo commands send -----------------------------------------------------

const ERR_UNIT = "ERR unsupported unit provided. please use M, KM, FT, MI";
const ERR_DECODE_MEMBER = "ERR could not decode requested zset member";
const ERR_RADIUS_NOT_NUMBER = "ERR need numeric radius";
const ERR_RADIUS_NEGATIVE = "ERR radius cannot be negative";
const ERR_WIDTH_NOT_NUMBER = "ERR need numeric width";
const ERR_HEIGHT_NOT_NUMBER = "ERR need numeric height";
const ERR_BOX_NEGATIVE = "ERR height or width cannot be negative";
const ERR_COUNT_POSITIVE = "ERR COUNT must be > 0";
const ERR_ANY_WITHOUT_COUNT = "ERR the ANY argument requires COUNT argument";
const errStoreWith = (what: string) => `ERR ${what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options`;
const errFrom = (cmd: string) => `ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for ${cmd}`;
const errBy = (cmd: string) => `ERR exactly one of BYRADIUS and BYBOX can be specified for ${cmd}`;

// --- number formatting ------------------------------------------------------------------------

const f64 = new DataView(new ArrayBuffer(8));

/** A finite double as sign, integer mantissa and binary exponent: |d| = mant × 2^exp exactly. */
function exactParts(d: number): { neg: boolean; mant: bigint; exp: number } {
  f64.setFloat64(0, d);
  const hi = f64.getUint32(0);
  const lo = f64.getUint32(4);
  const neg = hi >>> 31 === 1;
  const biased = (hi >>> 20) & 0x7ff;
  const frac = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (biased === 0) return { neg, mant: frac, exp: -1074 };
  return { neg, mant: frac | (1n << 52n), exp: biased - 1075 };
}

/**
 * C's "%.<digits>f" of a double: the exact value rounded half to even (glibc), every
 * integer digit printed, "-" kept for negative values that round to zero and for -0.
 */
export function formatFixed(d: number, digits: number): string {
  if (d === Infinity) return "inf";
  if (d === -Infinity) return "-inf";
  if (Number.isNaN(d)) return "nan";
  const { neg, mant, exp } = exactParts(d);
  const scale = 10n ** BigInt(digits);
  let q: bigint;
  if (exp >= 0) {
    q = (mant << BigInt(exp)) * scale;
  } else {
    const shift = BigInt(-exp);
    const scaled = mant * scale;
    q = scaled >> shift;
    const rem = scaled & ((1n << shift) - 1n);
    const half = 1n << (shift - 1n);
    if (rem > half || (rem === half && (q & 1n) === 1n)) q += 1n;
  }
  const int = (q / scale).toString();
  const frac = digits > 0 ? "." + (q % scale).toString().padStart(digits, "0") : "";
  return (neg ? "-" : "") + int + frac;
}

/** A coordinate as addReplyHumanLongDouble sends it: the double as a long double, "%.17Lf" trimmed. */
function coordinate(d: number): Reply {
  const { neg, mant, exp } = exactParts(d);
  return double(d, formatLongDouble({ kind: "finite", neg, mant, exp }));
}

/** A distance as addReplyDoubleDistance sends it: a bulk string with 4 decimals. */
function distanceReply(d: number): string {
  return formatFixed(d, 4);
}

// --- arguments ----------------------------------------------------------------------------------

/** [longitude, latitude] from two arguments (extractLongLatOrReply). */
function lonLatOrReply(lonArg: string, latArg: string): [number, number] {
  const lon = doubleOrReply(lonArg);
  const lat = doubleOrReply(latArg);
  if (lon < GEO_LONG_MIN || lon > GEO_LONG_MAX || lat < GEO_LAT_MIN || lat > GEO_LAT_MAX) {
    throw new CommandError(`ERR invalid longitude,latitude pair ${formatFixed(lon, 6)},${formatFixed(lat, 6)}`);
  }
  return [lon, lat];
}

/** Metres per unit (extractUnitOrReply): m, km, ft, mi in any case. */
function unitOrReply(arg: string): number {
  if (isOption(arg, "m")) return 1;
  if (isOption(arg, "km")) return 1000;
  if (isOption(arg, "ft")) return 0.3048;
  if (isOption(arg, "mi")) return 1609.34;
  throw new CommandError(ERR_UNIT);
}

/** A radius and its unit (extractDistanceOrReply): number, then sign, then unit. */
function radiusOrReply(valueArg: string, unitArg: string): { radius: number; conversion: number } {
  const radius = doubleOrReply(valueArg, ERR_RADIUS_NOT_NUMBER);
  if (radius < 0) throw new CommandError(ERR_RADIUS_NEGATIVE);
  return { radius, conversion: unitOrReply(unitArg) };
}

/** A box's width, height and unit (extractBoxOrReply). */
function boxOrReply(widthArg: string, heightArg: string, unitArg: string): { width: number; height: number; conversion: number } {
  const width = doubleOrReply(widthArg, ERR_WIDTH_NOT_NUMBER);
  const height = doubleOrReply(heightArg, ERR_HEIGHT_NOT_NUMBER);
  if (height < 0 || width < 0) throw new CommandError(ERR_BOX_NEGATIVE);
  return { width, height, conversion: unitOrReply(unitArg) };
}

/** [longitude, latitude] of a member of `z` (longLatFromMember), or the decode error. */
function memberPositionOrReply(z: SortedSet, member: string): [number, number] {
  const score = z.score(member);
  if (score === undefined) throw new CommandError(ERR_DECODE_MEMBER);
  return decodeScore(score);
}

// --- GEOADD ----------------------------------------------------------------------------------------

defineCommand({
  name: "geoadd",
  arity: -5,
  ...writesOneKey("denyoom"),
  group: "geo",
  run(ctx, argv) {
    let nx = false;
    let xx = false;
    let first = 2;
    for (; first < argv.length; first++) {
      const a = argv[first];
      if (isOption(a, "nx")) nx = true;
      else if (isOption(a, "xx")) xx = true;
      else if (!isOption(a, "ch")) break;
    }
    if ((argv.length - first) % 3 !== 0 || (xx && nx)) throw new CommandError(ERR_SYNTAX);
    // As Redis, GEOADD is ZADD with each point's geohash as its score (and ZADD's options).
    const zaddArgv = ["zadd", ...argv.slice(1, first)];
    for (let i = first; i < argv.length; i += 3) {
      const [lon, lat] = lonLatOrReply(argv[i], argv[i + 1]);
      zaddArgv.push(String(scoreOf(lon, lat)), argv[i + 2]);
    }
    const zadd = lookupCommand("zadd");
    if (!zadd?.run) throw new Error("zadd is not declared");
    return zadd.run(ctx, zaddArgv);
  },
});

// --- GEOPOS, GEOHASH, GEODIST ---------------------------------------------------------------------

defineCommand({
  name: "geopos",
  arity: -2,
  ...readsOneKey(),
  group: "geo",
  run(ctx, argv) {
    const z = lookupOfType(ctx.db, argv[1], SortedSet);
    const out: Reply[] = [];
    for (let j = 2; j < argv.length; j++) {
      const score = z?.score(argv[j]);
      if (score === undefined) {
        out.push(NULL_ARRAY);
      } else {
        const [x, y] = decodeScore(score);
        out.push([coordinate(x), coordinate(y)]);
      }
    }
    return out;
  },
});

defineCommand({
  name: "geohash",
  arity: -2,
  ...readsOneKey(),
  group: "geo",
  run(ctx, argv) {
    const z = lookupOfType(ctx.db, argv[1], SortedSet);
    const out: Reply[] = [];
    for (let j = 2; j < argv.length; j++) {
      const score = z?.score(argv[j]);
      out.push(score === undefined ? null : standardGeohash(score));
    }
    return out;
  },
});

defineCommand({
  name: "geodist",
  arity: -4,
  ...readsOneKey(),
  group: "geo",
  run(ctx, argv) {
    // The unit is read before the key is looked up.
    let toMeters = 1;
    if (argv.length === 5) toMeters = unitOrReply(argv[4]);
    else if (argv.length > 5) throw new CommandError(ERR_SYNTAX);
    const z = lookupOfType(ctx.db, argv[1], SortedSet);
    if (!z) return null;
    const s1 = z.score(argv[2]);
    const s2 = z.score(argv[3]);
    if (s1 === undefined || s2 === undefined) return null;
    const [x1, y1] = decodeScore(s1);
    const [x2, y2] = decodeScore(s2);
    return distanceReply(distance(x1, y1, x2, y2) / toMeters);
  },
});

// --- searching ---------------------------------------------------------------------------------------

/** A point found by a search (geoPoint). */
interface GeoPoint {
  member: string;
  score: number;
  longitude: number;
  latitude: number;
  /** Metres from the centre. */
  dist: number;
}

/**
 * The points of `z` inside `shape`, in Redis's order: the cells of searchCells (a cell
 * equal to the one scanned just before it is skipped), each as the score range [min, max)
 * in ascending order. With `limit` (ANY), stops once that many were found.
 */
function pointsInShape(z: SortedSet, shape: Shape, limit: number): GeoPoint[] {
  const found: GeoPoint[] = [];
  const cells = searchCells(shape);
  let lastProcessed = 0;
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i];
    if (!cell) continue;
    const last = cells[lastProcessed];
    // Redis compares with the last cell scanned only once it has scanned a neighbour.
    if (lastProcessed !== 0 && last && cell.bits === last.bits && cell.step === last.step) continue;
    if (limit > 0 && found.length >= limit) break;
    const { min, max } = scoreRangeOf(cell);
    const span = z.scoreSpan({ min, max, minExclusive: false, maxExclusive: true });
    z.forEachInRange(span, false, (member, score) => {
      if (limit > 0 && found.length >= limit) return;
      const [longitude, latitude] = decodeScore(score);
      const dist = distanceIfWithin(shape, longitude, latitude);
      if (dist !== null) found.push({ member, score, longitude, latitude, dist });
    });
    lastProcessed = i;
  }
  return found;
}

type Compare = (a: GeoPoint, b: GeoPoint) => number;

const byDistanceAsc: Compare = (a, b) => (a.dist > b.dist ? 1 : a.dist === b.dist ? 0 : -1);
const byDistanceDesc: Compare = (a, b) => -byDistanceAsc(a, b);

/**
 * Sorts `a` far enough that ranks `left`..`right` hold what a full sort would put there:
 * Redis's pqsort (a Bentley–McIlroy quicksort that skips the parts outside the ranks),
 * followed step by step so that equal elements end up in the same places as in Redis.
 */
function partialSort(a: GeoPoint[], cmp: Compare, left: number, right: number): void {
  const swap = (i: number, j: number) => {
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  };
  const vecswap = (i: number, j: number, n: number) => {
    for (let k = 0; k < n; k++) swap(i + k, j + k);
  };
  const med3 = (i: number, j: number, k: number): number =>
    cmp(a[i], a[j]) < 0
      ? cmp(a[j], a[k]) < 0 ? j : cmp(a[i], a[k]) < 0 ? k : i
      : cmp(a[j], a[k]) > 0 ? j : cmp(a[i], a[k]) < 0 ? i : k;
  // True when ranks lo..lo+n-1 are not wholly on one side of left..right.
  const wanted = (lo: number, n: number) => !((left < lo && right < lo) || (left >= lo + n && right >= lo + n));

  const sortPart = (lo: number, n: number): void => {
    for (;;) {
      if (n < 7) {
        for (let m = lo + 1; m < lo + n; m++) for (let l = m; l > lo && cmp(a[l - 1], a[l]) > 0; l--) swap(l, l - 1);
        return;
      }
      let pm = lo + Math.floor(n / 2);
      if (n > 7) {
        let pl = lo;
        let pn = lo + n - 1;
        if (n > 40) {
          const d = Math.floor(n / 8);
          pl = med3(pl, pl + d, pl + 2 * d);
          pm = med3(pm - d, pm, pm + d);
          pn = med3(pn - 2 * d, pn - d, pn);
        }
        pm = med3(pl, pm, pn);
      }
      swap(lo, pm);
      let pa = lo + 1;
      let pb = pa;
      let pc = lo + n - 1;
      let pd = pc;
      for (;;) {
        let r: number;
        while (pb <= pc && (r = cmp(a[pb], a[lo])) <= 0) {
          if (r === 0) swap(pa++, pb);
          pb++;
        }
        while (pb <= pc && (r = cmp(a[pc], a[lo])) >= 0) {
          if (r === 0) swap(pc, pd--);
          pc--;
        }
        if (pb > pc) break;
        swap(pb++, pc--);
      }
      const end = lo + n;
      let r = Math.min(pa - lo, pb - pa);
      vecswap(lo, pb - r, r);
      r = Math.min(pd - pc, end - pd - 1);
      vecswap(pb, end - r, r);
      r = pb - pa;
      if (r > 1 && wanted(lo, r)) sortPart(lo, r);
      r = pd - pc;
      if (r <= 1) return;
      lo = end - r;
      n = r;
      if (!wanted(lo, n)) return;
    }
  };
  sortPart(0, a.length);
}

const RADIUS_COORDS = 1;
const RADIUS_MEMBER = 2;
const RADIUS_NOSTORE = 4;
const GEOSEARCH = 8;
const GEOSEARCHSTORE = 16;

/** The event a stored result announces (georadiusGeneric: GEOSEARCHSTORE or the STORE options). */
function storeEvent(flags: number): string {
  return flags & GEOSEARCH ? "geosearchstore" : "georadiusstore";
}

type Sort = "none" | "asc" | "desc";

/**
 * georadiusGeneric: GEORADIUS[BYMEMBER][_RO] key … and GEOSEARCH[STORE] [dst] key …, with
 * Redis's order of checks (the key's type first, the centre and radius of the old forms,
 * then every option left to right, then the combinations).
 */
function georadius(ctx: ExecContext, argv: string[], srcIndex: number, flags: number): Reply {
  const z = lookupOfType(ctx.db, argv[srcIndex], SortedSet);
  let storeKey: string | null = null;
  let storeDist = false;
  let xy: [number, number] = [0, 0];
  let shape: { type: "radius"; radius: number; conversion: number } | { type: "box"; width: number; height: number; conversion: number } | null = null;
  let baseArgs: number;
  if (flags & RADIUS_COORDS) {
    baseArgs = 6;
    xy = lonLatOrReply(argv[2], argv[3]);
    shape = { type: "radius", ...radiusOrReply(argv[4], argv[5]) };
  } else if (flags & RADIUS_MEMBER) {
    baseArgs = 5;
    // Without the key the options are still parsed, to know which empty reply to send.
    if (z) {
      xy = memberPositionOrReply(z, argv[2]);
      shape = { type: "radius", ...radiusOrReply(argv[3], argv[4]) };
    }
  } else {
    baseArgs = 2;
    if (flags & GEOSEARCHSTORE) {
      baseArgs = 3;
      storeKey = argv[1];
    }
  }

  let withDist = false;
  let withHash = false;
  let withCoords = false;
  let fromMember = false;
  let fromLonLat = false;
  let byRadius = false;
  let byBox = false;
  let sort: Sort = "none";
  let any = false;
  let count = 0;
  const mayStore = !(flags & RADIUS_NOSTORE) && !(flags & GEOSEARCH);
  const search = (flags & GEOSEARCH) !== 0;
  const remaining = argv.length - baseArgs;
  for (let i = 0; i < remaining; i++) {
    const at = baseArgs + i;
    const a = argv[at];
    if (isOption(a, "withdist")) withDist = true;
    else if (isOption(a, "withhash")) withHash = true;
    else if (isOption(a, "withcoord")) withCoords = true;
    else if (isOption(a, "any")) any = true;
    else if (isOption(a, "asc")) sort = "asc";
    else if (isOption(a, "desc")) sort = "desc";
    else if (isOption(a, "count") && i + 1 < remaining) {
      count = parseIntegerArg(argv[at + 1]);
      if (count <= 0) throw new CommandError(ERR_COUNT_POSITIVE);
      i++;
    } else if (isOption(a, "store") && i + 1 < remaining && mayStore) {
      storeKey = argv[at + 1];
      storeDist = false;
      i++;
    } else if (isOption(a, "storedist") && i + 1 < remaining && mayStore) {
      storeKey = argv[at + 1];
      storeDist = true;
      i++;
    } else if (isOption(a, "storedist") && search && flags & GEOSEARCHSTORE) {
      storeDist = true;
    } else if (isOption(a, "frommember") && i + 1 < remaining && search && !fromLonLat) {
      if (z) xy = memberPositionOrReply(z, argv[at + 1]);
      fromMember = true;
      i++;
    } else if (isOption(a, "fromlonlat") && i + 2 < remaining && search && !fromMember) {
      xy = lonLatOrReply(argv[at + 1], argv[at + 2]);
      fromLonLat = true;
      i += 2;
    } else if (isOption(a, "byradius") && i + 2 < remaining && search && !byBox) {
      shape = { type: "radius", ...radiusOrReply(argv[at + 1], argv[at + 2]) };
      byRadius = true;
      i += 2;
    } else if (isOption(a, "bybox") && i + 3 < remaining && search && !byRadius) {
      shape = { type: "box", ...boxOrReply(argv[at + 1], argv[at + 2], argv[at + 3]) };
      byBox = true;
      i += 3;
    } else {
      throw new CommandError(ERR_SYNTAX);
    }
  }

  if (storeKey !== null && (withDist || withHash || withCoords)) {
    throw new CommandError(errStoreWith(flags & GEOSEARCHSTORE ? "GEOSEARCHSTORE" : "STORE option in GEORADIUS"));
  }
  if (search && !(fromMember || fromLonLat)) throw new CommandError(errFrom(cstr(argv[0])));
  if (search && !(byRadius || byBox)) throw new CommandError(errBy(cstr(argv[0])));
  if (any && count === 0) throw new CommandError(ERR_ANY_WITHOUT_COUNT);

  if (!z || !shape) {
    if (storeKey !== null) return storeOrDelete(ctx.db, storeKey, 0, () => SortedSet.fromSorted([], [], ctx.db.settings), NOTIFY_ZSET, storeEvent(flags));
    return [];
  }

  // COUNT alone means the nearest ones: sorted ascending (not with ANY).
  if (count !== 0 && sort === "none" && !any) sort = "asc";
  const points = pointsInShape(z, { ...shape, xy } as Shape, any ? count : 0);
  if (points.length === 0 && storeKey === null) return [];

  const returned = count === 0 || points.length < count ? points.length : count;
  if (sort !== "none") {
    const cmp = sort === "asc" ? byDistanceAsc : byDistanceDesc;
    if (returned === points.length) points.sort(cmp);
    else partialSort(points, cmp, 0, returned - 1);
  }
  const conversion = shape.conversion;

  if (storeKey === null) {
    const out: Reply[] = [];
    const withAny = withDist || withHash || withCoords;
    for (let i = 0; i < returned; i++) {
      const p = points[i];
      if (!withAny) {
        out.push(p.member);
        continue;
      }
      const item: Reply[] = [p.member];
      if (withDist) item.push(distanceReply(p.dist / conversion));
      // (long long)score: the scores found are integers below 2^53 unless ZADD wrote others.
      if (withHash) item.push(Math.trunc(p.score));
      if (withCoords) item.push([coordinate(p.longitude), coordinate(p.latitude)]);
      out.push(item);
    }
    return out;
  }

  // Stored as a sorted set of the members with their geohash (or, STOREDIST, distance).
  const seen = new Set<string>();
  const entries: { member: string; score: number }[] = [];
  for (let i = 0; i < returned; i++) {
    const p = points[i];
    // A cell scanned twice would list a member twice; Redis cannot store that either.
    if (seen.has(p.member)) continue;
    seen.add(p.member);
    entries.push({ member: p.member, score: storeDist ? p.dist / conversion : p.score });
  }
  entries.sort((a, b) => (a.score < b.score ? -1 : a.score > b.score ? 1 : a.member < b.member ? -1 : a.member > b.member ? 1 : 0));
  storeOrDelete(ctx.db, storeKey, entries.length, () =>
    SortedSet.fromSorted(
      entries.map((e) => e.member),
      entries.map((e) => e.score),
      ctx.db.settings,
    ),
    NOTIFY_ZSET,
    storeEvent(flags),
  );
  return returned;
}

/**
 * GEORADIUS and GEORADIUSBYMEMBER's keys as COMMAND GETKEYS finds them: the source, then
 * the argument after the first STORE, then after the first STOREDIST, each searched from
 * `from` on (Redis's keyword key specs; the last argument is never taken as a keyword).
 */
function radiusKeys(from: number): (argv: string[]) => number[] {
  return (argv) => {
    const keys = [1];
    for (const keyword of ["store", "storedist"]) {
      for (let i = from; i < argv.length - 1; i++) {
        if (isOption(argv[i], keyword)) {
          keys.push(i + 1);
          break;
        }
      }
    }
    return keys;
  };
}

defineCommand({
  name: "georadius",
  arity: -6,
  flags: ["write", "denyoom"],
  group: "geo",
  keys: { first: 1, last: 1, step: 1 },
  getKeys: radiusKeys(6),
  routing: "shard",
  run: (ctx, argv) => georadius(ctx, argv, 1, RADIUS_COORDS),
});

defineCommand({
  name: "georadiusbymember",
  arity: -5,
  flags: ["write", "denyoom"],
  group: "geo",
  keys: { first: 1, last: 1, step: 1 },
  getKeys: radiusKeys(5),
  routing: "shard",
  run: (ctx, argv) => georadius(ctx, argv, 1, RADIUS_MEMBER),
});

defineCommand({
  name: "georadius_ro",
  arity: -6,
  ...readsOneKey(),
  group: "geo",
  run: (ctx, argv) => georadius(ctx, argv, 1, RADIUS_COORDS | RADIUS_NOSTORE),
});

defineCommand({
  name: "georadiusbymember_ro",
  arity: -5,
  ...readsOneKey(),
  group: "geo",
  run: (ctx, argv) => georadius(ctx, argv, 1, RADIUS_MEMBER | RADIUS_NOSTORE),
});

defineCommand({
  name: "geosearch",
  arity: -7,
  ...readsOneKey(),
  group: "geo",
  run: (ctx, argv) => georadius(ctx, argv, 1, GEOSEARCH),
});

defineCommand({
  name: "geosearchstore",
  arity: -8,
  flags: ["write", "denyoom"],
  group: "geo",
  keys: { first: 1, last: 2, step: 1 },
  routing: "shard",
  run: (ctx, argv) => georadius(ctx, argv, 2, GEOSEARCH | GEOSEARCHSTORE),
});
