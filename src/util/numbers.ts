/**
 * Redis's number rules, shared by every data type: strict 64-bit integers (string2ll),
 * doubles as getDoubleFromObject reads them (strtod) and as replies print them ("%.17g"),
 * strtod itself over a C string (score ranges, SORT's weights), memory sizes (memtoull),
 * and an exact emulation of the x87 80-bit `long double` that INCRBYFLOAT and HINCRBYFLOAT
 * compute in (strtold, `+`, and ld2string's "%.17Lf" human format). Values arrive as binary
 * strings (one char per byte).
 *
 * Why emulate long double: Redis adds in 64-bit-mantissa precision and prints 17 decimals,
 * so INCRBYFLOAT "1.1" by 2.2 gives "3.3" where JS doubles would give 3.3000000000000003.
 * The emulation is exact: every value is held as mantissa × 2^exponent in BigInt and
 * rounded to nearest-even exactly where the hardware rounds (parse, add, print).
 */
// Pure: parsers return null where Redis refuses the text; the throwing "…OrReply" forms
// live in src/commands/args.ts, so the engine can use these without the command layer.
import { cstr } from "./binary";

// --- 64-bit integers (string2ll) ----------------------------------------------------

export const INT64_MIN = -(1n << 63n);
export const INT64_MAX = (1n << 63n) - 1n;

/** Redis's string2ll shape: "0", or an optional '-' then a digit 1–9 then digits. */
const INT_RE = /^(?:0|-?[1-9][0-9]*)$/;

/**
 * Parses a 64-bit signed integer as Redis's string2ll does: no spaces, no '+', no leading
 * zeros, "-0" refused, within int64. Returns null when Redis would refuse it.
 */
export function parseInt64(s: string): bigint | null {
  // Longest valid form is "-9223372036854775808" (20 chars); string2ll refuses ≥ 21.
  if (s.length === 0 || s.length > 20 || !INT_RE.test(s)) return null;
  const v = BigInt(s);
  return v < INT64_MIN || v > INT64_MAX ? null : v;
}

/**
 * parseInt64 as a JS number: exact within ±2^53, the nearest double beyond (fine for
 * counts, offsets and ranges, which callers clamp). Null when Redis would refuse it.
 */
export function parseInt64Number(s: string): number | null {
  // Fast path: up to 15 chars is always within int64 and exact as a double.
  if (s.length > 0 && s.length <= 15) return INT_RE.test(s) ? Number(s) : null;
  const v = parseInt64(s);
  return v === null ? null : Number(v);
}

// --- binary floating point, exactly (shared by long double and double) -------------

/** A binary format: precision in bits and the range of the lowest mantissa bit's exponent. */
interface BinaryFormat {
  /** Significand bits, the integer bit included (64 for x87, 53 for IEEE double). */
  readonly precision: number;
  /** Exponent of the lowest mantissa bit for denormals (and the smallest normals). */
  readonly minExp: number;
  /** Exponent of the lowest mantissa bit of the largest finite values. */
  readonly maxExp: number;
}

/** x87 extended: 64-bit significand, exponent bias 16383 (lowest bit 2^-16445 … 2^16320). */
const X87: BinaryFormat = { precision: 64, minExp: -16445, maxExp: 16320 };
/** IEEE 754 binary64. */
const BINARY64: BinaryFormat = { precision: 53, minExp: -1074, maxExp: 971 };

/**
 * A long double: finite values are (-1)^neg × mant × 2^exp with mant < 2^64 (mant is
 * 0n for zero); plus the infinities and NaN.
 */
export type LongDouble =
  | { readonly kind: "finite"; readonly neg: boolean; readonly mant: bigint; readonly exp: number }
  | { readonly kind: "inf"; readonly neg: boolean }
  | { readonly kind: "nan" };

type Rounded = { kind: "finite"; neg: boolean; mant: bigint; exp: number } | { kind: "inf"; neg: boolean };

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/**
 * Rounds the exact value n × 2^e (+ a nonzero remainder below bit e when `sticky`) to the
 * format, nearest-even, with denormals and overflow to infinity, as the FPU does.
 * When `sticky` is set, n must carry at least precision + 2 bits so the remainder only
 * ever falls below the rounding bit.
 */
function roundBinary(neg: boolean, n: bigint, e: number, sticky: boolean, f: BinaryFormat): Rounded {
  if (n === 0n) return { kind: "finite", neg, mant: 0n, exp: f.minExp };
  const len = bitLength(n);
  let q = Math.max(e + len - f.precision, f.minExp);
  let m: bigint;
  const shift = q - e;
  if (shift > 0) {
    const s = BigInt(shift);
    m = n >> s;
    const rem = n & ((1n << s) - 1n);
    const half = 1n << (s - 1n);
    if (rem > half || (rem === half && (sticky || (m & 1n) === 1n))) m += 1n;
    if (m >> BigInt(f.precision) !== 0n) {
      m >>= 1n;
      q += 1;
    }
  } else {
    m = n << BigInt(-shift);
  }
  if (q > f.maxExp) return { kind: "inf", neg };
  return { kind: "finite", neg, mant: m, exp: q };
}

/** 10^k for k ≥ 0, cached for the small ones. */
const POW10: bigint[] = [1n];
function pow10(k: number): bigint {
  if (k < 64) {
    while (POW10.length <= k) POW10.push(POW10[POW10.length - 1] * 10n);
    return POW10[k];
  }
  return 10n ** BigInt(k);
}

const DEC_RE = /^([+-]?)(?:([0-9]+)(?:\.([0-9]*))?|\.([0-9]+))(?:[eE]([+-]?[0-9]+))?$/;
const HEX_RE = /^([+-]?)0[xX](?:([0-9a-fA-F]+)(?:\.([0-9a-fA-F]*))?|\.([0-9a-fA-F]+))(?:[pP]([+-]?[0-9]+))?$/;
const INF_RE = /^([+-]?)(?:inf|infinity)$/i;
const NAN_RE = /^[+-]?nan(?:\([0-9A-Za-z_]*\))?$/i;

/** An exponent field, clamped far outside every format's range so huge ones stay cheap. */
function parseExponent(s: string | undefined): number {
  if (s === undefined) return 0;
  const v = parseInt(s, 10);
  return Math.max(-1e9, Math.min(1e9, v));
}

/**
 * Reads a number as glibc's strtold/strtod do when they must consume the whole text:
 * decimal, hex (0x1.8p3), inf/infinity, nan. Returns null when the text is not entirely a
 * number; `range` says whether errno would be ERANGE (overflow, or underflow to zero).
 */
function parseFloatText(s: string, f: BinaryFormat): { value: LongDouble; range: boolean } | null {
  let m = DEC_RE.exec(s);
  if (m) {
    const neg = m[1] === "-";
    const intDigits = m[2] ?? "";
    const fracDigits = m[3] ?? m[4] ?? "";
    let digits = (intDigits + fracDigits).replace(/^0+/, "");
    let exp10 = parseExponent(m[5]) - fracDigits.length;
    if (digits === "") return { value: { kind: "finite", neg, mant: 0n, exp: f.minExp }, range: false };
    // Trailing zeros move into the exponent, keeping the BigInt small.
    const trimmed = digits.replace(/0+$/, "");
    exp10 += digits.length - trimmed.length;
    digits = trimmed;
    // Magnitude is in [10^(mag-1), 10^mag): decide gross overflow/underflow cheaply.
    const mag = digits.length + exp10;
    const maxDecimal = f === X87 ? 4933 : 309;
    const minDecimal = f === X87 ? -4952 : -324;
    if (mag > maxDecimal + 1) return { value: { kind: "inf", neg }, range: true };
    if (mag < minDecimal - 1) return { value: { kind: "finite", neg, mant: 0n, exp: f.minExp }, range: true };
    const d = BigInt(digits);
    let r: Rounded;
    if (exp10 >= 0) {
      r = roundBinary(neg, d * pow10(exp10), 0, false, f);
    } else {
      const den = pow10(-exp10);
      const k = Math.max(0, f.precision + 3 + bitLength(den) - bitLength(d));
      const scaled = d << BigInt(k);
      const quo = scaled / den;
      r = roundBinary(neg, quo, -k, scaled % den !== 0n, f);
    }
    return { value: r, range: r.kind === "inf" || r.mant === 0n };
  }
  m = HEX_RE.exec(s);
  if (m) {
    const neg = m[1] === "-";
    const intDigits = m[2] ?? "";
    const fracDigits = m[3] ?? m[4] ?? "";
    const h = BigInt("0x" + (intDigits + fracDigits || "0"));
    const e2 = parseExponent(m[5]) - 4 * fracDigits.length;
    if (h === 0n) return { value: { kind: "finite", neg, mant: 0n, exp: f.minExp }, range: false };
    const top = e2 + bitLength(h);
    if (top > f.maxExp + f.precision + 1) return { value: { kind: "inf", neg }, range: true };
    if (top < f.minExp - 2) return { value: { kind: "finite", neg, mant: 0n, exp: f.minExp }, range: true };
    const r = roundBinary(neg, h, e2, false, f);
    return { value: r, range: r.kind === "inf" || r.mant === 0n };
  }
  m = INF_RE.exec(s);
  if (m) return { value: { kind: "inf", neg: m[1] === "-" }, range: false };
  if (NAN_RE.test(s)) return { value: { kind: "nan" }, range: false };
  return null;
}

/** Longest text string2ld reads: its buffer is MAX_LONG_DOUBLE_CHARS (5 KiB) with a NUL. */
const MAX_LONG_DOUBLE_CHARS = 5 * 1024;

// --- long double (INCRBYFLOAT, HINCRBYFLOAT) --------------------------------------

/**
 * Parses as Redis's string2ld: strtold over the whole text, refusing empty or over-long
 * text, a leading space, trailing bytes (a NUL included), NaN, and out-of-range values
 * (overflow, or a nonzero number that underflows to zero). "inf" is accepted.
 */
export function parseLongDouble(s: string): LongDouble | null {
  if (s.length === 0 || s.length >= MAX_LONG_DOUBLE_CHARS) return null;
  const p = parseFloatText(s, X87);
  if (!p || p.range || p.value.kind === "nan") return null;
  return p.value;
}

/** An integer as a long double (exact for every int64, as the 64-bit mantissa holds it). */
export function longDoubleFromBigInt(n: bigint): LongDouble {
  const neg = n < 0n;
  const r = roundBinary(neg, neg ? -n : n, 0, false, X87);
  return r;
}

/** a + b in x87 precision, rounded to nearest-even as the FPU does. */
export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble {
  if (a.kind === "nan" || b.kind === "nan") return { kind: "nan" };
  if (a.kind === "inf" || b.kind === "inf") {
    if (a.kind === "inf" && b.kind === "inf") return a.neg === b.neg ? a : { kind: "nan" };
    return a.kind === "inf" ? a : b;
  }
  const e = Math.min(a.exp, b.exp);
  const av = (a.neg ? -a.mant : a.mant) << BigInt(a.exp - e);
  const bv = (b.neg ? -b.mant : b.mant) << BigInt(b.exp - e);
  const sum = av + bv;
  // An exact zero sum is +0 under round-to-nearest unless both addends are -0.
  const neg = sum < 0n || (sum === 0n && a.neg && b.neg);
  return roundBinary(neg, sum < 0n ? -sum : sum, e, false, X87);
}

export function isFiniteLongDouble(v: LongDouble): boolean {
  return v.kind === "finite";
}

/**
 * Formats as Redis's ld2string(LD_STR_HUMAN): "%.17Lf" (exact value rounded half-even to
 * 17 decimals, as glibc prints), then trailing zeros and a bare '.' dropped, and "-0"
 * written "0". Infinities print "inf"/"-inf"; NaN is never stored, so it prints "nan".
 */
export function formatLongDouble(v: LongDouble): string {
  if (v.kind === "nan") return "nan";
  if (v.kind === "inf") return v.neg ? "-inf" : "inf";
  const sign = v.neg ? "-" : "";
  if (v.exp >= 0) {
    // An integer: "%.17Lf" prints 17 zeros that are all stripped again.
    const s = sign + (v.mant << BigInt(v.exp)).toString();
    return s === "-0" ? "0" : s;
  }
  const shift = BigInt(-v.exp);
  const scaled = v.mant * pow10(17);
  let q = scaled >> shift;
  const rem = scaled & ((1n << shift) - 1n);
  const half = 1n << (shift - 1n);
  if (rem > half || (rem === half && (q & 1n) === 1n)) q += 1n;
  const intPart = (q / pow10(17)).toString();
  const frac = (q % pow10(17)).toString().padStart(17, "0").replace(/0+$/, "");
  const s = sign + intPart + (frac ? "." + frac : "");
  return s === "-0" ? "0" : s;
}

// --- double (getDoubleFromObject: ZADD, ZINCRBY, …) ----------------------------------

/** The double value of a rounded binary64 result (exact: mant < 2^53). */
function toNumber(v: LongDouble): number {
  if (v.kind === "nan") return NaN;
  if (v.kind === "inf") return v.neg ? -Infinity : Infinity;
  // mant × 2^exp, done in two steps so denormal exponents do not underflow early.
  let x = Number(v.mant);
  let e = v.exp;
  while (e < -1000) {
    x *= 2 ** -1000;
    e += 1000;
  }
  x *= 2 ** e;
  return v.neg ? -x : x;
}

/** Plain decimal text that V8 parses correctly rounded on its own (the common case). */
const SIMPLE_DEC_RE = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

/**
 * Parses as Redis's getDoubleFromObject: strtod over the whole text; refuses empty text, a
 * leading space, trailing bytes, NaN, overflow, and nonzero values that underflow to 0.
 * Accepts inf/-inf/+inf/infinity and hex floats. Returns null when Redis would refuse it.
 */
export function parseDouble(s: string): number | null {
  if (s.length === 0) return null;
  if (SIMPLE_DEC_RE.test(s)) {
    // V8's string-to-number is correctly rounded (as glibc's strtod), so only the range
    // cases need care: overflow gives Infinity, underflow of a nonzero value gives 0.
    const x = Number(s);
    if (!Number.isFinite(x)) return null;
    if (x === 0 && /[1-9]/.test(s.replace(/[eE].*$/, ""))) return null;
    return x;
  }
  const p = parseFloatText(s, BINARY64);
  if (!p || p.range || p.value.kind === "nan") return null;
  return toNumber(p.value);
}


// --- memory sizes (memtoull) ---------------------------------------------------------

/** A Map, so a unit such as "constructor" finds nothing (an object would find its prototype's). */
const MEMORY_UNITS = new Map<string, number>([["", 1], ["b", 1], ["k", 1000], ["kb", 1024], ["m", 1e6], ["mb", 1024 ** 2], ["g", 1e9], ["gb", 1024 ** 3]]);

/** Redis's memtoull: "100mb", "1gb", "10k", plain bytes; null when it is not a size. */
export function parseMemory(value: string): number | null {
  const m = /^(\d+)([a-z]*)$/i.exec(value);
  if (!m) return null;
  const unit = MEMORY_UNITS.get(m[2].toLowerCase());
  return unit === undefined ? null : Number(m[1]) * unit;
}

// --- strtod over a C string (zslParseRange, SORT's weights) --------------------------

/** The smallest normal double. */
const DBL_MIN = 2 ** -1022;
/**
 * glibc sets ERANGE for a result that is tiny and inexact; x86 decides tininess after
 * rounding to 53 bits with an unbounded exponent, so "tiny" means below DBL_MIN - 2^-1076,
 * which is (2^54 - 1) · 2^-1076. (Between that and DBL_MIN a value rounds up to DBL_MIN.)
 */
const TINY_BOUND_MANT = (1n << 54n) - 1n;
/** isspace in the C and C.UTF-8 locales: the bytes strtod skips before a number. */
const LEADING_SPACE_RE = /^[ \t\n\v\f\r]+/;

/** n · 2^e (n > 0) rounded to nearest-even as a double (Infinity past the range), and whether that lost anything. */
function roundToDouble(n: bigint, e: number): { x: number; inexact: boolean } {
  const len = bitLength(n);
  // Far outside the range: decided without shifting by a huge amount.
  if (e + len > 1100) return { x: Infinity, inexact: true };
  if (e + len < -1100) return { x: 0, inexact: true };
  const r = roundBinary(false, n, e, false, BINARY64);
  if (r.kind === "inf") return { x: Infinity, inexact: true };
  return { x: toNumber(r), inexact: r.exp > e && r.mant << BigInt(r.exp - e) !== n };
}

/**
 * C's strtod over `arg` read as a C string (up to its first NUL byte), where the number
 * must be all of it: leading white space is skipped, and "" is 0 (strtod reads nothing and
 * stops at the NUL), but white space alone or trailing bytes are refused (null). Otherwise
 * the value strtod returns — overflow saturates to ±inf, underflow to a denormal or ±0,
 * "nan" is NaN — and whether errno would be ERANGE (glibc: overflow, or a tiny result that
 * is inexact). Exact: tiny values are checked with BigInt arithmetic. Callers decide what
 * to refuse: a score range takes any number but NaN; SORT refuses NaN and ERANGE too.
 */
export function strtod(arg: string): { value: number; erange: boolean } | null {
  const c = cstr(arg);
  if (c.length === 0) return { value: 0, erange: false };
  const s = c.replace(LEADING_SPACE_RE, "");
  let m = DEC_RE.exec(s);
  if (m) {
    // V8 rounds decimal text correctly, as glibc does; only the range needs care.
    const x = Number(s);
    if (!Number.isFinite(x)) return { value: x, erange: true };
    if (Math.abs(x) > DBL_MIN) return { value: x, erange: false };
    const frac = m[3] ?? m[4] ?? "";
    const digits = (m[2] ?? "") + frac;
    if (!/[1-9]/.test(digits)) return { value: x, erange: false };
    if (x === 0) return { value: x, erange: true };
    // The text is d / 10^k exactly, with k > 0 (the value is below 1).
    const d = BigInt(digits);
    const den = 10n ** BigInt(frac.length - parseExponent(m[5]));
    const tiny = d << 1076n < TINY_BOUND_MANT * den;
    return { value: x, erange: tiny && (d << 1074n) % den !== 0n };
  }
  m = HEX_RE.exec(s);
  if (m) {
    const neg = m[1] === "-";
    const frac = m[3] ?? m[4] ?? "";
    const h = BigInt("0x" + (m[2] ?? "") + frac);
    if (h === 0n) return { value: neg ? -0 : 0, erange: false };
    // The text is h · 2^e exactly.
    const e = parseExponent(m[5]) - 4 * frac.length;
    const { x, inexact } = roundToDouble(h, e);
    let erange = !Number.isFinite(x);
    if (x <= DBL_MIN) {
      // Below 2^-1023 it is surely tiny; else compare exactly (the shifts are then small).
      const shift = e + 1076;
      const tiny =
        e + bitLength(h) <= -1023 ||
        (shift >= 0 ? h << BigInt(shift) < TINY_BOUND_MANT : h < TINY_BOUND_MANT << BigInt(-shift));
      erange = tiny && inexact;
    }
    return { value: neg ? -x : x, erange };
  }
  m = INF_RE.exec(s);
  if (m) return { value: m[1] === "-" ? -Infinity : Infinity, erange: false };
  if (NAN_RE.test(s)) return { value: NaN, erange: false };
  return null;
}

// --- double → text, as replies print it ("%.17g") --------------------------------------

const f64 = new DataView(new ArrayBuffer(8));

/**
 * True when |d| equals digits × 10^exp10 exactly. `digits` is a decimal integer string.
 * Exact rational comparison with BigInt: |d| = m × 2^q, so compare
 * m × 2^q × 10^-exp10 with digits, both sides scaled to integers.
 */
function equalsDecimal(d: number, digits: string, exp10: number): boolean {
  f64.setFloat64(0, Math.abs(d));
  const hi = f64.getUint32(0);
  const lo = f64.getUint32(4);
  const biased = hi >>> 20;
  let m = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let q: number;
  if (biased === 0) q = -1074; // subnormal
  else {
    m |= 1n << 52n;
    q = biased - 1075;
  }
  let left = m;
  let right = BigInt(digits);
  if (q >= 0) left <<= BigInt(q);
  else right <<= BigInt(-q);
  if (exp10 >= 0) right *= pow10(exp10);
  else left *= pow10(-exp10);
  return left === right;
}

/**
 * Formats a double as Redis 7.0 replies with it: C's "%.17g", with inf, -inf and nan
 * (Redis 7.0 addReplyDouble). Number#toExponential rounds exact ties away from zero while
 * glibc rounds them to even, so a tie (the exact value has 18 significant digits ending
 * in 5, e.g. 1234567890123456.25) is detected exactly and rounded to even.
 */
export function formatDouble(d: number): string {
  if (d === Infinity) return "inf";
  if (d === -Infinity) return "-inf";
  if (Number.isNaN(d)) return "nan";
  if (d === 0) return Object.is(d, -0) ? "-0" : "0";
  // Integers below 2^53 print exactly, in fixed notation.
  if (Number.isSafeInteger(d)) return String(d);
  // Common scores such as 1.5 or -0.25: at most 10 fraction bits and below 1e5, the exact
  // value has at most 15 significant digits, so no other decimal that short round-trips
  // and the shortest form (String) is the exact value, laid out in fixed notation by both.
  if (d < 1e5 && d > -1e5 && Number.isInteger(d * 1024)) return String(d);
  const negative = d < 0;
  const abs = negative ? -d : d;
  let text = abs.toExponential(16); // d.ddddddddddddddddde±x: 17 significant digits
  let e = text.indexOf("e");
  let exp = Number(text.slice(e + 1));
  // Only a tie whose 17th digit is even comes out wrong, and JS then made that digit odd.
  // A tie also needs an exact value of 18 significant digits, so at most 17 - exp
  // fraction bits (exp may be one too big after rounding, hence 18): most doubles fail
  // these cheap tests. Scaling by a power of two is exact here (no overflow or underflow).
  if ((text.charCodeAt(e - 1) & 1) === 1 && Number.isInteger(abs * 2 ** (18 - exp))) {
    const t18 = abs.toExponential(17);
    const e18 = t18.indexOf("e");
    if (t18.charCodeAt(e18 - 1) === 53 /* '5' */ && (t18.charCodeAt(e18 - 2) & 1) === 0) {
      // Possibly a tie whose 17th digit is even: glibc keeps the digit, JS rounds it up.
      const exp18 = Number(t18.slice(e18 + 1));
      if (equalsDecimal(abs, t18[0] + t18.slice(2, e18), exp18 - 17)) {
        text = t18.slice(0, e18 - 1) + t18.slice(e18);
        e = text.indexOf("e");
        exp = exp18;
      }
    }
  }
  const digits = text[0] + text.slice(2, e);
  let out: string;
  // %g: exponent form when exp < -4 or exp >= precision; trailing zeros (and a trailing
  // point) removed; the exponent has at least two digits.
  if (exp < -4 || exp >= 17) {
    const frac = digits.slice(1).replace(/0+$/, "");
    out = digits[0] + (frac ? "." + frac : "") + (exp < 0 ? "e-" : "e+") + String(Math.abs(exp)).padStart(2, "0");
  } else if (exp >= 0) {
    const frac = digits.slice(exp + 1).replace(/0+$/, "");
    out = digits.slice(0, exp + 1) + (frac ? "." + frac : "");
  } else {
    out = "0." + "0".repeat(-exp - 1) + digits.replace(/0+$/, "");
  }
  return negative ? "-" + out : out;
}
