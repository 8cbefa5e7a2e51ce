/**
 * The list commands of Redis 7.0 (t_list.c): pushes, pops (with COUNT), LLEN, LRANGE,
 * LINDEX, LSET, LINSERT, LREM, LTRIM, LPOS, LMOVE, RPOPLPUSH, LMPOP, and the blocking
 * BLPOP, BRPOP, BLMOVE, BRPOPLPUSH and BLMPOP.
 * Each is declared once with the flags, arity and key positions `COMMAND INFO` reports on
 * redis-server 7.0. The list itself is src/engine/list.ts; handlers only call its API.
 *
 * The helpers below (pushToList, popFromList, popRangeFromList, moveBetweenLists) are
 * shared by the plain and the blocking forms (BLPOP, BRPOP, BLMOVE, BLMPOP, …): each looks
 * the keys up with WRONGTYPE checks, deletes a list that becomes empty (as Redis does) and
 * records the change.
 *
 * What is logged follows Redis 7.0: every command as sent, except LMPOP, which Redis
 * propagates as `LPOP|RPOP key <count popped>`. Handlers validate before they write, so an
 * error changes nothing.
 */
import { NOTIFY_LIST } from "../engine/notify";
import { ListValue, type ListEnd } from "../engine/list";
import { OK, NULL_ARRAY, type Reply } from "../protocol/reply";
import { INT64_MIN } from "../util/numbers";
import {
  int64OrReply,
  isOption,
  lookupOfType,
  nonNegativeOrReply,
  numkeysKeys,
  parseIntegerArg,
  parseMpopArgs,
  timeoutOrReply,
} from "./args";
import { blockOrReply, type ExecContext } from "./context";
import { CommandError, errWrongArity, ERR_NO_SUCH_KEY, ERR_SYNTAX } from "./errors";
import { defineCommand, readsOneKey, writesOneKey } from "./table";

// --- errors only the list commands send -------------------------------------------

const ERR_INDEX_RANGE = "ERR index out of range";
const ERR_RANK_ZERO =
  "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list";
const ERR_COUNT_NEGATIVE = "ERR COUNT can't be negative";
const ERR_MAXLEN_NEGATIVE = "ERR MAXLEN can't be negative";

// --- helpers shared with the blocking commands ------------------------------------

/** The list at `key`, undefined when missing; WRONGTYPE for another type. */
function getList(ctx: ExecContext, key: string): ListValue | undefined {
  return lookupOfType(ctx.db, key, ListValue);
}

/**
 * Pushes `values` in order at `end` of the list at `key`, creating it unless `onlyIfExists`
 * (LPUSHX/RPUSHX). Returns the new length (0 when nothing was pushed onto a missing key).
 */
function pushToList(
  ctx: ExecContext,
  key: string,
  end: ListEnd,
  values: readonly string[],
  onlyIfExists = false,
): number {
  let list = getList(ctx, key);
  if (!list) {
    if (onlyIfExists) return 0;
    list = new ListValue();
    ctx.db.set(key, list);
  }
  for (const v of values) list.push(end, v);
  ctx.db.keyWritten(key, list);
  ctx.db.notify(NOTIFY_LIST, end === "head" ? "lpush" : "rpush", key);
  return list.length;
}

/** Pops one element from `end` of the list at `key` (undefined when there is no list). */
function popFromList(ctx: ExecContext, key: string, end: ListEnd): string | undefined {
  const list = getList(ctx, key);
  if (!list) return undefined;
  const v = list.pop(end);
  ctx.db.keyWritten(key, list);
  ctx.db.notify(NOTIFY_LIST, end === "head" ? "lpop" : "rpop", key);
  return v;
}

/**
 * Pops up to `count` elements from `end` of `list` (the list at `key`), in pop order, and
 * deletes the key when the list empties (Redis's listPopRangeAndReplyWithKey).
 */
function popRangeFromList(ctx: ExecContext, key: string, list: ListValue, end: ListEnd, count: number): string[] {
  // Charged before anything is popped: a refused reply loses no element.
  const n = Math.min(count, list.length);
  ctx.replyBudget.elements(n);
  if (n > 0) ctx.replyBudget.bytes(end === "head" ? list.rangeBytes(0, n - 1) : list.rangeBytes(-n, -1));
  const out = list.popMany(end, count);
  ctx.db.keyWritten(key, list);
  ctx.db.notify(NOTIFY_LIST, end === "head" ? "lpop" : "rpop", key);
  return out;
}

/**
 * LMOVE's core (lmoveGenericCommand): pops from `from` of the list at `src` and pushes the
 * element at `to` of the list at `dst` (created if missing). Both types are checked before
 * anything changes. Returns the element, or undefined when `src` holds no list.
 * `src` and `dst` may be the same key (a rotation).
 */
function moveBetweenLists(ctx: ExecContext, src: string, dst: string, from: ListEnd, to: ListEnd): string | undefined {
  const source = getList(ctx, src);
  if (!source) return undefined;
  const target = getList(ctx, dst);
  const value = source.pop(from) as string;
  if (target) {
    target.push(to, value);
    ctx.db.keyWritten(dst, target);
  } else {
    // dst is missing, so it is not src (src holds a non-empty list).
    const created = new ListValue();
    created.push(to, value);
    ctx.db.set(dst, created);
  }
  ctx.db.keyWritten(src, source);
  // Redis's order: the push on dst (after its `new`), then the pop on src (then its `del`).
  ctx.db.notify(NOTIFY_LIST, to === "head" ? "lpush" : "rpush", dst);
  ctx.db.notify(NOTIFY_LIST, from === "head" ? "lpop" : "rpop", src);
  return value;
}

/** LEFT or RIGHT, as getListPositionFromObjectOrReply reads them. */
function parseListEnd(arg: string): ListEnd {
  if (isOption(arg, "left")) return "head";
  if (isOption(arg, "right")) return "tail";
  throw new CommandError(ERR_SYNTAX);
}

// --- pushes ------------------------------------------------------------------------

const PUSH = {
  arity: -3,
  ...writesOneKey("denyoom", "fast"),
  group: "list",
} as const;

defineCommand({
  ...PUSH,
  name: "lpush",
  run: (ctx, argv) => pushToList(ctx, argv[1], "head", argv.slice(2)),
});

defineCommand({
  ...PUSH,
  name: "rpush",
  run: (ctx, argv) => pushToList(ctx, argv[1], "tail", argv.slice(2)),
});

defineCommand({
  ...PUSH,
  name: "lpushx",
  run: (ctx, argv) => pushToList(ctx, argv[1], "head", argv.slice(2), true),
});

defineCommand({
  ...PUSH,
  name: "rpushx",
  run: (ctx, argv) => pushToList(ctx, argv[1], "tail", argv.slice(2), true),
});

// --- pops ----------------------------------------------------------------------------

/**
 * LPOP/RPOP (popGenericCommand): without a count, one element or nil; with a count, an
 * array — empty for COUNT 0 on an existing list, the null array for a missing key.
 */
function popGeneric(ctx: ExecContext, argv: string[], end: ListEnd): Reply {
  const name = end === "head" ? "lpop" : "rpop";
  if (argv.length > 3) throw new CommandError(errWrongArity(name));
  const hasCount = argv.length === 3;
  const count = hasCount ? nonNegativeOrReply(argv[2]) : 0;
  const key = argv[1];
  const list = getList(ctx, key);
  if (!list) return hasCount ? NULL_ARRAY : null;
  if (!hasCount) return popFromList(ctx, key, end) as string;
  if (count === 0) return [];
  return popRangeFromList(ctx, key, list, end, count);
}

const POP = {
  arity: -2,
  ...writesOneKey("fast"),
  group: "list",
} as const;

defineCommand({
  ...POP,
  name: "lpop",
  run: (ctx, argv) => popGeneric(ctx, argv, "head"),
});

defineCommand({
  ...POP,
  name: "rpop",
  run: (ctx, argv) => popGeneric(ctx, argv, "tail"),
});

/**
 * LMPOP's arguments (lmpopGenericCommand): numkeys, the keys, LEFT|RIGHT, then an optional
 * COUNT. `first` is the index of numkeys in argv (1 for LMPOP, 2 for BLMPOP).
 */
function lmpopArgs(argv: string[], first: number): { keys: string[]; end: ListEnd; count: number } {
  const { keys, where, count } = parseMpopArgs(argv, first, ["left", "right"]);
  return { keys, end: where === "left" ? "head" : "tail", count };
}

/**
 * Pops up to `count` from the first of `keys` holding a list, logged as Redis propagates
 * it (`LPOP|RPOP key <count popped>`); undefined when none holds one.
 */
function lmpop(ctx: ExecContext, keys: string[], end: ListEnd, count: number): Reply | undefined {
  for (const key of keys) {
    const list = getList(ctx, key);
    if (!list) continue;
    const popped = popRangeFromList(ctx, key, list, end, count);
    ctx.propagate([end === "head" ? "LPOP" : "RPOP", key, String(popped.length)]);
    return [key, popped];
  }
  return undefined;
}

defineCommand({
  name: "lmpop",
  arity: -4,
  flags: ["write"],
  group: "list",
  getKeys: (argv) => numkeysKeys(argv, 1),
  routing: "shard",
  run(ctx, argv) {
    const { keys, end, count } = lmpopArgs(argv, 1);
    return lmpop(ctx, keys, end, count) ?? NULL_ARRAY;
  },
});

// --- reading -------------------------------------------------------------------------

defineCommand({
  name: "llen",
  arity: 2,
  ...readsOneKey("fast"),
  group: "list",
  run: (ctx, argv) => getList(ctx, argv[1])?.length ?? 0,
});

defineCommand({
  name: "lrange",
  arity: 4,
  ...readsOneKey(),
  group: "list",
  run(ctx, argv) {
    const start = parseIntegerArg(argv[2]);
    const end = parseIntegerArg(argv[3]);
    const list = getList(ctx, argv[1]);
    ctx.replyBudget.elements(list?.rangeLength(start, end) ?? 0);
    return list?.range(start, end) ?? [];
  },
});

defineCommand({
  name: "lindex",
  arity: 3,
  ...readsOneKey(),
  group: "list",
  run(ctx, argv) {
    // Redis looks the key up first: a missing key is nil even with a bad index.
    const list = getList(ctx, argv[1]);
    if (!list) return null;
    return list.get(parseIntegerArg(argv[2])) ?? null;
  },
});

defineCommand({
  name: "lpos",
  arity: -3,
  ...readsOneKey(),
  group: "list",
  run(ctx, argv) {
    let rank = 1n;
    let count = -1; // -1: COUNT not given (reply with one index or nil)
    let maxlen = 0;
    for (let j = 3; j < argv.length; j++) {
      const more = j < argv.length - 1;
      if (isOption(argv[j], "rank") && more) {
        rank = int64OrReply(argv[++j]);
        if (rank === 0n) throw new CommandError(ERR_RANK_ZERO);
      } else if (isOption(argv[j], "count") && more) {
        count = nonNegativeOrReply(argv[++j], ERR_COUNT_NEGATIVE);
      } else if (isOption(argv[j], "maxlen") && more) {
        maxlen = nonNegativeOrReply(argv[++j], ERR_MAXLEN_NEGATIVE);
      } else {
        throw new CommandError(ERR_SYNTAX);
      }
    }
    const list = getList(ctx, argv[1]);
    if (!list) return count === -1 ? null : [];
    const fromTail = rank < 0n;
    let limit = count === -1 ? 1 : count === 0 ? Infinity : count;
    // RANK LONG_MIN: Redis negates it in C, where it stays LONG_MIN, so every match counts
    // as reached and the COUNT test `matches - rank + 1 >= count` overflows and never stops
    // the scan: the search runs from the tail, returning every match when COUNT is given.
    if (rank === INT64_MIN) {
      rank = -1n;
      if (count > 0) limit = Infinity;
    }
    const skip = Number(fromTail ? -rank : rank) - 1;
    const found = list.positions(argv[2], fromTail, skip, limit, maxlen);
    if (count === -1) return found.length > 0 ? found[0] : null;
    return found;
  },
});

// --- editing ---------------------------------------------------------------------------

defineCommand({
  name: "lset",
  arity: 4,
  ...writesOneKey("denyoom"),
  group: "list",
  run(ctx, argv) {
    // Redis looks the key up before it reads the index.
    const list = getList(ctx, argv[1]);
    if (!list) throw new CommandError(ERR_NO_SUCH_KEY);
    const index = parseIntegerArg(argv[2]);
    if (!list.set(index, argv[3])) throw new CommandError(ERR_INDEX_RANGE);
    ctx.db.keyWritten(argv[1], list);
    ctx.db.notify(NOTIFY_LIST, "lset", argv[1]);
    return OK;
  },
});

defineCommand({
  name: "linsert",
  arity: 5,
  ...writesOneKey("denyoom"),
  group: "list",
  run(ctx, argv) {
    let after: boolean;
    if (isOption(argv[2], "after")) after = true;
    else if (isOption(argv[2], "before")) after = false;
    else throw new CommandError(ERR_SYNTAX);
    const list = getList(ctx, argv[1]);
    if (!list) return 0;
    const len = list.insert(argv[3], argv[4], after);
    if (len >= 0) {
      ctx.db.keyWritten(argv[1], list);
      ctx.db.notify(NOTIFY_LIST, "linsert", argv[1]);
    }
    return len;
  },
});

defineCommand({
  name: "lrem",
  arity: 4,
  ...writesOneKey(),
  group: "list",
  run(ctx, argv) {
    const count = parseIntegerArg(argv[2]);
    const list = getList(ctx, argv[1]);
    if (!list) return 0;
    const removed = list.remove(argv[3], count);
    if (removed > 0) {
      ctx.db.keyWritten(argv[1], list);
      ctx.db.notify(NOTIFY_LIST, "lrem", argv[1]);
    }
    return removed;
  },
});

defineCommand({
  name: "ltrim",
  arity: 4,
  ...writesOneKey(),
  group: "list",
  run(ctx, argv) {
    const start = parseIntegerArg(argv[2]);
    const end = parseIntegerArg(argv[3]);
    const list = getList(ctx, argv[1]);
    if (!list) return OK;
    // Redis adds the number removed to dirty, so a trim that removes nothing is not
    // propagated; recording no change keeps our log the same.
    if (list.trim(start, end) > 0) ctx.db.keyWritten(argv[1], list);
    // Announced even when nothing was removed, as Redis's ltrimCommand.
    ctx.db.notify(NOTIFY_LIST, "ltrim", argv[1]);
    return OK;
  },
});

// --- moving between lists ----------------------------------------------------------------

defineCommand({
  name: "lmove",
  arity: 5,
  flags: ["write", "denyoom"],
  group: "list",
  keys: { first: 1, last: 2, step: 1 },
  routing: "shard",
  run(ctx, argv) {
    const from = parseListEnd(argv[3]);
    const to = parseListEnd(argv[4]);
    return moveBetweenLists(ctx, argv[1], argv[2], from, to) ?? null;
  },
});

defineCommand({
  name: "rpoplpush",
  arity: 3,
  flags: ["write", "denyoom"],
  group: "list",
  keys: { first: 1, last: 2, step: 1 },
  routing: "shard",
  run: (ctx, argv) => moveBetweenLists(ctx, argv[1], argv[2], "tail", "head") ?? null,
});

// --- blocking pops -------------------------------------------------------------------
//
// Each first acts like its non-blocking form. With nothing to pop it either blocks — it
// throws WouldBlock, and the shard parks the client on the keys, running the command
// again when one of them changes — or, where it may not block (inside MULTI, HTTP
// pipelines), replies as on timeout at once. What is logged is the non-blocking form of
// what it did, as Redis rewrites it (BLPOP → LPOP key, BLMOVE → LMOVE, BLMPOP → LPOP key n).

function blockingPop(ctx: ExecContext, argv: string[], end: ListEnd): Reply {
  const timeoutMs = timeoutOrReply(argv[argv.length - 1]);
  const keys = argv.slice(1, -1);
  for (const key of keys) {
    const value = popFromList(ctx, key, end);
    if (value === undefined) continue;
    ctx.propagate([end === "head" ? "LPOP" : "RPOP", key]);
    return [key, value];
  }
  return blockOrReply(ctx, keys, timeoutMs, NULL_ARRAY);
}

const BPOP = {
  arity: -3,
  flags: ["write", "noscript", "blocking"],
  group: "list",
  keys: { first: 1, last: -2, step: 1 },
  routing: "shard",
} as const;

defineCommand({
  ...BPOP,
  name: "blpop",
  run: (ctx, argv) => blockingPop(ctx, argv, "head"),
});

defineCommand({
  ...BPOP,
  name: "brpop",
  run: (ctx, argv) => blockingPop(ctx, argv, "tail"),
});

function blockingMove(ctx: ExecContext, src: string, dst: string, from: ListEnd, to: ListEnd, timeoutArg: string): Reply {
  const timeoutMs = timeoutOrReply(timeoutArg);
  const value = moveBetweenLists(ctx, src, dst, from, to);
  if (value === undefined) return blockOrReply(ctx, [src], timeoutMs, null);
  ctx.propagate(["LMOVE", src, dst, from === "head" ? "LEFT" : "RIGHT", to === "head" ? "LEFT" : "RIGHT"]);
  return value;
}

defineCommand({
  name: "blmove",
  arity: 6,
  flags: ["write", "denyoom", "noscript", "blocking"],
  group: "list",
  keys: { first: 1, last: 2, step: 1 },
  routing: "shard",
  run: (ctx, argv) => {
    const from = parseListEnd(argv[3]);
    const to = parseListEnd(argv[4]);
    return blockingMove(ctx, argv[1], argv[2], from, to, argv[5]);
  },
});

defineCommand({
  name: "brpoplpush",
  arity: 4,
  flags: ["write", "denyoom", "noscript", "blocking"],
  group: "list",
  keys: { first: 1, last: 2, step: 1 },
  routing: "shard",
  run: (ctx, argv) => blockingMove(ctx, argv[1], argv[2], "tail", "head", argv[3]),
});

defineCommand({
  name: "blmpop",
  arity: -5,
  flags: ["write", "blocking"],
  group: "list",
  getKeys: (argv) => numkeysKeys(argv, 2),
  routing: "shard",
  run(ctx, argv) {
    const timeoutMs = timeoutOrReply(argv[1]);
    const { keys, end, count } = lmpopArgs(argv, 2);
    return lmpop(ctx, keys, end, count) ?? blockOrReply(ctx, keys, timeoutMs, NULL_ARRAY);
  },
});
