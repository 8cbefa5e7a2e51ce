/**
 * Redis's number rules, shared by every data type: strict 64-bit integers (string2ll),
 * doubles as getDoubleFromObject reads them (strtod), and an exact emulation of the x87
 * 80-bit `long double` that INCRBYFLOAT and HINCRBYFLOAT compute in (strtold, `+`, and
 * ld2string's "%.17Lf" human format). Values arrive as binary strings (one char per byte).
 *
 * Why emulate long double: Redis adds in 64-bit-mantissa precision and prints 17 decimals,
 * so INCRBYFLOAT "1.1" by 2.2 gives "3.3" where JS doubles would give 3.3000000000000003.
 * The emulation is exact: every value is held as mantissa × 2^exponent in BigInt and
 * rounded to nearest-even exactly where the hardware rounds (parse, add, print).
 */
// Pure: parsers return null where Redis refuses the text; the throwing "…OrReply" forms
// live in src/commands/args.ts, so the engine can use these without the command layer.

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

