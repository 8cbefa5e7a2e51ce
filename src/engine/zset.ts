/**
 * The sorted set type (Redis 7.0's t_zset.c type API): the only code that knows how a
 * sorted set is held. Commands in src/commands/sortedsets.ts (the blocking pops BZPOPMIN,
 * BZPOPMAX and BZMPOP included) and SORT call these methods.
 *
 * Representation: a member → score table (`MemberTable` from ./set, which also gives
 * O(1) random members and stable ZSCAN cursors) plus `OrderTree`, a B+tree over
 * (score, member) whose inner nodes count the elements below each child, so rank,
 * select-by-rank and range bounds are O(log n) and walking k neighbours is O(k): ZRANGE 0 9
 * on a 1,000,000-member set touches a handful of nodes. Order is Redis's: by score, then
 * by member bytes (memcmp; binary strings hold one byte per char, so `<` on them is
 * memcmp order).
 *
 * Encoding: Redis 7.0 holds a small sorted set as a "listpack" and converts it to a
 * "skiplist" for good when it would exceed zset-max-listpack-entries members or a member
 * longer than zset-max-listpack-value bytes is added (zsetAdd); store commands build their
 * result and pick the encoding from its final size (zsetConvertToListpackIfNeeded). We
 * record that at write time, with the thresholds then in force, as Redis does.
 */
import type { Collection } from "./keyspace";
import { objectBytes } from "./memory";
import { MemberTable } from "./set";
import type { EngineSettings } from "./settings";

// --- ordering ----------------------------------------------------------------------------

/** Redis's zset order: score, then member bytes. Scores are never NaN. */
function compareEntries(s1: number, m1: string, s2: number, m2: string): number {
  if (s1 < s2) return -1;
  if (s1 > s2) return 1;
  return m1 < m2 ? -1 : m1 > m2 ? 1 : 0;
}

// --- the order-statistic B+tree ------------------------------------------------------------

/** Most entries in a leaf and children in an inner node. */
const NODE_MAX = 64;
/** A node with fewer than this is merged with or refilled from a neighbour. */
const NODE_MIN = NODE_MAX >> 2;

class Leaf {
  next: Leaf | null = null;
  prev: Leaf | null = null;
  constructor(
    public members: string[],
    public scores: number[],
  ) {}
}

class Inner {
  constructor(
    public kids: TreeNode[],
    /** Elements under each child. */
    public sizes: number[],
    /** The greatest (score, member) under each child: where a search descends. */
    public maxScores: number[],
    public maxMembers: string[],
    public total: number,
  ) {}
}

type TreeNode = Leaf | Inner;

function sizeOf(n: TreeNode): number {
  return n instanceof Leaf ? n.members.length : n.total;
}

function widthOf(n: TreeNode): number {
  return n instanceof Leaf ? n.members.length : n.kids.length;
}

function lastScore(n: TreeNode): number {
  return n instanceof Leaf ? n.scores[n.scores.length - 1] : n.maxScores[n.maxScores.length - 1];
}

function lastMember(n: TreeNode): string {
  return n instanceof Leaf ? n.members[n.members.length - 1] : n.maxMembers[n.maxMembers.length - 1];
}

/** The first position in leaf `n` whose entry is not below (score, member). */
function leafPosition(n: Leaf, score: number, member: string): number {
  let lo = 0;
  let hi = n.members.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareEntries(n.scores[mid], n.members[mid], score, member) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first child whose greatest entry is >= (score, member); kids.length if none. */
function childFor(n: Inner, score: number, member: string): number {
  let lo = 0;
  let hi = n.kids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareEntries(n.maxScores[mid], n.maxMembers[mid], score, member) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Refreshes what `parent` records about its child `i` (size and greatest entry). */
function refreshChild(parent: Inner, i: number): void {
  const c = parent.kids[i];
  parent.sizes[i] = sizeOf(c);
  parent.maxScores[i] = lastScore(c);
  parent.maxMembers[i] = lastMember(c);
}

function innerOf(kids: TreeNode[]): Inner {
  const n = new Inner(kids, [], [], [], 0);
  for (let i = 0; i < kids.length; i++) {
    refreshChild(n, i);
    n.total += n.sizes[i];
  }
  return n;
}

/**
 * A position in the tree: a leaf and an index in it. `step` moves it one entry forward or
 * backward, across leaves.
 */
interface TreeCursor {
  leaf: Leaf | null;
  index: number;
}

/** Entries (score, member) in Redis's order, with counts for rank queries. */
export class OrderTree {
  private root: TreeNode = new Leaf([], []);

  get size(): number {
    return sizeOf(this.root);
  }

  /** Builds a tree from entries already in order (O(n)). */
  static fromSorted(members: string[], scores: number[]): OrderTree {
    const t = new OrderTree();
    if (members.length === 0) return t;
    let level: TreeNode[] = [];
    let prev: Leaf | null = null;
    for (let i = 0; i < members.length; i += NODE_MAX) {
      const leaf = new Leaf(members.slice(i, i + NODE_MAX), scores.slice(i, i + NODE_MAX));
      leaf.prev = prev;
      if (prev) prev.next = leaf;
      prev = leaf;
      level.push(leaf);
    }
    while (level.length > 1) {
      const up: TreeNode[] = [];
      for (let i = 0; i < level.length; i += NODE_MAX) up.push(innerOf(level.slice(i, i + NODE_MAX)));
      level = up;
    }
    t.root = level[0];
    return t;
  }

  // --- insertion -----------------------------------------------------------------------

  /** Inserts an entry that is not in the tree yet. */
  insert(score: number, member: string): void {
    const sibling = this.insertInto(this.root, score, member);
    if (sibling) this.root = innerOf([this.root, sibling]);
  }

  /** Inserts below `n`; returns a new right sibling when `n` had to split. */
  private insertInto(n: TreeNode, score: number, member: string): TreeNode | null {
    if (n instanceof Leaf) {
      const ms = n.members;
      const ss = n.scores;
      const lo = leafPosition(n, score, member);
      ms.splice(lo, 0, member);
      ss.splice(lo, 0, score);
      if (ms.length <= NODE_MAX) return null;
      // Appending at the very end (ascending loads) keeps the old leaf full; otherwise halve.
      const cut = lo === ms.length - 1 && n.next === null ? NODE_MAX : ms.length >> 1;
      const right = new Leaf(ms.slice(cut), ss.slice(cut));
      ms.length = cut;
      ss.length = cut;
      right.next = n.next;
      right.prev = n;
      if (n.next) n.next.prev = right;
      n.next = right;
      return right;
    }
    let i = childFor(n, score, member);
    if (i === n.kids.length) i--;
    const child = n.kids[i];
    const sibling = this.insertInto(child, score, member);
    n.total++;
    if (sibling) {
      n.kids.splice(i + 1, 0, sibling);
      n.sizes.splice(i + 1, 0, 0);
      n.maxScores.splice(i + 1, 0, 0);
      n.maxMembers.splice(i + 1, 0, "");
      refreshChild(n, i + 1);
    }
    refreshChild(n, i);
    if (n.kids.length <= NODE_MAX) return null;
    const cut = n.kids.length >> 1;
    const right = innerOf(n.kids.slice(cut));
    n.kids.length = cut;
    n.sizes.length = cut;
    n.maxScores.length = cut;
    n.maxMembers.length = cut;
    n.total -= right.total;
    return right;
  }

  // --- removal --------------------------------------------------------------------------

  /** Removes the entry; false when it was not in the tree. */
  remove(score: number, member: string): boolean {
    if (!this.removeFrom(this.root, score, member)) return false;
    while (this.root instanceof Inner && this.root.kids.length === 1) this.root = this.root.kids[0];
    if (this.root instanceof Inner && this.root.total === 0) this.root = new Leaf([], []);
    return true;
  }

  private removeFrom(n: TreeNode, score: number, member: string): boolean {
    if (n instanceof Leaf) {
      const ms = n.members;
      const ss = n.scores;
      const lo = leafPosition(n, score, member);
      if (lo === ms.length || ss[lo] !== score || ms[lo] !== member) return false;
      ms.splice(lo, 1);
      ss.splice(lo, 1);
      return true;
    }
    const i = childFor(n, score, member);
    if (i === n.kids.length) return false;
    const child = n.kids[i];
    if (!this.removeFrom(child, score, member)) return false;
    n.total--;
    if (sizeOf(child) === 0) {
      this.dropChild(n, i);
    } else {
      refreshChild(n, i);
      if (widthOf(child) < NODE_MIN && n.kids.length > 1) this.rebalance(n, i);
    }
    return true;
  }

  private dropChild(n: Inner, i: number): void {
    const child = n.kids[i];
    if (child instanceof Leaf) this.unlink(child);
    n.kids.splice(i, 1);
    n.sizes.splice(i, 1);
    n.maxScores.splice(i, 1);
    n.maxMembers.splice(i, 1);
  }

  private unlink(leaf: Leaf): void {
    if (leaf.prev) leaf.prev.next = leaf.next;
    if (leaf.next) leaf.next.prev = leaf.prev;
    leaf.prev = leaf.next = null;
  }

  /** Child `i` of `n` is under-full: merge it with a neighbour, or share evenly with it. */
  private rebalance(n: Inner, i: number): void {
    const l = i + 1 < n.kids.length ? i : i - 1;
    const a = n.kids[l];
    const b = n.kids[l + 1];
    if (a instanceof Leaf && b instanceof Leaf) {
      const ms = a.members.concat(b.members);
      const ss = a.scores.concat(b.scores);
      if (ms.length <= NODE_MAX) {
        a.members = ms;
        a.scores = ss;
        this.dropChild(n, l + 1);
      } else {
        const cut = ms.length >> 1;
        a.members = ms.slice(0, cut);
        a.scores = ss.slice(0, cut);
        b.members = ms.slice(cut);
        b.scores = ss.slice(cut);
        refreshChild(n, l + 1);
      }
    } else if (a instanceof Inner && b instanceof Inner) {
      const kids = a.kids.concat(b.kids);
      if (kids.length <= NODE_MAX) {
        const merged = innerOf(kids);
        Object.assign(a, merged);
        n.kids.splice(l + 1, 1);
        n.sizes.splice(l + 1, 1);
        n.maxScores.splice(l + 1, 1);
        n.maxMembers.splice(l + 1, 1);
      } else {
        const cut = kids.length >> 1;
        Object.assign(a, innerOf(kids.slice(0, cut)));
        Object.assign(b, innerOf(kids.slice(cut)));
        refreshChild(n, l + 1);
      }
    }
    refreshChild(n, l);
  }

  // --- queries --------------------------------------------------------------------------

  /** 0-based rank of an entry in ascending order, or -1 when it is not in the tree. */
  rankOf(score: number, member: string): number {
    let n = this.root;
    let rank = 0;
    while (n instanceof Inner) {
      const i = childFor(n, score, member);
      if (i === n.kids.length) return -1;
      for (let k = 0; k < i; k++) rank += n.sizes[k];
      n = n.kids[i];
    }
    const ms = n.members;
    const ss = n.scores;
    let lo = 0;
    let hi = ms.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareEntries(ss[mid], ms[mid], score, member) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo < ms.length && ss[lo] === score && ms[lo] === member ? rank + lo : -1;
  }

  /**
   * How many entries come before a boundary: `before(score, member)` must be true for a
   * prefix of the order and false after it (a score or lex bound). O(log n).
   */
  countBefore(before: (score: number, member: string) => boolean): number {
    let n = this.root;
    let rank = 0;
    while (n instanceof Inner) {
      let lo = 0;
      let hi = n.kids.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (before(n.maxScores[mid], n.maxMembers[mid])) lo = mid + 1;
        else hi = mid;
      }
      if (lo === n.kids.length) return rank + n.total;
      for (let k = 0; k < lo; k++) rank += n.sizes[k];
      n = n.kids[lo];
    }
    let lo = 0;
    let hi = n.members.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(n.scores[mid], n.members[mid])) lo = mid + 1;
      else hi = mid;
    }
    return rank + lo;
  }

  /** A cursor at ascending rank `rank` (0 <= rank < size). */
  cursorAt(rank: number): TreeCursor {
    let n = this.root;
    while (n instanceof Inner) {
      let i = 0;
      while (rank >= n.sizes[i]) rank -= n.sizes[i++];
      n = n.kids[i];
    }
    return { leaf: n, index: rank };
  }

  /**
   * Calls `fn(member, score)` for ranks `from`..`to` (inclusive, ascending ranks, both in
   * range), ascending or, when `reverse`, from `to` down to `from`. O(log n + k).
   */
  forEachInRange(from: number, to: number, reverse: boolean, fn: (member: string, score: number) => void): void {
    if (from > to) return;
    const c = this.cursorAt(reverse ? to : from);
    let leaf = c.leaf as Leaf;
    let i = c.index;
    for (let left = to - from + 1; left > 0; left--) {
      fn(leaf.members[i], leaf.scores[i]);
      if (reverse) {
        if (--i < 0 && left > 1) {
          leaf = leaf.prev as Leaf;
          i = leaf.members.length - 1;
        }
      } else if (++i >= leaf.members.length && left > 1) {
        leaf = leaf.next as Leaf;
        i = 0;
      }
    }
  }
}

// --- ranges ------------------------------------------------------------------------------

/** A score interval as zslParseRange reads it: `(` makes an end exclusive. */
export interface ScoreRange {
  min: number;
  max: number;
  minExclusive: boolean;
  maxExclusive: boolean;
}

/** One end of a lex interval: "-" and "+" are the infinities; else `[x` or `(x`. */
export type LexBound = { kind: "-" } | { kind: "+" } | { kind: "value"; value: string; exclusive: boolean };

export interface LexRange {
  min: LexBound;
  max: LexBound;
}

/** sdscmplex: compares a member with a lex bound's value, the infinities included. */
function compareLex(member: string, b: LexBound): number {
  if (b.kind === "-") return 1;
  if (b.kind === "+") return -1;
  return member < b.value ? -1 : member > b.value ? 1 : 0;
}

/** True when the lex range can hold nothing (zslIsInLexRange's first test). */
function lexRangeEmpty(r: LexRange): boolean {
  const { min, max } = r;
  if (min.kind === "+" || max.kind === "-") return true;
  if (min.kind === "-" || max.kind === "+") return false;
  return min.value > max.value || (min.value === max.value && (min.exclusive || max.exclusive));
}

// --- the sorted set -------------------------------------------------------------------------

/** The SortedSet object (type, table, tree, listpack) and its OrderTree (root). */
const ZSET_OBJECT_BYTES = objectBytes(4) + objectBytes(1);
/**
 * Bytes per entry of the OrderTree: a member pointer and an unboxed double score in a
 * leaf, leaves being half to wholly full, plus the leaf and inner node objects shared out.
 * Calibrated on workerd (pointer compression) with scripts/calibrate-memory.mjs's method:
 * whole sorted sets of 0.55M–1M members measured 76–82 bytes per member (8-byte members)
 * against 80 accounted, for random, ascending and heavily tied scores.
 */
const TREE_ENTRY_BYTES = 20;

/** ZADD's input flags (ZADD_IN_*). */
export const ZADD_INCR = 1;
export const ZADD_NX = 2;
export const ZADD_XX = 4;
export const ZADD_GT = 8;
export const ZADD_LT = 16;

/** What zsetAdd did (ZADD_OUT_*). */
type ZAddOutcome = "added" | "updated" | "unchanged" | "skipped" | "nan";

/** Ranks `from`..`to` (inclusive, ascending); empty when from > to. */
export interface RankSpan {
  from: number;
  to: number;
}

export class SortedSet implements Collection {
  readonly type = "zset" as const;
  private table = new MemberTable(true);
  private tree = new OrderTree();
  /** True while Redis would hold this set as a listpack (never true again once false). */
  private listpack: boolean;

  private constructor(listpack: boolean) {
    this.listpack = listpack;
  }

  /** Holds the set as a skiplist from now on (SORT does this to a sorted set in Redis 7.0). */
  convertToSkiplist(): void {
    this.listpack = false;
  }

  /**
   * A new empty sorted set for ZADD/ZINCRBY, whose first member is `first`: a skiplist
   * when zset-max-listpack-entries is 0 or `first` is longer than zset-max-listpack-value,
   * else a listpack (zaddGenericCommand).
   */
  static forFirstMember(first: string, settings: EngineSettings): SortedSet {
    return new SortedSet(settings.zsetMaxListpackEntries !== 0 && first.length <= settings.zsetMaxListpackValue);
  }

  /**
   * A stored result (ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE, ZRANGESTORE) from entries in
   * order: a listpack when it has at most zset-max-listpack-entries members and none longer
   * than zset-max-listpack-value (zsetConvertToListpackIfNeeded; ZRANGESTORE's adds to a
   * new listpack convert at exactly the same point).
   */
  static fromSorted(members: string[], scores: number[], settings: EngineSettings): SortedSet {
    let longest = 0;
    for (const m of members) if (m.length > longest) longest = m.length;
    const z = new SortedSet(members.length <= settings.zsetMaxListpackEntries && longest <= settings.zsetMaxListpackValue);
    if (z.listpack) scores = scores.map((s) => z.stored(s));
    for (let i = 0; i < members.length; i++) z.table.add(members[i], scores[i]);
    z.tree = OrderTree.fromSorted(members, scores);
    return z;
  }

  /**
   * ZRANGESTORE's result (zrangeResultBeginStore/EmitForStore, 7.0.15): Redis creates the
   * destination with `sizeHint` (the range's length when known, i.e. by rank; else 0): a
   * skiplist when the hint passes zset-max-listpack-entries, else a listpack, which then
   * converts at the first member past the thresholds as the range is added in the order
   * it is walked (descending when `descending`). The final encoding is `fromSorted`'s; the
   * difference is which -0 scores went through the listpack and came out 0.
   * `members`/`scores` are in ascending order.
   */
  static fromRangeStore(members: string[], scores: number[], descending: boolean, sizeHint: number, settings: EngineSettings): SortedSet {
    const n = members.length;
    let converted = sizeHint > settings.zsetMaxListpackEntries ? 0 : n;
    for (let e = 0; e < converted; e++) {
      const m = members[descending ? n - 1 - e : e];
      if (e + 1 > settings.zsetMaxListpackEntries || m.length > settings.zsetMaxListpackValue) {
        converted = e;
        break;
      }
    }
    const z = SortedSet.fromSorted(members, scores, settings);
    if (!z.listpack) {
      // Normalise what the listpack held before converting: emission indexes below `converted`.
      for (let e = 0; e < converted; e++) {
        const i = descending ? n - 1 - e : e;
        if (scores[i] === 0 && Object.is(scores[i], -0)) {
          z.tree.remove(-0, members[i]);
          z.tree.insert(0, members[i]);
          z.table.setValue(members[i], 0);
        }
      }
    }
    return z;
  }

  encoding(_settings: EngineSettings): string {
    return this.listpack ? "listpack" : "skiplist";
  }

  /** Heap bytes (O(1)): this object, the member → score table and the order tree. */
  memoryUsage(): number {
    return ZSET_OBJECT_BYTES + this.table.memoryUsage() + TREE_ENTRY_BYTES * this.table.size;
  }

  clone(): SortedSet {
    const copy = new SortedSet(this.listpack);
    copy.table = this.table.clone();
    const members: string[] = [];
    const scores: number[] = [];
    this.forEachInRange({ from: 0, to: this.size - 1 }, false, (m, s) => {
      members.push(m);
      scores.push(s);
    });
    copy.tree = OrderTree.fromSorted(members, scores);
    return copy;
  }

  get size(): number {
    return this.table.size;
  }

  /** True while listpack-encoded: ZSCAN then returns everything at once, in order. */
  get isListpack(): boolean {
    return this.listpack;
  }

  score(member: string): number | undefined {
    return this.table.value(member);
  }

  // --- writing -------------------------------------------------------------------------

  /**
   * Adds or updates one member as zsetAdd does, with ZADD's flags: NX never updates, XX
   * never adds, GT/LT update only to a greater/smaller score, INCR adds `score` to the
   * current one. Returns what happened and the member's score afterwards; "nan" (nothing
   * changed) when INCR would give NaN (inf + -inf). A new member converts a listpack to a
   * skiplist when it would exceed the thresholds.
   */
  add(score: number, member: string, flags: number, settings: EngineSettings): { outcome: ZAddOutcome; score: number } {
    const current = this.table.value(member);
    if (current !== undefined) {
      if (flags & ZADD_NX) return { outcome: "skipped", score: current };
      if (flags & ZADD_INCR) {
        score += current;
        if (Number.isNaN(score)) return { outcome: "nan", score: current };
      }
      if ((flags & ZADD_LT && score >= current) || (flags & ZADD_GT && score <= current)) {
        return { outcome: "skipped", score: current };
      }
      // Equal scores (0 and -0 included) leave the entry as it is, as zsetAdd does.
      if (score === current) return { outcome: "unchanged", score };
      const stored = this.stored(score);
      this.tree.remove(current, member);
      this.tree.insert(stored, member);
      this.table.setValue(member, stored);
      return { outcome: "updated", score };
    }
    if (flags & ZADD_XX) return { outcome: "skipped", score };
    if (this.listpack && (this.size + 1 > settings.zsetMaxListpackEntries || member.length > settings.zsetMaxListpackValue)) {
      this.listpack = false;
    }
    const stored = this.stored(score);
    this.table.add(member, stored);
    this.tree.insert(stored, member);
    // The reply shows the score computed, before a listpack turns -0 into 0 (as Redis).
    return { outcome: "added", score };
  }

  /**
   * The score as the encoding holds it: a listpack writes scores as text with d2string,
   * which prints an integral double as an integer, so -0 comes back as 0; a skiplist keeps
   * the double itself.
   */
  private stored(score: number): number {
    return this.listpack && score === 0 ? 0 : score;
  }

  /** Removes `member` (zsetDel); true when it was there. */
  remove(member: string): boolean {
    const score = this.table.value(member);
    if (score === undefined) return false;
    this.table.delete(member);
    this.tree.remove(score, member);
    return true;
  }

  /**
   * Removes and returns up to `count` members from the low end (or, `max`, the high end),
   * in pop order: ZPOPMIN/ZPOPMAX, ZMPOP and the blocking pops (genericZpopCommand).
   */
  pop(count: number, max: boolean): { members: string[]; scores: number[] } {
    const n = Math.min(count, this.size);
    const span = max ? { from: this.size - n, to: this.size - 1 } : { from: 0, to: n - 1 };
    const got = this.entries(span, max);
    this.removeRange(span);
    return got;
  }

  /** Removes the members at ascending ranks in `span`; returns how many. */
  removeRange(span: RankSpan): number {
    const doomed: string[] = [];
    this.forEachInRange(span, false, (m) => doomed.push(m));
    for (const m of doomed) this.remove(m);
    return doomed.length;
  }

  // --- ranks and ranges ------------------------------------------------------------------

  /** 0-based rank of `member` in ascending (or, `reverse`, descending) order. */
  rank(member: string, reverse: boolean): number | undefined {
    const score = this.table.value(member);
    if (score === undefined) return undefined;
    const r = this.tree.rankOf(score, member);
    return reverse ? this.size - 1 - r : r;
  }

  /** The ascending ranks whose scores are in `range` (zslFirstInRange … zslLastInRange). */
  scoreSpan(range: ScoreRange): RankSpan {
    const { min, max, minExclusive, maxExclusive } = range;
    if (min > max || (min === max && (minExclusive || maxExclusive))) return { from: 0, to: -1 };
    const from = this.tree.countBefore(minExclusive ? (s) => s <= min : (s) => s < min);
    const end = this.tree.countBefore(maxExclusive ? (s) => s < max : (s) => s <= max);
    return { from, to: end - 1 };
  }

  /**
   * The ascending ranks whose members are in the lex `range`. Meaningful, as in Redis,
   * when all scores are equal (the members are then in byte order).
   */
  lexSpan(range: LexRange): RankSpan {
    if (lexRangeEmpty(range)) return { from: 0, to: -1 };
    const { min, max } = range;
    const minEx = min.kind === "value" && min.exclusive;
    const maxEx = max.kind === "value" && max.exclusive;
    const from = this.tree.countBefore((_s, m) => (minEx ? compareLex(m, min) <= 0 : compareLex(m, min) < 0));
    const end = this.tree.countBefore((_s, m) => (maxEx ? compareLex(m, max) < 0 : compareLex(m, max) <= 0));
    return { from, to: end - 1 };
  }

  /**
   * Calls `fn(member, score)` for the ascending ranks in `span` (clamped to the set),
   * ascending or, when `reverse`, descending.
   */
  forEachInRange(span: RankSpan, reverse: boolean, fn: (member: string, score: number) => void): void {
    const from = Math.max(0, span.from);
    const to = Math.min(this.size - 1, span.to);
    this.tree.forEachInRange(from, to, reverse, fn);
  }

  /** Members and scores of the ascending ranks in `span`, in the direction asked. */
  entries(span: RankSpan, reverse = false): { members: string[]; scores: number[] } {
    const members: string[] = [];
    const scores: number[] = [];
    this.forEachInRange(span, reverse, (m, s) => {
      members.push(m);
      scores.push(s);
    });
    return { members, scores };
  }

  // --- random members and ZSCAN -------------------------------------------------------------

  /** A uniformly random member (the set must not be empty). */
  randomMember(): string {
    return this.table.randomMember();
  }

  /**
   * One ZSCAN step: members and scores. A listpack is returned whole, in order, with
   * cursor 0 whatever the cursor (as scanGenericCommand does for listpacks).
   */
  scan(cursor: number, count: number): { cursor: number; members: string[]; scores: number[] } {
    if (this.listpack) return { cursor: 0, ...this.entries({ from: 0, to: this.size - 1 }) };
    const step = this.table.scan(cursor, count);
    return { cursor: step.cursor, members: step.members, scores: step.members.map((m) => this.table.value(m) as number) };
  }
}
