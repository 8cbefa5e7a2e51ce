/**
 * Seeded randomness for tests: a seed names one exact sequence, so a failing run can be
 * replayed. Every test that needs pseudo-random numbers draws them from here.
 *
 * - `Rng`: mulberry32 with helpers (int, range, pick, bytes, shuffle, …). The differential
 *   tests' seeds were checked against redis-server with this exact algorithm: changing it
 *   (or the way a helper consumes it) changes every sequence those seeds name.
 * - `seededFloats`: the same generator as a bare `() => number` in [0, 1), where code
 *   wants something shaped like Math.random (Keyspace.random, chunk splitters).
 * - `lcgInts` and `lcgBytes`: two older linear congruential generators some tests were
 *   written with; kept as they are so those tests keep their exact data.
 */

/** mulberry32: tiny, fast, and good enough to drive a fuzzer reproducibly. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  u32(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** Uniform in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }
  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }
  /** Uniform integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.float() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  /** `n` random bytes (0–255) as a binary string. */
  bytes(n: number): string {
    let s = "";
    for (let i = 0; i < n; i++) s += String.fromCharCode(this.int(256));
    return s;
  }
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }
}

/** `Rng(seed).float` as a function: uniform in [0, 1), a stand-in for Math.random. */
export function seededFloats(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.float();
}

/**
 * Pseudo-random integers below `n` from a 31-bit LCG (glibc's constants). The product is
 * taken in doubles, so it is not the textbook LCG past 2^53: kept exactly as the tests
 * that use it were written.
 */
export function lcgInts(seed: number): (n: number) => number {
  let s = seed;
  return (n: number) => (s = (s * 1103515245 + 12345) & 0x7fffffff) % n;
}

/**
 * `n` pseudo-random bytes (a 32-bit LCG's top byte, from the LCG state `state`) as a binary
 * string: LZF cannot shrink them.
 */
export function lcgBytes(n: number, state: number): string {
  let x = state;
  let out = "";
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out += String.fromCharCode(x >>> 24);
  }
  return out;
}
