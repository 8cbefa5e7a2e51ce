/**
 * The replication backlog and offsets, pure (no Workers APIs; unit-tested in Node). A
 * replication offset counts bytes of the effect stream in its RESP form (the bytes the log
 * holds, as Redis counts its replication stream), so `repl-backlog-size` means what it means
 * in Redis. The backlog keeps the most recent committed batches, at their offsets, up to its
 * size in bytes (always at least the newest batch), so a replica that fell behind or
 * restarted resumes with a partial resynchronisation; one whose offset it no longer covers
 * needs a full one.
 */

/** Bytes of one effect in RESP multibulk form: `*n\r\n` then `$len\r\narg\r\n` per argument. */
export function effectBytes(argv: readonly string[]): number {
  let n = 3 + String(argv.length).length;
  for (const a of argv) n += 5 + String(a.length).length + a.length;
  return n;
}

export function effectsBytes(effects: readonly (readonly string[])[]): number {
  let n = 0;
  for (const e of effects) n += effectBytes(e);
  return n;
}

/** One committed batch at its place in the stream: bytes [start, end). */
export interface BacklogEntry {
  readonly start: number;
  readonly end: number;
  readonly effects: readonly string[][];
}

/** Redis's default repl-backlog-size (1mb). */
export const DEFAULT_BACKLOG_BYTES = 1024 * 1024;

export class ReplicationBacklog {
  private entries: BacklogEntry[] = [];
  /** Index of the first live entry (entries before it are dropped lazily). */
  private head = 0;
  private held = 0;

  constructor(
    /** The stream offset the backlog starts at (nothing older is held). */
    private end: number,
    public capacity = DEFAULT_BACKLOG_BYTES,
  ) {}

  /** The offset after the last byte of the stream. */
  get offset(): number {
    return this.end;
  }

  /** The first offset the backlog can serve from (Redis's repl_backlog_first_byte_offset - 1). */
  get firstOffset(): number {
    return this.head < this.entries.length ? this.entries[this.head].start : this.end;
  }

  /** Bytes held (Redis's repl_backlog_histlen). */
  get histlen(): number {
    return this.held;
  }

  /** Appends a committed batch; returns its entry. */
  append(effects: readonly string[][]): BacklogEntry {
    const bytes = effectsBytes(effects);
    const entry: BacklogEntry = { start: this.end, end: this.end + bytes, effects };
    this.entries.push(entry);
    this.end = entry.end;
    this.held += bytes;
    this.trim();
    return entry;
  }

  /** Starts over at `offset` with nothing held (a full resynchronisation, a restart). */
  reset(offset: number): void {
    this.entries = [];
    this.head = 0;
    this.held = 0;
    this.end = offset;
  }

  /** Whether a replica at `offset` can continue from the backlog. */
  covers(offset: number): boolean {
    return offset >= this.firstOffset && offset <= this.end;
  }

  /**
   * The effects from `offset` on, batches whole, up to about `maxBytes` (at least one
   * batch), with the offset they end at; null when the backlog does not cover `offset` or
   * `offset` falls inside a batch.
   */
  since(offset: number, maxBytes = Infinity): { effects: string[][]; to: number } | null {
    if (!this.covers(offset)) return null;
    const effects: string[][] = [];
    let to = offset;
    let i = this.findEntry(offset);
    if (i < 0) return offset === this.end ? { effects, to } : null;
    for (; i < this.entries.length; i++) {
      const e = this.entries[i];
      if (effects.length > 0 && e.end - offset > maxBytes) break;
      for (const argv of e.effects) effects.push(argv as string[]);
      to = e.end;
    }
    return { effects, to };
  }

  /** The index of the entry starting at `offset`, or -1. */
  private findEntry(offset: number): number {
    let lo = this.head;
    let hi = this.entries.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const s = this.entries[mid].start;
      if (s === offset) return mid;
      if (s < offset) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  private trim(): void {
    while (this.held > this.capacity && this.entries.length - this.head > 1) {
      const e = this.entries[this.head++];
      this.held -= e.end - e.start;
    }
    // Compact once the dropped prefix is large.
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }
}
