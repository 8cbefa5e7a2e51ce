/**
 * A small pipelining RESP2 client for the benchmarks: it writes many commands in one go
 * and reads their replies back in order, against redis-server and the Hotslot bridge
 * alike (both on 127.0.0.1). It exists so that bulk loads and latency probes measure the
 * server, not a client library's per-command overhead.
 *
 *   const c = await RespClient.connect(port);
 *   const [ok] = await c.pipeline([["SET", "k", "v"]]);
 *   await c.load(commands, { batch: 2000, window: 4 });   // many batches in flight
 *   c.close();
 *
 * Replies: simple strings and bulk strings → string, integers → number, nil → null,
 * arrays → arrays, errors → RespError (returned in place, not thrown, so a pipeline's
 * other replies still arrive; `pipeline` throws on the first error unless told not to).
 */
import net from "node:net";

export class RespError extends Error {}

/** Encodes commands (arrays of strings or numbers) as RESP multibulk requests. */
export function encodeCommands(cmds) {
  let total = 0;
  const parts = [];
  for (const argv of cmds) {
    parts.push(`*${argv.length}\r\n`);
    for (const a of argv) {
      const s = String(a);
      parts.push(`$${Buffer.byteLength(s)}\r\n${s}\r\n`);
    }
  }
  const text = parts.join("");
  total = Buffer.byteLength(text);
  const buf = Buffer.allocUnsafe(total);
  buf.write(text, 0, "utf8");
  return buf;
}

/**
 * Incremental RESP2 reply parser: `push(chunk)` then `next()` until it returns undefined
 * (incomplete). Keeps an offset into one buffer and compacts it only when a chunk arrives,
 * so a megabyte of small replies is not copied once per reply.
 */
class ReplyParser {
  buf = Buffer.alloc(0);
  pos = 0;

  push(chunk) {
    this.buf = this.pos < this.buf.length ? Buffer.concat([this.buf.subarray(this.pos), chunk]) : chunk;
    this.pos = 0;
  }

  /** The next complete reply, or undefined; `NONE` marks "incomplete" inside the recursion. */
  next() {
    const start = this.pos;
    const r = this.parse();
    if (r === NONE) {
      this.pos = start;
      return undefined;
    }
    return r;
  }

  parse() {
    const buf = this.buf;
    if (this.pos >= buf.length) return NONE;
    const nl = buf.indexOf("\r\n", this.pos, "latin1");
    if (nl < 0) return NONE;
    const type = buf[this.pos];
    const line = buf.toString("latin1", this.pos + 1, nl);
    this.pos = nl + 2;
    switch (type) {
      case 43: // +
        return line;
      case 45: // -
        return new RespError(line);
      case 58: // :
        return Number(line);
      case 36: {
        // $
        const len = Number(line);
        if (len < 0) return null;
        if (buf.length < this.pos + len + 2) return NONE;
        const s = buf.toString("latin1", this.pos, this.pos + len);
        this.pos += len + 2;
        return s;
      }
      case 42: {
        // *
        const n = Number(line);
        if (n < 0) return null;
        const out = new Array(n);
        for (let i = 0; i < n; i++) {
          const item = this.parse();
          if (item === NONE) return NONE;
          out[i] = item;
        }
        return out;
      }
      default:
        throw new Error(`bad RESP reply type ${String.fromCharCode(type)}: ${line}`);
    }
  }
}

const NONE = Symbol("incomplete");

export class RespClient {
  /** Callbacks waiting for replies, oldest first: each takes `count` replies. */
  #waiting = [];
  #parser = new ReplyParser();
  #socket;
  #failure = null;

  constructor(socket) {
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.on("data", (chunk) => this.#onData(chunk));
    const fail = (e) => {
      this.#failure ??= e;
      for (const w of this.#waiting.splice(0)) w.reject(this.#failure);
    };
    socket.on("error", fail);
    socket.on("close", () => fail(new Error("connection closed")));
  }

  static connect(port, host = "127.0.0.1") {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host });
      s.once("connect", () => {
        s.off("error", reject);
        resolve(new RespClient(s));
      });
      s.once("error", reject);
    });
  }

  #onData(chunk) {
    this.#parser.push(chunk);
    for (;;) {
      const w = this.#waiting[0];
      if (!w) break;
      const r = this.#parser.next();
      if (r === undefined) break;
      w.replies.push(r);
      if (w.replies.length === w.count) {
        this.#waiting.shift();
        w.resolve(w.replies);
      }
    }
  }

  /** Sends pre-encoded bytes holding `count` commands; resolves with their replies. */
  sendRaw(bytes, count) {
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#waiting.push({ count, replies: [], resolve, reject });
      this.#socket.write(bytes);
    });
  }

  /** Sends commands as one write; resolves with their replies (throws on an error reply unless `allowErrors`). */
  async pipeline(cmds, { allowErrors = false } = {}) {
    const replies = await this.sendRaw(encodeCommands(cmds), cmds.length);
    if (!allowErrors) {
      const e = replies.find((r) => r instanceof RespError);
      if (e) throw new Error(`${e.message} (in a pipeline starting ${cmds[0].join(" ").slice(0, 60)})`);
    }
    return replies;
  }

  async command(...argv) {
    return (await this.pipeline([argv]))[0];
  }

  /**
   * Sends `total` commands made by `make(i)` in batches of `batch`, keeping `window` batches
   * in flight; throws on the first error reply. Returns elapsed seconds.
   */
  async load(total, make, { batch = 2000, window = 4 } = {}) {
    const start = performance.now();
    let next = 0;
    const inflight = new Set();
    while (next < total || inflight.size) {
      while (next < total && inflight.size < window) {
        const cmds = [];
        for (let i = next; i < Math.min(total, next + batch); i++) cmds.push(make(i));
        next += cmds.length;
        const p = this.pipeline(cmds).then(() => inflight.delete(p));
        inflight.add(p);
      }
      await Promise.race(inflight);
    }
    return (performance.now() - start) / 1000;
  }

  close() {
    this.#socket.end();
  }
}

/** Parses INFO text into { field: value } (numbers where numeric). */
export function parseInfo(text) {
  const out = {};
  for (const line of text.split("\r\n")) {
    const m = /^([^:#]+):(.*)$/.exec(line);
    if (m) out[m[1]] = /^-?\d+(\.\d+)?$/.test(m[2]) ? Number(m[2]) : m[2];
  }
  return out;
}

/** A small seeded PRNG (mulberry32), so every run loads the same data. */
export function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
