/**
 * The list type (Redis's t_list.c type API): the only code that knows how a list is held.
 * Commands in src/commands/lists.ts (and the blocking pops built on them) call these
 * methods and never touch the representation.
 *
 * Representation: a growable circular buffer (a deque). Push and pop at either end are
 * O(1) amortized, indexing (LINDEX, LSET) is O(1), and a middle insertion or removal
 * shifts only the shorter side. Redis 7.0 holds every list as a quicklist, so OBJECT
 * ENCODING always says "quicklist"; its node-size settings change memory layout only,
 * never a reply, so they are not modelled.
 *
 * Index conventions follow Redis: negative indexes count from the tail (-1 is the last
 * element), and ranges are clamped as addListRangeReply and LTRIM clamp them.
 */
import type { Collection } from "./keyspace";
import { EMPTY_ARRAY_BYTES, objectBytes, stringBytes } from "./memory";
import type { EngineSettings } from "./settings";

/** Smallest buffer capacity; always a power of two so `& mask` wraps an index. */
const MIN_CAPACITY = 8;

/** One slot of the circular buffer: a pointer in a preallocated (holey) array. */
const BUFFER_SLOT_BYTES = 8;
/** The ListValue object itself: type, buf, mask, head, len, elementBytes. */
const LIST_OBJECT_BYTES = objectBytes(6);

export type ListEnd = "head" | "tail";

export class ListValue implements Collection {
  readonly type = "list" as const;
  private buf: (string | undefined)[];
  private mask: number;
  /** Buffer slot of element 0. */
  private head = 0;
  private len = 0;
  /** Running total of the elements' string bytes, so memoryUsage is O(1). */
  private elementBytes = 0;

  constructor(elements: Iterable<string> = []) {
    this.buf = new Array<string | undefined>(MIN_CAPACITY);
    this.mask = MIN_CAPACITY - 1;
    for (const e of elements) this.pushTail(e);
  }

  encoding(_settings: EngineSettings): string {
    return "quicklist";
  }

  clone(): ListValue {
    return new ListValue(this.values());
  }

  /** Heap bytes: the object, its buffer (every slot, used or not) and the element strings. */
  memoryUsage(): number {
    return LIST_OBJECT_BYTES + EMPTY_ARRAY_BYTES + BUFFER_SLOT_BYTES * this.buf.length + this.elementBytes;
  }

  get length(): number {
    return this.len;
  }

  /** The length, under the name every Collection has. */
  get size(): number {
    return this.len;
  }

  // --- both ends (O(1) amortized) ------------------------------------------------

  push(end: ListEnd, value: string): void {
    if (end === "head") this.pushHead(value);
    else this.pushTail(value);
  }

  pushHead(value: string): void {
    if (this.len === this.buf.length) this.resize(this.buf.length * 2);
    this.head = (this.head - 1) & this.mask;
    this.buf[this.head] = value;
    this.len++;
    this.elementBytes += stringBytes(value);
  }

  pushTail(value: string): void {
    if (this.len === this.buf.length) this.resize(this.buf.length * 2);
    this.buf[(this.head + this.len) & this.mask] = value;
    this.len++;
    this.elementBytes += stringBytes(value);
  }

  /** Removes and returns the element at `end`, or undefined when the list is empty. */
  pop(end: ListEnd): string | undefined {
    return end === "head" ? this.popHead() : this.popTail();
  }

  popHead(): string | undefined {
    if (this.len === 0) return undefined;
    const v = this.buf[this.head] as string;
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) & this.mask;
    this.len--;
    this.elementBytes -= stringBytes(v);
    this.maybeShrink();
    return v;
  }

  popTail(): string | undefined {
    if (this.len === 0) return undefined;
    const slot = (this.head + this.len - 1) & this.mask;
    const v = this.buf[slot] as string;
    this.buf[slot] = undefined;
    this.len--;
    this.elementBytes -= stringBytes(v);
    this.maybeShrink();
    return v;
  }

  /**
   * Pops up to `count` elements from `end`, in the order they are popped (LPOP/RPOP with
   * a count, LMPOP): from the head that is list order, from the tail reverse order.
   */
  popMany(end: ListEnd, count: number): string[] {
    const n = Math.min(count, this.len);
    const out = new Array<string>(n);
    for (let i = 0; i < n; i++) out[i] = (end === "head" ? this.popHead() : this.popTail()) as string;
    return out;
  }

  // --- by index ----------------------------------------------------------------------

  /** The element at `index` (negative counts from the tail), or undefined if out of range. */
  get(index: number): string | undefined {
    const i = index < 0 ? this.len + index : index;
    if (i < 0 || i >= this.len) return undefined;
    return this.buf[(this.head + i) & this.mask];
  }

  /** Replaces the element at `index` (negative counts from the tail); false if out of range. */
  set(index: number, value: string): boolean {
    const i = index < 0 ? this.len + index : index;
    if (i < 0 || i >= this.len) return false;
    const slot = (this.head + i) & this.mask;
    this.elementBytes += stringBytes(value) - stringBytes(this.buf[slot] as string);
    this.buf[slot] = value;
    return true;
  }

  /**
   * Elements from `start` to `end` inclusive, with Redis's clamping (addListRangeReply):
   * negative indexes count from the tail, start below 0 becomes 0, end past the tail
   * becomes the last index, and an empty range gives []. `reverse` lists them tail first.
   */
  range(start: number, end: number, reverse = false): string[] {
    const r = this.clamp(start, end);
    if (!r) return [];
    const n = r[1] - r[0] + 1;
    const out = new Array<string>(n);
    for (let k = 0; k < n; k++) out[k] = this.at(reverse ? r[1] - k : r[0] + k);
    return out;
  }

  /** How many elements `range(start, end)` returns, without building it (reply bounds). */
  rangeLength(start: number, end: number): number {
    const r = this.clamp(start, end);
    return r ? r[1] - r[0] + 1 : 0;
  }

  /** The total length of the elements `range(start, end)` returns, without building it. */
  rangeBytes(start: number, end: number): number {
    const r = this.clamp(start, end);
    let bytes = 0;
    if (r) for (let i = r[0]; i <= r[1]; i++) bytes += this.at(i).length;
    return bytes;
  }

  /** Every element, head to tail. */
  *values(): IterableIterator<string> {
    for (let i = 0; i < this.len; i++) yield this.at(i);
  }

  // --- searching and editing in the middle (O(n), as in Redis) ----------------------

  /**
   * Inserts `value` before or after the first element equal to `pivot` (LINSERT).
   * Returns the new length, or -1 when the pivot is absent.
   */
  insert(pivot: string, value: string, after: boolean): number {
    for (let i = 0; i < this.len; i++) {
      if (this.at(i) === pivot) {
        this.insertAt(after ? i + 1 : i, value);
        return this.len;
      }
    }
    return -1;
  }

  /**
   * Removes elements equal to `value` (LREM): the first `count` from the head when
   * count > 0, the last |count| from the tail when count < 0, all when count is 0.
   * Returns how many were removed. One pass, keeping the order of what stays.
   */
  remove(value: string, count: number): number {
    const limit = Math.abs(count);
    let removed = 0;
    if (count >= 0) {
      let w = 0;
      for (let r = 0; r < this.len; r++) {
        const v = this.at(r);
        if (v === value && (limit === 0 || removed < limit)) {
          removed++;
          this.elementBytes -= stringBytes(v);
          continue;
        }
        if (w !== r) this.buf[(this.head + w) & this.mask] = v;
        w++;
      }
      this.dropTail(this.len - w);
    } else {
      let w = this.len - 1;
      for (let r = this.len - 1; r >= 0; r--) {
        const v = this.at(r);
        if (v === value && removed < limit) {
          removed++;
          this.elementBytes -= stringBytes(v);
          continue;
        }
        if (w !== r) this.buf[(this.head + w) & this.mask] = v;
        w--;
      }
      this.dropHead(w + 1);
    }
    this.maybeShrink();
    return removed;
  }

  /**
   * Keeps only the elements from `start` to `end` inclusive, clamped as LTRIM clamps
   * (an empty range empties the list). Returns how many elements were removed.
   */
  trim(start: number, end: number): number {
    const r = this.clamp(start, end);
    const before = this.len;
    if (r) {
      for (let i = 0; i < r[0]; i++) this.elementBytes -= stringBytes(this.at(i));
      for (let i = r[1] + 1; i < this.len; i++) this.elementBytes -= stringBytes(this.at(i));
    } else {
      this.elementBytes = 0;
    }
    if (!r) {
      this.dropTail(this.len);
    } else {
      this.dropTail(this.len - 1 - r[1]);
      this.dropHead(r[0]);
    }
    this.maybeShrink();
    return before - this.len;
  }

  /**
   * Indexes of elements equal to `value` (LPOS), scanning from the head or the tail.
   * The first `skip` matches are passed over (RANK - 1), at most `limit` indexes are
   * returned (Infinity for all), and at most `maxlen` elements are compared (0 = all).
   * Indexes are always counted from the head, as LINDEX would take them.
   */
  positions(value: string, fromTail: boolean, skip: number, limit: number, maxlen: number): number[] {
    const out: number[] = [];
    const scan = maxlen > 0 ? Math.min(maxlen, this.len) : this.len;
    let matches = 0;
    for (let k = 0; k < scan && out.length < limit; k++) {
      const i = fromTail ? this.len - 1 - k : k;
      if (this.at(i) === value && ++matches > skip) out.push(i);
    }
    return out;
  }

  // --- internals -----------------------------------------------------------------------

  /** Element i (0 <= i < len), without bounds checks. */
  private at(i: number): string {
    return this.buf[(this.head + i) & this.mask] as string;
  }

  /** Redis's range clamping; null for an empty range, else [first, last] within bounds. */
  private clamp(start: number, end: number): [number, number] | null {
    const len = this.len;
    if (start < 0) start = len + start;
    if (end < 0) end = len + end;
    if (start < 0) start = 0;
    if (start > end || start >= len) return null;
    if (end >= len) end = len - 1;
    return [start, end];
  }

  /** Inserts at position p (0..len), shifting the shorter side by one. */
  private insertAt(p: number, value: string): void {
    if (p <= this.len >> 1) {
      this.pushHead(value);
      // Element p-1's old slot is now p; move the first p elements one step towards the head.
      for (let i = 0; i < p; i++) this.buf[(this.head + i) & this.mask] = this.at(i + 1);
      this.buf[(this.head + p) & this.mask] = value;
    } else {
      this.pushTail(value);
      for (let i = this.len - 1; i > p; i--) this.buf[(this.head + i) & this.mask] = this.at(i - 1);
      this.buf[(this.head + p) & this.mask] = value;
    }
  }

  /**
   * Removes n elements from the tail, clearing their slots for the garbage collector.
   * (The callers account the removed elements' bytes.)
   */
  private dropTail(n: number): void {
    for (let k = 0; k < n; k++) this.buf[(this.head + this.len - 1 - k) & this.mask] = undefined;
    this.len -= n;
  }

  private dropHead(n: number): void {
    for (let k = 0; k < n; k++) this.buf[(this.head + k) & this.mask] = undefined;
    this.head = (this.head + n) & this.mask;
    this.len -= n;
  }

  /** Halves the buffer when it is at most a quarter full, so memory follows the length. */
  private maybeShrink(): void {
    let cap = this.buf.length;
    if (cap <= MIN_CAPACITY || this.len > cap >> 2) return;
    while (cap > MIN_CAPACITY && this.len <= cap >> 2) cap >>= 1;
    this.resize(cap);
  }

  private resize(capacity: number): void {
    const next = new Array<string | undefined>(capacity);
    for (let i = 0; i < this.len; i++) next[i] = this.at(i);
    this.buf = next;
    this.mask = capacity - 1;
    this.head = 0;
  }
}
