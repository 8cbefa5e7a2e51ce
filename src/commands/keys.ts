/**
 * Generic key commands (Redis's "generic" group, ACL category @keyspace): DEL, UNLINK,
 * EXISTS, TOUCH, TYPE, RENAME, RENAMENX, COPY, KEYS, SCAN, RANDOMKEY, the EXPIRE family,
 * TTL/PTTL/EXPIRETIME/PEXPIRETIME and PERSIST. Behaviour and error texts follow Redis 7.0's
 * db.c and expire.c; the router splits or fans out the multi-key and keyspace-wide ones
 * (see each declaration's `routing`), so handlers here see one shard's keyspace.
 */
import { NOTIFY_GENERIC } from "../engine/notify";
import { SCAN_AWAY, SCAN_SERVE, SCAN_SKIP, typeOf, type ScanRole } from "../engine/keyspace";
import { decodeSlotCursor } from "../util/slot-cursor";
import { scanFilter } from "./scan-filter";
import { SLOTS } from "../util/keyslot";
import { copyValue } from "../engine/values";
import { error, integer, OK, simple, type Reply } from "../protocol/reply";
import { cstr } from "../util/binary";
import { INT64_MAX, INT64_MIN } from "../util/numbers";
import { int64OrReply, isOption, parseIntegerArg, parseScanOptions, scanCursorOrReply } from "./args";
import type { ExecContext, SlotOwner } from "./context";
import { boundedMatcher } from "./work-bound";
import { CommandError, ERR_DB_INDEX, ERR_INVALID_EXPIRE, ERR_NO_SUCH_KEY, ERR_SYNTAX } from "./errors";
import { defineCommand, readsOneKey, writesOneKey } from "./table";

// --- helpers --------------------------------------------------------------------

/**
 * User text inside an error: Redis's addReplyErrorFormat turns CR and LF into spaces. Done
 * here, not left to the RESP encoder (which does it for any error), so the reply value and
 * the Upstash JSON error carry Redis's text too.
 */
function errorText(s: string): string {
  return s.replace(/[\r\n]/g, " ");
}

/**
 * A millisecond time as an integer reply: exact as a number within ±2^53; beyond that
 * (expire times only a far-future PEXPIREAT can set) as the bigint of the stored double,
 * capped at int64's maximum, which is the only value Redis could have held there.
 */
function msReply(ms: number | bigint): number | bigint {
  const v = integer(ms);
  return typeof v === "bigint" && v > INT64_MAX ? INT64_MAX : v;
}

// --- DEL, UNLINK, EXISTS, TOUCH (the router splits their keys per shard and sums) ----

/** DEL/UNLINK: deletes each key that exists (an expired one counts as missing). */
function deleteKeys(ctx: ExecContext, argv: string[]): Reply {
  let n = 0;
  for (let i = 1; i < argv.length; i++) {
    if (ctx.db.has(argv[i]) && ctx.db.delete(argv[i])) {
      ctx.db.notify(NOTIFY_GENERIC, "del", argv[i]);
      n++;
    }
  }
  return n;
}

/**
 * EXISTS/TOUCH: counts the keys that exist; a key named twice counts twice, as in Redis.
 * TOUCH counts as an access (LRU/LFU); EXISTS does not (Redis's LOOKUP_NOTOUCH).
 */
function countExisting(ctx: ExecContext, argv: string[], touch: boolean): Reply {
  let n = 0;
  for (let i = 1; i < argv.length; i++) if ((touch ? ctx.db.get(argv[i]) : ctx.db.peek(argv[i])) !== undefined) n++;
  return n;
}

defineCommand({
  name: "del",
  arity: -2,
  flags: ["write"],
  group: "keyspace",
  keys: { first: 1, last: -1, step: 1 },
  routing: "split-sum",
  run: deleteKeys,
});

defineCommand({
  name: "unlink",
  arity: -2,
  flags: ["write", "fast"],
  group: "keyspace",
  keys: { first: 1, last: -1, step: 1 },
  routing: "split-sum",
  // Memory is reclaimed by the garbage collector either way, so UNLINK is DEL here.
  run: deleteKeys,
});

defineCommand({
  name: "exists",
  arity: -2,
  flags: ["readonly", "fast"],
  group: "keyspace",
  keys: { first: 1, last: -1, step: 1 },
  routing: "split-sum",
  run: (ctx, argv) => countExisting(ctx, argv, false),
});

defineCommand({
  name: "touch",
  arity: -2,
  flags: ["readonly", "fast"],
  group: "keyspace",
  keys: { first: 1, last: -1, step: 1 },
  routing: "split-sum",
  run: (ctx, argv) => countExisting(ctx, argv, true),
});

// --- TYPE ---------------------------------------------------------------------------

defineCommand({
  name: "type",
  arity: 2,
  ...readsOneKey("fast"),
  group: "keyspace",
  run(ctx, argv) {
    const v = ctx.db.peek(argv[1]);
    return simple(v === undefined ? "none" : typeOf(v));
  },
});

// --- RENAME, RENAMENX, COPY -------------------------------------------------------------

/** Redis's renameGenericCommand: the value and its TTL move; an existing target is replaced. */
function rename(ctx: ExecContext, argv: string[], nx: boolean): Reply {
  const db = ctx.db;
  const src = argv[1];
  const dst = argv[2];
  const v = db.get(src);
  // A missing source is an error even when both names are the same.
  if (v === undefined) throw new CommandError(ERR_NO_SUCH_KEY);
  if (src === dst) return nx ? 0 : OK;
  const expire = db.getExpire(src);
  if (db.has(dst)) {
    if (nx) return 0;
    // Delete first so the target is a new key (fresh SCAN position, no old TTL), as dbAdd.
    db.delete(dst);
  }
  db.set(dst, v);
  if (expire !== undefined) db.setExpire(dst, expire);
  db.delete(src);
  db.notifier.settle(dst);
  db.notify(NOTIFY_GENERIC, "rename_from", src);
  db.notify(NOTIFY_GENERIC, "rename_to", dst);
  return nx ? 1 : OK;
}

defineCommand({
  name: "rename",
  arity: 3,
  flags: ["write"],
  group: "keyspace",
  keys: { first: 1, last: 2, step: 1 },
  routing: "shard",
  run: (ctx, argv) => rename(ctx, argv, false),
});

defineCommand({
  name: "renamenx",
  arity: 3,
  flags: ["write", "fast"],
  group: "keyspace",
  keys: { first: 1, last: 2, step: 1 },
  routing: "shard",
  run: (ctx, argv) => rename(ctx, argv, true),
});

/** The largest DB index a COPY … DB may name: Hotslot has one database, db 0. */
const MAX_DB = 0;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const ERR_INT_RANGE = `ERR value is out of range, value must between ${INT32_MIN} and ${INT32_MAX}`;

defineCommand({
  name: "copy",
  arity: -3,
  flags: ["write", "denyoom"],
  group: "keyspace",
  keys: { first: 1, last: 2, step: 1 },
  routing: "shard",
  run(ctx, argv) {
    // Options in order, first error wins, as copyCommand parses them.
    let replace = false;
    for (let j = 3; j < argv.length; j++) {
      if (isOption(argv[j], "replace")) {
        replace = true;
      } else if (isOption(argv[j], "db") && j + 1 < argv.length) {
        // getIntFromObjectOrReply (an int64, then the int range), then selectDb: a
        // single-database Redis refuses every index but 0.
        const id = parseIntegerArg(argv[j + 1]);
        if (id < INT32_MIN || id > INT32_MAX) throw new CommandError(ERR_INT_RANGE);
        if (id < 0 || id > MAX_DB) throw new CommandError(ERR_DB_INDEX);
        j++;
      } else {
        throw new CommandError(ERR_SYNTAX);
      }
    }
    const src = argv[1];
    const dst = argv[2];
    if (src === dst) throw new CommandError("ERR source and destination objects are the same");
    const db = ctx.db;
    const v = db.get(src);
    if (v === undefined) return 0;
    const expire = db.getExpire(src);
    if (db.has(dst)) {
      if (!replace) return 0;
      db.delete(dst);
    }
    db.set(dst, copyValue(v));
    if (expire !== undefined) db.setExpire(dst, expire);
    db.notify(NOTIFY_GENERIC, "copy_to", dst);
    return 1;
  },
});

// --- KEYS, SCAN, RANDOMKEY (fanned out to every shard by the router) ----------------

defineCommand({
  name: "keys",
  arity: 2,
  flags: ["readonly"],
  group: "keyspace",
  acl: ["dangerous"],
  routing: "fanout-concat",
  routerFlags: ["denied-to-readonly-token"],
  run(ctx, argv) {
    const pattern = argv[1];
    // Redis skips matching for the lone "*" (so it lists the empty key, which "*" alone
    // would not match), and filters out expired keys without deleting them.
    const all = pattern === "*";
    const matches = boundedMatcher(pattern);
    const out: string[] = [];
    for (const key of ctx.db.keys()) {
      if ((all || matches(key)) && !(ctx.db.expireOnRead && ctx.db.isExpired(key))) out.push(key);
    }
    return out;
  },
});

defineCommand({
  name: "scan",
  arity: -2,
  flags: ["readonly"],
  group: "keyspace",
  routing: "fanout-scan",
  routerFlags: ["denied-to-readonly-token"],
  run(ctx, argv) {
    // The cursor walks hash slots (src/util/slot-cursor.ts): it means the same in every
    // group, so the router sends each call to the group serving the cursor's slot and the
    // walk goes on across groups, and across slots moving between them, without a gap.
    const { slot, position } = decodeSlotCursor(scanCursorOrReply(argv[1]));
    const { count, pattern, type } = parseScanOptions(argv, 2, true);
    const owner = ctx.slotOwner;
    // A slot another group serves: the router follows the refusal (clients never see it).
    if (owner !== null && !ctx.inScript && slot < SLOTS && owner.scanRole(slot) === SCAN_AWAY) return error(`MOVED ${slot} ${owner.epoch}`);
    const step = ctx.db.scanHashSlots(slot, position, count, owner === null ? serveAll : ctx.inScript ? ownKeys(owner) : (s) => owner.scanRole(s));
    return [step.cursor, scanFilter(ctx, step.keys, pattern, type)];
  },
});

const serveAll = (): ScanRole => SCAN_SERVE;

/** A script's SCAN: this shard's own keys, as a script on a Redis Cluster node sees (slots served elsewhere passed over, never redirected). */
function ownKeys(owner: SlotOwner): (slot: number) => ScanRole {
  return (s) => (owner.scanRole(s) === SCAN_AWAY ? SCAN_SKIP : SCAN_SERVE);
}

defineCommand({
  name: "randomkey",
  arity: 1,
  flags: ["readonly"],
  group: "keyspace",
  routing: "fanout-random",
  run: (ctx) => ctx.db.randomKey() ?? null,
});

// --- EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT -----------------------------------------

const NX = 1;
const XX = 2;
const GT = 4;
const LT = 8;

/** Redis's parseExtendedExpireArgumentsOrReply: NX | XX | GT | LT, in any case, any order. */
function parseExpireFlags(argv: string[]): number {
  let flags = 0;
  for (let j = 3; j < argv.length; j++) {
    const opt = argv[j];
    if (isOption(opt, "nx")) flags |= NX;
    else if (isOption(opt, "xx")) flags |= XX;
    else if (isOption(opt, "gt")) flags |= GT;
    else if (isOption(opt, "lt")) flags |= LT;
    else throw new CommandError(`ERR Unsupported option ${errorText(cstr(opt))}`);
  }
  if (flags & NX && flags & (XX | GT | LT)) {
    throw new CommandError("ERR NX and XX, GT or LT options at the same time are not compatible");
  }
  if (flags & GT && flags & LT) throw new CommandError("ERR GT and LT options at the same time are not compatible");
  return flags;
}

/**
 * Redis's expireGenericCommand. `relative`: the time is from now (EXPIRE, PEXPIRE) rather
 * than from the epoch; `seconds`: the unit. The new expiry is logged as
 * `PEXPIREAT key <absolute ms>` so replay does not depend on when it runs; a time already
 * past deletes the key, logged as DEL (except while replaying, when Redis too only sets it).
 */
function expireGeneric(ctx: ExecContext, argv: string[], name: string, relative: boolean, seconds: boolean): Reply {
  const db = ctx.db;
  const key = argv[1];
  const flags = parseExpireFlags(argv);
  let when = int64OrReply(argv[2]);
  // Overflow checks in int64, exactly as Redis makes them.
  if (seconds) {
    if (when > INT64_MAX / 1000n || when < INT64_MIN / 1000n) throw new CommandError(ERR_INVALID_EXPIRE(name));
    when *= 1000n;
  }
  const base = relative ? BigInt(ctx.now) : 0n;
  if (when > INT64_MAX - base) throw new CommandError(ERR_INVALID_EXPIRE(name));
  when += base;

  if (!db.has(key)) return 0;
  if (flags) {
    const current = db.getExpire(key);
    if (flags & NX && current !== undefined) return 0;
    if (flags & XX && current === undefined) return 0;
    // No TTL counts as an infinite one: GT never beats it, LT always does.
    if (flags & GT && (current === undefined || when <= current)) return 0;
    if (flags & LT && current !== undefined && when >= current) return 0;
  }
  if (when <= BigInt(ctx.now) && db.expireOnRead) {
    db.delete(key);
    db.notify(NOTIFY_GENERIC, "del", key);
    ctx.propagate(["DEL", key]);
    return 1;
  }
  db.setExpire(key, Number(when));
  db.notify(NOTIFY_GENERIC, "expire", key);
  ctx.propagate(["PEXPIREAT", key, when.toString()]);
  return 1;
}

defineCommand({
  name: "expire",
  arity: -3,
  ...writesOneKey("fast"),
  group: "keyspace",
  run: (ctx, argv) => expireGeneric(ctx, argv, "expire", true, true),
});

defineCommand({
  name: "pexpire",
  arity: -3,
  ...writesOneKey("fast"),
  group: "keyspace",
  run: (ctx, argv) => expireGeneric(ctx, argv, "pexpire", true, false),
});

defineCommand({
  name: "expireat",
  arity: -3,
  ...writesOneKey("fast"),
  group: "keyspace",
  run: (ctx, argv) => expireGeneric(ctx, argv, "expireat", false, true),
});

defineCommand({
  name: "pexpireat",
  arity: -3,
  ...writesOneKey("fast"),
  group: "keyspace",
  run: (ctx, argv) => expireGeneric(ctx, argv, "pexpireat", false, false),
});

// --- TTL, PTTL, EXPIRETIME, PEXPIRETIME, PERSIST -------------------------------------

/**
 * Redis's ttlGenericCommand: -2 when the key is missing, -1 when it has no TTL, else the
 * time left (or the absolute expiry), never below 0; seconds are rounded to nearest.
 */
function ttlGeneric(ctx: ExecContext, key: string, ms: boolean, absolute: boolean): Reply {
  if (ctx.db.peek(key) === undefined) return -2;
  const expire = ctx.db.getExpire(key);
  if (expire === undefined) return -1;
  let t: number | bigint = absolute ? expire : expire - ctx.now;
  if (!Number.isSafeInteger(t)) t = absolute ? BigInt(expire) : BigInt(expire) - BigInt(ctx.now);
  if (t < 0) t = 0;
  if (ms) return msReply(t);
  // (ttl + 500) / 1000 in C integer division (t >= 0), computed without a float quotient
  // that could round up to the next integer.
  if (typeof t === "bigint") return msReply((t + 500n) / 1000n);
  const r = t + 500;
  return (r - (r % 1000)) / 1000;
}

defineCommand({
  name: "ttl",
  arity: 2,
  ...readsOneKey("fast"),
  group: "keyspace",
  run: (ctx, argv) => ttlGeneric(ctx, argv[1], false, false),
});

defineCommand({
  name: "pttl",
  arity: 2,
  ...readsOneKey("fast"),
  group: "keyspace",
  run: (ctx, argv) => ttlGeneric(ctx, argv[1], true, false),
});

defineCommand({
  name: "expiretime",
  arity: 2,
  ...readsOneKey("fast"),
  group: "keyspace",
  run: (ctx, argv) => ttlGeneric(ctx, argv[1], false, true),
});

defineCommand({
  name: "pexpiretime",
  arity: 2,
  ...readsOneKey("fast"),
  group: "keyspace",
  run: (ctx, argv) => ttlGeneric(ctx, argv[1], true, true),
});

defineCommand({
  name: "persist",
  arity: 2,
  ...writesOneKey("fast"),
  group: "keyspace",
  run(ctx, argv) {
    if (!ctx.db.has(argv[1])) return 0;
    if (!ctx.db.persist(argv[1])) return 0;
    ctx.db.notify(NOTIFY_GENERIC, "persist", argv[1]);
    return 1;
  },
});
