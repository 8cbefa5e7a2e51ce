/**
 * The set commands of Redis 7.0 (t_set.c): SADD, SREM, SCARD, SISMEMBER, SMISMEMBER,
 * SMEMBERS, SRANDMEMBER, SPOP, SMOVE, SINTER, SINTERCARD, SINTERSTORE, SUNION,
 * SUNIONSTORE, SDIFF, SDIFFSTORE and SSCAN. Each is declared once with the flags, arity and
 * key positions `COMMAND INFO` reports on redis-server 7.0; handlers call the set type API
 * (src/engine/set.ts), the only code that knows how a set is held.
 *
 * What is logged follows what Redis 7.0 propagates: SPOP becomes SREM of the members it
 * popped (or DEL when it popped them all), so replay never depends on chance; every other
 * set command is deterministic and logged as sent. Handlers validate before they write.
 */
import { NOTIFY_GENERIC, NOTIFY_SET } from "../engine/notify";
import { RedisSet } from "../engine/set";
import { set as setReply, type Reply } from "../protocol/reply";
import {
  atLeastOneOrReply,
  isOption,
  lookupOfType,
  nonNegativeOrReply,
  numkeysKeys,
  parseScanCursor,
  parseScanOptions,
  randomCountOrReply,
  repeatsOrReply,
  storeOrDelete,
} from "./args";
import type { ExecContext } from "./context";
import { boundedMatcher } from "./work-bound";
import { CommandError, ERR_LIMIT_NEGATIVE, ERR_NUMKEYS, ERR_SYNTAX, ERR_WRONGTYPE } from "./errors";
import { defineCommand, readsOneKey, writesOneKey } from "./table";

// --- errors only the set commands send (shared ones live in errors.ts) ----------------------

const ERR_NUMKEYS_TOO_MANY = "ERR Number of keys can't be greater than number of args";

/** SPOP logs its SREMs in batches of this many members, keeping each log entry bounded. */
const SREM_BATCH = 1024;

// --- shared helpers ---------------------------------------------------------------------------

/** The set at `key`, undefined when missing; WRONGTYPE for another type. */
function getSet(ctx: ExecContext, key: string): RedisSet | undefined {
  return lookupOfType(ctx.db, key, RedisSet);
}

/** The members a SUNION/SDIFF scratch set would list: as a fresh intset-first set orders them. */
function asResultSet(members: Iterable<string>, ctx: ExecContext): RedisSet {
  const out = RedisSet.empty();
  for (const m of members) out.add(m, ctx.db.settings);
  return out;
}

/** SINTERSTORE, SUNIONSTORE, SDIFFSTORE: `result` stored at `dst` (or `dst` deleted when empty). */
function storeResult(ctx: ExecContext, dst: string, result: RedisSet, event: string): Reply {
  return storeOrDelete(ctx.db, dst, result.size, () => result, NOTIFY_SET, event);
}

/**
 * Looks up each key as a set (null when missing); WRONGTYPE if any holds another type. A
 * key named again is looked up once: SINTER k k k … (a million times) costs a map lookup
 * per name, and the set algorithms below visit each distinct set once.
 */
function lookupSets(ctx: ExecContext, keys: string[]): (RedisSet | null)[] {
  const found = new Map<string, RedisSet | null>();
  return keys.map((k) => {
    let s = found.get(k);
    if (s === undefined) found.set(k, (s = getSet(ctx, k) ?? null));
    return s;
  });
}

/** Each set once, in order of first appearance (a repeated set changes no result here). */
function distinct<T>(items: T[]): T[] {
  return Array.from(new Set(items));
}

// --- SINTER, SINTERCARD, SINTERSTORE ---------------------------------------------------------

/**
 * The intersection (sinterGenericCommand): members of the smallest set, in its order,
 * that every other set holds. `limit` > 0 stops counting there (SINTERCARD).
 */
function intersect(sets: (RedisSet | null)[], limit = 0): string[] {
  if (sets.some((s) => s === null)) return [];
  // Smallest first; Array.prototype.sort is stable, as glibc's merge-sort qsort is here.
  const sorted = distinct(sets as RedisSet[]).sort((a, b) => a.size - b.size);
  const [first, ...rest] = sorted;
  const out: string[] = [];
  for (const m of first.members()) {
    if (rest.every((s) => s === first || s.has(m))) {
      out.push(m);
      if (limit > 0 && out.length >= limit) break;
    }
  }
  return out;
}

// --- SUNION, SDIFF and their STORE forms -------------------------------------------------------

/** sunionDiffGenericCommand's result, as the scratch set it builds (intset-first). */
function unionOrDiff(ctx: ExecContext, keys: string[], diff: boolean, replied = false): RedisSet {
  const sets = lookupSets(ctx, keys);
  // Replied (not stored): at most the inputs' members, charged before the scratch set is built.
  if (replied) ctx.replyBudget.elements(diff ? (sets[0]?.size ?? 0) : distinct(sets).reduce((n, s) => n + (s?.size ?? 0), 0));
  if (!diff) {
    const out = RedisSet.empty();
    for (const s of distinct(sets)) if (s) for (const m of s.members()) out.add(m, ctx.db.settings);
    return out;
  }
  const first = sets[0];
  if (!first) return RedisSet.empty();
  // The first set repeated among the others subtracts itself: kept once, as the others.
  const rest = distinct(sets.slice(1));
  // Redis picks one of two algorithms by estimated work. The second fills the scratch set
  // with all of the first set before removing, which can turn it into a hashtable even
  // when what remains would fit an intset: the result's encoding (and order) follow suit.
  let algoOne = 0;
  let algoTwo = 0;
  for (const s of sets) {
    if (!s) continue;
    algoOne += first.size;
    algoTwo += s.size;
  }
  if (Math.floor(algoOne / 2) <= algoTwo) {
    // A key repeated as its own subtrahend empties the result, as in Redis.
    return asResultSet(
      first.members().filter((m) => !rest.some((s) => s !== null && (s === first || s.has(m)))),
      ctx,
    );
  }
  const out = asResultSet(first.members(), ctx);
  for (const s of rest) {
    if (!s) continue;
    for (const m of s.members()) out.remove(m);
    if (out.size === 0) break;
  }
  return out;
}

// --- declarations -----------------------------------------------------------------------------

defineCommand({
  name: "sadd",
  arity: -3,
  ...writesOneKey("denyoom", "fast"),
  group: "set",
  run(ctx, argv) {
    const key = argv[1];
    let s = getSet(ctx, key);
    if (!s) {
      s = RedisSet.forMember(argv[2]);
      ctx.db.set(key, s);
    }
    let added = 0;
    for (let i = 2; i < argv.length; i++) if (s.add(argv[i], ctx.db.settings)) added++;
    if (added > 0) {
      ctx.db.keyWritten(key, s);
      ctx.db.notify(NOTIFY_SET, "sadd", key);
    }
    return added;
  },
});

defineCommand({
  name: "srem",
  arity: -3,
  ...writesOneKey("fast"),
  group: "set",
  run(ctx, argv) {
    const key = argv[1];
    const s = getSet(ctx, key);
    if (!s) return 0;
    let removed = 0;
    for (let i = 2; i < argv.length; i++) {
      if (!s.remove(argv[i])) continue;
      removed++;
      if (s.size === 0) break;
    }
    if (removed > 0) {
      ctx.db.keyWritten(key, s);
      ctx.db.notify(NOTIFY_SET, "srem", key);
    }
    return removed;
  },
});

defineCommand({
  name: "scard",
  arity: 2,
  ...readsOneKey("fast"),
  group: "set",
  run: (ctx, argv) => getSet(ctx, argv[1])?.size ?? 0,
});

defineCommand({
  name: "sismember",
  arity: 3,
  ...readsOneKey("fast"),
  group: "set",
  run: (ctx, argv) => (getSet(ctx, argv[1])?.has(argv[2]) ? 1 : 0),
});

defineCommand({
  name: "smismember",
  arity: -3,
  ...readsOneKey("fast"),
  group: "set",
  run(ctx, argv) {
    // A missing key is an empty set: all zeros.
    const s = getSet(ctx, argv[1]);
    return argv.slice(2).map((m) => (s?.has(m) ? 1 : 0));
  },
});

defineCommand({
  name: "smembers",
  arity: 2,
  ...readsOneKey(),
  group: "set",
  // Redis 7.0 runs SMEMBERS as SINTER of one key.
  run(ctx, argv) {
    const s = getSet(ctx, argv[1]);
    ctx.replyBudget.elements(s?.size ?? 0);
    return setReply(s?.members() ?? []);
  },
});

defineCommand({
  name: "srandmember",
  arity: -2,
  ...readsOneKey(),
  group: "set",
  run(ctx, argv) {
    if (argv.length > 3) throw new CommandError(ERR_SYNTAX);
    if (argv.length === 3) {
      // The count is read first, then the key.
      const l = randomCountOrReply(argv[2]);
      const s = getSet(ctx, argv[1]);
      if (!s || l === 0n) return [];
      const count = l < 0n ? repeatsOrReply(-l) : Math.min(Number(l), s.size);
      // Repeats make the reply as long as asked, whatever the set holds: refused before it is built.
      ctx.replyBudget.elements(count);
      if (l < 0n) return s.randomMembersWithRepeats(count);
      return s.randomDistinctMembers(Number(l));
    }
    return getSet(ctx, argv[1])?.randomMember() ?? null;
  },
});

defineCommand({
  name: "spop",
  arity: -2,
  ...writesOneKey("fast"),
  group: "set",
  run(ctx, argv) {
    const key = argv[1];
    if (argv.length > 3) throw new CommandError(ERR_SYNTAX);
    if (argv.length === 3) {
      const count = nonNegativeOrReply(argv[2]);
      const s = getSet(ctx, key);
      if (!s || count === 0) return setReply([]);
      ctx.replyBudget.elements(Math.min(count, s.size));
      if (count >= s.size) {
        // Everything: replied as SUNION of the key would list it, logged as DEL.
        const all = asResultSet(s.members(), ctx).members();
        ctx.db.delete(key);
        ctx.db.notify(NOTIFY_SET, "spop", key);
        ctx.db.notify(NOTIFY_GENERIC, "del", key);
        ctx.propagate(["DEL", key]);
        return setReply(all);
      }
      const popped = s.popRandom(count, ctx.db.settings);
      ctx.db.keyWritten(key, s);
      ctx.db.notify(NOTIFY_SET, "spop", key);
      for (let i = 0; i < popped.length; i += SREM_BATCH) {
        ctx.propagate(["SREM", key, ...popped.slice(i, i + SREM_BATCH)]);
      }
      return setReply(popped);
    }
    const s = getSet(ctx, key);
    if (!s) return null;
    const m = s.randomMember();
    s.remove(m);
    ctx.db.keyWritten(key, s);
    ctx.db.notify(NOTIFY_SET, "spop", key);
    ctx.propagate(["SREM", key, m]);
    return m;
  },
});

defineCommand({
  name: "smove",
  arity: 4,
  flags: ["write", "fast"],
  group: "set",
  keys: { first: 1, last: 2, step: 1 },
  routing: "shard",
  run(ctx, argv) {
    const [, srcKey, dstKey, member] = argv;
    const src = ctx.db.get(srcKey);
    const dst = ctx.db.get(dstKey);
    // A missing source answers 0 before any type check (smoveCommand).
    if (src === undefined) return 0;
    if (!(src instanceof RedisSet) || (dst !== undefined && !(dst instanceof RedisSet))) {
      throw new CommandError(ERR_WRONGTYPE);
    }
    if (src === dst) return src.has(member) ? 1 : 0;
    if (!src.remove(member)) return 0;
    ctx.db.keyWritten(srcKey, src);
    let target = dst;
    if (!target) {
      target = RedisSet.forMember(member);
      ctx.db.set(dstKey, target);
    }
    ctx.db.notify(NOTIFY_SET, "srem", srcKey);
    if (target.add(member, ctx.db.settings)) {
      ctx.db.keyWritten(dstKey, target);
      ctx.db.notify(NOTIFY_SET, "sadd", dstKey);
    }
    return 1;
  },
});

defineCommand({
  name: "sinter",
  arity: -2,
  flags: ["readonly"],
  group: "set",
  keys: { first: 1, last: -1, step: 1 },
  routing: "shard",
  run: (ctx, argv) => setReply(intersect(lookupSets(ctx, argv.slice(1)))),
});

defineCommand({
  name: "sintercard",
  arity: -3,
  flags: ["readonly"],
  group: "set",
  getKeys: (argv) => numkeysKeys(argv, 1),
  routing: "shard",
  run(ctx, argv) {
    // Unlike ZINTERCARD, every argument is checked before any key is read.
    const numkeys = atLeastOneOrReply(argv[1], ERR_NUMKEYS);
    if (numkeys > argv.length - 2) throw new CommandError(ERR_NUMKEYS_TOO_MANY);
    let limit = 0;
    for (let j = 2 + numkeys; j < argv.length; j++) {
      if (isOption(argv[j], "limit") && j + 1 < argv.length) {
        limit = nonNegativeOrReply(argv[++j], ERR_LIMIT_NEGATIVE);
      } else {
        throw new CommandError(ERR_SYNTAX);
      }
    }
    return intersect(lookupSets(ctx, argv.slice(2, 2 + numkeys)), limit).length;
  },
});

defineCommand({
  name: "sinterstore",
  arity: -3,
  flags: ["write", "denyoom"],
  group: "set",
  keys: { first: 1, last: -1, step: 1 },
  routing: "shard",
  run(ctx, argv) {
    const members = intersect(lookupSets(ctx, argv.slice(2)));
    return storeResult(ctx, argv[1], asResultSet(members, ctx), "sinterstore");
  },
});

defineCommand({
  name: "sunion",
  arity: -2,
  flags: ["readonly"],
  group: "set",
  keys: { first: 1, last: -1, step: 1 },
  routing: "shard",
  run: (ctx, argv) => setReply(unionOrDiff(ctx, argv.slice(1), false, true).members()),
});

defineCommand({
  name: "sunionstore",
  arity: -3,
  flags: ["write", "denyoom"],
  group: "set",
  keys: { first: 1, last: -1, step: 1 },
  routing: "shard",
  run: (ctx, argv) => storeResult(ctx, argv[1], unionOrDiff(ctx, argv.slice(2), false), "sunionstore"),
});

defineCommand({
  name: "sdiff",
  arity: -2,
  flags: ["readonly"],
  group: "set",
  keys: { first: 1, last: -1, step: 1 },
  routing: "shard",
  run: (ctx, argv) => setReply(unionOrDiff(ctx, argv.slice(1), true, true).members()),
});

defineCommand({
  name: "sdiffstore",
  arity: -3,
  flags: ["write", "denyoom"],
  group: "set",
  keys: { first: 1, last: -1, step: 1 },
  routing: "shard",
  run: (ctx, argv) => storeResult(ctx, argv[1], unionOrDiff(ctx, argv.slice(2), true), "sdiffstore"),
});

defineCommand({
  name: "sscan",
  arity: -3,
  ...readsOneKey(),
  group: "set",
  run(ctx, argv) {
    // Cursor first; a missing key then answers an empty scan without reading the options.
    const cursor = parseScanCursor(argv[2]);
    const s = getSet(ctx, argv[1]);
    if (!s) return ["0", []];
    const { count, pattern } = parseScanOptions(argv, 3, false);
    const step = s.scan(cursor, count);
    const members = pattern === null ? step.members : step.members.filter(boundedMatcher(pattern));
    return [String(step.cursor), members];
  },
});
