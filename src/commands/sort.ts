/**
 * SORT and SORT_RO (Redis 7.0's sort.c): sort the elements of a list, set or sorted set
 * numerically or (ALPHA) by bytes, by the elements themselves or by weights read from
 * other keys (BY pattern, `pattern->field` for a hash field), or not at all (BY with no
 * `*`, "nosort"); take a LIMIT window; reply with the elements or with values read through
 * GET patterns (`#` is the element itself); or (SORT only) STORE the result as a list.
 *
 * Behaviour copied from Redis 7.0, and why it matters:
 * - Options are read left to right before the key is looked up, so a syntax error (or a
 *   refused pattern) wins over WRONGTYPE; a BY without `*` makes the sort a no-op for good,
 *   even if a later BY has a `*`.
 * - Numeric weights are read as glibc's strtod over the C string: leading white space is
 *   skipped, "" is 0, and trailing bytes, NaN, overflow and inexact underflow (ERANGE)
 *   give "One or more scores can't be converted into double".
 * - Equal numeric weights fall back to the elements' bytes. ALPHA compares with strcoll
 *   (byte order over the C string, up to a NUL, under the C/C.UTF-8 locales Redis runs
 *   in) unless STORE is given, which compares whole binary strings; a missing BY weight
 *   sorts first. Ties keep their input order: Redis sorts with glibc's qsort, a stable
 *   merge sort. With a BY pattern and a LIMIT window Redis uses pqsort, its partial
 *   quicksort (NetBSD's Bentley–McIlroy qsort with range pruning), whose order among
 *   ties is its own, so `partialQuicksort` below makes the same moves.
 * - With no sorting (BY nosort) a list or sorted set keeps its order (DESC reverses it,
 *   LIMIT cuts it); a set keeps its iteration order, except with STORE, where it is
 *   sorted ALPHA so the stored result (and what replicas replay) is deterministic.
 * - STORE writes a list (dropping the destination's TTL), or deletes the destination
 *   when the result is empty, and replies the number of values. It is deterministic given
 *   the data, and Redis 7.0 propagates it as sent, so it is logged as sent.
 *
 * Slots: a shard holds only the keys of its slots, so BY and GET may only name keys in
 * the sorted key's slot. The rule and error texts are Redis Cluster's (from Redis 8.0,
 * redis#12728): a pattern is allowed when the keys it forms must hash to the key's slot —
 * it holds a hash tag `{…}` before any `*`, `?`, `[` or `\` (patternHashSlot) that maps
 * to that slot; `GET #` is always allowed. Redis 7.0 itself refuses every BY pattern and
 * every GET in cluster mode ("BY option of SORT denied in Cluster mode."); the issue asks
 * for patterns within the key's slot, which is what later Redis allows.
 *
 * Like Redis 7.0, SORT converts a listpack sorted set to a skiplist (zsetConvert), which
 * OBJECT ENCODING then shows (SortedSet.convertToSkiplist; not a logged change). Redis
 * iterates hash-table sets and sorted sets (when sorting them) in dict order; ours is the
 * set's insertion order and the sorted set's score order, so only ties among equal ALPHA
 * BY weights can come out in a different order than Redis's.
 */
import { NOTIFY_LIST } from "../engine/notify";
import { HashValue } from "../engine/hash";
import type { Keyspace } from "../engine/keyspace";
import { ListValue } from "../engine/list";
import { RedisSet } from "../engine/set";
import { SortedSet } from "../engine/zset";
import type { Reply } from "../protocol/reply";
import { crc16, keySlot, SLOTS } from "../util/keyslot";
import { strtod } from "../util/numbers";
import { cstr } from "../util/binary";
import { isOption, lookupOfType, parseIntegerArg, storeOrDelete } from "./args";
import type { ExecContext } from "./context";
import { boundWork } from "./work-bound";
import { CommandError, ERR_SYNTAX } from "./errors";
import { defineCommand } from "./table";

// --- errors only SORT sends -----------------------------------------------------------------

const ERR_SORT_NOT_DOUBLE = "ERR One or more scores can't be converted into double";
export const ERR_SORT_BY_SLOT =
  "ERR BY option of SORT denied in Cluster mode when keys formed by the pattern may be in different slots.";
export const ERR_SORT_GET_SLOT =
  "ERR GET option of SORT denied in Cluster mode when keys formed by the pattern may be in different slots.";

// --- options --------------------------------------------------------------------------------

interface SortOptions {
  desc: boolean;
  alpha: boolean;
  /** LIMIT's offset and count as given (count -1: no limit). */
  limitStart: number;
  limitCount: number;
  /** The BY pattern (the last one given), or null. */
  by: string | null;
  /** True once a BY without `*` was seen: nothing is sorted. */
  dontSort: boolean;
  gets: string[];
  /** The STORE destination (the last one given), or null. */
  store: string | null;
}

/**
 * The slot every key a glob-style pattern can form must hash to, or -1 when they may
 * hash anywhere (Redis's patternHashSlot): a wildcard or escape before a complete hash
 * tag means any slot; an empty tag `{}` means the whole key is hashed; no tag at all
 * means the pattern is one key.
 */
export function patternHashSlot(pattern: string): number {
  let open = -1;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "*" || c === "?" || c === "[" || c === "\\") return -1;
    if (open === -1 && c === "{") open = i;
    else if (open >= 0 && c === "}") {
      if (i === open + 1) open = -2;
      else return crc16(pattern, open + 1, i) & (SLOTS - 1);
    }
  }
  return crc16(pattern) & (SLOTS - 1);
}

/**
 * Reads the options after the key, left to right as sortCommandGeneric does: the first
 * fault ends the parse with its error. SORT_RO (`readonly`) does not know STORE.
 */
function parseSortOptions(argv: string[], readonly: boolean): SortOptions {
  const o: SortOptions = { desc: false, alpha: false, limitStart: 0, limitCount: -1, by: null, dontSort: false, gets: [], store: null };
  const slot = keySlot(argv[1]);
  for (let j = 2; j < argv.length; j++) {
    const left = argv.length - j - 1;
    const arg = argv[j];
    if (isOption(arg, "asc")) {
      o.desc = false;
    } else if (isOption(arg, "desc")) {
      o.desc = true;
    } else if (isOption(arg, "alpha")) {
      o.alpha = true;
    } else if (isOption(arg, "limit") && left >= 2) {
      o.limitStart = parseIntegerArg(argv[j + 1]);
      o.limitCount = parseIntegerArg(argv[j + 2]);
      j += 2;
    } else if (!readonly && isOption(arg, "store") && left >= 1) {
      o.store = argv[++j];
    } else if (isOption(arg, "by") && left >= 1) {
      const pattern = argv[++j];
      o.by = pattern;
      // strchr: a `*` after a NUL byte is not seen.
      if (!cstr(pattern).includes("*")) o.dontSort = true;
      else if (patternHashSlot(pattern) !== slot) throw new CommandError(ERR_SORT_BY_SLOT);
    } else if (isOption(arg, "get") && left >= 1) {
      const pattern = argv[++j];
      if (cstr(pattern) !== "#" && patternHashSlot(pattern) !== slot) throw new CommandError(ERR_SORT_GET_SLOT);
      o.gets.push(pattern);
    } else {
      throw new CommandError(ERR_SYNTAX);
    }
  }
  return o;
}

/**
 * SORT's key positions (Redis's sortGetKeys): the sorted key, then the last STORE
 * destination, skipping LIMIT's two arguments and BY's and GET's one. Unlike Redis it also
 * skips STORE's own argument, as the parse does (`parseSortOptions`): for
 * `SORT k STORE get STORE b` Redis names "get" while SORT writes "b", so routed by Redis's
 * keys, "b" would land in a shard that does not own its slot. Where the parse succeeds the
 * two differ only there.
 */
function sortGetKeys(argv: string[]): number[] {
  let store = -1;
  for (let i = 2; i < argv.length; i++) {
    if (isOption(argv[i], "limit")) i += 2;
    else if (isOption(argv[i], "get") || isOption(argv[i], "by")) i += 1;
    else if (isOption(argv[i], "store") && i + 1 < argv.length) store = ++i;
  }
  return store < 0 ? [1] : [1, store];
}

// --- patterns --------------------------------------------------------------------------------

/**
 * The value a BY or GET pattern names for `element` (lookupKeyByPattern): `#` is the
 * element; otherwise the first `*` is replaced by the element, and a `->field` after it
 * (non-empty) reads that hash field. Null when there is no `*`, the key is missing, or it
 * holds another type (a string is wanted, or a hash for `->`). The `*`, `->` and `#` are
 * found in the C string (up to a NUL), as strchr/strstr find them; the key and the field
 * use the pattern's other bytes too.
 */
function lookupByPattern(db: Keyspace, pattern: string, element: string): string | null {
  const c = cstr(pattern);
  if (c === "#") return element;
  const star = c.indexOf("*");
  if (star < 0) return null;
  const arrow = c.indexOf("->", star + 1);
  const hasField = arrow >= 0 && arrow + 2 < c.length;
  const key = pattern.slice(0, star) + element + pattern.slice(star + 1, hasField ? arrow : pattern.length);
  const v = db.get(key);
  if (v === undefined) return null;
  if (hasField) return v instanceof HashValue ? (v.get(pattern.slice(arrow + 2)) ?? null) : null;
  return typeof v === "string" ? v : null;
}

// --- numeric weights (strtod) -----------------------------------------------------------------

/**
 * A weight as SORT reads it: strtod over the C string (src/util/numbers.ts), refusing
 * (null) trailing bytes, NaN and ERANGE (overflow, or a tiny inexact result). Leading white
 * space is skipped, and an empty string is 0, but white space alone is refused.
 */
export function sortWeight(raw: string): number | null {
  const r = strtod(raw);
  return r === null || r.erange || Number.isNaN(r.value) ? null : r.value;
}

// --- the partial quicksort (pqsort) -----------------------------------------------------------

type Compare = (a: number, b: number) => number;

/**
 * Sorts `v` enough that positions `lo`..`hi` hold what a full sort would put there, in
 * order, making the moves Redis's pqsort makes (so ties come out as they do in Redis):
 * Bentley & McIlroy's quicksort ("Engineering a Sort Function", 1993) as NetBSD's qsort
 * has it — insertion sort below 7 elements, a median of three (of nine above 40) as
 * pivot, a three-way split — recursing only into the parts that overlap `lo`..`hi`.
 * (Redis 7.0's pqsort has no switch to insertion sort after a split that moved nothing;
 * later versions added one, which orders ties differently.)
 */
function partialQuicksort(v: number[], cmp: Compare, lo: number, hi: number): void {
  const swap = (i: number, j: number): void => {
    const t = v[i];
    v[i] = v[j];
    v[j] = t;
  };
  const swapRun = (i: number, j: number, n: number): void => {
    for (let k = 0; k < n; k++) swap(i + k, j + k);
  };
  const med3 = (a: number, b: number, c: number): number =>
    cmp(v[a], v[b]) < 0
      ? cmp(v[b], v[c]) < 0 ? b : cmp(v[a], v[c]) < 0 ? c : a
      : cmp(v[b], v[c]) > 0 ? b : cmp(v[a], v[c]) < 0 ? a : c;
  const insertionSort = (a: number, n: number): void => {
    for (let m = a + 1; m < a + n; m++) for (let l = m; l > a && cmp(v[l - 1], v[l]) > 0; l--) swap(l, l - 1);
  };
  /** False when a part [a, a + n) lies wholly before or after the window. */
  const overlaps = (a: number, n: number): boolean => !((lo < a && hi < a) || (lo > a + n - 1 && hi > a + n - 1));

  const sortPart = (a: number, n: number): void => {
    for (;;) {
      if (n < 7) return insertionSort(a, n);
      let pm = a + (n >> 1);
      if (n > 7) {
        let pl = a;
        let pn = a + n - 1;
        if (n > 40) {
          const d = n >> 3;
          pl = med3(pl, pl + d, pl + 2 * d);
          pm = med3(pm - d, pm, pm + d);
          pn = med3(pn - 2 * d, pn - d, pn);
        }
        pm = med3(pl, pm, pn);
      }
      swap(a, pm);
      let pa = a + 1;
      let pb = pa;
      let pc = a + n - 1;
      let pd = pc;
      for (;;) {
        let r: number;
        while (pb <= pc && (r = cmp(v[pb], v[a])) <= 0) {
          if (r === 0) swap(pa++, pb);
          pb++;
        }
        while (pb <= pc && (r = cmp(v[pc], v[a])) >= 0) {
          if (r === 0) swap(pc, pd--);
          pc--;
        }
        if (pb > pc) break;
        swap(pb++, pc--);
      }
      const end = a + n;
      let r = Math.min(pa - a, pb - pa);
      swapRun(a, pb - r, r);
      r = Math.min(pd - pc, end - pd - 1);
      swapRun(pb, end - r, r);
      if ((r = pb - pa) > 1 && overlaps(a, r)) sortPart(a, r);
      if ((r = pd - pc) <= 1) return;
      a = end - r;
      n = r;
      if (!overlaps(a, n)) return;
    }
  };
  sortPart(0, v.length);
}

// --- the command -------------------------------------------------------------------------------

/** C's strcmp/strcoll in the C locale: byte order of the strings up to their first NUL. */
function compareC(a: string, b: string): number {
  const x = cstr(a);
  const y = cstr(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** compareStringObjects: byte order of the whole binary strings (memcmp, then length). */
function compareBinary(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortGeneric(ctx: ExecContext, argv: string[], readonly: boolean): Reply {
  const o = parseSortOptions(argv, readonly);
  const value = lookupOfType(ctx.db, argv[1], ListValue, RedisSet, SortedSet);
  // Redis 7.0's SORT converts a sorted set to a skiplist (not a logged change).
  if (value instanceof SortedSet) value.convertToSkiplist();
  let { dontSort, alpha, by } = o;
  const { desc, store } = o;
  if (dontSort && value instanceof RedisSet && store !== null) {
    // A set has no order of its own: sort what is stored so replicas store the same.
    dontSort = false;
    alpha = true;
    by = null;
  }

  // LIMIT, clamped to the collection as Redis clamps it (no overflow for huge values).
  const len = value === undefined ? 0 : value instanceof ListValue ? value.length : value.size;
  let start = Math.min(Math.max(o.limitStart, 0), len);
  const count = Math.min(Math.max(o.limitCount, -1), len);
  let end = count < 0 ? len - 1 : start + count - 1;
  if (start >= len) {
    start = len - 1;
    end = len - 2;
  }
  if (end >= len) end = len - 1;
  // What it replies (or stores): each element of the window, or each GET of each. Refused
  // before anything is built; so is a sort whose comparisons and lookups would take too long.
  const gets = Math.max(1, o.gets.length);
  ctx.replyBudget.elements(Math.max(0, end - start + 1) * gets);
  const sorted = dontSort ? 0 : len * (Math.log2(len + 1) + (by !== null ? 1 : 0));
  boundWork(argv[0], sorted + Math.max(0, end - start + 1) * gets);

  // The elements: only the window when a list or sorted set is not sorted.
  let elements: string[];
  if (dontSort && (value instanceof ListValue || value instanceof SortedSet)) {
    if (end >= start) {
      const from = desc ? len - 1 - end : start;
      const to = desc ? len - 1 - start : end;
      elements = value instanceof ListValue ? value.range(from, to, desc) : value.entries({ from, to }, desc).members;
      end -= start;
      start = 0;
    } else {
      elements = [];
    }
  } else if (value instanceof ListValue) {
    elements = [...value.values()];
  } else if (value instanceof RedisSet) {
    elements = value.members();
  } else if (value instanceof SortedSet) {
    elements = value.entries({ from: 0, to: len - 1 }).members;
  } else {
    elements = [];
  }

  let order: number[] | null = null;
  if (!dontSort) {
    const n = elements.length;
    const scores = new Float64Array(n);
    const weights: (string | null)[] = by !== null && alpha ? new Array<string | null>(n).fill(null) : [];
    let badScore = false;
    for (let j = 0; j < n; j++) {
      const w = by !== null ? lookupByPattern(ctx.db, by, elements[j]) : elements[j];
      if (w === null) continue;
      if (alpha) {
        if (by !== null) weights[j] = w;
      } else {
        const score = sortWeight(w);
        if (score === null) badScore = true;
        else scores[j] = score;
      }
    }
    if (badScore) throw new CommandError(ERR_SORT_NOT_DOUBLE);
    const compareText = store !== null ? compareBinary : compareC;
    const cmp: Compare = (a, b) => {
      let c: number;
      if (!alpha) {
        c = scores[a] > scores[b] ? 1 : scores[a] < scores[b] ? -1 : compareBinary(elements[a], elements[b]);
      } else if (by !== null) {
        const wa = weights[a];
        const wb = weights[b];
        c = wa === null || wb === null ? (wa === wb ? 0 : wa === null ? -1 : 1) : compareText(wa, wb);
      } else {
        c = compareText(elements[a], elements[b]);
      }
      return desc ? -c : c;
    };
    order = Array.from({ length: n }, (_, i) => i);
    // Nothing to order when the window is empty (the weights above were still read).
    if (end < start) order = [];
    else if (by !== null && (start !== 0 || end !== n - 1)) partialQuicksort(order, cmp, start, end);
    else order.sort(cmp); // stable, as glibc's merge sort
  }

  const at = (j: number): string => elements[order === null ? j : order[j]];
  if (store === null) {
    const out: Reply[] = [];
    for (let j = start; j <= end; j++) {
      const e = at(j);
      if (o.gets.length === 0) out.push(e);
      for (const g of o.gets) out.push(lookupByPattern(ctx.db, g, e));
    }
    return out;
  }
  const values: string[] = [];
  for (let j = start; j <= end; j++) {
    const e = at(j);
    if (o.gets.length === 0) values.push(e);
    for (const g of o.gets) values.push(lookupByPattern(ctx.db, g, e) ?? "");
  }
  return storeOrDelete(ctx.db, store, values.length, () => new ListValue(values), NOTIFY_LIST, "sortstore");
}

// --- declarations ---------------------------------------------------------------------------------

// Redis's group is "generic" (@keyspace here), but SORT is not in @keyspace: its ACL
// categories are @set @sortedset @list @dangerous (+ @write/@read, @slow), so it is
// declared in the list group with the other two as extras.
defineCommand({
  name: "sort",
  arity: -2,
  flags: ["write", "denyoom"],
  group: "list",
  acl: ["set", "sortedset", "dangerous"],
  keys: { first: 1, last: 1, step: 1 },
  getKeys: sortGetKeys,
  routing: "shard",
  run: (ctx, argv) => sortGeneric(ctx, argv, false),
});

defineCommand({
  name: "sort_ro",
  arity: -2,
  flags: ["readonly"],
  group: "list",
  acl: ["set", "sortedset", "dangerous"],
  keys: { first: 1, last: 1, step: 1 },
  // Redis gives SORT_RO a key finder too (sortROGetKeys), hence movablekeys in COMMAND INFO.
  getKeys: () => [1],
  routing: "shard",
  run: (ctx, argv) => sortGeneric(ctx, argv, true),
});
