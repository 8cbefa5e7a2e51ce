/**
 * RESP2/RESP3 on bytes: the reply encoder and the streaming request decoder.
 *
 * The decoder takes bytes as they arrive (partial frames, many commands per frame) and
 * yields commands as argv arrays of binary strings. It accepts multibulk requests and
 * inline commands (as redis-cli and telnet send) and fails with Redis's exact protocol
 * error text, after which the connection must be closed (as Redis does).
 */
import { bytesToBinary, binaryToBytes } from "../util/binary";
import type { Reply } from "./reply";

// --- encoding --------------------------------------------------------------------

/** Formats a double as Redis 7.0 replies with it: "%.17g", with inf, -inf and nan. */
export function formatDouble(d: number): string {
  if (d === Infinity) return "inf";
  if (d === -Infinity) return "-inf";
  if (Number.isNaN(d)) return "nan";
  if (d === 0) return Object.is(d, -0) ? "-0" : "0";
  // %.17g: 17 significant digits; exponent form when exp < -4 or exp >= 17;
  // trailing zeros (and a trailing point) removed.
  const [mant, expText] = d.toExponential(16).split("e");
  const exp = Number(expText);
  const negative = mant.startsWith("-");
  const digits = mant.replace("-", "").replace(".", "");
  let out: string;
  if (exp < -4 || exp >= 17) {
    let frac = digits.slice(1).replace(/0+$/, "");
    out = digits[0] + (frac ? "." + frac : "") + "e" + (exp < 0 ? "-" : "+") + String(Math.abs(exp)).padStart(2, "0");
  } else if (exp >= 0) {
    const int = digits.slice(0, exp + 1);
    const frac = digits.slice(exp + 1).replace(/0+$/, "");
    out = int + (frac ? "." + frac : "");
  } else {
    const frac = ("0".repeat(-exp - 1) + digits).replace(/0+$/, "");
    out = "0." + frac;
  }
  return negative ? "-" + out : out;
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
        parts.push("+", r.value, "\r\n");
        break;
      case "error":
        parts.push("-", r.message.replace(/[\r\n]/g, " "), "\r\n");
        break;
      case "double": {
        const text = formatDouble(r.value);
        if (resp === 3) parts.push(",", text, "\r\n");
        else parts.push("$", String(text.length), "\r\n", text, "\r\n");
        break;
      }
      case "map":
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
      case "verbatim":
        if (resp === 3) parts.push("=", String(r.text.length + 4), "\r\n", r.format, ":", r.text, "\r\n");
        else parts.push("$", String(r.text.length), "\r\n", r.text, "\r\n");
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
  constructor(what: string) {
    super(`Protocol error: ${what}`);
    this.reply = `ERR Protocol error: ${what}`;
  }
}

const INLINE_MAX = 64 * 1024;
const MULTIBULK_MAX = 1024 * 1024;
const CR = 13;
const LF = 10;

export interface DecoderOptions {
  /** Largest bulk string accepted (Redis's proto-max-bulk-len). */
  maxBulkBytes?: number;
}

/**
 * Streaming request decoder. `push(bytes)` adds input; `next()` returns the next complete
 * argv, or undefined when more bytes are needed; it throws ProtocolError on bad input.
 */
export class RequestDecoder {
  private buf = new Uint8Array(4096);
  private start = 0;
  private end = 0;
  /** Bytes needed before another parse attempt can succeed (avoids rescanning big bulks). */
  private need = 0;
  private readonly maxBulk: number;

  constructor(opts: DecoderOptions = {}) {
    this.maxBulk = opts.maxBulkBytes ?? 512 * 1024 * 1024;
  }

  push(bytes: Uint8Array): void {
    const avail = this.end - this.start;
    if (this.end + bytes.length > this.buf.length) {
      if (avail + bytes.length <= this.buf.length && this.start > 0) {
        this.buf.copyWithin(0, this.start, this.end);
      } else {
        let cap = this.buf.length;
        while (cap < avail + bytes.length) cap *= 2;
        const next = new Uint8Array(cap);
        next.set(this.buf.subarray(this.start, this.end), 0);
        this.buf = next;
      }
      this.end = avail;
      this.start = 0;
    }
    this.buf.set(bytes, this.end);
    this.end += bytes.length;
  }

  /** Bytes received but not yet consumed by a complete command. */
  get buffered(): number {
    return this.end - this.start;
  }

  /** All complete commands now available. */
  drain(): string[][] {
    const out: string[][] = [];
    for (let argv = this.next(); argv; argv = this.next()) out.push(argv);
    return out;
  }

  next(): string[] | undefined {
    while (this.end - this.start > 0 && this.end - this.start >= this.need) {
      const r = this.buf[this.start] === 42 /* '*' */ ? this.parseMultibulk() : this.parseInline();
      if (r === undefined) return undefined;
      if (r.length > 0) return r;
    }
    return undefined;
  }

  private findLine(from: number, max: number, tooBig: string): number {
    const limit = Math.min(this.end, from + max + 2);
    for (let i = from; i < limit; i++) if (this.buf[i] === LF) return i;
    if (this.end - from > max) throw new ProtocolError(tooBig);
    return -1;
  }

  private parseInline(): string[] | undefined {
    const lf = this.findLine(this.start, INLINE_MAX, "too big inline request");
    if (lf < 0) {
      this.need = this.end - this.start + 1;
      return undefined;
    }
    let lineEnd = lf;
    if (lineEnd > this.start && this.buf[lineEnd - 1] === CR) lineEnd--;
    const line = bytesToBinary(this.buf, this.start, lineEnd);
    this.start = lf + 1;
    this.need = 0;
    const argv = splitInline(line);
    if (argv === null) throw new ProtocolError("unbalanced quotes in request");
    return argv;
  }

  private readNumberLine(pos: number, tooBig: string): { value: number; next: number } | undefined {
    const lf = this.findLine(pos, INLINE_MAX, tooBig);
    if (lf < 0) return undefined;
    if (lf === pos || this.buf[lf - 1] !== CR) return { value: NaN, next: lf + 1 };
    const text = bytesToBinary(this.buf, pos, lf - 1);
    const value = /^-?\d{1,19}$/.test(text) ? Number(text) : NaN;
    return { value, next: lf + 1 };
  }

  private parseMultibulk(): string[] | undefined {
    const head = this.readNumberLine(this.start + 1, "too big mbulk count string");
    if (!head) {
      this.need = this.end - this.start + 1;
      return undefined;
    }
    if (Number.isNaN(head.value) || head.value > MULTIBULK_MAX) throw new ProtocolError("invalid multibulk length");
    let pos = head.next;
    if (head.value <= 0) {
      this.start = pos;
      this.need = 0;
      return [];
    }
    const argv: string[] = new Array(head.value);
    for (let i = 0; i < head.value; i++) {
      if (pos >= this.end) return this.incomplete(pos);
      const c = this.buf[pos];
      if (c !== 36 /* '$' */) throw new ProtocolError(`expected '$', got '${String.fromCharCode(c)}'`);
      const len = this.readNumberLine(pos + 1, "too big bulk count string");
      if (!len) return this.incomplete(pos);
      if (Number.isNaN(len.value) || len.value < 0 || len.value > this.maxBulk) {
        throw new ProtocolError("invalid bulk length");
      }
      if (len.next + len.value + 2 > this.end) return this.incomplete(len.next + len.value + 2);
      argv[i] = bytesToBinary(this.buf, len.next, len.next + len.value);
      pos = len.next + len.value + 2;
    }
    this.start = pos;
    this.need = 0;
    return argv;
  }

  private incomplete(needUpTo: number): undefined {
    this.need = needUpTo - this.start;
    return undefined;
  }
}

/**
 * Splits an inline command line into arguments as Redis's sdssplitargs does: spaces
 * separate; "double quotes" take \n \r \t \b \a \\ \" and \xHH escapes; 'single quotes'
 * take \'; a closing quote must be followed by a space or the end. Null on bad quoting.
 */
export function splitInline(line: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  const isSpace = (c: string) => c === " " || c === "\n" || c === "\r" || c === "\t" || c === "\v" || c === "\f";
  const isHex = (c: string) => /^[0-9a-fA-F]$/.test(c);
  while (true) {
    while (i < n && isSpace(line[i])) i++;
    if (i >= n) return out;
    let inq = false;
    let insq = false;
    let done = false;
    let cur = "";
    while (!done) {
      const c = line[i];
      if (inq) {
        if (i >= n) return null;
        if (c === "\\" && line[i + 1] === "x" && i + 3 < n + 0 && isHex(line[i + 2] ?? "") && isHex(line[i + 3] ?? "")) {
          cur += String.fromCharCode(parseInt(line.substr(i + 2, 2), 16));
          i += 3;
        } else if (c === "\\" && i + 1 < n) {
          i++;
          const e = line[i];
          cur += e === "n" ? "\n" : e === "r" ? "\r" : e === "t" ? "\t" : e === "b" ? "\b" : e === "a" ? "\x07" : e;
        } else if (c === '"') {
          if (i + 1 < n && !isSpace(line[i + 1])) return null;
          done = true;
        } else {
          cur += c;
        }
      } else if (insq) {
        if (i >= n) return null;
        if (c === "\\" && line[i + 1] === "'") {
          i++;
          cur += "'";
        } else if (c === "'") {
          if (i + 1 < n && !isSpace(line[i + 1])) return null;
          done = true;
        } else {
          cur += c;
        }
      } else {
        if (i >= n) done = true;
        else if (isSpace(c)) done = true;
        else if (c === '"') inq = true;
        else if (c === "'") insq = true;
        else cur += c;
      }
      if (i < n) i++;
    }
    out.push(cur);
  }
}
