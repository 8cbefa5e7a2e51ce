/**
 * Glob-style pattern matching on binary strings, with the semantics of Redis's
 * `stringmatchlen` (util.c) as used by KEYS, SCAN MATCH, PSUBSCRIBE and CONFIG GET:
 *
 *   *        any run of bytes           ?       exactly one byte
 *   [abc]    one of the listed bytes    [^abc]  any byte but those
 *   [a-z]    a range; a reversed range [z-a] is the same range
 *   \x       the byte x literally (also inside a class); a trailing \ is a literal \
 *
 * Redis's quirks are kept on purpose, because users see them:
 * - An unterminated class (`[abc`) is the class of everything up to the end of the
 *   pattern; `[a-]` is the range from `a` to `]` (so it is unterminated too).
 * - Range ends compare as C `char`, which is signed on the platforms Redis ships on:
 *   bytes 0x80–0xff sort *below* 0x00 (`[a-\xff]` holds `A` but not `b`).
 * - An empty string matches only the empty pattern: even `*` does not match it (KEYS and
 *   SCAN special-case the pattern `*` alone, so they still list an empty key).
 *
 * - Redis recurses once per `*` run and gives up (no match) beyond 1000 nested calls, so a
 *   pattern with more than 1000 `*` runs before its end never matches anything.
 *
 * Redis matches recursively at every `*`; every other token consumes exactly one byte, so
 * the classic iterative matcher that backtracks only to the last `*` accepts the same
 * strings, in O(pattern × string) time and constant stack (no recursion to overflow).
 * That is still a lot for a long pattern against long strings (`*a*a*a…b` over members of
 * a megabyte), so a caller may pass a `GlobBudget`: the steps taken (bytes tried, class
 * bytes walked) are counted against it, and `GlobTooCostly` is thrown once it runs out.
 * A successful match passes every `*` run but a trailing one, one recursion each, so
 * Redis's depth limit is exactly "at most 1000 non-trailing `*` runs".
 */

/** Steps one command's matching may take (shared by every match it makes). */
export class GlobBudget {
  constructor(public steps: number) {}
}

/** Thrown by `globMatch` when its budget runs out. */
export class GlobTooCostly extends Error {}

/** Class bytes walked since the last look (counted without a budget argument per call). */
let classSteps = 0;

const STAR = 0x2a; // *
const QUESTION = 0x3f; // ?
const OPEN = 0x5b; // [
const CLOSE = 0x5d; // ]
const CARET = 0x5e; // ^
const DASH = 0x2d; // -
const BACKSLASH = 0x5c; // \

/** A byte as C's signed `char`: 0x80–0xff become -128…-1 (how Redis compares range ends). */
function signed(c: number): number {
  return c >= 0x80 ? c - 0x100 : c;
}

/** ASCII-only tolower, as C's tolower in the "C" locale Redis runs its ctype in. */
function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c + 0x20 : c;
}

/**
 * Matches the single token at `p` (not `*`) against byte `c`. Returns the index after the
 * token when it matches, or -1 when it does not. A token's length never depends on `c`.
 */
function matchToken(pattern: string, p: number, c: number, nocase: boolean): number {
  const plen = pattern.length;
  const t = pattern.charCodeAt(p);
  if (t === QUESTION) return p + 1;
  if (t === OPEN) return matchClass(pattern, p + 1, c, nocase);
  let lit = t;
  let next = p + 1;
  if (t === BACKSLASH && p + 1 < plen) {
    lit = pattern.charCodeAt(p + 1);
    next = p + 2;
  }
  const ok = nocase ? lower(lit) === lower(c) : lit === c;
  return ok ? next : -1;
}

/** Matches a class whose body starts at `p` (just after `[`), as stringmatchlen does. */
function matchClass(pattern: string, p: number, c: number, nocase: boolean): number {
  const plen = pattern.length;
  const not = p < plen && pattern.charCodeAt(p) === CARET;
  if (not) p++;
  let match = false;
  for (;;) {
    classSteps++;
    if (p >= plen) break; // unterminated: the class runs to the end of the pattern
    const t = pattern.charCodeAt(p);
    if (t === BACKSLASH && plen - p >= 2) {
      p++;
      if (pattern.charCodeAt(p) === c) match = true;
    } else if (t === CLOSE) {
      p++; // past the `]`
      break;
    } else if (plen - p >= 3 && pattern.charCodeAt(p + 1) === DASH) {
      let start = signed(t);
      let end = signed(pattern.charCodeAt(p + 2));
      let x = signed(c);
      if (start > end) [start, end] = [end, start];
      if (nocase) {
        start = lower(start);
        end = lower(end);
        x = lower(x);
      }
      p += 2;
      if (x >= start && x <= end) match = true;
    } else if (nocase ? lower(t) === lower(c) : t === c) {
      match = true;
    }
    p++;
  }
  if (not) match = !match;
  return match ? p : -1;
}

/** Redis's "protection against abusive patterns": recursion deeper than this fails. */
const MAX_NESTING = 1000;

/** Index just after the token at `p` (not `*`), found the way matchClass walks a class. */
function tokenEnd(pattern: string, p: number): number {
  const plen = pattern.length;
  const t = pattern.charCodeAt(p);
  if (t === BACKSLASH) return p + 1 < plen ? p + 2 : p + 1;
  if (t !== OPEN) return p + 1;
  p++;
  if (p < plen && pattern.charCodeAt(p) === CARET) p++;
  while (p < plen) {
    const c = pattern.charCodeAt(p);
    if (c === BACKSLASH && plen - p >= 2) p += 2;
    else if (c === CLOSE) return p + 1;
    else if (plen - p >= 3 && pattern.charCodeAt(p + 1) === DASH) p += 3;
    else p++;
  }
  return p;
}

/** The number of `*` runs in `pattern` that are not at its very end. */
function innerStarRuns(pattern: string): number {
  const plen = pattern.length;
  let runs = 0;
  let p = 0;
  while (p < plen) {
    if (pattern.charCodeAt(p) === STAR) {
      while (p < plen && pattern.charCodeAt(p) === STAR) p++;
      if (p < plen) runs++;
    } else {
      p = tokenEnd(pattern, p);
    }
  }
  return runs;
}

// KEYS and SCAN match one pattern against many keys: remember the last verdict.
let lastPattern = "";
let lastTooDeep = false;

/** True when Redis's recursion limit makes `pattern` match nothing (checked cheaply). */
function tooDeep(pattern: string): boolean {
  if (pattern === lastPattern) return lastTooDeep;
  let stars = 0;
  for (let i = pattern.indexOf("*"); i >= 0 && stars <= MAX_NESTING; i = pattern.indexOf("*", i + 1)) stars++;
  lastPattern = pattern;
  lastTooDeep = stars > MAX_NESTING && innerStarRuns(pattern) > MAX_NESTING;
  return lastTooDeep;
}

/** True when binary string `s` matches glob `pattern` (Redis's stringmatchlen). */
export function globMatch(pattern: string, s: string, nocase = false, budget?: GlobBudget): boolean {
  const plen = pattern.length;
  const slen = s.length;
  // stringmatchlen's loop runs only while both remain, so "" matches only "".
  if (slen === 0) return plen === 0;
  if (tooDeep(pattern)) return false;
  let p = 0;
  let i = 0;
  let starP = -1; // pattern index just after the last `*` run seen
  let starI = 0; // string index that `*` run was last tried to end at
  classSteps = 0;
  while (i < slen) {
    if (budget !== undefined) {
      budget.steps -= 1 + classSteps;
      classSteps = 0;
      if (budget.steps < 0) throw new GlobTooCostly();
    }
    if (p < plen && pattern.charCodeAt(p) === STAR) {
      while (p < plen && pattern.charCodeAt(p) === STAR) p++;
      if (p === plen) return true; // a trailing `*` swallows the rest
      starP = p;
      starI = i;
      continue;
    }
    if (p < plen) {
      const next = matchToken(pattern, p, s.charCodeAt(i), nocase);
      if (next >= 0) {
        p = next;
        i++;
        continue;
      }
    }
    // Mismatch: let the last `*` swallow one more byte, or fail if there was none.
    if (starP < 0) return false;
    i = ++starI;
    p = starP;
  }
  while (p < plen && pattern.charCodeAt(p) === STAR) p++;
  return p === plen;
}
