/**
 * The input buffer of a stream parser (RESP requests in src/protocol/resp.ts, the append
 * log in src/shard/log.ts, RDB files in src/engine/rdb/file.ts): bytes arrive in pieces
 * (`append`), the parser reads `bytes[start, end)` in place and moves `start` past what
 * it has consumed.
 *
 * Appending first reuses the space before `start` (moving the unconsumed bytes to the
 * front) and grows the storage only when they would not fit, at least doubling it, so
 * appends are amortized O(1) and a long stream parsed piece by piece needs about one
 * piece's worth of memory, not the whole stream's. Moving bytes changes their index, so
 * `streamOffset` turns an index into a position in the whole stream (for error messages
 * and for callers that map positions back to where the bytes came from).
 */
export class ByteBuffer {
  /** The storage: the unconsumed bytes are bytes[start, end). */
  bytes: Uint8Array;
  /** First unconsumed byte; the parser advances it. */
  start = 0;
  /** One past the last byte appended. */
  end = 0;
  /** Stream offset of bytes[0]: bytes dropped from the front so far. */
  private dropped = 0;

  /**
   * @param minCapacity the smallest storage ever allocated (and what `releaseIfEmpty`
   *   shrinks back to)
   * @param initialCapacity storage to allocate up front (0: none until the first append)
   */
  constructor(
    private readonly minCapacity: number,
    initialCapacity = 0,
  ) {
    this.bytes = new Uint8Array(initialCapacity);
  }

  /** Unconsumed bytes. */
  get length(): number {
    return this.end - this.start;
  }

  /** The position in the whole stream of `bytes[index]`. */
  streamOffset(index: number): number {
    return this.dropped + index;
  }

  append(data: Uint8Array): void {
    const avail = this.end - this.start;
    if (this.end + data.length > this.bytes.length) {
      if (avail + data.length <= this.bytes.length) {
        this.bytes.copyWithin(0, this.start, this.end);
      } else {
        const next = new Uint8Array(Math.max(avail + data.length, this.bytes.length * 2, this.minCapacity));
        next.set(this.bytes.subarray(this.start, this.end));
        this.bytes = next;
      }
      this.dropped += this.start;
      this.start = 0;
      this.end = avail;
    }
    this.bytes.set(data, this.end);
    this.end += data.length;
  }

  /**
   * When every byte has been consumed, starts again at the front, and gives back storage
   * bigger than `maxIdleCapacity` (one huge request must not pin its buffer for good).
   */
  releaseIfEmpty(maxIdleCapacity: number): void {
    if (this.start !== this.end) return;
    this.dropped += this.start;
    this.start = this.end = 0;
    if (this.bytes.length > maxIdleCapacity) this.bytes = new Uint8Array(this.minCapacity);
  }

  /** Drops every byte and the storage (after a fatal parse error). */
  clear(): void {
    this.dropped += this.end;
    this.start = this.end = 0;
    this.bytes = new Uint8Array(0);
  }
}
