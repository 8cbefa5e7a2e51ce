/**
 * RESP2/RESP3 on bytes: the reply encoder and the streaming request decoder.
 *
 * The decoder takes bytes as they arrive (partial frames, many commands per frame) and
 * yields commands as argv arrays of binary strings. It accepts multibulk requests and
 * inline commands (as redis-cli and telnet send) and fails with Redis's exact protocol
 * error text, after which the connection must be closed (as Redis does). It follows
 * Redis 7.0's processInlineBuffer / processMultibulkBuffer (networking.c) byte for byte;
 * the comments below say where that matters.
 */
import { bytesToBinary, binaryToBytes } from "../util/binary";
import { ByteBuffer } from "../util/byte-buffer";
import { formatDouble } from "../util/numbers";
import type { Reply } from "./reply";

// --- encoding --------------------------------------------------------------------

/** Replaces CR and LF by spaces so a one-line reply cannot break the protocol (as Redis does for errors). */
function oneLine(s: string): string {
  return s.indexOf("\r") < 0 && s.indexOf("\n") < 0 ? s : s.replace(/[\r\n]/g, " ");
}

function encodeInto(r: Reply, resp: 2 | 3, parts: string[]): void {
  if (typeof r === "string") {
    parts.push("$", String(r.length), "\r\n", r, "\r\n");
  } else if (typeof r === "number" || typeof r === "bigint") {
    parts.push(":", String(r), "\r\n");
  } else if (r === null) {
    parts.push(resp === 3 ? "_\r\n" : "$-1\r\n");
  } else if (Array.isArray(r)) {
    parts.push("*", String(r.length), "\r\n");
    for (const item of r) encodeInto(item, resp, parts);
  } else {
    switch (r.kind) {
      case "simple":
        parts.push("+", oneLine(r.value), "\r\n");
        break;
      case "error":
        parts.push("-", oneLine(r.message), "\r\n");
        break;
      case "double": {
        const text = r.text ?? formatDouble(r.value);
        if (resp === 3) parts.push(",", text, "\r\n");
        else parts.push("$", String(text.length), "\r\n", text, "\r\n");
        break;
      }
      case "map":
        // RESP3 counts pairs; RESP2 flattens to an array of keys and values.
        parts.push(resp === 3 ? "%" : "*", String(resp === 3 ? r.entries.length / 2 : r.entries.length), "\r\n");
        for (const item of r.entries) encodeInto(item, resp, parts);
        break;
      case "set":
        parts.push(resp === 3 ? "~" : "*", String(r.items.length), "\r\n");
        for (const item of r.items) encodeInto(item, resp, parts);
        break;
      case "nullarray":
        parts.push(resp === 3 ? "_\r\n" : "*-1\r\n");
        break;
      case "pairs":
        // RESP3 nests each pair in a two-element array; RESP2 keeps them flat.
        if (resp === 3) {
          parts.push("*", String(r.items.length / 2), "\r\n");
          for (let i = 0; i < r.items.length; i += 2) {
            parts.push("*2\r\n");
            encodeInto(r.items[i], resp, parts);
            encodeInto(r.items[i + 1], resp, parts);
          }
        } else {
          parts.push("*", String(r.items.length), "\r\n");
          for (const item of r.items) encodeInto(item, resp, parts);
        }
        break;
      case "verbatim":
        // RESP3: =<len>\r\n<fmt>:<text>\r\n, the length counting "<fmt>:" too.
        if (resp === 3) parts.push("=", String(r.format.length + 1 + r.text.length), "\r\n", r.format, ":", r.text, "\r\n");
        else parts.push("$", String(r.text.length), "\r\n", r.text, "\r\n");
        break;
      case "bignum":
        // As Redis: the text as the script gave it, unchecked (on one line).
        if (resp === 3) parts.push("(", oneLine(r.text), "\r\n");
        else parts.push("$", String(r.text.length), "\r\n", r.text, "\r\n");
        break;
      case "boolean":
        if (resp === 3) parts.push(r.value ? "#t\r\n" : "#f\r\n");
        else parts.push(r.value ? ":1\r\n" : ":0\r\n");
        break;
      case "push":
        parts.push(resp === 3 ? ">" : "*", String(r.items.length), "\r\n");
        for (const item of r.items) encodeInto(item, resp, parts);
        break;
      case "sequence":
        for (const item of r.replies) encodeInto(item, resp, parts);
        break;
    }
  }
}

/** Encodes replies as one binary string of RESP (for concatenation before sending). */
export function encodeRepliesBinary(replies: readonly Reply[], resp: 2 | 3): string {
  const parts: string[] = [];
  for (const r of replies) encodeInto(r, resp, parts);
  return parts.join("");
}

/** Encodes one reply as RESP bytes. */
export function encodeReply(r: Reply, resp: 2 | 3 = 2): Uint8Array {
  return binaryToBytes(encodeRepliesBinary([r], resp));
}

/** Encodes a command (argv) as a RESP multibulk, as clients send and the log stores. */
export function encodeCommandBinary(argv: readonly string[]): string {
  let s = "*" + argv.length + "\r\n";
  for (const a of argv) s += "$" + a.length + "\r\n" + a + "\r\n";
  return s;
}

// --- decoding --------------------------------------------------------------------

export class ProtocolError extends Error {
  /** The error reply to send before closing, e.g. "ERR Protocol error: invalid bulk length". */
  readonly reply: string;
  /**
   * Set by `drain()`: the complete commands decoded before the bad input in that call.
   * Redis runs them before replying with the error, so the caller should too.
   */
  commands: string[][] = [];
  constructor(what: string) {
    // Redis's addReplyErrorFormat turns CR and LF into spaces ("got '\r'" is sent as "got ' '").
    const text = `Protocol error: ${oneLine(what)}`;
    super(text);
    this.name = "ProtocolError";
    this.reply = `ERR ${text}`;
  }
}

/** PROTO_INLINE_MAX_SIZE: the most bytes Redis buffers while looking for a line end. */
export const INLINE_MAX = 64 * 1024;
/** Largest multibulk count: Redis 7.0 accepts up to INT_MAX (checked: 1024*1024 + 1 is accepted). */
const MULTIBULK_MAX = 2147483647;
/** Limits while authentication is required and not yet done (Redis 7.0 authRequired). */
const UNAUTH_MULTIBULK_MAX = 10;
const UNAUTH_BULK_MAX = 16384;
/** The query buffer's size to start with (Redis's PROTO_IOBUF_LEN). */
const QUERY_BUFFER_BYTES = 16 * 1024;
/** A query buffer bigger than this is given back once it has been drained. */
const QUERY_BUFFER_KEEP_BYTES = 1024 * 1024;
const CR = 13;
const LF = 10;
const STAR = 42;
const DOLLAR = 36;

export interface DecoderOptions {
  /** Largest bulk string accepted (Redis's proto-max-bulk-len, default 512 MB). */
  maxBulkBytes?: number;
}

/**
 * Parses bytes [from, to) as Redis's string2ll does: optional '-', no leading zeros (only
 * "0" itself), no '+', no spaces, 1–20 chars, within a signed 64-bit integer. NaN if not.
 * Values past 2^53 lose precision, which is harmless: every caller rejects them anyway
 * except a negative multibulk count, which only needs the exact overflow test below.
 */
function parseInt64(buf: Uint8Array, from: number, to: number): number {
  const len = to - from;
  if (len === 0 || len >= 21) return NaN;
  let i = from;
  const negative = buf[i] === 45; /* '-' */
  if (negative) i++;
  if (i === to) return NaN;
  const first = buf[i];
  if (first === 48 /* '0' */) return len === 1 ? 0 : NaN;
  if (first < 49 || first > 57) return NaN;
  let v = 0;
  for (let j = i; j < to; j++) {
    const c = buf[j];
    if (c < 48 || c > 57) return NaN;
    v = v * 10 + (c - 48);
  }
  const ndigits = to - i;
  if (ndigits > 19) return NaN;
  if (ndigits === 19) {
    // Exact overflow test against LLONG_MAX / LLONG_MIN by comparing digit strings.
    const text = bytesToBinary(buf, i, to);
    if (text > (negative ? "9223372036854775808" : "9223372036854775807")) return NaN;
  }
  return negative ? -v : v;
}

/**
 * Streaming request decoder. `push(bytes)` adds input; `next()` returns the next complete
 * argv, or undefined when more bytes are needed; it throws ProtocolError on bad input
 * (and keeps throwing it: the connection is done). Like Redis it keeps the state of a
 * multibulk in progress (arguments read so far, the pending bulk length), so a big
 * command arriving in many pieces is parsed once, in linear time.
 */
export class RequestDecoder {
  /**
   * Set by the session while a password is required and not yet given: Redis then refuses
   * a multibulk count above 10 and a bulk length above 16384 ("unauthenticated ...").
   * It is read as each count is parsed, so set it between `next()` calls.
   */
  authRequired = false;

  /** The query buffer; its `start` is Redis's qb_pos: lines and bulks always start there. */
  private readonly input = new ByteBuffer(QUERY_BUFFER_BYTES, QUERY_BUFFER_BYTES);
  private readonly maxBulk: number;

  // The multibulk in progress (Redis's multibulklen, bulklen and argv).
  private argsLeft = 0;
  private bulkLen = -1;
  private argv: string[] = [];
  /** Bytes of the command in progress already consumed into `argv`. */
  private partial = 0;

  // Line search memo, so a line arriving byte by byte is not rescanned from its start.
  /** Bytes after `start` already searched without finding the line end. */
  private scanned = 0;
  /** A NUL byte came before the line end: Redis's strchr never looks past it. */
  private stuck = false;

  private failure: string | undefined;
  /** The value read by the last readCount. */
  private count = 0;

  constructor(opts: DecoderOptions = {}) {
    this.maxBulk = opts.maxBulkBytes ?? 512 * 1024 * 1024;
  }

  push(bytes: Uint8Array): void {
    if (this.failure !== undefined || bytes.length === 0) return;
    this.input.append(bytes);
  }

  /** Bytes received but not yet returned as part of a complete command. */
  get buffered(): number {
    return this.input.length + this.partial;
  }

  /** Bytes of storage the decoder holds (what a connection costs the isolate). */
  get capacity(): number {
    return this.input.bytes.length;
  }

  /**
   * All complete commands now available. On bad input it throws the ProtocolError with
   * `commands` set to the complete commands that came before it (run them, then reply).
   */
  drain(): string[][] {
    const out: string[][] = [];
    try {
      for (let argv = this.next(); argv; argv = this.next()) out.push(argv);
    } catch (e) {
      if (e instanceof ProtocolError) e.commands = out;
      throw e;
    }
    return out;
  }

  next(): string[] | undefined {
    if (this.failure !== undefined) throw new ProtocolError(this.failure);
    try {
      while (this.input.start < this.input.end) {
        // As Redis: a command is multibulk when its first byte is '*', inline otherwise.
        const argv = this.argsLeft > 0 || this.input.bytes[this.input.start] === STAR ? this.parseMultibulk() : this.parseInline();
        if (argv === undefined) break;
        // Empty commands (*0, *-1, blank inline lines) are skipped, as Redis does.
        if (argv.length > 0) return argv;
      }
      this.input.releaseIfEmpty(QUERY_BUFFER_KEEP_BYTES);
      return undefined;
    } catch (e) {
      if (e instanceof ProtocolError) {
        this.failure = e.message.slice("Protocol error: ".length);
        this.input.clear();
        this.partial = 0;
        this.argv = [];
      }
      throw e;
    }
  }

  private consume(to: number): void {
    if (this.argsLeft > 0) this.partial += to - this.input.start;
    this.input.start = to;
    this.scanned = 0;
    this.stuck = false;
  }

  /**
   * Finds `target` (LF for inline lines, CR for count lines) from `start`, as Redis's
   * strchr does (stopping at a NUL byte). Returns its index, or -1 to wait for more bytes.
   * Redis errors when more than INLINE_MAX bytes are buffered without a line end; we apply
   * that as if bytes arrived one at a time (the end must be within INLINE_MAX bytes of the
   * line start), so the outcome does not depend on how the stream was split.
   */
  private findLineEnd(target: number, tooBig: string): number {
    if (!this.stuck) {
      const buf = this.input.bytes;
      const limit = Math.min(this.input.end, this.input.start + INLINE_MAX + 1);
      let i = this.input.start + this.scanned;
      for (; i < limit; i++) {
        const c = buf[i];
        if (c === target) {
          this.scanned = i - this.input.start;
          return i;
        }
        if (c === 0) {
          this.stuck = true;
          break;
        }
      }
      this.scanned = i - this.input.start;
    }
    if (this.input.end - this.input.start > INLINE_MAX) throw new ProtocolError(tooBig);
    return -1;
  }

  private parseInline(): string[] | undefined {
    const lf = this.findLineEnd(LF, "too big inline request");
    if (lf < 0) return undefined;
    let lineEnd = lf;
    if (lineEnd > this.input.start && this.input.bytes[lineEnd - 1] === CR) lineEnd--;
    const line = bytesToBinary(this.input.bytes, this.input.start, lineEnd);
    this.consume(lf + 1);
    const argv = splitInline(line);
    if (argv === null) throw new ProtocolError("unbalanced quotes in request");
    return argv;
  }

  /**
   * Reads a "*<count>\r\n" or "$<len>\r\n" line at `start`. Like Redis it looks for the
   * CR, needs one more byte after it and skips that byte without checking it is LF.
   * Returns the index after the line (the value, NaN when not an integer, goes to
   * `count`), or -1 to wait for more bytes.
   */
  private readCount(tooBig: string): number {
    const cr = this.findLineEnd(CR, tooBig);
    if (cr < 0 || cr + 1 >= this.input.end) return -1;
    this.count = parseInt64(this.input.bytes, this.input.start + 1, cr);
    return cr + 2;
  }

  private parseMultibulk(): string[] | undefined {
    if (this.argsLeft === 0) {
      const next = this.readCount("too big mbulk count string");
      if (next < 0) return undefined;
      const n = this.count;
      if (Number.isNaN(n) || n > MULTIBULK_MAX) throw new ProtocolError("invalid multibulk length");
      if (n > UNAUTH_MULTIBULK_MAX && this.authRequired) throw new ProtocolError("unauthenticated multibulk length");
      const headBytes = next - this.input.start;
      this.consume(next);
      if (n <= 0) return [];
      this.argsLeft = n;
      this.partial = headBytes;
      this.argv = [];
    }
    while (this.argsLeft > 0) {
      if (this.bulkLen < 0) {
        if (this.input.start >= this.input.end) return undefined;
        const next = this.readCount("too big bulk count string");
        if (next < 0) return undefined;
        const c = this.input.bytes[this.input.start];
        if (c !== DOLLAR) throw new ProtocolError(`expected '$', got '${String.fromCharCode(c)}'`);
        const n = this.count;
        if (Number.isNaN(n) || n < 0 || n > this.maxBulk) throw new ProtocolError("invalid bulk length");
        if (n > UNAUTH_BULK_MAX && this.authRequired) throw new ProtocolError("unauthenticated bulk length");
        this.consume(next);
        this.bulkLen = n;
      }
      // The bulk and the two bytes after it (CRLF, not checked: Redis skips them blindly).
      const dataEnd = this.input.start + this.bulkLen;
      if (dataEnd + 2 > this.input.end) return undefined;
      this.argv.push(bytesToBinary(this.input.bytes, this.input.start, dataEnd));
      this.consume(dataEnd + 2);
      this.bulkLen = -1;
      this.argsLeft--;
    }
    const argv = this.argv;
    this.argv = [];
    this.partial = 0;
    return argv;
  }
}

// --- inline splitting ------------------------------------------------------------

/** C's isspace in the "C" locale. */
function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Splits an inline command line into arguments as Redis's sdssplitargs does (sds.c):
 * blanks (C isspace) separate arguments; an unquoted argument ends at space, \t, \r or \n
 * (so \v and \f stay inside it); a quote inside an argument opens a quoted part of the same
 * argument; "double quotes" take \xHH, \n \r \t \b \a and backslash-anything escapes;
 * 'single quotes' take only \'; a closing quote must be followed by a blank or the end.
 * The line is a C string, so a NUL ends it. Returns null on bad quoting.
 */
export function splitInline(line: string): string[] | null {
  const nul = line.indexOf("\0");
  const n = nul < 0 ? line.length : nul;
  const out: string[] = [];
  let i = 0;
  for (;;) {
    while (i < n && isSpace(line.charCodeAt(i))) i++;
    if (i >= n) return out;
    let cur = "";
    let inq = false;
    let insq = false;
    for (;;) {
      const c = i < n ? line.charCodeAt(i) : 0;
      if (inq) {
        if (c === 92 /* \ */ && i + 3 < n && line.charCodeAt(i + 1) === 120 /* x */) {
          const hi = hexValue(line.charCodeAt(i + 2));
          const lo = hexValue(line.charCodeAt(i + 3));
          if (hi >= 0 && lo >= 0) {
            cur += String.fromCharCode(hi * 16 + lo);
            i += 4;
            continue;
          }
        }
        if (c === 92 && i + 1 < n) {
          const e = line[i + 1];
          cur += e === "n" ? "\n" : e === "r" ? "\r" : e === "t" ? "\t" : e === "b" ? "\b" : e === "a" ? "\x07" : e;
          i += 2;
        } else if (c === 34 /* " */) {
          if (i + 1 < n && !isSpace(line.charCodeAt(i + 1))) return null;
          i++;
          break;
        } else if (i >= n) {
          return null; // unterminated quotes
        } else {
          cur += line[i++];
        }
      } else if (insq) {
        if (c === 92 && i + 1 < n && line.charCodeAt(i + 1) === 39 /* ' */) {
          cur += "'";
          i += 2;
        } else if (c === 39) {
          if (i + 1 < n && !isSpace(line.charCodeAt(i + 1))) return null;
          i++;
          break;
        } else if (i >= n) {
          return null; // unterminated quotes
        } else {
          cur += line[i++];
        }
      } else if (i >= n || c === 32 || c === 10 || c === 13 || c === 9) {
        if (i < n) i++;
        break;
      } else if (c === 34) {
        inq = true;
        i++;
      } else if (c === 39) {
        insq = true;
        i++;
      } else {
        cur += line[i++];
      }
    }
    out.push(cur);
  }
}
