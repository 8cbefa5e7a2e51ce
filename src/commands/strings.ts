/**
 * The string commands of Redis 7.0 (t_string.c): GET/SET and their variants, the counters,
 * ranges, APPEND and LCS. Each is declared once with the flags, arity and key positions
 * `COMMAND INFO` reports on redis-server 7.0, and a handler that runs in the shard.
 *
 * What is logged follows what Redis 7.0 propagates: relative TTLs become absolute
 * (SET … PXAT), GETSET becomes SET, GETDEL becomes DEL, GETEX becomes PEXPIREAT, DEL or
 * PERSIST, INCRBYFLOAT becomes SET … KEEPTTL, and SET … GET is logged without GET.
 * Handlers validate everything before they write, so an error changes nothing.
 */
import { NOTIFY_GENERIC, NOTIFY_STRING } from "../engine/notify";
import { integer, map, OK, type Reply } from "../protocol/reply";
import { addLongDouble, formatLongDouble, INT64_MAX, INT64_MIN, parseInt64 } from "../util/numbers";
import { int64OrReply, longDoubleOrReply, lookupString, parseIntegerArg, upper } from "./args";
import type { ExecContext } from "./context";
import {
  CommandError,
  errWrongArity,
  ERR_FLOAT_RESULT,
  ERR_INVALID_EXPIRE,
  ERR_NOT_INTEGER,
  ERR_OVERFLOW,
  ERR_STRING_TOO_LONG,
  ERR_SYNTAX,
} from "./errors";
import { defineCommand, readsOneKey, writesOneKey } from "./table";

// --- errors only the string commands send ---------------------------------------

const ERR_DECR_OVERFLOW = "ERR decrement would overflow";
const ERR_OFFSET_RANGE = "ERR offset is out of range";
const ERR_LCS_TYPE = "ERR The specified keys must contain string values";
const ERR_LCS_LEN_AND_IDX = "ERR If you want both the length and indexes, please just use IDX.";
const ERR_LCS_MEMORY = "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len";

// --- helpers --------------------------------------------------------------------

/** The string at `key`, undefined when missing; WRONGTYPE for another type. */
function getString(ctx: ExecContext, key: string): string | undefined {
  return lookupString(ctx.db, key);
}

/** Options of SET and GETEX, as Redis's OBJ_* flags (parseExtendedStringArgumentsOrReply). */
const NX = 1 << 0;
const XX = 1 << 1;
const EX = 1 << 2;
const PX = 1 << 3;
const KEEPTTL = 1 << 4;
const GET = 1 << 5;
const EXAT = 1 << 6;
const PXAT = 1 << 7;
const PERSIST = 1 << 8;

interface ExtendedArgs {
  flags: number;
  /** The expire argument of EX/PX/EXAT/PXAT, if any. */
  expire: string | undefined;
}

/**
 * Parses SET's options (from argv[3]) or GETEX's (from argv[2]). Options exclude each
 * other exactly as in Redis: a conflicting or unknown option, or one lacking its value,
 * is a syntax error; repeating the same option is allowed (the last value wins).
 */
function parseExtendedArgs(argv: string[], forSet: boolean): ExtendedArgs {
  let flags = 0;
  let expire: string | undefined;
  for (let j = forSet ? 3 : 2; j < argv.length; j++) {
    const opt = upper(argv[j]);
    const hasNext = j < argv.length - 1;
    const timed = (except: number) => (flags & (EX | PX | EXAT | PXAT) & ~except) === 0;
    if (opt === "NX" && forSet && !(flags & XX)) {
      flags |= NX;
    } else if (opt === "XX" && forSet && !(flags & NX)) {
      flags |= XX;
    } else if (opt === "GET" && forSet) {
      flags |= GET;
    } else if (opt === "KEEPTTL" && forSet && !(flags & PERSIST) && timed(0)) {
      flags |= KEEPTTL;
    } else if (opt === "PERSIST" && !forSet && !(flags & KEEPTTL) && timed(0)) {
      flags |= PERSIST;
    } else if ((opt === "EX" || opt === "PX" || opt === "EXAT" || opt === "PXAT") && hasNext) {
      const bit = opt === "EX" ? EX : opt === "PX" ? PX : opt === "EXAT" ? EXAT : PXAT;
      if (flags & (KEEPTTL | PERSIST) || !timed(bit)) throw new CommandError(ERR_SYNTAX);
      flags |= bit;
      expire = argv[++j];
    } else {
      throw new CommandError(ERR_SYNTAX);
    }
  }
  return { flags, expire };
}

/**
 * The absolute expiry (ms) for an EX/PX/EXAT/PXAT argument, validated as Redis's
 * getExpireMillisecondsOrReply: a positive int64, whose conversion to ms (and, for
 * EX/PX, addition of now) stays within int64; otherwise "invalid expire time in '<cmd>'".
 */
function expireAtOrReply(arg: string, flags: number, now: number, cmd: string): bigint {
  const v = int64OrReply(arg);
  const seconds = (flags & (EX | EXAT)) !== 0;
  if (v <= 0n || (seconds && v > INT64_MAX / 1000n)) throw new CommandError(ERR_INVALID_EXPIRE(cmd));
  let ms = seconds ? v * 1000n : v;
  if (flags & (EX | PX)) ms += BigInt(now);
  // Redis sees the int64 sum wrap to a negative number.
  if (ms > INT64_MAX) throw new CommandError(ERR_INVALID_EXPIRE(cmd));
  return ms;
}

/**
 * The common path of SET, SETNX, SETEX and PSETEX (Redis's setGenericCommand). Returns
 * `ok` when it set the key, `aborted` when NX/XX stopped it; with GET, the old value.
 */
function setGeneric(
  ctx: ExecContext,
  argv: string[],
  cmd: string,
  key: string,
  value: string,
  flags: number,
  expire: string | undefined,
  ok: Reply,
  aborted: Reply,
): Reply {
  const at = expire === undefined ? undefined : expireAtOrReply(expire, flags, ctx.now, cmd);
  let old: string | undefined;
  let found: boolean;
  if (flags & GET) {
    old = getString(ctx, key);
    found = old !== undefined;
  } else {
    found = ctx.db.get(key) !== undefined;
  }
  if ((flags & NX && found) || (flags & XX && !found)) return flags & GET ? (old ?? null) : aborted;

  ctx.db.set(key, value, (flags & KEEPTTL) !== 0);
  ctx.db.notify(NOTIFY_STRING, "set", key);
  if (at !== undefined) {
    // Redis 7.0 stores even an expiry already past; the key then expires (and is logged
    // as DEL) when next touched or by the expiry alarm, as Redis's lazy/active expiry do.
    ctx.db.setExpire(key, Number(at));
    ctx.db.notify(NOTIFY_GENERIC, "expire", key);
    ctx.propagate(["SET", key, value, "PXAT", at.toString()]);
  } else if (flags & GET) {
    // Logged without GET (which may be repeated), keeping the rest as sent.
    ctx.propagate(argv.filter((a, j) => j < 3 || upper(a) !== "GET"));
  }
  return flags & GET ? (old ?? null) : ok;
}

/** GETRANGE/SUBSTR's clamping, as Redis 7.0: negative indexes count from the end. */
function getRange(ctx: ExecContext, argv: string[]): Reply {
  // Compared exactly (as int64) first: near INT64_MIN two indexes can be equal as doubles.
  const start64 = int64OrReply(argv[2]);
  const end64 = int64OrReply(argv[3]);
  let start = Number(start64);
  let end = Number(end64);
  const s = getString(ctx, argv[1]);
  if (s === undefined) return "";
  const len = s.length;
  // Redis 7.0: a range of two negative indexes that is backwards is empty before clamping
  // (so -1 -5 is empty, while -100 -50 on a short string clamps to the first byte).
  if (start64 < 0n && end64 < 0n && start64 > end64) return "";
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len === 0) return "";
  ctx.replyBudget.bytes(end + 1 - start);
  return s.slice(start, end + 1);
}

/** INCR, DECR, INCRBY, DECRBY: int64 arithmetic that refuses to overflow. */
function incrDecr(ctx: ExecContext, key: string, incr: bigint): Reply {
  const cur = getString(ctx, key);
  let value = 0n;
  if (cur !== undefined) {
    const v = parseInt64(cur);
    if (v === null) throw new CommandError(ERR_NOT_INTEGER);
    value = v;
  }
  const result = value + incr;
  if (result < INT64_MIN || result > INT64_MAX) throw new CommandError(ERR_OVERFLOW);
  // The TTL stays: Redis overwrites the value in place.
  ctx.db.set(key, result.toString(), true);
  ctx.db.notify(NOTIFY_STRING, "incrby", key);
  return integer(result);
}

// --- GET / SET family -------------------------------------------------------------

defineCommand({
  name: "get",
  arity: 2,
  ...readsOneKey("fast"),
  group: "string",
  run: (ctx, argv) => getString(ctx, argv[1]) ?? null,
});

defineCommand({
  name: "set",
  arity: -3,
  ...writesOneKey("denyoom"),
  group: "string",
  run: (ctx, argv) => {
    const { flags, expire } = parseExtendedArgs(argv, true);
    return setGeneric(ctx, argv, "set", argv[1], argv[2], flags, expire, OK, null);
  },
});

defineCommand({
  name: "setnx",
  arity: 3,
  ...writesOneKey("denyoom", "fast"),
  group: "string",
  run: (ctx, argv) => setGeneric(ctx, argv, "setnx", argv[1], argv[2], NX, undefined, 1, 0),
});

defineCommand({
  name: "setex",
  arity: 4,
  ...writesOneKey("denyoom"),
  group: "string",
  run: (ctx, argv) => setGeneric(ctx, argv, "setex", argv[1], argv[3], EX, argv[2], OK, null),
});

defineCommand({
  name: "psetex",
  arity: 4,
  ...writesOneKey("denyoom"),
  group: "string",
  run: (ctx, argv) => setGeneric(ctx, argv, "psetex", argv[1], argv[3], PX, argv[2], OK, null),
});

defineCommand({
  name: "getset",
  arity: 3,
  ...writesOneKey("denyoom", "fast"),
  group: "string",
  run: (ctx, argv) => {
    const old = getString(ctx, argv[1]);
    ctx.db.set(argv[1], argv[2]);
    ctx.db.notify(NOTIFY_STRING, "set", argv[1]);
    ctx.propagate(["SET", argv[1], argv[2]]);
    return old ?? null;
  },
});

defineCommand({
  name: "getdel",
  arity: 2,
  ...writesOneKey("fast"),
  group: "string",
  run: (ctx, argv) => {
    const old = getString(ctx, argv[1]);
    if (old === undefined) return null;
    ctx.db.delete(argv[1]);
    ctx.db.notify(NOTIFY_GENERIC, "del", argv[1]);
    ctx.propagate(["DEL", argv[1]]);
    return old;
  },
});

defineCommand({
  name: "getex",
  arity: -2,
  ...writesOneKey("fast"),
  group: "string",
  run: (ctx, argv) => {
    const key = argv[1];
    const { flags, expire } = parseExtendedArgs(argv, false);
    // Redis 7.0 looks the key up before it validates the expire time.
    const value = getString(ctx, key);
    if (value === undefined) return null;
    const at = expire === undefined ? undefined : expireAtOrReply(expire, flags, ctx.now, "getex");
    if (at !== undefined && flags & (EXAT | PXAT) && at <= BigInt(ctx.now)) {
      // An absolute time already past deletes the key at once (logged as DEL).
      ctx.db.delete(key);
      ctx.db.notify(NOTIFY_GENERIC, "del", key);
      ctx.propagate(["DEL", key]);
    } else if (at !== undefined) {
      ctx.db.setExpire(key, Number(at));
      ctx.db.notify(NOTIFY_GENERIC, "expire", key);
      ctx.propagate(["PEXPIREAT", key, at.toString()]);
    } else if (flags & PERSIST) {
      if (ctx.db.persist(key)) {
        ctx.db.notify(NOTIFY_GENERIC, "persist", key);
        ctx.propagate(["PERSIST", key]);
      }
    }
    return value;
  },
});

defineCommand({
  name: "mget",
  arity: -2,
  flags: ["readonly", "fast"],
  group: "string",
  keys: { first: 1, last: -1, step: 1 },
  routing: "split-values",
  run: (ctx, argv) => {
    const out: Reply[] = [];
    for (let j = 1; j < argv.length; j++) {
      const v = ctx.db.get(argv[j]);
      // A key of another type reads as nil, not WRONGTYPE. A key named again repeats its value.
      if (typeof v === "string") ctx.replyBudget.bytes(v.length);
      out.push(typeof v === "string" ? v : null);
    }
    return out;
  },
});

/** MSET and MSETNX: pairs after the name, so an even argc is an arity error. */
function msetGeneric(ctx: ExecContext, argv: string[], name: string, nx: boolean): Reply {
  if (argv.length % 2 === 0) throw new CommandError(errWrongArity(name));
  if (nx) {
    for (let j = 1; j < argv.length; j += 2) if (ctx.db.get(argv[j]) !== undefined) return 0;
  }
  for (let j = 1; j < argv.length; j += 2) {
    ctx.db.set(argv[j], argv[j + 1]);
    ctx.db.notify(NOTIFY_STRING, "set", argv[j]);
  }
  return nx ? 1 : OK;
}

defineCommand({
  name: "mset",
  arity: -3,
  flags: ["write", "denyoom"],
  group: "string",
  keys: { first: 1, last: -1, step: 2 },
  routing: "split-ok",
  run: (ctx, argv) => msetGeneric(ctx, argv, "mset", false),
});

defineCommand({
  name: "msetnx",
  arity: -3,
  flags: ["write", "denyoom"],
  group: "string",
  keys: { first: 1, last: -1, step: 2 },
  routing: "shard",
  run: (ctx, argv) => msetGeneric(ctx, argv, "msetnx", true),
});

// --- APPEND, STRLEN, ranges -------------------------------------------------------

defineCommand({
  name: "append",
  arity: 3,
  ...writesOneKey("denyoom", "fast"),
  group: "string",
  run: (ctx, argv) => {
    const [, key, tail] = argv;
    const cur = getString(ctx, key);
    if (cur === undefined) {
      // As Redis: a new key takes the argument as is (the protocol already bounds it).
      ctx.db.set(key, tail);
      ctx.db.notify(NOTIFY_STRING, "append", key);
      return tail.length;
    }
    if (cur.length + tail.length > ctx.limits.maxValueBytes) throw new CommandError(ERR_STRING_TOO_LONG);
    const next = cur + tail;
    ctx.db.set(key, next, true);
    ctx.db.notify(NOTIFY_STRING, "append", key);
    return next.length;
  },
});

defineCommand({
  name: "strlen",
  arity: 2,
  ...readsOneKey("fast"),
  group: "string",
  run: (ctx, argv) => getString(ctx, argv[1])?.length ?? 0,
});

defineCommand({
  name: "getrange",
  arity: 4,
  ...readsOneKey(),
  group: "string",
  run: getRange,
});

defineCommand({
  name: "substr",
  arity: 4,
  ...readsOneKey(),
  group: "string",
  run: getRange,
});

defineCommand({
  name: "setrange",
  arity: 4,
  ...writesOneKey("denyoom"),
  group: "string",
  run: (ctx, argv) => {
    const [, key, , value] = argv;
    const offset = int64OrReply(argv[2]);
    if (offset < 0n) throw new CommandError(ERR_OFFSET_RANGE);
    const cur = getString(ctx, key);
    // Writing nothing changes nothing (and creates no key).
    if (value.length === 0) return cur?.length ?? 0;
    if (offset + BigInt(value.length) > BigInt(ctx.limits.maxValueBytes)) {
      throw new CommandError(ERR_STRING_TOO_LONG);
    }
    const at = Number(offset);
    const base = cur ?? "";
    const head = base.length >= at ? base.slice(0, at) : base + "\0".repeat(at - base.length);
    const next = head + value + base.slice(at + value.length);
    ctx.db.set(key, next, true);
    ctx.db.notify(NOTIFY_STRING, "setrange", key);
    return next.length;
  },
});

// --- counters ---------------------------------------------------------------------

const COUNTER = {
  arity: 2,
  ...writesOneKey("denyoom", "fast"),
  group: "string",
} as const;

defineCommand({
  ...COUNTER,
  name: "incr",
  run: (ctx, argv) => incrDecr(ctx, argv[1], 1n),
});

defineCommand({
  ...COUNTER,
  name: "decr",
  run: (ctx, argv) => incrDecr(ctx, argv[1], -1n),
});

defineCommand({
  ...COUNTER,
  name: "incrby",
  arity: 3,
  run: (ctx, argv) => incrDecr(ctx, argv[1], int64OrReply(argv[2])),
});

defineCommand({
  ...COUNTER,
  name: "decrby",
  arity: 3,
  run: (ctx, argv) => {
    const by = int64OrReply(argv[2]);
    // -INT64_MIN does not fit in int64.
    if (by === INT64_MIN) throw new CommandError(ERR_DECR_OVERFLOW);
    return incrDecr(ctx, argv[1], -by);
  },
});

defineCommand({
  ...COUNTER,
  name: "incrbyfloat",
  arity: 3,
  run: (ctx, argv) => {
    const key = argv[1];
    const cur = getString(ctx, key);
    // Both read as long doubles (x87, as Redis on x86-64), the current value first.
    const value = longDoubleOrReply(cur ?? "0");
    const incr = longDoubleOrReply(argv[2]);
    const sum = addLongDouble(value, incr);
    if (sum.kind !== "finite") throw new CommandError(ERR_FLOAT_RESULT);
    const text = formatLongDouble(sum);
    ctx.db.set(key, text, true);
    ctx.db.notify(NOTIFY_STRING, "incrbyfloat", key);
    // Logged as the resulting value, so replay never depends on float formatting.
    ctx.propagate(["SET", key, text, "KEEPTTL"]);
    return text;
  },
});

// --- LCS --------------------------------------------------------------------------

/** The most memory LCS's table of prefix lengths may take (4 bytes a cell). */
const LCS_TABLE_MAX_BYTES = 32 * 1024 * 1024;

defineCommand({
  name: "lcs",
  arity: -3,
  flags: ["readonly"],
  group: "string",
  keys: { first: 1, last: 2, step: 1 },
  routing: "shard",
  run: (ctx, argv) => {
    const va = ctx.db.get(argv[1]);
    const vb = ctx.db.get(argv[2]);
    if ((va !== undefined && typeof va !== "string") || (vb !== undefined && typeof vb !== "string")) {
      throw new CommandError(ERR_LCS_TYPE);
    }
    const a = va ?? "";
    const b = vb ?? "";
    let getLen = false;
    let getIdx = false;
    let withMatchLen = false;
    let minMatchLen = 0;
    for (let j = 3; j < argv.length; j++) {
      const opt = upper(argv[j]);
      if (opt === "IDX") getIdx = true;
      else if (opt === "LEN") getLen = true;
      else if (opt === "WITHMATCHLEN") withMatchLen = true;
      else if (opt === "MINMATCHLEN" && j < argv.length - 1) {
        minMatchLen = Math.max(0, parseIntegerArg(argv[++j]));
      } else throw new CommandError(ERR_SYNTAX);
    }
    if (getLen && getIdx) throw new CommandError(ERR_LCS_LEN_AND_IDX);

    // The table of LCS lengths of every prefix pair, 4 bytes a cell as in Redis, which
    // refuses when it would exceed proto-max-bulk-len (our maxValueBytes).
    const alen = a.length;
    const blen = b.length;
    const w = blen + 1;
    // Also bounded for the isolate's sake (128 MB), whatever proto-max-bulk-len is; a table
    // within it takes well under a second to fill.
    if ((alen + 1) * w * 4 > Math.min(ctx.limits.maxValueBytes, LCS_TABLE_MAX_BYTES)) throw new CommandError(ERR_LCS_MEMORY);
    const lcs = new Uint32Array((alen + 1) * w);
    for (let i = 1; i <= alen; i++) {
      const ca = a.charCodeAt(i - 1);
      for (let j = 1; j <= blen; j++) {
        if (ca === b.charCodeAt(j - 1)) lcs[i * w + j] = lcs[(i - 1) * w + j - 1] + 1;
        else {
          const up = lcs[(i - 1) * w + j];
          const left = lcs[i * w + j - 1];
          lcs[i * w + j] = up > left ? up : left;
        }
      }
    }
    const total = lcs[alen * w + blen];
    if (getLen) return total;

    // Walk back from the end, collecting the common string and (for IDX) the matching
    // ranges, newest first, exactly as Redis emits them.
    const chars: string[] = new Array(total);
    const matches: Reply[] = [];
    let idx = total;
    let i = alen;
    let j = blen;
    let aStart = -1;
    let aEnd = 0;
    let bStart = 0;
    let bEnd = 0;
    while (i > 0 && j > 0) {
      let emit = false;
      if (a.charCodeAt(i - 1) === b.charCodeAt(j - 1)) {
        chars[--idx] = a[i - 1];
        if (aStart === -1) {
          aStart = aEnd = i - 1;
          bStart = bEnd = j - 1;
        } else if (aStart === i && bStart === j) {
          // Still contiguous: extend the range backwards.
          aStart--;
          bStart--;
        } else {
          emit = true;
        }
        if (aStart === 0 || bStart === 0) emit = true;
        i--;
        j--;
      } else {
        if (lcs[(i - 1) * w + j] > lcs[i * w + j - 1]) i--;
        else j--;
        if (aStart !== -1) emit = true;
      }
      if (emit) {
        const matchLen = aEnd - aStart + 1;
        if (getIdx && (minMatchLen === 0 || matchLen >= minMatchLen)) {
          const m: Reply[] = [
            [aStart, aEnd],
            [bStart, bEnd],
          ];
          if (withMatchLen) m.push(matchLen);
          matches.push(m);
        }
        aStart = -1;
      }
    }
    if (getIdx) return map(["matches", matches, "len", total]);
    return chars.join("");
  },
});
