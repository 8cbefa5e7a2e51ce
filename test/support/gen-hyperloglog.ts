/**
 * Differential generator for the HyperLogLog family: seeded command sequences over a few
 * keys in one hash tag ({h}), so multi-key PFCOUNT and PFMERGE stay in one slot. Every
 * reply is compared byte for byte (the HLL commands are deterministic), and GET of an HLL
 * returns its whole representation, so the sequences also compare the stored bytes:
 * sparse opcodes, promotion to dense, cached cardinality.
 *
 * The sequences mix: PFADD of a few elements (binary ones included) and of bulks of new
 * ones (to pass the sparse → dense promotion), PFCOUNT of one and several keys, PFMERGE of
 * sparse and dense inputs, GET, PFDEBUG's subcommands, CONFIG SET hll-sparse-max-bytes
 * (small values promote early), DEL, and the bad cases: another type (WRONGTYPE), a
 * string that is not an HLL, HLL strings corrupted by SET/SETRANGE/APPEND (sparse opcodes
 * that cover too few or too many registers, a truncated XZERO, a bad encoding byte,
 * random register bytes in a dense value, any cached cardinality), and wrong arity.
 * The corruptions are ones redis-server 7.0 handles safely (it reports them or reads
 * within its string), never the crafted overflows it has no guard for.
 */
import { Rng } from "./random";

export const HLL_KEYS = ["{h}a", "{h}b", "{h}c\x00\xff"];
/** A plain string: "not a valid HyperLogLog". */
const STRING_KEY = "{h}str";
/** A list: WRONGTYPE. */
const LIST_KEY = "{h}list";
/** Never written. */
const MISSING_KEY = "{h}none";
/** Where the corrupted values go (and any command may name it). */
const BAD_KEY = "{h}bad";
export const ALL_KEYS: readonly string[] = [...HLL_KEYS, STRING_KEY, LIST_KEY, MISSING_KEY, BAD_KEY];

/** The commands every sequence starts with, on both sides. */
export function hllSetupSteps(): string[][] {
  return [
    ["FLUSHALL"],
    ["CONFIG", "SET", "hll-sparse-max-bytes", "3000"],
    ["SET", STRING_KEY, "hello"],
    ["RPUSH", LIST_KEY, "x"],
  ];
}

const HEADER_SPARSE = "HYLL\x01\x00\x00\x00" + "\x00\x00\x00\x00\x00\x00\x00\x80";
const HEADER_DENSE = "HYLL\x00\x00\x00\x00" + "\x00\x00\x00\x00\x00\x00\x00\x80";

/** XZERO of `n` zero registers. */
function xzero(n: number): string {
  return String.fromCharCode(0x40 | ((n - 1) >> 8), (n - 1) & 0xff);
}

/** Values that look like HLLs but are not, or are corrupt. */
function corruptValue(rng: Rng): string {
  switch (rng.int(9)) {
    case 0: // opcodes covering too few registers
      return HEADER_SPARSE + xzero(rng.range(1, 16000));
    case 1: // too many: a VAL after a full XZERO
      return HEADER_SPARSE + xzero(16384) + "\x80";
    case 2: // a truncated XZERO (Redis reads the NUL after its string)
      return HEADER_SPARSE + xzero(16000) + "\x7f" + "\x40";
    case 3: // valid opcodes whose VAL runs add up exactly
      return HEADER_SPARSE + xzero(100) + "\x8f\x3f" + xzero(16384 - 100 - 4 - 64);
    case 4: // a bad encoding byte
      return "HYLL\x02" + "\x00".repeat(11) + xzero(16384);
    case 5: // a dense header on a string of the wrong length
      return HEADER_DENSE + "\x00".repeat(rng.range(0, 100));
    case 6: // a dense value of random registers (values up to 63)
      return HEADER_DENSE + rng.bytes(12288);
    case 7: // shorter than a header, or the wrong magic
      return rng.chance(0.5) ? "HYLL\x01" : "HYLX" + HEADER_SPARSE.slice(4) + xzero(16384);
    default: // a valid empty sparse HLL with a valid (made-up) cached cardinality
      return "HYLL\x01\x00\x00\x00" + rng.bytes(7) + String.fromCharCode(rng.int(128)) + xzero(16384);
  }
}

export class HllGen {
  private fresh = 0;
  constructor(
    readonly rng: Rng,
    private readonly seed: number,
  ) {}

  /** Mostly an HLL key, sometimes any key. */
  key(): string {
    return this.rng.chance(0.85) ? this.rng.pick(HLL_KEYS) : this.rng.pick(ALL_KEYS);
  }

  keys(min: number, max: number): string[] {
    return Array.from({ length: this.rng.range(min, max) }, () => this.key());
  }

  /** An element: small numbers and words (often repeated), or random bytes. */
  element(): string {
    const r = this.rng.int(10);
    if (r < 4) return String(this.rng.int(500));
    if (r < 6) return `w${this.rng.int(60)}`;
    if (r < 9) return this.rng.bytes(this.rng.range(0, 20));
    return "";
  }

  /** `n` elements never seen before in this sequence. */
  bulk(n: number): string[] {
    return Array.from({ length: n }, () => `s${this.seed}:${this.fresh++}`);
  }

  name(s: string): string {
    return this.rng.chance(0.5) ? s.toUpperCase() : s.toLowerCase();
  }

  step(): string[] {
    const r = this.rng.int(100);
    if (r < 22) return [this.name("pfadd"), this.key(), ...Array.from({ length: this.rng.range(0, 6) }, () => this.element())];
    if (r < 34) return [this.name("pfadd"), this.rng.pick(HLL_KEYS), ...this.bulk(this.rng.range(20, 400))];
    if (r < 46) return [this.name("pfcount"), this.key()];
    if (r < 53) return [this.name("pfcount"), ...this.keys(2, 4)];
    if (r < 61) return [this.name("pfmerge"), this.key(), ...this.keys(0, 3)];
    if (r < 71) return ["GET", this.rng.pick(HLL_KEYS)];
    if (r < 78) {
      const sub = this.rng.pick(["encoding", "decode", "todense", "getreg", "encoding", "decode", "nope"]);
      return [this.name("pfdebug"), this.name(sub), this.key()];
    }
    if (r < 81) return ["CONFIG", "SET", "hll-sparse-max-bytes", String(this.rng.pick([0, 20, 100, 300, 1000, 3000, 3000, 3000, 10000]))];
    if (r < 84) return ["DEL", this.rng.pick(HLL_KEYS)];
    if (r < 88) return ["SET", this.rng.chance(0.7) ? BAD_KEY : this.rng.pick(HLL_KEYS), corruptValue(this.rng)];
    if (r < 91) {
      // Overwrite a few bytes of a stored HLL: header, cache, opcodes or registers.
      const at = this.rng.pick([4, 8, 15, 16, 17, 18, 20, 40, 100, 2000, 12303]);
      return ["SETRANGE", this.rng.pick([...HLL_KEYS, BAD_KEY]), String(at), this.rng.bytes(this.rng.range(1, 3))];
    }
    if (r < 93) return ["APPEND", this.rng.pick([...HLL_KEYS, BAD_KEY]), this.rng.bytes(this.rng.range(1, 3))];
    if (r < 95) return ["COPY", this.rng.pick([...HLL_KEYS, BAD_KEY]), this.rng.pick(HLL_KEYS), "REPLACE"];
    // Wrong arity.
    return this.rng.pick([["PFADD"], ["PFCOUNT"], ["PFMERGE"], ["PFDEBUG", "encoding"], ["PFDEBUG", "encoding", "{h}a", "x"], ["PFSELFTEST", "x"]]);
  }
}

/** A seeded sequence of `n` steps. */
export function generateHllSteps(seed: number, n: number): string[][] {
  const g = new HllGen(new Rng(seed), seed);
  return Array.from({ length: n }, () => g.step());
}

/** Reads back the state of every key at the end of a sequence. */
export function hllStateSteps(): string[][] {
  return ALL_KEYS.flatMap((k) => [["TYPE", k], ["GET", k], ["STRLEN", k]]);
}
