/**
 * Bounds on what decoding one RDB object may allocate, checked against the lengths and
 * counts the bytes DECLARE, before anything is allocated or waited for. A payload is
 * client input: an LZF string may declare an output 88 times its size (1.5 MB of DUMP
 * payload asking for a 130 MB buffer), a collection may declare 2^31 elements, and a
 * streaming reader would otherwise buffer a record whose declared length is huge until it
 * all arrived. A Durable Object has 128 MB, so each is refused up front:
 *
 * - every string (a key, an element, an LZF output, a listpack/ziplist/intset blob) is at
 *   most `maxStringBytes` (the executor's MAX_VALUE_BYTES, as SET and APPEND obey);
 * - the strings of one object (key included), plus ELEMENT_OVERHEAD_BYTES per element,
 *   total at most `maxObjectBytes` (RESTORE: the memory the shard has room for);
 * - with `complete` (the whole input is present, as a RESTORE payload), a declared count
 *   larger than the bytes left is corruption (each element takes at least one byte).
 *
 * Decoding without bounds (the shard loading its own snapshot) passes none: UNBOUNDED.
 */
import { ByteReader, RdbCorrupt } from "./bytes";

/** A declared size over a bound: the value is refused, though the bytes may be valid RDB. */
export class RdbTooLarge extends Error {
  constructor(
    /** "string": one string is over maxStringBytes; "object": the object is over maxObjectBytes. */
    readonly limit: "string" | "object",
    message: string,
  ) {
    super(message);
  }
}

export interface DecodeBounds {
  readonly maxStringBytes: number;
  readonly maxObjectBytes: number;
  /** True when the reader holds all the input there is (a DUMP payload, not a stream). */
  readonly complete: boolean;
}

/** No bounds: the shard's own snapshots, which it wrote itself. */
export const UNBOUNDED: DecodeBounds = { maxStringBytes: Infinity, maxObjectBytes: Infinity, complete: false };

/**
 * Heap bytes counted per element beyond its bytes: a V8 string header and the slot that
 * holds it while decoding (an under-estimate of the engine's per-element cost, so a
 * value that fits is never refused, while 2^31 empty elements still are).
 */
export const ELEMENT_OVERHEAD_BYTES = 16;

/** LZF's largest expansion: a 3-byte back reference yields 264 bytes. */
const LZF_MAX_RATIO = 88;

/** What one object's decoding has used of its bounds. */
export class DecodeBudget {
  /** Bytes counted so far (strings and element overheads). */
  used = 0;

  constructor(readonly bounds: DecodeBounds) {}

  /**
   * Before reading a string of `n` declared bytes from `r`: refuses it when it is over a
   * bound, or (the whole input present) longer than what is left.
   */
  string(r: ByteReader, n: number): void {
    if (this.bounds.complete && n > r.remaining) throw new RdbCorrupt(`a string of ${n} bytes with ${r.remaining} bytes left`);
    this.charge(n);
  }

  /** Before reading LZF data of `clen` bytes from `r` that declares `len` bytes of output. */
  lzf(r: ByteReader, clen: number, len: number): void {
    if (len > clen * LZF_MAX_RATIO || len === 0) throw new RdbCorrupt("Invalid LZF compressed string");
    if (this.bounds.complete && clen > r.remaining) throw new RdbCorrupt(`LZF data of ${clen} bytes with ${r.remaining} bytes left`);
    // The compressed bytes are transient (but must fit a string); the output is what stays.
    this.charge(clen);
    this.used -= clen;
    this.charge(len);
  }

  private charge(n: number): void {
    const { maxStringBytes, maxObjectBytes } = this.bounds;
    if (n > maxStringBytes) {
      throw new RdbTooLarge("string", `a string of ${n} bytes, over the ${maxStringBytes}-byte limit`);
    }
    if (this.used + n > maxObjectBytes) this.overObject(this.used + n);
    this.used += n;
  }

  /**
   * Before reading `n` declared elements of at least `minBytes` bytes each from `r`:
   * refuses a count the object bounds (or, with the whole input present, the bytes
   * left) cannot hold.
   */
  count(r: ByteReader, n: number, minBytes = 1): void {
    if (this.bounds.complete && n * minBytes > r.remaining) throw new RdbCorrupt(`a count of ${n} elements with ${r.remaining} bytes left`);
    const need = this.used + n * ELEMENT_OVERHEAD_BYTES;
    if (need > this.bounds.maxObjectBytes) this.overObject(need);
  }

  /** After decoding `n` elements (their bytes already counted): their overhead. */
  elements(n: number): void {
    this.used += n * ELEMENT_OVERHEAD_BYTES;
    if (this.used > this.bounds.maxObjectBytes) this.overObject(this.used);
  }

  private overObject(need: number): never {
    throw new RdbTooLarge("object", `a value of at least ${need} bytes, over the ${this.bounds.maxObjectBytes}-byte limit`);
  }
}
