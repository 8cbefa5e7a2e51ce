/**
 * The memory model: how many bytes of JavaScript heap a key, a value or a collection's
 * element costs, so a shard can account `used_memory` exactly (a running total, never a
 * rescan) and enforce maxmemory against it. Every constant here is MEASURED, not guessed:
 * `node scripts/calibrate-memory.mjs` builds up to 1,000,000 entries of each kind with the
 * real engine code inside workerd (V8 flags --expose-gc --trace-gc-nvp: the heap's object
 * size after a full GC, in bytes) and divides the difference by the count.
 *
 * The figures are workerd's, the runtime shards run in: its V8 compresses pointers
 * (4-byte slots and small integers, 12-byte object headers). Node's V8 does not, so in
 * Node the same data takes 1.6–2× these figures (the script prints both).
 *
 * Maps and arrays grow by doubling (or by half), so the cost of one entry swings with how
 * full its table is; constants for such entries are the mean over fills from 2^19 to 2^20
 * entries, with the measured range quoted.
 *
 * Also here: Redis's byte-count formatting (`used_memory_human`).
 */

// --- strings ------------------------------------------------------------------------

/**
 * A binary string (one byte per char) is a V8 SeqOneByteString: a 12-byte header (map,
 * hash, length) plus its bytes, rounded up to 4. Measured: 1M strings of 7, 8, 9, 12, 13,
 * 16, 20, 24, 32 and 64 bytes cost exactly that (20, 20, 24, 24, 28, 28, 32, 36, 44, 76).
 * (One-byte strings come from a shared cache and cost nothing; they are counted anyway.
 * Strings used as Map keys are internalized by workerd's V8, so equal field names in many
 * hashes share one copy: accounting counts each, erring on the safe side.)
 */
const STRING_HEADER_BYTES = 12;

/** Heap bytes held by a flat binary string. */
export function stringBytes(s: string): number {
  return (STRING_HEADER_BYTES + s.length + 3) & ~3;
}

// --- the keyspace's own structures ---------------------------------------------------

/**
 * Per key, beyond its name and value strings: the key → slot Map entry, the key's slot in
 * the four parallel slot arrays (name, value, SCAN sequence, access clock) of the
 * Keyspace, and its entry in its hash slot's Set (src/engine/hash-slot-index.ts, about
 * 19 bytes of it with the Sets themselves). Measured: 57.95 bytes/key (51.4–63.4 over
 * fills), rounded up. With it, 1M keys of 16-byte names and 8-byte values are accounted
 * 106 bytes/key for a measured 106 (99.5–111.4 over fills); redis-server's used_memory
 * for the same is 104.4.
 */
export const KEY_ENTRY_BYTES = 58;

/**
 * Per key with a TTL: its entry in the `expires` Map with the boxed expiry time, and its
 * (time, key) pair in the expiry heap. Measured: 45.8 bytes/key.
 */
export const EXPIRE_ENTRY_BYTES = 46;

// --- building blocks for collection types --------------------------------------------

/**
 * One Map entry (V8's OrderedHashMap: key, value and chain slots plus half a bucket) with
 * a small-integer or pointer value, beyond the key and value themselves. Measured: 19.9
 * (14.7–26.7 over fills).
 */
export const MAP_ENTRY_BYTES = 20;

/**
 * A number that is not a small integer (a millisecond timestamp) held in a Map or object
 * field: a boxed HeapNumber, a 4-byte header map word plus the 8-byte double. Not measured
 * by the calibration script: V8's layout, not a fill-dependent figure.
 */
export const HEAP_NUMBER_BYTES = 12;

/** One slot of a JS array grown by push (pointer or small integer). Measured: 4.6 (4.0–5.2). */
export const ARRAY_SLOT_BYTES = 5;

/** An empty Map or Set (the JSMap object and its initial table). Measured: 92. */
export const EMPTY_MAP_BYTES = 92;

/** An empty array (the JSArray object; elements are ARRAY_SLOT_BYTES each). Measured: 16. */
export const EMPTY_ARRAY_BYTES = 16;

/**
 * A class instance with `fields` fields: a 12-byte header (map, properties, elements) and
 * 4 bytes per field. Measured: 20 for 2 fields, 44 for 8.
 */
export function objectBytes(fields: number): number {
  return 12 + 4 * fields;
}

// --- formatting ----------------------------------------------------------------------

/**
 * Redis's bytesToHuman: "123B", "1.50K", "64.00M", … (powers of 1024, two decimals); from
 * 1024P up, plain bytes again.
 */
export function humanBytes(n: number): string {
  if (n < 1024) return `${n}B`;
  let d = n / 1024;
  for (const unit of ["K", "M", "G", "T", "P"]) {
    if (d < 1024) return `${d.toFixed(2)}${unit}`;
    d /= 1024;
  }
  return `${n}B`;
}
