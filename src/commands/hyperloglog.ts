/**
 * The HyperLogLog commands of Redis 7.0 (hyperloglog.c): PFADD, PFCOUNT, PFMERGE, PFDEBUG
 * and PFSELFTEST. The values are plain strings in Redis's own HLL representation
 * (src/engine/hyperloglog.ts), so GET, DUMP/RESTORE and RDB export see what redis-server
 * would hold after the same commands.
 *
 * What is logged: every change is deterministic, so commands are logged as sent. PFCOUNT
 * of one key writes the cardinality it computed into the value's cache (as Redis does,
 * and as Redis propagates it), so it is logged too when it did; replaying it computes the
 * same bytes. PFDEBUG GETREG/TODENSE are logged when they turned a sparse value dense.
 * Values are written with their TTL kept: Redis edits the string in place.
 */
import { NOTIFY_STRING } from "../engine/notify";
import { integer, OK, simple, type Reply } from "../protocol/reply";
import {
  cachedCardinality,
  decodeSparse,
  denseAddToString,
  denseRegisters,
  elementRegister,
  encodingOf,
  estimate,
  histogramOf,
  histogramOfRegisters,
  HLL_DENSE,
  HLL_REGISTERS,
  HLL_SPARSE,
  HllBuffer,
  isHllString,
  mergeInto,
  selfTest,
  setRegister,
  sparseToDense,
  withCachedCardinality,
  writeMax,
} from "../engine/hyperloglog";
import { cstr } from "../util/binary";
import { isOption } from "./args";
import type { ExecContext } from "./context";
import { CommandError, ERR_WRONGTYPE } from "./errors";
import { defineCommand } from "./table";

// --- errors only the HyperLogLog commands send ---------------------------------------

const ERR_NOT_HLL = "WRONGTYPE Key is not a valid HyperLogLog string value.";
const ERR_CORRUPT_HLL = "INVALIDOBJ Corrupted HLL object detected";
const ERR_NO_KEY = "ERR The specified key does not exist";
const ERR_NOT_SPARSE = "ERR HLL encoding is not sparse";

// --- helpers -----------------------------------------------------------------------

/**
 * The HLL string at `key` (lookupKey + isHLLObjectOrReply), undefined when missing:
 * WRONGTYPE for another type, Redis's "not a valid HyperLogLog" for another string.
 */
function lookupHll(ctx: ExecContext, key: string): string | undefined {
  const v = ctx.db.get(key);
  if (v === undefined) return undefined;
  if (typeof v !== "string") throw new CommandError(ERR_WRONGTYPE);
  if (!isHllString(v)) throw new CommandError(ERR_NOT_HLL);
  return v;
}

function sparseMaxBytes(ctx: ExecContext): number {
  return ctx.db.settings.hllSparseMaxBytes;
}

/** Stores a changed HLL, keeping the key's TTL (Redis changes the string in place). */
function store(ctx: ExecContext, key: string, h: HllBuffer): void {
  ctx.db.set(key, h.toString(), true);
}

// --- PFADD / PFCOUNT / PFMERGE -----------------------------------------------------------

defineCommand({
  name: "pfadd",
  arity: -2,
  flags: ["write", "denyoom", "fast"],
  keys: { first: 1, last: 1, step: 1 },
  routing: "shard",
  group: "hyperloglog",
  run: (ctx, argv) => {
    const key = argv[1];
    const old = lookupHll(ctx, key);
    const packed = argv.slice(2).map(elementRegister);
    if (old !== undefined && encodingOf(old) === HLL_DENSE) {
      // Edited as a string: no copy of 12 KB to bytes and back.
      const next = denseAddToString(old, packed);
      if (next === old) return 0;
      ctx.db.set(key, next, true);
      ctx.db.notify(NOTIFY_STRING, "pfadd", key);
      return 1;
    }
    const h = old === undefined ? HllBuffer.empty() : HllBuffer.fromString(old, 8);
    let updated = old === undefined ? 1 : 0;
    const maxBytes = sparseMaxBytes(ctx);
    for (const p of packed) {
      const r = setRegister(h, p >>> 6, p & 63, maxBytes);
      if (r < 0) {
        // Redis keeps what the earlier elements changed (in place), cache as it was.
        if (updated > 0) store(ctx, key, h);
        throw new CommandError(ERR_CORRUPT_HLL);
      }
      updated += r;
    }
    if (updated === 0) return 0;
    h.invalidateCache();
    store(ctx, key, h);
    ctx.db.notify(NOTIFY_STRING, "pfadd", key);
    return 1;
  },
});

defineCommand({
  name: "pfcount",
  arity: -2,
  flags: ["readonly"],
  keys: { first: 1, last: -1, step: 1 },
  routing: "shard",
  group: "hyperloglog",
  run: (ctx, argv) => {
    if (argv.length > 2) {
      // The union's cardinality; nothing is written.
      const max = new Uint8Array(HLL_REGISTERS);
      for (let j = 1; j < argv.length; j++) {
        const s = lookupHll(ctx, argv[j]);
        if (s !== undefined && !mergeInto(max, s)) throw new CommandError(ERR_CORRUPT_HLL);
      }
      return estimate(histogramOfRegisters(max));
    }
    const key = argv[1];
    const s = lookupHll(ctx, key);
    if (s === undefined) return 0;
    const cached = cachedCardinality(s);
    if (cached !== null) return integer(cached);
    const histo = histogramOf(s);
    if (histo === null) throw new CommandError(ERR_CORRUPT_HLL);
    const card = estimate(histo);
    ctx.db.set(key, withCachedCardinality(s, card), true);
    return card;
  },
});

defineCommand({
  name: "pfmerge",
  arity: -2,
  flags: ["write", "denyoom"],
  keys: { first: 1, last: -1, step: 1 },
  routing: "shard",
  group: "hyperloglog",
  run: (ctx, argv) => {
    const max = new Uint8Array(HLL_REGISTERS);
    let useDense = false;
    // The destination is one of the inputs, as in Redis (from argv[1]).
    for (let j = 1; j < argv.length; j++) {
      const s = lookupHll(ctx, argv[j]);
      if (s === undefined) continue;
      if (encodingOf(s) === HLL_DENSE) useDense = true;
      if (!mergeInto(max, s)) throw new CommandError(ERR_CORRUPT_HLL);
    }
    const dest = ctx.db.get(argv[1]);
    const h = typeof dest === "string" ? HllBuffer.fromString(dest, 64) : HllBuffer.empty();
    if (useDense && !sparseToDense(h)) throw new CommandError(ERR_CORRUPT_HLL);
    writeMax(h, max, sparseMaxBytes(ctx));
    h.invalidateCache();
    store(ctx, argv[1], h);
    // PFMERGE announces itself as pfadd, as Redis does.
    ctx.db.notify(NOTIFY_STRING, "pfadd", argv[1]);
    return OK;
  },
});

// --- PFDEBUG / PFSELFTEST ------------------------------------------------------------------

/** A sparse value made dense for PFDEBUG (stored: Redis forces its propagation too). */
function toDenseOrReply(ctx: ExecContext, key: string, h: HllBuffer): boolean {
  if (h.encoding !== HLL_SPARSE) return false;
  if (!sparseToDense(h)) throw new CommandError(ERR_CORRUPT_HLL);
  store(ctx, key, h);
  return true;
}

defineCommand({
  name: "pfdebug",
  arity: 3,
  flags: ["write", "denyoom", "admin"],
  keys: { first: 2, last: 2, step: 1 },
  routing: "shard",
  group: "hyperloglog",
  run: (ctx, argv): Reply => {
    const sub = argv[1];
    const key = argv[2];
    const s = lookupHll(ctx, key);
    if (s === undefined) throw new CommandError(ERR_NO_KEY);
    if (isOption(sub, "getreg")) {
      const h = HllBuffer.fromString(s);
      toDenseOrReply(ctx, key, h);
      return denseRegisters(h);
    }
    if (isOption(sub, "decode")) {
      if (encodingOf(s) !== HLL_SPARSE) throw new CommandError(ERR_NOT_SPARSE);
      return decodeSparse(s);
    }
    if (isOption(sub, "encoding")) return simple(encodingOf(s) === HLL_DENSE ? "dense" : "sparse");
    if (isOption(sub, "todense")) return toDenseOrReply(ctx, key, HllBuffer.fromString(s)) ? 1 : 0;
    // addReplyErrorFormat: the name as a C string, CR and LF made spaces.
    throw new CommandError(`ERR Unknown PFDEBUG subcommand '${cstr(sub).replace(/[\r\n]/g, " ")}'`);
  },
});

/**
 * Redis's PFSELFTEST runs 1000 register cycles and 10 million adds; a shard has a CPU
 * budget per request, so this runs the same checks over 20 cycles and 100 000 adds.
 */
const SELFTEST_CYCLES = 20;
const SELFTEST_ADDS = 100_000;

defineCommand({
  name: "pfselftest",
  arity: 1,
  flags: ["admin"],
  routing: "shard",
  group: "hyperloglog",
  run: (ctx) => {
    const failed = selfTest(Math.random, SELFTEST_CYCLES, SELFTEST_ADDS, sparseMaxBytes(ctx));
    if (failed !== null) throw new CommandError(`TESTFAILED ${failed}`);
    return OK;
  },
});
