/**
 * The sorted set commands of Redis 7.0 (t_zset.c): ZADD, ZINCRBY, ZREM, ZCARD, ZSCORE,
 * ZMSCORE, ZRANK, ZREVRANK, ZCOUNT, ZLEXCOUNT, ZRANGE and its older forms (ZREVRANGE,
 * ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANGEBYLEX, ZREVRANGEBYLEX), ZRANGESTORE,
 * ZREMRANGEBYRANK/SCORE/LEX, ZPOPMIN, ZPOPMAX, ZMPOP, the blocking BZPOPMIN, BZPOPMAX and
 * BZMPOP, ZRANDMEMBER, ZUNION, ZINTER, ZDIFF, their STORE forms, ZINTERCARD and ZSCAN.
 * Each is declared once with the flags, arity and key positions `COMMAND INFO` reports on
 * redis-server 7.0; handlers call the sorted set type API (src/engine/zset.ts).
 *
 * Replies: scores are doubles (RESP3 `,`; RESP2 "%.17g" bulk strings); WITHSCORES replies
 * are `pairs` (flat in RESP2, [member, score] arrays in RESP3), as Redis 7.0 sends them.
 *
 * What is logged follows Redis 7.0: everything here is deterministic given the data, so it
 * is logged as sent, except ZMPOP, which Redis propagates as ZPOPMIN/ZPOPMAX key count,
 * and the blocking BZPOPMIN, BZPOPMAX and BZMPOP, logged as the pops they did.
 * Handlers validate before they write, so an error changes nothing.
 */
import { NOTIFY_ZSET } from "../engine/notify";
import { RedisSet } from "../engine/set";
import {
  SortedSet,
  ZADD_GT,
  ZADD_INCR,
  ZADD_LT,
  ZADD_NX,
  ZADD_XX,
  type LexBound,
  type LexRange,
  type RankSpan,
  type ScoreRange,
} from "../engine/zset";
import { double, NULL_ARRAY, pairs, type Reply } from "../protocol/reply";
import { cstr } from "../util/binary";
import { formatDouble, strtod } from "../util/numbers";
import {
  doubleOrReply,
  isOption,
  lookupOfType,
  nonNegativeOrReply,
  numkeysKeys,
  parseIntegerArg,
  parseMpopArgs,
  parseScanCursor,
  parseScanOptions,
  pairedCountOrReply,
  randomCountOrReply,
  repeatsOrReply,
  storeOrDelete,
  timeoutOrReply,
} from "./args";
import { blockOrReply, type ExecContext } from "./context";
import { boundedMatcher, boundWork } from "./work-bound";
import { CommandError, ERR_LIMIT_NEGATIVE, ERR_SYNTAX } from "./errors";
import { defineCommand, readsOneKey, writesOneKey } from "./table";

// --- errors only the sorted set commands send ---------------------------------------------

const ERR_NAN_SCORE = "ERR resulting score is not a number (NaN)";
const ERR_NOT_FLOAT_RANGE = "ERR min or max is not a float";
const ERR_NOT_LEX_RANGE = "ERR min or max not valid string range item";
const ERR_XX_NX = "ERR XX and NX options at the same time are not compatible";
const ERR_GT_LT_NX = "ERR GT, LT, and/or NX options at the same time are not compatible";
const ERR_INCR_PAIR = "ERR INCR option supports a single increment-element pair";
const ERR_LIMIT_RANK = "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX";
const ERR_WITHSCORES_LEX = "ERR syntax error, WITHSCORES not supported in combination with BYLEX";
const ERR_WEIGHT = "ERR weight value is not a float";
const errNoKeys = (cmd: string) => `ERR at least 1 input key is needed for '${cmd}' command`;

/** How much bigger than the count a zset must be for ZRANDMEMBER to sample by draws. */
const ZRANDMEMBER_SUB_STRATEGY_MUL = 3;

// --- helpers ---------------------------------------------------------------------------------

/** The sorted set at `key`, undefined when missing; WRONGTYPE for another type. */
function getZset(ctx: ExecContext, key: string): SortedSet | undefined {
  return lookupOfType(ctx.db, key, SortedSet);
}

/** Members and scores as a WITHSCORES reply: pairs of bulk string and double. */
function withScores(members: string[], scores: number[]): Reply {
  const items: Reply[] = [];
  for (let i = 0; i < members.length; i++) items.push(members[i], double(scores[i]));
  return pairs(items);
}

/**
 * A score range (zslParseRange): "(x" is exclusive; each end is read by strtod over the C
 * string, which skips leading spaces, takes "" as 0 and saturates out-of-range values to
 * ±inf or ±0 instead of failing; trailing bytes and NaN get "ERR min or max is not a float".
 */
function parseScoreRange(minArg: string, maxArg: string): ScoreRange {
  const end = (arg: string): [number, boolean] => {
    const exclusive = arg.charCodeAt(0) === 40; // '('
    const v = strtod(exclusive ? arg.slice(1) : arg);
    if (v === null || Number.isNaN(v.value)) throw new CommandError(ERR_NOT_FLOAT_RANGE);
    return [v.value, exclusive];
  };
  const [min, minExclusive] = end(minArg);
  const [max, maxExclusive] = end(maxArg);
  return { min, max, minExclusive, maxExclusive };
}

/** A lex range (zslParseLexRange): "-", "+", "[x" or "(x"; else an error. */
function parseLexRange(minArg: string, maxArg: string): LexRange {
  const end = (arg: string): LexBound => {
    const c = arg.charAt(0);
    // "+" and "-" must be alone as C sees them (up to a NUL); "[" and "(" keep every byte.
    if ((c === "+" || c === "-") && cstr(arg).length === 1) return { kind: c };
    if (c === "[" || c === "(") return { kind: "value", value: arg.slice(1), exclusive: c === "(" };
    throw new CommandError(ERR_NOT_LEX_RANGE);
  };
  return { min: end(minArg), max: end(maxArg) };
}

/** Redis's clamping of a rank range [start, end] (negative counts from the end). */
function rankSpan(start: number, end: number, len: number): RankSpan {
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (start > end || start >= len) return { from: 0, to: -1 };
  if (end >= len) end = len - 1;
  return { from: start, to: end };
}

/**
 * LIMIT offset count applied to the ranks of a score or lex range, walked in the given
 * direction: a negative offset walks off the end (nothing), a negative count is no limit
 * (genericZrangebyscoreCommand's loops). Returns the ascending ranks to emit.
 */
function limitSpan(span: RankSpan, reverse: boolean, offset: number, limit: number): RankSpan {
  const total = span.to - span.from + 1;
  if (offset < 0 || offset >= total) return { from: 0, to: -1 };
  let n = total - offset;
  if (limit >= 0 && limit < n) n = limit;
  return reverse ? { from: span.to - offset - n + 1, to: span.to - offset } : { from: span.from + offset, to: span.from + offset + n - 1 };
}

// --- ZADD and ZINCRBY ------------------------------------------------------------------------

/** zaddGenericCommand: options from argv[2], then score/member pairs. */
function zadd(ctx: ExecContext, argv: string[], flags: number): Reply {
  const key = argv[1];
  let ch = false;
  let i = 2;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (isOption(a, "nx")) flags |= ZADD_NX;
    else if (isOption(a, "xx")) flags |= ZADD_XX;
    else if (isOption(a, "ch")) ch = true;
    else if (isOption(a, "incr")) flags |= ZADD_INCR;
    else if (isOption(a, "gt")) flags |= ZADD_GT;
    else if (isOption(a, "lt")) flags |= ZADD_LT;
    else break;
  }
  const rest = argv.length - i;
  if (rest === 0 || rest % 2 !== 0) throw new CommandError(ERR_SYNTAX);
  const incr = (flags & ZADD_INCR) !== 0;
  const nx = (flags & ZADD_NX) !== 0;
  const gt = (flags & ZADD_GT) !== 0;
  const lt = (flags & ZADD_LT) !== 0;
  if (nx && flags & ZADD_XX) throw new CommandError(ERR_XX_NX);
  if ((gt && nx) || (lt && nx) || (gt && lt)) throw new CommandError(ERR_GT_LT_NX);
  if (incr && rest > 2) throw new CommandError(ERR_INCR_PAIR);
  // Every score is read before anything is written: the command applies fully or not at all.
  const scores: number[] = [];
  for (let j = i; j < argv.length; j += 2) scores.push(doubleOrReply(argv[j]));

  let z = getZset(ctx, key);
  let added = 0;
  let updated = 0;
  let processed = 0;
  let score = 0;
  if (!z) {
    if (flags & ZADD_XX) return incr ? null : 0;
    z = SortedSet.forFirstMember(argv[i + 1], ctx.db.settings);
    ctx.db.set(key, z);
  }
  for (let k = 0; k < scores.length; k++) {
    const r = z.add(scores[k], argv[i + 1 + 2 * k], flags, ctx.db.settings);
    // Only INCR can give NaN, and it takes one pair: nothing has changed yet.
    if (r.outcome === "nan") throw new CommandError(ERR_NAN_SCORE);
    if (r.outcome === "added") added++;
    else if (r.outcome === "updated") updated++;
    if (r.outcome !== "skipped") processed++;
    score = r.score;
  }
  if (added + updated > 0) {
    ctx.db.keyWritten(key, z);
    ctx.db.notify(NOTIFY_ZSET, incr ? "zincr" : "zadd", key);
  }
  if (incr) return processed > 0 ? double(score) : null;
  return ch ? added + updated : added;
}

defineCommand({
  name: "zadd",
  arity: -4,
  ...writesOneKey("denyoom", "fast"),
  group: "sortedset",
  run: (ctx, argv) => zadd(ctx, argv, 0),
});

defineCommand({
  name: "zincrby",
  arity: 4,
  ...writesOneKey("denyoom", "fast"),
  group: "sortedset",
  // Redis runs ZINCRBY through ZADD's parser with INCR set (so "ZINCRBY k nx m" is a syntax error).
  run: (ctx, argv) => zadd(ctx, argv, ZADD_INCR),
});

// --- removal -----------------------------------------------------------------------------------

defineCommand({
  name: "zrem",
  arity: -3,
  ...writesOneKey("fast"),
  group: "sortedset",
  run(ctx, argv) {
    const key = argv[1];
    const z = getZset(ctx, key);
    if (!z) return 0;
    let removed = 0;
    for (let i = 2; i < argv.length && z.size > 0; i++) if (z.remove(argv[i])) removed++;
    if (removed > 0) {
      ctx.db.keyWritten(key, z);
      ctx.db.notify(NOTIFY_ZSET, "zrem", key);
    }
    return removed;
  },
});

type RangeKind = "rank" | "score" | "lex";

/** ZREMRANGEBYRANK/SCORE/LEX (zremrangeGenericCommand): parse, then look up, then remove. */
function zremrange(ctx: ExecContext, argv: string[], kind: RangeKind): Reply {
  const key = argv[1];
  let rank: [number, number] | null = null;
  let score: ScoreRange | null = null;
  let lex: LexRange | null = null;
  if (kind === "rank") rank = [parseIntegerArg(argv[2]), parseIntegerArg(argv[3])];
  else if (kind === "score") score = parseScoreRange(argv[2], argv[3]);
  else lex = parseLexRange(argv[2], argv[3]);
  const z = getZset(ctx, key);
  if (!z) return 0;
  const span = rank ? rankSpan(rank[0], rank[1], z.size) : score ? z.scoreSpan(score) : z.lexSpan(lex as LexRange);
  const removed = span.to >= span.from ? z.removeRange(span) : 0;
  if (removed > 0) {
    ctx.db.keyWritten(key, z);
    ctx.db.notify(NOTIFY_ZSET, `zremrangeby${kind}`, key);
  }
  return removed;
}

defineCommand({
  name: "zremrangebyrank",
  arity: 4,
  ...writesOneKey(),
  group: "sortedset",
  run: (ctx, argv) => zremrange(ctx, argv, "rank"),
});

defineCommand({
  name: "zremrangebyscore",
  arity: 4,
  ...writesOneKey(),
  group: "sortedset",
  run: (ctx, argv) => zremrange(ctx, argv, "score"),
});

defineCommand({
  name: "zremrangebylex",
  arity: 4,
  ...writesOneKey(),
  group: "sortedset",
  run: (ctx, argv) => zremrange(ctx, argv, "lex"),
});

// --- reading single members ---------------------------------------------------------------------

defineCommand({
  name: "zcard",
  arity: 2,
  ...readsOneKey("fast"),
  group: "sortedset",
  run: (ctx, argv) => getZset(ctx, argv[1])?.size ?? 0,
});

defineCommand({
  name: "zscore",
  arity: 3,
  ...readsOneKey("fast"),
  group: "sortedset",
  run(ctx, argv) {
    const s = getZset(ctx, argv[1])?.score(argv[2]);
    return s === undefined ? null : double(s);
  },
});

defineCommand({
  name: "zmscore",
  arity: -3,
  ...readsOneKey("fast"),
  group: "sortedset",
  run(ctx, argv) {
    // A missing key is an empty set: all nils.
    const z = getZset(ctx, argv[1]);
    return argv.slice(2).map((m) => {
      const s = z?.score(m);
      return s === undefined ? null : double(s);
    });
  },
});

defineCommand({
  name: "zrank",
  arity: 3,
  ...readsOneKey("fast"),
  group: "sortedset",
  run: (ctx, argv) => getZset(ctx, argv[1])?.rank(argv[2], false) ?? null,
});

defineCommand({
  name: "zrevrank",
  arity: 3,
  ...readsOneKey("fast"),
  group: "sortedset",
  run: (ctx, argv) => getZset(ctx, argv[1])?.rank(argv[2], true) ?? null,
});

// --- counting ranges --------------------------------------------------------------------------------

defineCommand({
  name: "zcount",
  arity: 4,
  ...readsOneKey("fast"),
  group: "sortedset",
  run(ctx, argv) {
    const range = parseScoreRange(argv[2], argv[3]);
    const z = getZset(ctx, argv[1]);
    if (!z) return 0;
    const span = z.scoreSpan(range);
    return Math.max(0, span.to - span.from + 1);
  },
});

defineCommand({
  name: "zlexcount",
  arity: 4,
  ...readsOneKey("fast"),
  group: "sortedset",
  run(ctx, argv) {
    const range = parseLexRange(argv[2], argv[3]);
    const z = getZset(ctx, argv[1]);
    if (!z) return 0;
    const span = z.lexSpan(range);
    return Math.max(0, span.to - span.from + 1);
  },
});

// --- ZRANGE and friends ---------------------------------------------------------------------------

type Direction = "auto" | "forward" | "reverse";
type RangeType = "auto" | RangeKind;

/**
 * zrangeGenericCommand: `<src> <min> <max> [BYSCORE|BYLEX] [REV] [WITHSCORES]
 * [LIMIT offset count]` from argv[srcIndex]. The older commands pass a fixed range type
 * and direction, which then cannot be given again as options. With `store`, the result is
 * written to argv[1] (ZRANGESTORE) instead of replied.
 */
function zrange(ctx: ExecContext, argv: string[], srcIndex: number, store: boolean, type: RangeType, dir: Direction): Reply {
  let withscores = false;
  let offset = 0;
  let limit = -1;
  for (let j = srcIndex + 3; j < argv.length; j++) {
    const left = argv.length - j - 1;
    const a = argv[j];
    if (!store && isOption(a, "withscores")) {
      withscores = true;
    } else if (isOption(a, "limit") && left >= 2) {
      offset = parseIntegerArg(argv[j + 1]);
      limit = parseIntegerArg(argv[j + 2]);
      j += 2;
    } else if (dir === "auto" && isOption(a, "rev")) {
      dir = "reverse";
    } else if (type === "auto" && isOption(a, "bylex")) {
      type = "lex";
    } else if (type === "auto" && isOption(a, "byscore")) {
      type = "score";
    } else {
      throw new CommandError(ERR_SYNTAX);
    }
  }
  const reverse = dir === "reverse";
  const kind: RangeKind = type === "auto" ? "rank" : type;
  if (limit !== -1 && kind === "rank") throw new CommandError(ERR_LIMIT_RANK);
  if (withscores && kind === "lex") throw new CommandError(ERR_WITHSCORES_LEX);
  // BYSCORE and BYLEX ranges are given as max min when reversed.
  let minArg = argv[srcIndex + 1];
  let maxArg = argv[srcIndex + 2];
  if (reverse && kind !== "rank") [minArg, maxArg] = [maxArg, minArg];
  let rank: [number, number] | null = null;
  let score: ScoreRange | null = null;
  let lex: LexRange | null = null;
  if (kind === "rank") rank = [parseIntegerArg(minArg), parseIntegerArg(maxArg)];
  else if (kind === "score") score = parseScoreRange(minArg, maxArg);
  else lex = parseLexRange(minArg, maxArg);

  const z = getZset(ctx, argv[srcIndex]);
  let members: string[] = [];
  let scores: number[] = [];
  if (z) {
    let span: RankSpan;
    if (rank) {
      span = rankSpan(rank[0], rank[1], z.size);
      // Reversed, the indexes count from the highest score: turn them into ascending ranks.
      if (reverse && span.to >= span.from) span = { from: z.size - 1 - span.to, to: z.size - 1 - span.from };
    } else {
      span = limitSpan(score ? z.scoreSpan(score) : z.lexSpan(lex as LexRange), reverse, offset, limit);
    }
    if (!store) ctx.replyBudget.elements(Math.max(0, span.to - span.from + 1) * (withscores ? 2 : 1));
    ({ members, scores } = z.entries(span, reverse));
  }
  if (store) {
    return storeOrDelete(ctx.db, argv[1], members.length, () => {
      if (reverse) {
        members.reverse();
        scores.reverse();
      }
      // By rank the length is known up front and sizes the new set (zsetTypeCreate's hint).
      const sizeHint = kind === "rank" ? members.length : 0;
      return SortedSet.fromRangeStore(members, scores, reverse, sizeHint, ctx.db.settings);
    }, NOTIFY_ZSET, "zrangestore");
  }
  return withscores ? withScores(members, scores) : members;
}

defineCommand({
  name: "zrange",
  arity: -4,
  ...readsOneKey(),
  group: "sortedset",
  run: (ctx, argv) => zrange(ctx, argv, 1, false, "auto", "auto"),
});

defineCommand({
  name: "zrevrange",
  arity: -4,
  ...readsOneKey(),
  group: "sortedset",
  run: (ctx, argv) => zrange(ctx, argv, 1, false, "rank", "reverse"),
});

defineCommand({
  name: "zrangebyscore",
  arity: -4,
  ...readsOneKey(),
  group: "sortedset",
  run: (ctx, argv) => zrange(ctx, argv, 1, false, "score", "forward"),
});

defineCommand({
  name: "zrevrangebyscore",
  arity: -4,
  ...readsOneKey(),
  group: "sortedset",
  run: (ctx, argv) => zrange(ctx, argv, 1, false, "score", "reverse"),
});

defineCommand({
  name: "zrangebylex",
  arity: -4,
  ...readsOneKey(),
  group: "sortedset",
  run: (ctx, argv) => zrange(ctx, argv, 1, false, "lex", "forward"),
});

defineCommand({
  name: "zrevrangebylex",
  arity: -4,
  ...readsOneKey(),
  group: "sortedset",
  run: (ctx, argv) => zrange(ctx, argv, 1, false, "lex", "reverse"),
});

defineCommand({
  name: "zrangestore",
  arity: -5,
  flags: ["write", "denyoom"],
  group: "sortedset",
  keys: { first: 1, last: 2, step: 1 },
  routing: "shard",
  run: (ctx, argv) => zrange(ctx, argv, 2, true, "auto", "auto"),
});

// --- popping -------------------------------------------------------------------------------------------

/** Pops from `key`'s set (see SortedSet.pop), deleting the key when it empties. */
function popEnds(ctx: ExecContext, key: string, z: SortedSet, count: number, max: boolean): { members: string[]; scores: number[] } {
  // Charged before anything is popped (member and score each): a refused reply loses nothing.
  ctx.replyBudget.elements(2 * Math.min(count, z.size));
  const got = z.pop(count, max);
  if (got.members.length > 0) {
    ctx.db.keyWritten(key, z);
    ctx.db.notify(NOTIFY_ZSET, max ? "zpopmax" : "zpopmin", key);
  }
  return got;
}

/** ZPOPMIN and ZPOPMAX: without a count one member (a flat pair), with one up to `count`. */
function zpop(ctx: ExecContext, argv: string[], max: boolean): Reply {
  if (argv.length > 3) throw new CommandError(ERR_SYNTAX);
  const count = argv.length === 3 ? nonNegativeOrReply(argv[2]) : -1;
  const z = getZset(ctx, argv[1]);
  if (!z || count === 0) return [];
  const { members, scores } = popEnds(ctx, argv[1], z, count === -1 ? 1 : count, max);
  // Without a count the reply is flat in RESP3 too; with one, it nests pairs there.
  if (count === -1) return [members[0], double(scores[0])];
  return withScores(members, scores);
}

defineCommand({
  name: "zpopmin",
  arity: -2,
  ...writesOneKey("fast"),
  group: "sortedset",
  run: (ctx, argv) => zpop(ctx, argv, false),
});

defineCommand({
  name: "zpopmax",
  arity: -2,
  ...writesOneKey("fast"),
  group: "sortedset",
  run: (ctx, argv) => zpop(ctx, argv, true),
});

/** ZMPOP's and BZMPOP's arguments from numkeys (at `first`): the keys, MIN|MAX, COUNT. */
function zmpopArgs(argv: string[], first: number): { keys: string[]; max: boolean; count: number } {
  const { keys, where, count } = parseMpopArgs(argv, first, ["min", "max"]);
  return { keys, max: where === "max", count };
}

/**
 * Pops up to `count` from the first of `keys` that exists (a wrong type there, and only
 * there, fails), logged as ZPOPMIN/ZPOPMAX key n; undefined when none exists.
 */
function mpop(ctx: ExecContext, keys: string[], max: boolean, count: number): Reply | undefined {
  for (const key of keys) {
    const z = getZset(ctx, key);
    if (!z) continue;
    const n = Math.min(count, z.size);
    const { members, scores } = popEnds(ctx, key, z, n, max);
    ctx.propagate([max ? "ZPOPMAX" : "ZPOPMIN", key, String(n)]);
    const nested: Reply[] = members.map((m, i) => [m, double(scores[i])]);
    return [key, nested];
  }
  return undefined;
}

defineCommand({
  name: "zmpop",
  arity: -4,
  flags: ["write"],
  group: "sortedset",
  getKeys: (argv) => numkeysKeys(argv, 1),
  routing: "shard",
  run(ctx, argv) {
    const { keys, max, count } = zmpopArgs(argv, 1);
    return mpop(ctx, keys, max, count) ?? NULL_ARRAY;
  },
});

// --- blocking pops: as their non-blocking forms, or they wait (see lists.ts) ------------------------

/** BZPOPMIN and BZPOPMAX: pop from the first key holding a sorted set, or wait. */
function bzpop(ctx: ExecContext, argv: string[], max: boolean): Reply {
  const timeoutMs = timeoutOrReply(argv[argv.length - 1]);
  const keys = argv.slice(1, -1);
  for (const key of keys) {
    const z = getZset(ctx, key);
    if (!z) continue;
    const { members, scores } = popEnds(ctx, key, z, 1, max);
    ctx.propagate([max ? "ZPOPMAX" : "ZPOPMIN", key]);
    return [key, members[0], double(scores[0])];
  }
  return blockOrReply(ctx, keys, timeoutMs, NULL_ARRAY);
}

/** BZPOPMIN and BZPOPMAX: keys, then the timeout. */
const BZPOP = {
  arity: -3,
  flags: ["write", "noscript", "blocking", "fast"],
  group: "sortedset",
  keys: { first: 1, last: -2, step: 1 },
  routing: "shard",
} as const;

defineCommand({
  name: "bzpopmin",
  ...BZPOP,
  run: (ctx, argv) => bzpop(ctx, argv, false),
});

defineCommand({
  name: "bzpopmax",
  ...BZPOP,
  run: (ctx, argv) => bzpop(ctx, argv, true),
});

defineCommand({
  name: "bzmpop",
  arity: -5,
  flags: ["write", "blocking"],
  group: "sortedset",
  getKeys: (argv) => numkeysKeys(argv, 2),
  routing: "shard",
  run(ctx, argv) {
    const timeoutMs = timeoutOrReply(argv[1]);
    const { keys, max, count } = zmpopArgs(argv, 2);
    const reply = mpop(ctx, keys, max, count);
    return reply ?? blockOrReply(ctx, keys, timeoutMs, NULL_ARRAY);
  },
});

// --- ZRANDMEMBER ---------------------------------------------------------------------------------------

defineCommand({
  name: "zrandmember",
  arity: -2,
  ...readsOneKey(),
  group: "sortedset",
  run(ctx, argv) {
    if (argv.length < 3) {
      const z = getZset(ctx, argv[1]);
      return z ? z.randomMember() : null;
    }
    // zrandmemberCommand: the count within [-LONG_MAX, LONG_MAX], then the options.
    const l = randomCountOrReply(argv[2]);
    if (argv.length > 4 || (argv.length === 4 && !isOption(argv[3], "withscores"))) throw new CommandError(ERR_SYNTAX);
    const scored = argv.length === 4;
    if (scored) pairedCountOrReply(l);
    const z = getZset(ctx, argv[1]);
    if (!z || l === 0n) return [];
    const reply = (members: string[]): Reply => (scored ? withScores(members, members.map((m) => z.score(m) as number)) : members);
    const picks = l < 0n || l === 1n ? repeatsOrReply(l < 0n ? -l : 1n) : Math.min(Number(l), z.size);
    // Repeats make the reply as long as asked, whatever the set holds: refused before it is built.
    ctx.replyBudget.elements(scored ? 2 * picks : picks);
    if (l < 0n || l === 1n) {
      // Independent draws: repeats allowed (and a single member is just one draw).
      const out = new Array<string>(picks);
      for (let i = 0; i < out.length; i++) out[i] = z.randomMember();
      return reply(out);
    }
    const count = Number(l);
    const size = z.size;
    // The whole set, highest score first (Redis walks a zset from its tail here).
    if (count >= size) return reply(z.entries({ from: 0, to: size - 1 }, true).members);
    const picked = new Set<string>();
    if (count * ZRANDMEMBER_SUB_STRATEGY_MUL > size) {
      // Close to the size: start from everything and drop random members.
      for (const m of z.entries({ from: 0, to: size - 1 }).members) picked.add(m);
      const all = [...picked];
      while (picked.size > count) {
        const i = Math.floor(Math.random() * all.length);
        picked.delete(all[i]);
        all[i] = all[all.length - 1];
        all.pop();
      }
    } else {
      while (picked.size < count) picked.add(z.randomMember());
    }
    return reply([...picked]);
  },
});

// --- ZUNION, ZINTER, ZDIFF, their STORE forms, ZINTERCARD ----------------------------------------------

type SetOp = "union" | "inter" | "diff";
type Aggregate = "sum" | "min" | "max";

/** One input of a set operation: a sorted set, a plain set (every score 1), or nothing. */
interface Source {
  value: SortedSet | RedisSet | null;
  weight: number;
}

function sourceSize(s: Source): number {
  return s.value?.size ?? 0;
}

/** Every member of a source with its (unweighted) score. */
function sourceEntries(s: Source): { members: string[]; scores: number[] } {
  const v = s.value;
  if (v === null) return { members: [], scores: [] };
  if (v instanceof RedisSet) {
    const members = v.members();
    return { members, scores: members.map(() => 1) };
  }
  return v.entries({ from: 0, to: v.size - 1 });
}

/** The member's score in a source (1 for a plain set's member), or undefined. */
function sourceFind(s: Source, member: string): number | undefined {
  const v = s.value;
  if (v === null) return undefined;
  if (v instanceof RedisSet) return v.has(member) ? 1 : undefined;
  return v.score(member);
}

/** zunionInterAggregate: SUM turns inf + -inf (NaN) into 0. */
function aggregate(acc: number, value: number, how: Aggregate): number {
  if (how === "sum") {
    const r = acc + value;
    return Number.isNaN(r) ? 0 : r;
  }
  if (how === "min") return value < acc ? value : acc;
  return value > acc ? value : acc;
}

/** A weighted score: weight × score, with NaN (0 × inf) taken as 0. */
function weighted(score: number, weight: number): number {
  const r = score * weight;
  return Number.isNaN(r) ? 0 : r;
}

/**
 * zunionInterDiffGenericCommand. `numkeysIndex` is 1 (ZUNION, ZINTER, ZDIFF, ZINTERCARD)
 * or 2 (the STORE forms, whose destination is argv[1]). Keys are checked for type before
 * the options are parsed, as Redis does.
 */
function zsetOp(ctx: ExecContext, argv: string[], name: string, op: SetOp, numkeysIndex: number, cardinalityOnly: boolean): Reply {
  const store = numkeysIndex === 2;
  const setnum = parseIntegerArg(argv[numkeysIndex]);
  if (setnum < 1) throw new CommandError(errNoKeys(name));
  if (setnum > argv.length - (numkeysIndex + 1)) throw new CommandError(ERR_SYNTAX);
  const sources: Source[] = [];
  let j = numkeysIndex + 1;
  for (let i = 0; i < setnum; i++, j++) {
    sources.push({ value: lookupOfType(ctx.db, argv[j], SortedSet, RedisSet) ?? null, weight: 1 });
  }
  let how: Aggregate = "sum";
  let withscores = false;
  let limit = 0;
  while (j < argv.length) {
    const remaining = argv.length - j;
    if (op !== "diff" && !cardinalityOnly && remaining >= setnum + 1 && isOption(argv[j], "weights")) {
      j++;
      for (let i = 0; i < setnum; i++, j++) sources[i].weight = doubleOrReply(argv[j], ERR_WEIGHT);
    } else if (op !== "diff" && !cardinalityOnly && remaining >= 2 && isOption(argv[j], "aggregate")) {
      const a = argv[j + 1];
      if (isOption(a, "sum")) how = "sum";
      else if (isOption(a, "min")) how = "min";
      else if (isOption(a, "max")) how = "max";
      else throw new CommandError(ERR_SYNTAX);
      j += 2;
    } else if (!store && !cardinalityOnly && isOption(argv[j], "withscores")) {
      withscores = true;
      j++;
    } else if (cardinalityOnly && remaining >= 2 && isOption(argv[j], "limit")) {
      limit = nonNegativeOrReply(argv[j + 1], ERR_LIMIT_NEGATIVE);
      j += 2;
    } else {
      throw new CommandError(ERR_SYNTAX);
    }
  }
  // A key repeated a million times is visited a million times (its weight counts each time):
  // refused before it starts when the visits would take too long.
  const smallest = sources.reduce((n, src) => Math.min(n, sourceSize(src)), Infinity);
  const visits = op === "union" ? sources.reduce((n, src) => n + sourceSize(src), 0) : op === "inter" ? smallest * setnum : sourceSize(sources[0]) * setnum;
  boundWork(name, visits);
  // Smallest input first for union and intersection (a stable sort, as glibc's qsort is).
  if (op !== "diff") sources.sort((a, b) => sourceSize(a) - sourceSize(b));

  const result = new Map<string, number>();
  if (op === "inter") {
    const [first, ...rest] = sources;
    if (sourceSize(first) > 0) {
      const { members, scores } = sourceEntries(first);
      for (let k = 0; k < members.length; k++) {
        const m = members[k];
        let score = weighted(scores[k], first.weight);
        let inAll = true;
        for (const src of rest) {
          // The same key again contributes its own score (Redis does not look it up twice).
          const found = src.value === first.value ? scores[k] : sourceFind(src, m);
          if (found === undefined) {
            inAll = false;
            break;
          }
          score = aggregate(score, found * src.weight, how);
        }
        if (!inAll) continue;
        if (cardinalityOnly) {
          result.set(m, 0);
          if (limit > 0 && result.size >= limit) break;
        } else {
          result.set(m, score);
        }
      }
    }
  } else if (op === "union") {
    for (const src of sources) {
      const { members, scores } = sourceEntries(src);
      for (let k = 0; k < members.length; k++) {
        const score = weighted(scores[k], src.weight);
        const acc = result.get(members[k]);
        result.set(members[k], acc === undefined ? score : aggregate(acc, score, how));
      }
    }
  } else {
    const [first, ...rest] = sources;
    // A key repeated among the subtrahends removes everything.
    if (sourceSize(first) > 0 && !rest.some((s) => s.value === first.value)) {
      const { members, scores } = sourceEntries(first);
      for (let k = 0; k < members.length; k++) {
        if (!rest.some((s) => sourceFind(s, members[k]) !== undefined)) result.set(members[k], scores[k]);
      }
    }
  }
  if (cardinalityOnly) return result.size;

  if (!store) ctx.replyBudget.elements(result.size * (withscores ? 2 : 1));
  const order = [...result.keys()].sort((a, b) => {
    const sa = result.get(a) as number;
    const sb = result.get(b) as number;
    return sa < sb ? -1 : sa > sb ? 1 : a < b ? -1 : a > b ? 1 : 0;
  });
  const scores = order.map((m) => result.get(m) as number);
  if (store) return storeOrDelete(ctx.db, argv[1], order.length, () => SortedSet.fromSorted(order, scores, ctx.db.settings), NOTIFY_ZSET, name);
  return withscores ? withScores(order, scores) : order;
}

/** ZUNION, ZINTER, ZDIFF, ZINTERCARD: numkeys at argv[1], then the keys. */
const READS_NUMKEYS = {
  arity: -3,
  flags: ["readonly"],
  group: "sortedset",
  getKeys: (argv: string[]) => numkeysKeys(argv, 1),
  routing: "shard",
} as const;

/** ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE: the destination, then numkeys and the keys. */
const STORES_NUMKEYS = {
  arity: -4,
  flags: ["write", "denyoom"],
  group: "sortedset",
  keys: { first: 1, last: 1, step: 1 },
  getKeys: (argv: string[]) => numkeysKeys(argv, 2, 1),
  routing: "shard",
} as const;

defineCommand({
  name: "zunion",
  ...READS_NUMKEYS,
  run: (ctx, argv) => zsetOp(ctx, argv, "zunion", "union", 1, false),
});

defineCommand({
  name: "zunionstore",
  ...STORES_NUMKEYS,
  run: (ctx, argv) => zsetOp(ctx, argv, "zunionstore", "union", 2, false),
});

defineCommand({
  name: "zinter",
  ...READS_NUMKEYS,
  run: (ctx, argv) => zsetOp(ctx, argv, "zinter", "inter", 1, false),
});

defineCommand({
  name: "zinterstore",
  ...STORES_NUMKEYS,
  run: (ctx, argv) => zsetOp(ctx, argv, "zinterstore", "inter", 2, false),
});

defineCommand({
  name: "zdiff",
  ...READS_NUMKEYS,
  run: (ctx, argv) => zsetOp(ctx, argv, "zdiff", "diff", 1, false),
});

defineCommand({
  name: "zdiffstore",
  ...STORES_NUMKEYS,
  run: (ctx, argv) => zsetOp(ctx, argv, "zdiffstore", "diff", 2, false),
});

defineCommand({
  name: "zintercard",
  ...READS_NUMKEYS,
  run: (ctx, argv) => zsetOp(ctx, argv, "zintercard", "inter", 1, true),
});

// --- ZSCAN ---------------------------------------------------------------------------------------------------

defineCommand({
  name: "zscan",
  arity: -3,
  ...readsOneKey(),
  group: "sortedset",
  run(ctx, argv) {
    const cursor = parseScanCursor(argv[2]);
    const z = getZset(ctx, argv[1]);
    if (!z) return ["0", []];
    const { count, pattern } = parseScanOptions(argv, 3, false);
    const step = z.scan(cursor, count);
    const out: Reply[] = [];
    const matches = pattern === null ? null : boundedMatcher(pattern);
    for (let i = 0; i < step.members.length; i++) {
      if (matches !== null && !matches(step.members[i])) continue;
      // Scores as text, as Redis formats them (%.17g; inf, -inf).
      out.push(step.members[i], formatDouble(step.scores[i]));
    }
    return [String(step.cursor), out];
  },
});
