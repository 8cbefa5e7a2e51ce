/**
 * Hash field expiration, beyond Redis 7.0: Redis 7.4's HEXPIRE, HPEXPIRE, HEXPIREAT,
 * HPEXPIREAT, HTTL, HPTTL, HEXPIRETIME, HPEXPIRETIME and HPERSIST, and Redis 8.0's HGETEX,
 * HSETEX and HGETDEL, with their reply codes and error texts (t_hash.c). The TTLs live on
 * the hash (src/engine/hash.ts); the keyspace indexes them so the shard's alarm reclaims
 * expired fields exactly, and lazy expiry hides them from every command.
 *
 * What is logged is deterministic, as Redis propagates it: a relative TTL becomes
 * `HPEXPIREAT key ms FIELDS n …` of the fields it was set on (never the ones whose
 * condition failed), a field deleted because its time has passed is `HDEL key field …`,
 * HGETEX … PERSIST is HPERSIST of the fields it changed, HSETEX with EX/PX/EXAT is
 * `HSETEX key PXAT ms FIELDS …`, and HGETDEL is HDEL. While the log is replayed a time in
 * the past sets the TTL instead of deleting (Redis does the same while loading), and the
 * field is reclaimed by the ordinary expiry afterwards.
 */
import { NOTIFY_HASH } from "../engine/notify";
import { HashValue } from "../engine/hash";
import type { Reply } from "../protocol/reply";
import { cstr } from "../util/binary";
import { int64OrReply, isOption, lookupOfType } from "./args";
import type { ExecContext } from "./context";
import { CommandError, errWrongArity, ERR_INVALID_EXPIRE } from "./errors";
import { defineCommand, readsOneKey, writesOneKey } from "./table";

// --- errors (t_hash.c, Redis 7.4 / 8.0) ---------------------------------------------

const ERR_FIELDS_MISSING = "ERR Mandatory argument FIELDS is missing or not at the right position";
const ERR_EXPIRE_NUMFIELDS = "ERR Parameter `numFields` should be greater than 0";
const ERR_NUMFIELDS = "ERR Number of fields must be a positive integer";
const ERR_NUMFIELDS_MISMATCH = "ERR The `numfields` parameter must match the number of arguments";
const ERR_NEGATIVE_EXPIRE = "ERR invalid expire time, must be >= 0";
const ERR_HSETEX_NUMFIELDS = "ERR invalid number of fields";
const ERR_HSETEX_CONDITION = "ERR Only one of FXX or FNX arguments can be specified";
const ERR_HSETEX_EXPIRY = "ERR Only one of EX, PX, EXAT, PXAT or KEEPTTL arguments can be specified";
/** hsetexParseArgs quotes the argument it does not know, with `%s` (up to a NUL byte). */
const errHsetexUnknown = (arg: string) => `ERR unknown argument: ${cstr(arg)}`;
const ERR_HSETEX_MISSING_EXPIRE = "ERR missing expire time";

/** Redis's HFE_MAX_ABS_TIME_MSEC (EB_EXPIRE_TIME_MAX >> 2): the latest field expiry, in ms. */
const MAX_FIELD_EXPIRE_MS = 2n ** 46n - 1n;

/** Per-field reply codes. */
const NO_FIELD = -2;
const NO_TTL = -1;
const CONDITION_NOT_MET = 0;
const SET = 1;
const DELETED = 2;

// --- shared parsing -------------------------------------------------------------------

type TimeUnit = "s" | "ms";

/**
 * An expiry argument as an absolute time in ms: `base` is now for a relative time, 0 for
 * a Unix time. Redis's order of checks: an integer, not negative, and the absolute time
 * at most HFE_MAX_ABS_TIME_MSEC.
 */
function expireAtOrReply(arg: string, unit: TimeUnit, base: number, cmd: string): number {
  let t = int64OrReply(arg);
  if (t < 0n) throw new CommandError(ERR_NEGATIVE_EXPIRE);
  if (unit === "s") {
    if (t > MAX_FIELD_EXPIRE_MS / 1000n) throw new CommandError(ERR_INVALID_EXPIRE(cmd));
    t *= 1000n;
  }
  if (t > MAX_FIELD_EXPIRE_MS - BigInt(base)) throw new CommandError(ERR_INVALID_EXPIRE(cmd));
  return Number(t) + base;
}

/**
 * `FIELDS numfields field …` ending the command at `at` (the FIELDS keyword's index):
 * the fields. `numErr` is the command family's error for a count that is not positive.
 */
function fieldsOrReply(argv: string[], at: number, numErr: string): string[] {
  if (at >= argv.length || !isOption(argv[at], "fields")) throw new CommandError(ERR_FIELDS_MISSING);
  if (at + 1 >= argv.length) throw new CommandError(errWrongArity(argv[0].toLowerCase()));
  const n = int64OrReply(argv[at + 1], numErr);
  if (n < 1n) throw new CommandError(numErr);
  if (n !== BigInt(argv.length - at - 2)) throw new CommandError(ERR_NUMFIELDS_MISMATCH);
  return argv.slice(at + 2);
}

/** False while the log is replayed: a time in the past then sets a TTL instead of deleting. */
function deletesPastTimes(ctx: ExecContext): boolean {
  return ctx.db.expireOnRead;
}

function fieldsArgs(fields: string[]): string[] {
  return ["FIELDS", String(fields.length), ...fields];
}

// --- HEXPIRE, HPEXPIRE, HEXPIREAT, HPEXPIREAT -----------------------------------------

type Condition = "nx" | "xx" | "gt" | "lt" | null;

/** Whether the NX/XX/GT/LT condition lets `at` replace the field's `prev` TTL (none = infinite). */
function conditionMet(cond: Condition, prev: number | undefined, at: number): boolean {
  switch (cond) {
    case "nx":
      return prev === undefined;
    case "xx":
      return prev !== undefined;
    case "gt":
      return prev !== undefined && at > prev;
    case "lt":
      return prev === undefined || at < prev;
    default:
      return true;
  }
}

/** hexpireGenericCommand: `relative` adds now to the time; `unit` is the time's unit. */
function hexpireGeneric(ctx: ExecContext, argv: string[], relative: boolean, unit: TimeUnit): Reply {
  const key = argv[1];
  const hash = lookupOfType(ctx.db, key, HashValue);
  const at = expireAtOrReply(argv[2], unit, relative ? ctx.now : 0, argv[0].toLowerCase());
  let cond: Condition = null;
  const opt = argv[3].toLowerCase();
  if (opt === "nx" || opt === "xx" || opt === "gt" || opt === "lt") cond = opt;
  const fields = fieldsOrReply(argv, cond === null ? 3 : 4, ERR_EXPIRE_NUMFIELDS);
  if (!hash) return fields.map(() => NO_FIELD);
  const set: string[] = [];
  const deleted: string[] = [];
  const codes = fields.map((field) => {
    if (!hash.has(field)) return NO_FIELD;
    if (!conditionMet(cond, hash.fieldExpireAt(field), at)) return CONDITION_NOT_MET;
    if (at <= ctx.now && deletesPastTimes(ctx)) {
      hash.delete(field);
      deleted.push(field);
      return DELETED;
    }
    hash.setFieldExpire(field, at);
    set.push(field);
    return SET;
  });
  if (set.length + deleted.length > 0) {
    ctx.db.keyWritten(key, hash);
    // One event: hdel when any field went (a past time), else hexpire (hexpireGenericCommand).
    ctx.db.notify(NOTIFY_HASH, deleted.length > 0 ? "hdel" : "hexpire", key);
    if (deleted.length > 0) ctx.propagate(["HDEL", key, ...deleted]);
    if (set.length > 0) ctx.propagate(["HPEXPIREAT", key, String(at), ...fieldsArgs(set)]);
  }
  return codes;
}

// hexpire.json: WRITE, DENYOOM, FAST (denyoom although it only sets TTLs).
const EXPIRE_LIKE = { arity: -6, ...writesOneKey("denyoom", "fast"), group: "hash" } as const;

defineCommand({ ...EXPIRE_LIKE, name: "hexpire", run: (ctx, argv) => hexpireGeneric(ctx, argv, true, "s") });
defineCommand({ ...EXPIRE_LIKE, name: "hpexpire", run: (ctx, argv) => hexpireGeneric(ctx, argv, true, "ms") });
defineCommand({ ...EXPIRE_LIKE, name: "hexpireat", run: (ctx, argv) => hexpireGeneric(ctx, argv, false, "s") });
defineCommand({ ...EXPIRE_LIKE, name: "hpexpireat", run: (ctx, argv) => hexpireGeneric(ctx, argv, false, "ms") });

// --- HTTL, HPTTL, HEXPIRETIME, HPEXPIRETIME ----------------------------------------------

/**
 * httlGenericCommand: per field -2 (no such field), -1 (no TTL), or the TTL (relative to
 * now) or expiry time (relative to 0); seconds round up, as Redis's `(t + 999 - base) / 1000`.
 */
function httlGeneric(ctx: ExecContext, argv: string[], relative: boolean, unit: TimeUnit): Reply {
  const [hash, fields] = hashAndFields(ctx, argv);
  const base = relative ? ctx.now : 0;
  return fields.map((field) => {
    if (!hash?.has(field)) return NO_FIELD;
    const at = hash.fieldExpireAt(field);
    if (at === undefined) return NO_TTL;
    return unit === "s" ? Math.floor((at + 999 - base) / 1000) : at - base;
  });
}

const TTL_LIKE = { arity: -5, ...readsOneKey("fast"), group: "hash" } as const;

defineCommand({ ...TTL_LIKE, name: "httl", run: (ctx, argv) => httlGeneric(ctx, argv, true, "s") });
defineCommand({ ...TTL_LIKE, name: "hpttl", run: (ctx, argv) => httlGeneric(ctx, argv, true, "ms") });
defineCommand({ ...TTL_LIKE, name: "hexpiretime", run: (ctx, argv) => httlGeneric(ctx, argv, false, "s") });
defineCommand({ ...TTL_LIKE, name: "hpexpiretime", run: (ctx, argv) => httlGeneric(ctx, argv, false, "ms") });

// --- HPERSIST ---------------------------------------------------------------------------

/** HPERSIST and HGETDEL: `key FIELDS numfields field …`, a write. */
const FIELDS_WRITE = { arity: -5, ...writesOneKey("fast"), group: "hash" } as const;

/** The hash (undefined when missing) and the fields of `key FIELDS numfields field …`. */
function hashAndFields(ctx: ExecContext, argv: string[]): [HashValue | undefined, string[]] {
  const hash = lookupOfType(ctx.db, argv[1], HashValue);
  return [hash, fieldsOrReply(argv, 2, ERR_NUMFIELDS)];
}

defineCommand({
  ...FIELDS_WRITE,
  name: "hpersist",
  run(ctx, argv) {
    const key = argv[1];
    const [hash, fields] = hashAndFields(ctx, argv);
    if (!hash) return fields.map(() => NO_FIELD);
    let changed = false;
    const codes = fields.map((field) => {
      if (!hash.has(field)) return NO_FIELD;
      if (!hash.persistField(field)) return NO_TTL;
      changed = true;
      return SET;
    });
    // Deterministic as sent: logged when it changed something.
    if (changed) {
      ctx.db.keyWritten(key, hash);
      ctx.db.notify(NOTIFY_HASH, "hpersist", key);
    }
    return codes;
  },
});

// --- HGETEX -----------------------------------------------------------------------------

/** HGETEX's and HSETEX's expiry options: unit and whether relative to now. */
const EXPIRY_OPTIONS = new Map<string, [TimeUnit, boolean]>([
  ["ex", ["s", true]],
  ["px", ["ms", true]],
  ["exat", ["s", false]],
  ["pxat", ["ms", false]],
]);

defineCommand({
  name: "hgetex",
  arity: -5,
  ...writesOneKey("fast"),
  group: "hash",
  run(ctx, argv) {
    const key = argv[1];
    const hash = lookupOfType(ctx.db, key, HashValue);
    // HGETEX key [EX s | PX ms | EXAT s | PXAT ms | PERSIST] FIELDS numfields field …
    const opt = argv[2].toLowerCase();
    let at: number | undefined;
    let persist = false;
    let fieldsAt = 2;
    const timed = EXPIRY_OPTIONS.get(opt);
    if (timed) {
      const [unit, relative] = timed;
      at = expireAtOrReply(argv[3], unit, relative ? ctx.now : 0, "hgetex");
      fieldsAt = 4;
    } else if (opt === "persist") {
      persist = true;
      fieldsAt = 3;
    }
    const fields = fieldsOrReply(argv, fieldsAt, ERR_NUMFIELDS);
    if (!hash) return fields.map(() => null);
    const values: Reply[] = [];
    const set: string[] = [];
    const persisted: string[] = [];
    const deleted: string[] = [];
    for (const field of fields) {
      const value = hash.get(field);
      values.push(value ?? null);
      // A field named twice was deleted by its first mention.
      if (value === undefined) continue;
      if (persist) {
        if (hash.persistField(field)) persisted.push(field);
      } else if (at !== undefined) {
        if (at <= ctx.now && deletesPastTimes(ctx)) {
          hash.delete(field);
          deleted.push(field);
        } else {
          hash.setFieldExpire(field, at);
          set.push(field);
        }
      }
    }
    if (set.length + persisted.length + deleted.length > 0) {
      ctx.db.keyWritten(key, hash);
      // hgetexCommand: hpersist or hexpire for fields updated, else hdel for a past time.
      ctx.db.notify(NOTIFY_HASH, persisted.length > 0 ? "hpersist" : set.length > 0 ? "hexpire" : "hdel", key);
      if (deleted.length > 0) ctx.propagate(["HDEL", key, ...deleted]);
      if (set.length > 0) ctx.propagate(["HPEXPIREAT", key, String(at), ...fieldsArgs(set)]);
      if (persisted.length > 0) ctx.propagate(["HPERSIST", key, ...fieldsArgs(persisted)]);
    }
    return values;
  },
});

// --- HSETEX -----------------------------------------------------------------------------

defineCommand({
  name: "hsetex",
  arity: -6,
  ...writesOneKey("denyoom", "fast"),
  group: "hash",
  run(ctx, argv) {
    const key = argv[1];
    // HSETEX key [FNX | FXX] [EX s | PX ms | EXAT s | PXAT ms | KEEPTTL] FIELDS n field value …
    // (the options in any order, FIELDS last: what follows it is all fields and values).
    // hsetexParseArgs's checks, in its order.
    let cond: "fnx" | "fxx" | null = null;
    let expiry: "keepttl" | "time" | null = null;
    let at = 0;
    let first = -1;
    for (let i = 2; i < argv.length && first < 0; i++) {
      const opt = argv[i].toLowerCase();
      if (opt === "fields") {
        // At least numfields, a field and a value must follow, before numfields is read.
        if (i + 3 >= argv.length) throw new CommandError(errWrongArity("hsetex"));
        const n = int64OrReply(argv[i + 1], ERR_HSETEX_NUMFIELDS);
        if (n < 1n || n > 2n ** 31n - 1n) throw new CommandError(ERR_HSETEX_NUMFIELDS);
        if (BigInt(argv.length - i - 2) !== 2n * n) throw new CommandError(errWrongArity("hsetex"));
        first = i + 2;
      } else if (opt === "fnx" || opt === "fxx") {
        if (cond !== null) throw new CommandError(ERR_HSETEX_CONDITION);
        cond = opt;
      } else if (opt === "keepttl") {
        if (expiry !== null) throw new CommandError(ERR_HSETEX_EXPIRY);
        expiry = "keepttl";
      } else if (EXPIRY_OPTIONS.has(opt)) {
        if (expiry !== null) throw new CommandError(ERR_HSETEX_EXPIRY);
        if (i + 1 >= argv.length) throw new CommandError(ERR_HSETEX_MISSING_EXPIRE);
        const [unit, relative] = EXPIRY_OPTIONS.get(opt)!;
        at = expireAtOrReply(argv[++i], unit, relative ? ctx.now : 0, "hsetex");
        expiry = "time";
      } else {
        throw new CommandError(errHsetexUnknown(argv[i]));
      }
    }
    // Unreachable: with arity -6 and at most three option arguments that do not conflict,
    // the loop meets FIELDS or fails first (Redis asserts the same).
    if (first < 0) throw new Error("HSETEX: no FIELDS after the options");
    const existing = lookupOfType(ctx.db, key, HashValue);
    const pairs: [string, string][] = [];
    for (let i = first; i < argv.length; i += 2) pairs.push([argv[i], argv[i + 1]]);
    // FNX: none of the fields may exist; FXX: all must. All or nothing.
    if (cond === "fnx" && existing && pairs.some(([f]) => existing.has(f))) return 0;
    if (cond === "fxx" && (!existing || pairs.some(([f]) => !existing.has(f)))) return 0;
    if (expiry === "time" && at <= ctx.now && deletesPastTimes(ctx)) {
      // Set and at once expired: the fields are gone (Redis replies 1 all the same), and
      // only the ones that were there are a change.
      const deleted = existing ? pairs.map(([f]) => f).filter((f) => existing.delete(f)) : [];
      if (deleted.length > 0) {
        ctx.db.keyWritten(key, existing!);
        ctx.propagate(["HDEL", key, ...deleted]);
      }
      // hsetexCommand sets, then deletes: hset, hdel (and del when that emptied the hash).
      if (existing) {
        ctx.db.notify(NOTIFY_HASH, "hset", key);
        ctx.db.notify(NOTIFY_HASH, "hdel", key);
      }
      return 1;
    }
    const hash = existing ?? new HashValue();
    for (const [field, value] of pairs) {
      hash.set(field, value, ctx.db.settings, expiry === "keepttl");
      if (expiry === "time") hash.setFieldExpire(field, at);
    }
    ctx.db.keyWritten(key, hash);
    ctx.db.notify(NOTIFY_HASH, "hset", key);
    if (expiry === "time") ctx.db.notify(NOTIFY_HASH, "hexpire", key);
    if (expiry === "time") {
      const flat = pairs.flatMap(([f, v]) => [f, v]);
      ctx.propagate(["HSETEX", key, "PXAT", String(at), "FIELDS", String(pairs.length), ...flat]);
    }
    return 1;
  },
});

// --- HGETDEL ----------------------------------------------------------------------------

defineCommand({
  ...FIELDS_WRITE,
  name: "hgetdel",
  run(ctx, argv) {
    const key = argv[1];
    const [hash, fields] = hashAndFields(ctx, argv);
    if (!hash) return fields.map(() => null);
    const deleted: string[] = [];
    const values = fields.map((field) => {
      const value = hash.get(field);
      if (value !== undefined && hash.delete(field)) deleted.push(field);
      return value ?? null;
    });
    if (deleted.length > 0) {
      ctx.db.keyWritten(key, hash);
      ctx.db.notify(NOTIFY_HASH, "hdel", key);
      ctx.propagate(["HDEL", key, ...deleted]);
    }
    return values;
  },
});
