/**
 * The hash commands of Redis 7.0 (t_hash.c): HSET/HMSET/HSETNX, HGET/HMGET, HDEL, HLEN,
 * HSTRLEN, HEXISTS, HKEYS/HVALS/HGETALL, HINCRBY, HINCRBYFLOAT, HRANDFIELD and HSCAN.
 * Each is declared once with the flags, arity and key positions `COMMAND INFO` reports on
 * redis-server 7.0. The hash itself is src/engine/hash.ts; handlers only call its API.
 *
 * What is logged follows Redis 7.0: every command as sent, except HINCRBYFLOAT, which
 * Redis propagates as `HSET key field <result>` so replay never depends on float
 * arithmetic. Handlers validate before they write, so an error changes nothing; a hash
 * emptied by HDEL is deleted, as Redis does.
 */
import { NOTIFY_HASH } from "../engine/notify";
import { HashValue, type HashEntry } from "../engine/hash";
import { integer, map, OK, pairs, type Reply } from "../protocol/reply";
import {
  addLongDouble,
  formatLongDouble,
  INT64_MAX,
  INT64_MIN,
  longDoubleFromBigInt,
  parseInt64,
  parseLongDouble,
} from "../util/numbers";
import {
  int64OrReply,
  isOption,
  longDoubleOrReply,
  lookupOfType,
  parseScanCursor,
  parseScanOptions,
  pairedCountOrReply,
  randomCountOrReply,
  repeatsOrReply,
} from "./args";
import type { ExecContext } from "./context";
import { boundedMatcher } from "./work-bound";
import { CommandError, errWrongArity, ERR_FLOAT_RESULT, ERR_OVERFLOW, ERR_SYNTAX } from "./errors";
import { defineCommand, readsOneKey, writesOneKey } from "./table";

// --- errors only the hash commands send -------------------------------------------

const ERR_HASH_NOT_INTEGER = "ERR hash value is not an integer";
const ERR_HASH_NOT_FLOAT = "ERR hash value is not a float";
const ERR_INCR_NOT_FINITE = "ERR value is NaN or Infinity";
/** See HRANDFIELD: a bound on repeated picks so one command cannot exhaust the isolate. */
const MAX_RANDOM_REPEATS = 10_000_000;

const ZERO = longDoubleFromBigInt(0n);

// --- helpers ------------------------------------------------------------------------

/** The hash at `key`, undefined when missing; WRONGTYPE for another type. */
function getHash(ctx: ExecContext, key: string): HashValue | undefined {
  return lookupOfType(ctx.db, key, HashValue);
}

/**
 * The hash at `key`, created empty when missing (hashTypeLookupWriteOrCreate): a new one
 * is stored by the keyWritten that follows the write.
 */
function hashForWrite(ctx: ExecContext, key: string): HashValue {
  return getHash(ctx, key) ?? new HashValue();
}

/** Field/value pairs, as HRANDFIELD … WITHVALUES replies: flat in RESP2, nested pairs in RESP3. */
function pairsReply(entries: readonly HashEntry[]): Reply {
  const flat: Reply[] = [];
  for (const [f, v] of entries) flat.push(f, v);
  return pairs(flat);
}

// --- setting ------------------------------------------------------------------------

/** HSET and HMSET (hsetCommand): field/value pairs; the reply differs. */
function hsetGeneric(ctx: ExecContext, argv: string[], name: string): Reply {
  if (argv.length % 2 === 1) throw new CommandError(errWrongArity(name));
  const hash = hashForWrite(ctx, argv[1]);
  let added = 0;
  for (let i = 2; i < argv.length; i += 2) if (hash.set(argv[i], argv[i + 1], ctx.db.settings)) added++;
  ctx.db.keyWritten(argv[1], hash);
  ctx.db.notify(NOTIFY_HASH, "hset", argv[1]);
  return name === "hset" ? added : OK;
}

const SET_LIKE = {
  ...writesOneKey("denyoom", "fast"),
  group: "hash",
} as const;

defineCommand({
  ...SET_LIKE,
  name: "hset",
  arity: -4,
  run: (ctx, argv) => hsetGeneric(ctx, argv, "hset"),
});

defineCommand({
  ...SET_LIKE,
  name: "hmset",
  arity: -4,
  run: (ctx, argv) => hsetGeneric(ctx, argv, "hmset"),
});

defineCommand({
  ...SET_LIKE,
  name: "hsetnx",
  arity: 4,
  run(ctx, argv) {
    const hash = hashForWrite(ctx, argv[1]);
    if (hash.has(argv[2])) return 0;
    hash.set(argv[2], argv[3], ctx.db.settings);
    ctx.db.keyWritten(argv[1], hash);
    ctx.db.notify(NOTIFY_HASH, "hset", argv[1]);
    return 1;
  },
});

// --- counters -------------------------------------------------------------------------

defineCommand({
  ...SET_LIKE,
  name: "hincrby",
  arity: 4,
  run(ctx, argv) {
    const [, key, field] = argv;
    const incr = int64OrReply(argv[3]);
    const hash = hashForWrite(ctx, key);
    let value = 0n;
    const cur = hash.get(field);
    if (cur !== undefined) {
      const v = parseInt64(cur);
      if (v === null) throw new CommandError(ERR_HASH_NOT_INTEGER);
      value = v;
    }
    const result = value + incr;
    if (result < INT64_MIN || result > INT64_MAX) throw new CommandError(ERR_OVERFLOW);
    // A field's TTL survives an increment (Redis 7.4).
    hash.set(field, result.toString(), ctx.db.settings, true);
    ctx.db.keyWritten(key, hash);
    ctx.db.notify(NOTIFY_HASH, "hincrby", key);
    return integer(result);
  },
});

defineCommand({
  ...SET_LIKE,
  name: "hincrbyfloat",
  arity: 4,
  run(ctx, argv) {
    const [, key, field] = argv;
    // Long double arithmetic (x87, as Redis on x86-64), exactly as INCRBYFLOAT; but an
    // infinite increment is refused up front with its own error (Redis 7.0.x).
    const incr = longDoubleOrReply(argv[3]);
    if (incr.kind !== "finite") throw new CommandError(ERR_INCR_NOT_FINITE);
    const hash = hashForWrite(ctx, key);
    const cur = hash.get(field);
    const base = cur === undefined ? ZERO : parseLongDouble(cur);
    if (base === null) throw new CommandError(ERR_HASH_NOT_FLOAT);
    const value = addLongDouble(base, incr);
    if (value.kind !== "finite") throw new CommandError(ERR_FLOAT_RESULT);
    const text = formatLongDouble(value);
    hash.set(field, text, ctx.db.settings, true);
    ctx.db.keyWritten(key, hash);
    ctx.db.notify(NOTIFY_HASH, "hincrbyfloat", key);
    // Logged as the resulting value, so replay never depends on float formatting; a field
    // with a TTL keeps it (HSET would drop it).
    if (hash.fieldExpireAt(field) === undefined) ctx.propagate(["HSET", key, field, text]);
    else ctx.propagate(["HSETEX", key, "KEEPTTL", "FIELDS", "1", field, text]);
    return text;
  },
});

// --- reading --------------------------------------------------------------------------

const READ = {
  ...readsOneKey("fast"),
  group: "hash",
} as const;

defineCommand({
  ...READ,
  name: "hget",
  arity: 3,
  run: (ctx, argv) => getHash(ctx, argv[1])?.get(argv[2]) ?? null,
});

defineCommand({
  ...READ,
  name: "hmget",
  arity: -3,
  run(ctx, argv) {
    // A missing key is an empty hash: one nil per field.
    const hash = getHash(ctx, argv[1]);
    return argv.slice(2).map((f) => hash?.get(f) ?? null);
  },
});

defineCommand({
  ...READ,
  name: "hlen",
  arity: 2,
  run: (ctx, argv) => getHash(ctx, argv[1])?.size ?? 0,
});

defineCommand({
  ...READ,
  name: "hstrlen",
  arity: 3,
  run: (ctx, argv) => getHash(ctx, argv[1])?.get(argv[2])?.length ?? 0,
});

defineCommand({
  ...READ,
  name: "hexists",
  arity: 3,
  run: (ctx, argv) => (getHash(ctx, argv[1])?.has(argv[2]) ? 1 : 0),
});

const ALL = {
  arity: 2,
  ...readsOneKey(),
  group: "hash",
} as const;

defineCommand({
  ...ALL,
  name: "hkeys",
  run(ctx, argv) {
    const hash = getHash(ctx, argv[1]);
    ctx.replyBudget.elements(hash?.size ?? 0);
    return hash ? [...hash.entries()].map((e) => e[0]) : [];
  },
});

defineCommand({
  ...ALL,
  name: "hvals",
  run(ctx, argv) {
    const hash = getHash(ctx, argv[1]);
    ctx.replyBudget.elements(hash?.size ?? 0);
    return hash ? [...hash.entries()].map((e) => e[1]) : [];
  },
});

defineCommand({
  ...ALL,
  name: "hgetall",
  run(ctx, argv) {
    const hash = getHash(ctx, argv[1]);
    ctx.replyBudget.elements(2 * (hash?.size ?? 0));
    const flat: Reply[] = [];
    if (hash) for (const [f, v] of hash.entries()) flat.push(f, v);
    return map(flat);
  },
});

// --- deleting ---------------------------------------------------------------------------

defineCommand({
  name: "hdel",
  arity: -3,
  ...writesOneKey("fast"),
  group: "hash",
  run(ctx, argv) {
    const key = argv[1];
    const hash = getHash(ctx, key);
    if (!hash) return 0;
    let deleted = 0;
    for (let j = 2; j < argv.length; j++) {
      if (hash.delete(argv[j])) {
        deleted++;
        if (hash.size === 0) break;
      }
    }
    if (deleted > 0) {
      ctx.db.keyWritten(key, hash);
      ctx.db.notify(NOTIFY_HASH, "hdel", key);
    }
    return deleted;
  },
});

// --- HRANDFIELD ------------------------------------------------------------------------

defineCommand({
  name: "hrandfield",
  arity: -2,
  ...readsOneKey(),
  group: "hash",
  run(ctx, argv) {
    if (argv.length === 2) {
      const hash = getHash(ctx, argv[1]);
      return hash?.randomEntry()?.[0] ?? null;
    }
    // The count first, then the options.
    const count = randomCountOrReply(argv[2]);
    if (argv.length > 4 || (argv.length === 4 && !isOption(argv[3], "withvalues"))) {
      throw new CommandError(ERR_SYNTAX);
    }
    const withValues = argv.length === 4;
    if (withValues) pairedCountOrReply(count);
    const hash = getHash(ctx, argv[1]);
    if (!hash || count === 0n) return [];
    // Repeats make the reply as long as asked, whatever the hash holds: refused before it is built.
    const picks = count < 0n || count === 1n ? repeatsOrReply(count < 0n ? -count : count, MAX_RANDOM_REPEATS) : Math.min(Number(count), hash.size);
    ctx.replyBudget.elements(withValues ? 2 * picks : picks);
    let entries: HashEntry[];
    if (count < 0n || count === 1n) {
      // Repeats allowed: each pick is independent (Redis's CASE 1). Redis would try to
      // build any number of them; we refuse absurd counts rather than exhaust memory.
      entries = hash.randomEntriesWithRepeats(picks);
    } else {
      entries = hash.randomDistinctEntries(picks);
    }
    return withValues ? pairsReply(entries) : entries.map((e) => e[0]);
  },
});

// --- HSCAN -------------------------------------------------------------------------------

defineCommand({
  name: "hscan",
  arity: -3,
  ...readsOneKey(),
  group: "hash",
  run(ctx, argv) {
    // Redis reads the cursor, then the key, and only then the options: a missing key
    // replies an empty scan even when the options are wrong.
    const cursor = parseScanCursor(argv[2]);
    const hash = getHash(ctx, argv[1]);
    if (!hash) return ["0", []];
    // TYPE is SCAN's alone.
    const { count, pattern } = parseScanOptions(argv, 3, false);
    const step = hash.scan(cursor, count);
    const out: Reply[] = [];
    const matches = pattern === null ? null : boundedMatcher(pattern);
    for (const [f, v] of step.entries) {
      if (matches === null || matches(f)) out.push(f, v);
    }
    return [String(step.cursor), out];
  },
});
