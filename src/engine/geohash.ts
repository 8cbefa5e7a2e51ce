/**
 * The geohash arithmetic behind Redis's geo commands (geohash.c, geohash_helper.c in 7.0),
 * written here from their documented behaviour: a point is a 52-bit integer (26 bits of
 * latitude in the even bit positions, 26 of longitude in the odd ones) over Redis's square
 * Web-Mercator limits (latitude ±85.05112878, longitude ±180), stored as a sorted set score.
 * A search covers its area with a cell of some step (bits per axis) and its 8 neighbours,
 * each a contiguous score range; points found there are then tested by haversine distance
 * on Redis's earth radius, or by the box test of GEOSEARCH BYBOX.
 *
 * Every floating-point step is done in the order Redis does it, in doubles, so decoded
 * coordinates, distances and the cells chosen match redis-server's bit for bit (x86-64:
 * no fused multiply-add). Cell indexes above 2^26 (a point exactly on the north or east
 * limit) and scores that are not geohashes (a sorted set written with ZADD) decode as the
 * C code does, through a uint64 conversion and 32-bit cell indexes.
 *
 * Plain TS (no Workers APIs): src/commands/geo.ts is its only user.
 */

export const GEO_STEP_MAX = 26;
export const GEO_LAT_MIN = -85.05112878;
export const GEO_LAT_MAX = 85.05112878;
export const GEO_LONG_MIN = -180;
export const GEO_LONG_MAX = 180;
/** Earth's quadratic mean radius for WGS-84, as Redis uses it for every distance. */
export const EARTH_RADIUS_IN_METERS = 6372797.560856;
/** Half the equator in Web-Mercator metres: the largest radius a step-1 cell covers. */
const MERCATOR_MAX = 20037726.37;

const D_R = Math.PI / 180.0;
const degRad = (deg: number): number => deg * D_R;
const radDeg = (rad: number): number => rad / D_R;

export interface CoordRange {
  readonly min: number;
  readonly max: number;
}

/** The ranges scores are encoded over. */
export const LONG_RANGE: CoordRange = { min: GEO_LONG_MIN, max: GEO_LONG_MAX };
export const LAT_RANGE: CoordRange = { min: GEO_LAT_MIN, max: GEO_LAT_MAX };
/** The ranges of a standard geohash string (GEOHASH re-encodes with these). */
export const STANDARD_LAT_RANGE: CoordRange = { min: -90, max: 90 };

/** A cell: `step` bits per axis, interleaved in `bits` (latitude in the even positions). */
export interface HashBits {
  readonly bits: bigint;
  readonly step: number;
}

const U64 = (1n << 64n) - 1n;
const EVEN_BITS = 0x5555555555555555n;
const ODD_BITS = 0xaaaaaaaaaaaaaaaan;

// --- bit interleaving ------------------------------------------------------------------------

/** Spreads the low 32 bits of `x` into the even positions of a 64-bit integer. */
function spread(x: number): bigint {
  let out = 0n;
  for (let i = 0; i < 32 && x !== 0; i++, x = Math.floor(x / 2)) if (x % 2 === 1) out |= 1n << BigInt(2 * i);
  return out;
}

/** Lat index in the even bits, long index in the odd bits (interleave64). */
export function interleave(latIndex: number, longIndex: number): bigint {
  return spread(latIndex) | (spread(longIndex) << 1n);
}

/** The even bits of a 32-bit integer, packed into 16 bits. */
function squash(x: number): number {
  let out = 0;
  for (let i = 0; i < 16; i++) if ((x >>> (2 * i)) & 1) out |= 1 << i;
  return out;
}

/** [lat index, long index], each 32 bits, from 64 interleaved bits (deinterleave64). */
export function deinterleave(bits: bigint): [number, number] {
  const lo = Number(bits & 0xffffffffn);
  const hi = Number((bits >> 32n) & 0xffffffffn);
  const lat = (squash(lo) | (squash(hi) << 16)) >>> 0;
  const lon = (squash(lo >>> 1) | (squash(hi >>> 1) << 16)) >>> 0;
  return [lat, lon];
}

/**
 * A score as C's `(uint64_t)score` gives it on x86-64: truncation toward zero below 2^63
 * (negative values wrap around), 2^63 and up through the "subtract 2^63, flip the top
 * bit" sequence, and the integer-indefinite value where the conversion overflows.
 */
export function scoreToUint64(score: number): bigint {
  const TWO63 = 2 ** 63;
  if (Number.isNaN(score)) return 1n << 63n;
  if (score >= TWO63) {
    const rest = score - TWO63;
    // cvttsd2si of a value ≥ 2^63 (+inf included) is 0x8000…, and flipping bit 63 gives 0.
    if (rest >= TWO63) return 0n;
    return BigInt(Math.trunc(rest)) ^ (1n << 63n);
  }
  if (score < -TWO63) return 1n << 63n;
  return BigInt(Math.trunc(score)) & U64;
}

// --- encoding and decoding ------------------------------------------------------------------------

/**
 * The cell of `step` bits holding (longitude, latitude) over the given ranges (geohashEncode),
 * or null outside Redis's limits or the ranges. A coordinate on a range's upper end gets
 * index 2^step, as the C conversion gives it.
 */
export function encode(longRange: CoordRange, latRange: CoordRange, longitude: number, latitude: number, step: number): HashBits | null {
  if (longitude > 180 || longitude < -180 || latitude > 85.05112878 || latitude < -85.05112878) return null;
  if (latitude < latRange.min || latitude > latRange.max || longitude < longRange.min || longitude > longRange.max) return null;
  let latOffset = (latitude - latRange.min) / (latRange.max - latRange.min);
  let longOffset = (longitude - longRange.min) / (longRange.max - longRange.min);
  latOffset *= 2 ** step;
  longOffset *= 2 ** step;
  return { bits: interleave(Math.trunc(latOffset), Math.trunc(longOffset)), step };
}

/** The 52-bit score of a cell: its bits shifted up to step 26 (geohashAlign52Bits). */
export function align52(hash: HashBits): bigint {
  return (hash.bits << BigInt(52 - hash.step * 2)) & U64;
}

/** GEOADD's score for a point already checked to be within the limits. */
export function scoreOf(longitude: number, latitude: number): number {
  const hash = encode(LONG_RANGE, LAT_RANGE, longitude, latitude, GEO_STEP_MAX) as HashBits;
  // The integer goes through ZADD as text and comes back a double, rounded to nearest-even.
  return Number(align52(hash));
}

export interface Area {
  latMin: number;
  latMax: number;
  longMin: number;
  longMax: number;
}

/** The area a cell covers (geohashDecode), from its 32-bit indexes as C computes it. */
function areaOfIndexes(latIndex: number, longIndex: number, step: number, longRange: CoordRange, latRange: CoordRange): Area {
  const latScale = latRange.max - latRange.min;
  const longScale = longRange.max - longRange.min;
  const cells = 2 ** step;
  // `index + 1` is 32-bit unsigned arithmetic in C: it wraps to 0.
  return {
    latMin: latRange.min + ((latIndex * 1.0) / cells) * latScale,
    latMax: latRange.min + ((((latIndex + 1) >>> 0) * 1.0) / cells) * latScale,
    longMin: longRange.min + ((longIndex * 1.0) / cells) * longScale,
    longMax: longRange.min + ((((longIndex + 1) >>> 0) * 1.0) / cells) * longScale,
  };
}

export function decodeArea(hash: HashBits, longRange: CoordRange = LONG_RANGE, latRange: CoordRange = LAT_RANGE): Area {
  const [lat, lon] = deinterleave(hash.bits);
  return areaOfIndexes(lat, lon, hash.step, longRange, latRange);
}

/** [lat index, long index] of a step-26 score; integral scores below 2^53 without BigInt. */
function indexesOfScore(score: number): [number, number] {
  if (score >= 0 && score < 2 ** 53 && Number.isInteger(score)) {
    const lo = score % 2 ** 26;
    const hi = Math.floor(score / 2 ** 26);
    return [squash(lo) | (squash(hi) << 13), squash(lo >>> 1) | (squash(hi >>> 1) << 13)];
  }
  return deinterleave(scoreToUint64(score));
}

/**
 * [longitude, latitude] of a sorted set score read as a step-26 geohash: the centre of its
 * cell, clamped to Redis's limits (decodeGeohash; it never fails at step 26).
 */
export function decodeScore(score: number): [number, number] {
  const [lat, lon] = indexesOfScore(score);
  const a = areaOfIndexes(lat, lon, GEO_STEP_MAX, LONG_RANGE, LAT_RANGE);
  let x = (a.longMin + a.longMax) / 2;
  let y = (a.latMin + a.latMax) / 2;
  if (x > GEO_LONG_MAX) x = GEO_LONG_MAX;
  if (x < GEO_LONG_MIN) x = GEO_LONG_MIN;
  if (y > GEO_LAT_MAX) y = GEO_LAT_MAX;
  if (y < GEO_LAT_MIN) y = GEO_LAT_MIN;
  return [x, y];
}

const GEOHASH_ALPHABET = "0123456789bcdefghjkmnpqrstuvwxyz";

/**
 * GEOHASH's 11-character standard geohash of a score: decoded, re-encoded over latitude
 * ±90 with 26 bits per axis, 5 bits a character, the 11th character always '0'.
 */
export function standardGeohash(score: number): string {
  const [x, y] = decodeScore(score);
  const hash = encode(LONG_RANGE, STANDARD_LAT_RANGE, x, y, GEO_STEP_MAX);
  const bits = hash ? hash.bits : 0n;
  let out = "";
  for (let i = 0; i < 11; i++) {
    const idx = i === 10 ? 0 : Number((bits >> BigInt(52 - (i + 1) * 5)) & 0x1fn);
    out += GEOHASH_ALPHABET[idx];
  }
  return out;
}

// --- neighbours --------------------------------------------------------------------------------------

/**
 * One cell along an axis (+1 or -1), wrapping around as the C bit arithmetic does: the
 * axis's bits (`axis`: odd = longitude, east/west; even = latitude, north/south) are
 * stepped with the other axis's bits filled in so the carry skips them.
 */
function move(hash: HashBits, axis: bigint, d: number): HashBits {
  const shift = BigInt(64 - hash.step * 2);
  const other = axis === ODD_BITS ? EVEN_BITS : ODD_BITS;
  let moved = hash.bits & axis;
  const kept = hash.bits & other;
  const zz = other >> shift;
  if (d > 0) moved = (moved + zz + 1n) & U64;
  else moved = ((moved | zz) - (zz + 1n)) & U64;
  moved &= axis >> shift;
  return { bits: moved | kept, step: hash.step };
}

const moveX = (hash: HashBits, d: number): HashBits => move(hash, ODD_BITS, d);
const moveY = (hash: HashBits, d: number): HashBits => move(hash, EVEN_BITS, d);

export interface Neighbors {
  north: HashBits | null;
  south: HashBits | null;
  east: HashBits | null;
  west: HashBits | null;
  northEast: HashBits | null;
  northWest: HashBits | null;
  southEast: HashBits | null;
  southWest: HashBits | null;
}

function neighborsOf(hash: HashBits): Neighbors {
  return {
    east: moveX(hash, 1),
    west: moveX(hash, -1),
    south: moveY(hash, -1),
    north: moveY(hash, 1),
    northWest: moveY(moveX(hash, -1), 1),
    southWest: moveY(moveX(hash, -1), -1),
    northEast: moveY(moveX(hash, 1), 1),
    southEast: moveY(moveX(hash, 1), -1),
  };
}

// --- distances and shapes ----------------------------------------------------------------------------

// --- correctly rounded sin, cos and asin ---------------------------------------------------------
//
// V8's Math.sin/cos/asin (fdlibm) are one ulp off glibc's in a few percent of cases, which
// shows in STOREDIST scores and in the order of near-equal distances. The exact value is
// computed in fixed point (BigInt, FRAC fraction bits) and rounded once: this agrees with
// glibc 2.36 far more often (it is correctly rounded; glibc is not, in about 0.2% of
// arguments, so a stored distance can still differ from redis-server's in its last bit).
// The arguments are small (|x| ≤ π, radians of coordinate differences): Taylor series converge.
//
// That BigInt series costs microseconds per call, and a search computes a distance (five
// calls) for every member of its cells: seconds for a large set. So each function first
// computes its value in double-double arithmetic (~106 bits) with an error bound, and
// returns the rounded double when every value within the bound rounds to the same double
// (Ziv's strategy). The bound also covers the BigInt result's own error (< 2^-150), so the
// answer is the one the BigInt path gives; only arguments within ~2^-95 of a rounding
// boundary — practically none — take that path.

const FRAC = 160n;
const ONE = 1n << FRAC;
const TWO_POW_FRAC = 2 ** Number(FRAC);

/** A double as a fixed-point BigInt (exact for the magnitudes used here, truncated below 2^-160). */
function toFixedPoint(x: number): bigint {
  if (x === 0) return 0n;
  const neg = x < 0;
  let a = neg ? -x : x;
  let e = 0;
  while (a >= 2 ** 53) {
    a /= 2;
    e++;
  }
  while (!Number.isInteger(a) && e > -Number(FRAC)) {
    a *= 2;
    e--;
  }
  let v = BigInt(Math.trunc(a));
  v = e + Number(FRAC) >= 0 ? v << BigInt(e + Number(FRAC)) : v >> BigInt(-(e + Number(FRAC)));
  return neg ? -v : v;
}

/** A fixed-point value rounded to the nearest double (Number rounds the integer to nearest-even). */
function fromFixedPoint(v: bigint): number {
  return Number(v) / TWO_POW_FRAC;
}

/** A fixed-point value as a double-double [hi, lo] (hi + lo within 2^-106 relative of it). */
function fixedToDoubleDouble(v: bigint): [number, number] {
  const hi = fromFixedPoint(v);
  return [hi, fromFixedPoint(v - toFixedPoint(hi))];
}

/** [sin x, cos x] of a fixed-point x, by their Taylor series. */
function sinCosFixed(x: bigint): [bigint, bigint] {
  const x2 = (x * x) >> FRAC;
  let sin = x;
  let cos = ONE;
  let termS = x;
  let termC = ONE;
  for (let n = 1n; termS !== 0n || termC !== 0n; n++) {
    termC = -((termC * x2) >> FRAC) / ((2n * n - 1n) * (2n * n));
    termS = -((termS * x2) >> FRAC) / ((2n * n) * (2n * n + 1n));
    cos += termC;
    sin += termS;
  }
  return [sin, cos];
}

/** How many sin/cos/asin values took the BigInt path (tests bound it). */
let exactTrigEvaluations = 0;

export function exactTrigEvaluationCount(): number {
  return exactTrigEvaluations;
}

function sinFixedPath(x: number): number {
  exactTrigEvaluations++;
  return fromFixedPoint(sinCosFixed(toFixedPoint(x))[0]);
}

function cosFixedPath(x: number): number {
  exactTrigEvaluations++;
  return fromFixedPoint(sinCosFixed(toFixedPoint(x))[1]);
}

function asinFixedPath(x: number, y0: number): number {
  exactTrigEvaluations++;
  const y = toFixedPoint(y0);
  const [s, c] = sinCosFixed(y);
  return fromFixedPoint(y - ((s - toFixedPoint(x)) << FRAC) / c);
}

// Double-double operations (Knuth's two-sum, Dekker's two-product: no fused multiply-add in
// JS). They leave their result in ddHi + ddLo rather than allocate a pair per operation.
let ddHi = 0;
let ddLo = 0;
const SPLITTER = 2 ** 27 + 1;

function ddAdd(ah: number, al: number, bh: number, bl: number): void {
  const s = ah + bh;
  const sv = s - ah;
  let e = ah - (s - sv) + (bh - sv);
  const t = al + bl;
  const tv = t - al;
  const f = al - (t - tv) + (bl - tv);
  e += t;
  const h = s + e;
  e = e - (h - s) + f;
  ddHi = h + e;
  ddLo = e - (ddHi - h);
}

function ddMul(ah: number, al: number, bh: number, bl: number): void {
  const p = ah * bh;
  let t = SPLITTER * ah;
  const ahh = t - (t - ah);
  const ahl = ah - ahh;
  t = SPLITTER * bh;
  const bhh = t - (t - bh);
  const bhl = bh - bhh;
  const e = ahh * bhh - p + ahh * bhl + ahl * bhh + ahl * bhl + (ah * bl + al * bh);
  ddHi = p + e;
  ddLo = e - (ddHi - p);
}

/** The double hi + lo rounds to when everything within `err` of hi + lo rounds to it too, else NaN. */
function roundedIfCertain(hi: number, lo: number, err: number): number {
  const up = hi + (lo + err);
  return up === hi + (lo - err) ? up : NaN;
}

// sin and cos of a in [0, FAST_TRIG_MAX] as sin(c + b), cos(c + b) for the nearest table point
// c = k/256 (|b| ≤ 2^-9): Taylor series in b need 5 terms for 2^-115, the table holds sin c
// and cos c as double-doubles (built once, on first use, by the BigInt series: ~5 ms).
const TABLE_STEPS = 256;
const FAST_TRIG_MAX = 4;
const SERIES_TERMS = 5;
/** Relative error bound of the double-double results (their own error is below ~2^-100). */
const DD_ERROR = 2 ** -95;
let sinCosTable: Float64Array | null = null;
/** (-1)^i / (2i+1)! and (-1)^i / (2i)! as double-doubles: hi, lo pairs. */
let sinSeries: Float64Array | null = null;
let cosSeries: Float64Array | null = null;

function buildTables(): void {
  const table = new Float64Array((FAST_TRIG_MAX * TABLE_STEPS + 1) * 4);
  for (let k = 0; k <= FAST_TRIG_MAX * TABLE_STEPS; k++) {
    const [s, c] = sinCosFixed((BigInt(k) << FRAC) / BigInt(TABLE_STEPS));
    table.set([...fixedToDoubleDouble(s), ...fixedToDoubleDouble(c)], k * 4);
  }
  const sinC = new Float64Array(SERIES_TERMS * 2);
  const cosC = new Float64Array(SERIES_TERMS * 2);
  let factorial = 1n;
  for (let n = 0; n < 2 * SERIES_TERMS; n++) {
    if (n > 0) factorial *= BigInt(n);
    const i = n >> 1;
    const term = ((i % 2 === 0 ? ONE : -ONE) as bigint) / factorial;
    (n % 2 === 0 ? cosC : sinC).set(fixedToDoubleDouble(term), i * 2);
  }
  sinSeries = sinC;
  cosSeries = cosC;
  sinCosTable = table;
}

/**
 * Σ c[i]·x^i over the SERIES_TERMS double-double coefficients `c`, for x = b² ≤ 2^-18, into
 * ddHi + ddLo: the terms from x³ on are below 2^-60 of the sum, so doubles carry them.
 */
function seriesInto(c: Float64Array, xh: number, xl: number): void {
  const tail = (c[6] + c[8] * xh) * xh; // (c3 + c4·x)·x
  ddAdd(c[4], c[5], tail, 0);
  ddMul(ddHi, ddLo, xh, xl);
  ddAdd(ddHi, ddLo, c[2], c[3]);
  ddMul(ddHi, ddLo, xh, xl);
  ddAdd(ddHi, ddLo, c[0], c[1]);
}

// sin a and cos a as double-doubles, and the absolute error bound of both (sinCosFast).
let fastSinHi = 0;
let fastSinLo = 0;
let fastCosHi = 0;
let fastCosLo = 0;
let fastError = 0;

/** sin a and cos a for a in [0, FAST_TRIG_MAX] into the fast* variables. */
function sinCosFast(a: number): void {
  if (sinCosTable === null) buildTables();
  const table = sinCosTable as Float64Array;
  const sinC = sinSeries as Float64Array;
  const cosC = cosSeries as Float64Array;
  const k = Math.round(a * TABLE_STEPS);
  const b = a - k / TABLE_STEPS; // exact: a and k/256 are within a factor of two (or k is 0)
  ddMul(b, 0, b, 0);
  const b2h = ddHi;
  const b2l = ddLo;
  // sin b = b·Σ sinC[i]·b^2i, cos b = Σ cosC[i]·b^2i.
  seriesInto(sinC, b2h, b2l);
  ddMul(ddHi, ddLo, b, 0);
  const sh = ddHi;
  const sl = ddLo;
  seriesInto(cosC, b2h, b2l);
  const ch = ddHi;
  const cl = ddLo;
  const tsh = table[k * 4];
  const tsl = table[k * 4 + 1];
  const tch = table[k * 4 + 2];
  const tcl = table[k * 4 + 3];
  // sin(c + b) = sin c·cos b + cos c·sin b; cos(c + b) = cos c·cos b − sin c·sin b.
  ddMul(tsh, tsl, ch, cl);
  const p1h = ddHi;
  const p1l = ddLo;
  ddMul(tch, tcl, sh, sl);
  const p2h = ddHi;
  const p2l = ddLo;
  ddAdd(p1h, p1l, p2h, p2l);
  fastSinHi = ddHi;
  fastSinLo = ddLo;
  ddMul(tch, tcl, ch, cl);
  const p3h = ddHi;
  const p3l = ddLo;
  ddMul(tsh, tsl, sh, sl);
  const p4h = ddHi;
  const p4l = ddLo;
  ddAdd(p3h, p3l, -p4h, -p4l);
  fastCosHi = ddHi;
  fastCosLo = ddLo;
  // Whichever way the terms cancel, the error is relative to their sizes, not to the result's.
  fastError = (Math.abs(p1h) + Math.abs(p2h) + Math.abs(p3h) + Math.abs(p4h)) * DD_ERROR + 2 ** -140;
}

function sinExact(x: number): number {
  if (x === 0 || Math.abs(x) < 2 ** -26) return x;
  const a = Math.abs(x);
  if (a > FAST_TRIG_MAX) return sinFixedPath(x);
  sinCosFast(a);
  const r = roundedIfCertain(fastSinHi, fastSinLo, fastError);
  if (r !== r) return sinFixedPath(x);
  return x < 0 ? -r : r;
}

function cosExact(x: number): number {
  const a = Math.abs(x);
  if (a > FAST_TRIG_MAX) return cosFixedPath(x);
  sinCosFast(a);
  const r = roundedIfCertain(fastCosHi, fastCosLo, fastError);
  return r !== r ? cosFixedPath(x) : r;
}

/** asin of x in [0, 1]: one Newton step on sin from the double estimate doubles its precision. */
function asinExact(x: number): number {
  const y0 = Math.asin(x);
  if (!(x > 0 && x < 1) || x < 2 ** -26) return y0;
  // y0 − (sin y0 − x) / cos y0: the difference is about an ulp of y0, so doubles suffice
  // for the quotient (its relative error, ~2^-51, is ~2^-103 of y0).
  sinCosFast(y0);
  ddAdd(fastSinHi, fastSinLo, -x, 0);
  const correction = ddHi / fastCosHi;
  // y0 − correction exactly, as a double-double (two-sum).
  const hi = y0 - correction;
  const v = hi - y0;
  const lo = y0 - (hi - v) + (-correction - v);
  const err = Math.abs(correction) * 2 ** -50 + (2 * fastError) / fastCosHi + 2 ** -140;
  const r = roundedIfCertain(hi, lo, err);
  return r !== r ? asinFixedPath(x, y0) : r;
}

/** The trig functions with both their paths, for tests that check the fast path against the BigInt one. */
export const trigPaths = {
  sin: sinExact,
  cos: cosExact,
  asin: asinExact,
  sinByBigInt: sinFixedPath,
  cosByBigInt: cosFixedPath,
  asinByBigInt: (x: number): number => asinFixedPath(x, Math.asin(x)),
};

/** Haversine great-circle distance in metres (geohashGetDistance, 7.0's form). */
export function distance(lon1d: number, lat1d: number, lon2d: number, lat2d: number): number {
  const lat1r = degRad(lat1d);
  const lon1r = degRad(lon1d);
  const lat2r = degRad(lat2d);
  const lon2r = degRad(lon2d);
  const u = sinExact((lat2r - lat1r) / 2);
  const v = sinExact((lon2r - lon1r) / 2);
  // With v = 0 the cosines' term is +0 (they are finite): a box's north-south leg skips them.
  const cosTerm = v === 0 ? 0 : cosOfFirstLatitude(lat1r) * cosExact(lat2r) * v * v;
  return 2.0 * EARTH_RADIUS_IN_METERS * asinExact(Math.sqrt(u * u + cosTerm));
}

// A radius search measures every member from the same centre, its first point: its cosine is kept.
let firstLatitude = NaN;
let firstLatitudeCos = NaN;

function cosOfFirstLatitude(latR: number): number {
  if (latR !== firstLatitude) {
    firstLatitudeCos = cosExact(latR);
    firstLatitude = latR;
  }
  return firstLatitudeCos;
}

/**
 * True when distance() of the two points is certainly greater than `limit`, judged from the
 * same haversine in V8's Math functions: most members a search scans lie outside its shape
 * (its cells cover about nine times its area), and this spares them the exact trig. The
 * terms of the sum are all positive and the Math functions within an ulp or two, so the
 * estimate is within ~2^-49 of the exact distance, except where asin amplifies its
 * argument's error (central angle near π): those are left to the exact test.
 */
function surelyFarther(lon1d: number, lat1d: number, lon2d: number, lat2d: number, limit: number): boolean {
  const lat1r = degRad(lat1d);
  const lat2r = degRad(lat2d);
  const u = Math.sin((lat2r - lat1r) / 2);
  const v = Math.sin((degRad(lon2d) - degRad(lon1d)) / 2);
  const s = Math.sqrt(u * u + Math.cos(lat1r) * Math.cos(lat2r) * v * v);
  return s < 0.99 && 2.0 * EARTH_RADIUS_IN_METERS * Math.asin(s) > limit * (1 + 1e-9);
}

/** A search area: a circle of `radius`, or a `width` × `height` box, in `conversion` units. */
export type Shape =
  | { type: "radius"; xy: [number, number]; conversion: number; radius: number }
  | { type: "box"; xy: [number, number]; conversion: number; width: number; height: number };

/**
 * The distance from the shape's centre to (x, y) in metres when the point is inside the
 * shape, else null (geoWithinShape). The box test measures the point's east-west distance
 * along its own parallel and its north-south distance along its own meridian.
 */
export function distanceIfWithin(shape: Shape, x: number, y: number): number | null {
  const [cx, cy] = shape.xy;
  if (shape.type === "radius") {
    const limit = shape.radius * shape.conversion;
    if (surelyFarther(cx, cy, x, y, limit)) return null;
    const d = distance(cx, cy, x, y);
    return d > limit ? null : d;
  }
  const widthM = shape.width * shape.conversion;
  const heightM = shape.height * shape.conversion;
  if (surelyFarther(x, y, cx, y, widthM / 2) || surelyFarther(x, y, x, cy, heightM / 2)) return null;
  const lonDistance = distance(x, y, cx, y);
  const latDistance = distance(x, y, x, cy);
  if (lonDistance > widthM / 2 || latDistance > heightM / 2) return null;
  return distance(cx, cy, x, y);
}

/** The step whose cells are about the size of a search of `rangeMeters` at `lat`. */
function estimateSteps(rangeMeters: number, lat: number): number {
  if (rangeMeters === 0) return 26;
  let step = 1;
  while (rangeMeters < MERCATOR_MAX) {
    rangeMeters *= 2;
    step++;
  }
  step -= 2;
  // Cells narrow towards the poles: a coarser step keeps the search inside 9 of them.
  if (lat > 66 || lat < -66) {
    step--;
    if (lat > 80 || lat < -80) step--;
  }
  if (step < 1) step = 1;
  if (step > 26) step = 26;
  return step;
}

/** [min long, min lat, max long, max lat] of the shape (geohashBoundingBox). */
function boundingBox(shape: Shape): [number, number, number, number] {
  const [longitude, latitude] = shape.xy;
  const height = shape.conversion * (shape.type === "radius" ? shape.radius : shape.height / 2);
  const width = shape.conversion * (shape.type === "radius" ? shape.radius : shape.width / 2);
  const latDelta = radDeg(height / EARTH_RADIUS_IN_METERS);
  const longDeltaTop = radDeg(width / EARTH_RADIUS_IN_METERS / Math.cos(degRad(latitude + latDelta)));
  const longDeltaBottom = radDeg(width / EARTH_RADIUS_IN_METERS / Math.cos(degRad(latitude - latDelta)));
  // The wider edge is the one nearer the equator.
  const southern = latitude < 0;
  return [
    southern ? longitude - longDeltaBottom : longitude - longDeltaTop,
    latitude - latDelta,
    southern ? longitude + longDeltaBottom : longitude + longDeltaTop,
    latitude + latDelta,
  ];
}

/**
 * The cells to scan for a shape, in Redis's order: the centre cell, then north, south,
 * east, west, north-east, north-west, south-east, south-west; null for a neighbour that
 * cannot hold a match (geohashCalculateAreasByShapeWGS84 + membersOfAllNeighbors' order).
 */
export function searchCells(shape: Shape): (HashBits | null)[] {
  const [minLon, minLat, maxLon, maxLat] = boundingBox(shape);
  const [longitude, latitude] = shape.xy;
  let radiusMeters = shape.type === "radius" ? shape.radius : Math.sqrt((shape.width / 2) * (shape.width / 2) + (shape.height / 2) * (shape.height / 2));
  radiusMeters *= shape.conversion;
  let steps = estimateSteps(radiusMeters, latitude);
  let hash = encode(LONG_RANGE, LAT_RANGE, longitude, latitude, steps) as HashBits;
  let n = neighborsOf(hash);
  let area = decodeArea(hash);
  // The estimated step can be too fine near a cell's edge: the neighbours then do not
  // reach the bounding box, and one step coarser is used.
  const north = decodeArea(n.north as HashBits);
  const south = decodeArea(n.south as HashBits);
  const east = decodeArea(n.east as HashBits);
  const west = decodeArea(n.west as HashBits);
  const decrease = north.latMax < maxLat || south.latMin > minLat || east.longMax < maxLon || west.longMin > minLon;
  if (steps > 1 && decrease) {
    steps--;
    hash = encode(LONG_RANGE, LAT_RANGE, longitude, latitude, steps) as HashBits;
    n = neighborsOf(hash);
    area = decodeArea(hash);
  }
  // Neighbours on a side the bounding box does not reach are left out.
  if (steps >= 2) {
    if (area.latMin < minLat) n.south = n.southWest = n.southEast = null;
    if (area.latMax > maxLat) n.north = n.northEast = n.northWest = null;
    if (area.longMin < minLon) n.west = n.southWest = n.northWest = null;
    if (area.longMax > maxLon) n.east = n.southEast = n.northEast = null;
  }
  return [hash, n.north, n.south, n.east, n.west, n.northEast, n.northWest, n.southEast, n.southWest];
}

/** The score interval [min, max) of the points inside a cell (scoresOfGeoHashBox). */
export function scoreRangeOf(hash: HashBits): { min: number; max: number } {
  return { min: Number(align52(hash)), max: Number(align52({ bits: hash.bits + 1n, step: hash.step })) };
}
