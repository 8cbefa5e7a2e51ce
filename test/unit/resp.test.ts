/**
 * The RESP codec (src/protocol/resp.ts): the streaming request decoder (multibulk and
 * inline, any split of the stream, Redis's exact protocol errors), the RESP2/RESP3 reply
 * encoder and "%.17g" double formatting.
 *
 * Every expected reply and error below was checked against redis-server 7.0.15 by
 * sending the same raw bytes over TCP: what Redis executes before a bad input, the error
 * it replies, and the inputs it just waits on.
 */
import { describe, expect, it } from "vitest";
import {
  encodeCommandBinary,
  encodeRepliesBinary,
  encodeReply,
  INLINE_MAX,
  ProtocolError,
  RequestDecoder,
  splitInline,
  type DecoderOptions,
} from "../../src/protocol/resp";
import { NULL_ARRAY, OK, double, error, map, set, simple, verbatim, type Reply } from "../../src/protocol/reply";
import { binaryToBytes, bytesToBinary } from "../../src/util/binary";
import { formatDouble } from "../../src/util/numbers";
import { seededFloats } from "../support/random";

// --- helpers ---------------------------------------------------------------------

interface Decoded {
  commands: string[][];
  /** The error reply, when the stream was bad. */
  error?: string;
  buffered: number;
}

/** Feeds the chunks one by one, taking every complete command after each, as a connection does. */
function decodeChunks(chunks: readonly (string | Uint8Array)[], opts?: DecoderOptions & { authRequired?: boolean }): Decoded {
  const d = new RequestDecoder(opts);
  if (opts?.authRequired) d.authRequired = true;
  const commands: string[][] = [];
  try {
    for (const c of chunks) {
      d.push(typeof c === "string" ? binaryToBytes(c) : c);
      for (let argv = d.next(); argv; argv = d.next()) commands.push(argv);
    }
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
    return { commands, error: e.reply, buffered: d.buffered };
  }
  return { commands, buffered: d.buffered };
}

const decode = (stream: string, opts?: DecoderOptions & { authRequired?: boolean }) => decodeChunks([stream], opts);
const byteByByte = (stream: string) => decodeChunks(Array.from(stream));

function randomSplit(stream: string, rand: () => number, maxPiece: number): string[] {
  const pieces: string[] = [];
  for (let i = 0; i < stream.length; ) {
    const n = 1 + Math.floor(rand() * maxPiece);
    pieces.push(stream.slice(i, i + n));
    i += n;
  }
  return pieces;
}

const enc = (r: Reply, resp: 2 | 3) => bytesToBinary(encodeReply(r, resp));
const ALL_BYTES = bytesToBinary(Uint8Array.from({ length: 256 }, (_, i) => i));

// --- decoding: framing -----------------------------------------------------------

describe("RequestDecoder framing", () => {
  // Multibulk and inline commands, an empty bulk, a value holding CRLF and NUL, ignored
  // *0 / *-1 and a blank inline line.
  const stream = [
    "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n",
    "*2\r\n$3\r\nGET\r\n$0\r\n\r\n",
    "*0\r\n",
    "*-1\r\n",
    "PING\r\n",
    'SET a "b c"\n',
    "\r\n",
    "*2\r\n$4\r\nECHO\r\n$6\r\n\r\n\x00\xff\r\n\r\n",
    "*1\r\n$4\r\nPING\r\n",
  ].join("");
  const expected = [["SET", "key", "value"], ["GET", ""], ["PING"], ["SET", "a", "b c"], ["ECHO", "\r\n\x00\xff\r\n"], ["PING"]];

  it("decodes a mixed stream in one chunk", () => {
    expect(decode(stream)).toEqual({ commands: expected, buffered: 0 });
  });

  it("decodes the same commands when the stream arrives one byte at a time", () => {
    expect(byteByByte(stream)).toEqual({ commands: expected, buffered: 0 });
  });

  it("decodes the same commands whichever byte boundary splits the stream in two", () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      expect(decodeChunks([stream.slice(0, cut), stream.slice(cut)]), `cut at ${cut}`).toEqual({ commands: expected, buffered: 0 });
    }
  });

  it("decodes the same commands under random splits", () => {
    const rand = seededFloats(42);
    for (let round = 0; round < 200; round++) {
      expect(decodeChunks(randomSplit(stream, rand, 12))).toEqual({ commands: expected, buffered: 0 });
    }
  });

  it("returns nothing for an incomplete command and counts its bytes as buffered", () => {
    const partial = "*2\r\n$3\r\nGET\r\n$1\r\n";
    expect(decode(partial)).toEqual({ commands: [], buffered: partial.length });
    expect(decode("PIN")).toEqual({ commands: [], buffered: 3 });
    const d = new RequestDecoder();
    d.push(binaryToBytes(partial));
    expect(d.next()).toBeUndefined();
    d.push(binaryToBytes("k\r"));
    expect(d.next()).toBeUndefined();
    expect(d.buffered).toBe(partial.length + 2);
    d.push(binaryToBytes("\n"));
    expect(d.next()).toEqual(["GET", "k"]);
    expect(d.buffered).toBe(0);
    expect(d.next()).toBeUndefined();
  });

  it("decodes many commands from one chunk, in order", () => {
    let text = "";
    for (let i = 0; i < 10_000; i++) text += encodeCommandBinary(["SET", `key:${i}`, `value ${i}`]);
    const d = new RequestDecoder();
    d.push(binaryToBytes(text));
    const cmds = d.drain();
    expect(cmds.length).toBe(10_000);
    expect(cmds[0]).toEqual(["SET", "key:0", "value 0"]);
    expect(cmds[9_999]).toEqual(["SET", "key:9999", "value 9999"]);
    expect(d.buffered).toBe(0);
  });

  it("keeps every byte 0–255 of a bulk string, CR and LF included, under any split", () => {
    const values = [ALL_BYTES, "\r\n", "\r\n\r\n", "$3\r\n*1\r\n", "\x00", ALL_BYTES.split("").reverse().join("")];
    const text = values.map((v) => encodeCommandBinary(["SET", v, v])).join("");
    const want = values.map((v) => ["SET", v, v]);
    expect(decode(text).commands).toEqual(want);
    expect(byteByByte(text).commands).toEqual(want);
    const rand = seededFloats(3);
    for (let round = 0; round < 50; round++) expect(decodeChunks(randomSplit(text, rand, 100)).commands).toEqual(want);
  });

  it("round-trips random commands of random binary arguments through encodeCommandBinary", () => {
    const rand = seededFloats(99);
    const cmds: string[][] = [];
    for (let i = 0; i < 300; i++) {
      const argv: string[] = [];
      const argc = 1 + Math.floor(rand() * 6);
      for (let j = 0; j < argc; j++) {
        const len = rand() < 0.1 ? 0 : Math.floor(rand() * (rand() < 0.1 ? 3000 : 40));
        argv.push(bytesToBinary(Uint8Array.from({ length: len }, () => Math.floor(rand() * 256))));
      }
      cmds.push(argv);
    }
    const text = cmds.map(encodeCommandBinary).join("");
    expect(decode(text).commands).toEqual(cmds);
    expect(decodeChunks(randomSplit(text, rand, 700)).commands).toEqual(cmds);
  });

  it("decodes a 5 MB bulk string arriving in 64 KB chunks, waiting until its last byte", () => {
    const rand = seededFloats(5);
    const value = new Uint8Array(5 * 1024 * 1024);
    for (let i = 0; i < value.length; i++) value[i] = Math.floor(rand() * 256);
    const head = binaryToBytes("*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$" + value.length + "\r\n");
    const all = new Uint8Array(head.length + value.length + 2);
    all.set(head, 0);
    all.set(value, head.length);
    all.set([13, 10], head.length + value.length);
    const d = new RequestDecoder();
    let got: string[] | undefined;
    for (let i = 0; i < all.length; i += 65536) {
      d.push(all.subarray(i, i + 65536));
      got = d.next();
      if (i + 65536 < all.length) {
        expect(got).toBeUndefined();
        expect(d.buffered).toBe(i + 65536);
      }
    }
    expect(got?.length).toBe(3);
    expect(got?.[1]).toBe("big");
    expect(got?.[2] === bytesToBinary(value)).toBe(true);
    expect(d.buffered).toBe(0);
  });

  it("decodes a command of a million arguments arriving in 64 KB chunks (parsed once, not once per chunk)", () => {
    const argv = ["MSET"];
    for (let i = 0; i < 500_000; i++) argv.push(`k${i}`, `v${i}`);
    const all = binaryToBytes(encodeCommandBinary(argv));
    const d = new RequestDecoder();
    const got: string[][] = [];
    for (let i = 0; i < all.length; i += 65536) {
      d.push(all.subarray(i, i + 65536));
      got.push(...d.drain());
    }
    expect(got.length).toBe(1);
    expect(got[0].length).toBe(1_000_001);
    expect(got[0].slice(0, 3)).toEqual(["MSET", "k0", "v0"]);
    expect(got[0].slice(-2)).toEqual(["k499999", "v499999"]);
  });

  it("ignores *0, *-1 and any negative count, as Redis does", () => {
    expect(decode("*0\r\n*-1\r\n*-5\r\n*-9223372036854775808\r\nPING\r\n")).toEqual({ commands: [["PING"]], buffered: 0 });
  });

  it("waits on a count of INT_MAX (Redis 7.0's limit) without allocating for it", () => {
    expect(decode("*2147483647\r\n")).toEqual({ commands: [], buffered: 13 });
  });

  it("skips one byte after a count's CR and two after a bulk without checking them, as Redis does", () => {
    expect(decode("*1\rX$4\r\nPINGXY*1\r\n$4\r\nPING\r\n")).toEqual({ commands: [["PING"], ["PING"]], buffered: 0 });
  });

  it("waits for the byte after a count's CR", () => {
    expect(decode("*1\r")).toEqual({ commands: [], buffered: 3 });
    expect(decode("*1\r\n$4\r")).toEqual({ commands: [], buffered: 7 });
  });

  it("waits forever on a NUL before a line end, as Redis's strchr does, until 64 KB are buffered", () => {
    expect(decode("PING\r\nECHO a\x00b\r\nPING\r\n")).toEqual({ commands: [["PING"]], buffered: 16 });
    expect(decode("*1\x00\r\n$4\r\nPING\r\n")).toEqual({ commands: [], buffered: 15 });
    expect(decode("*1\r\n\x00abc\r\n")).toEqual({ commands: [], buffered: 10 });
    const stuck = "ECHO a\x00b\r\n";
    expect(decodeChunks([stuck, "x".repeat(INLINE_MAX - stuck.length)]).error).toBeUndefined();
    expect(decodeChunks([stuck, "x".repeat(INLINE_MAX - stuck.length + 1)]).error).toBe("ERR Protocol error: too big inline request");
  });

  it("keeps a NUL inside a bulk string", () => {
    expect(decode("*1\r\n$4\r\nPI\x00G\r\n").commands).toEqual([["PI\x00G"]]);
  });

  it("returns the commands before bad input from drain() on the error", () => {
    const d = new RequestDecoder();
    d.push(binaryToBytes("PING\r\n*1\r\n$1\r\nx\r\n*x\r\nPING\r\n"));
    try {
      d.drain();
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ProtocolError);
      expect((e as ProtocolError).commands).toEqual([["PING"], ["x"]]);
      expect((e as ProtocolError).reply).toBe("ERR Protocol error: invalid multibulk length");
    }
  });

  it("keeps failing after a protocol error and ignores further bytes (the connection is done)", () => {
    const d = new RequestDecoder();
    d.push(binaryToBytes("*x\r\n"));
    expect(() => d.next()).toThrow("Protocol error: invalid multibulk length");
    d.push(binaryToBytes("PING\r\n"));
    expect(() => d.next()).toThrow("Protocol error: invalid multibulk length");
    expect(() => d.drain()).toThrow(ProtocolError);
  });
});

// --- decoding: inline commands ---------------------------------------------------

describe("RequestDecoder inline commands", () => {
  it("splits a line ending in CRLF or in LF alone", () => {
    expect(decode("SET a b\r\nGET a\n").commands).toEqual([["SET", "a", "b"], ["GET", "a"]]);
  });

  it("skips blank lines and lines of blanks", () => {
    expect(decode("\r\n\n   \r\n\t\nPING\n").commands).toEqual([["PING"]]);
  });

  it("treats a line starting with anything but '*' as inline, even '$' or a space", () => {
    expect(decode(" *1\r\n$4\r\n").commands).toEqual([["*1"], ["$4"]]);
  });

  it("separates arguments on a CR inside the line", () => {
    expect(decode("PING\rPING\r\n").commands).toEqual([["PING", "PING"]]);
  });

  it("keeps bytes 0x80–0xff", () => {
    expect(decode("ECHO \xff\xfe\r\n").commands).toEqual([["ECHO", "\xff\xfe"]]);
  });

  it("answers unbalanced quotes with Redis's error, after the commands before them", () => {
    expect(decode('PING\r\nECHO "a\r\n')).toEqual({
      commands: [["PING"]],
      error: "ERR Protocol error: unbalanced quotes in request",
      buffered: 0,
    });
  });

  it("waits on 64 KB without a line end, then takes the LF that ends it", () => {
    const head = "ECHO " + "a".repeat(INLINE_MAX - 5);
    expect(decodeChunks(["PING\r\n" + head])).toEqual({ commands: [["PING"]], buffered: INLINE_MAX });
    expect(decodeChunks(["PING\r\n" + head, "\n"]).commands).toEqual([["PING"], ["ECHO", "a".repeat(INLINE_MAX - 5)]]);
    // With CRLF the line may hold one byte less: the CR is one more byte buffered without an LF.
    expect(decodeChunks(["PING\r\n" + head.slice(1), "\r\n"]).commands).toEqual([["PING"], ["CHO", "a".repeat(INLINE_MAX - 5)]]);
    expect(decodeChunks(["PING\r\n" + head, "\r\n"]).error).toBe("ERR Protocol error: too big inline request");
  });

  it("refuses more than 64 KB without a line end, whether sent at once or byte by byte", () => {
    const line = "PING\r\nECHO " + "a".repeat(INLINE_MAX - 4);
    const want = { commands: [["PING"]], error: "ERR Protocol error: too big inline request" };
    expect(decode(line)).toMatchObject(want);
    expect(byteByByte(line)).toMatchObject(want);
    // The line end must come within 64 KB of the line start, however the bytes arrive.
    expect(decode(line + "\r\n")).toMatchObject(want);
  });
});

describe("splitInline (Redis's sdssplitargs)", () => {
  const cases: [string, string[] | null][] = [
    ["SET a b", ["SET", "a", "b"]],
    ["  SET\t a   b  ", ["SET", "a", "b"]],
    ["", []],
    ["   ", []],
    ['SET k "hello world"', ["SET", "k", "hello world"]],
    ["SET k 'hello world'", ["SET", "k", "hello world"]],
    ['"\\n\\r\\t\\b\\a\\\\\\"\\q"', ["\n\r\t\b\x07\\\"q"]],
    ['"\\x41\\x4g\\xff\\xFf\\x0"', ["Ax4g\xff\xffx0"]],
    ['"\\x00"', ["\x00"]],
    ["'a\\'b\\n\\x'", ["a'b\\n\\x"]],
    ["'a\\\\'", null],
    ['""', [""]],
    ["''", [""]],
    ['a"b c"', ["ab c"]],
    ["a'b c'", ["ab c"]],
    ['"a"\t"b"', ["a", "b"]],
    ['"a"\x0b', ["a"]],
    ["a\x0bb \x0cc\x0cd", ["a\x0bb", "c\x0cd"]],
    ["\x0bPING", ["PING"]],
    ['"a\rb"', ["a\rb"]],
    ["a\rb\nc", ["a", "b", "c"]],
    ["\xe9 \"\xe9\"", ["\xe9", "\xe9"]],
    ['"a"b', null],
    ["'a'b", null],
    ['"a""b"', null],
    ['"a', null],
    ["'a", null],
    ['"\\', null],
    ['"a\\"', null],
    ["a\x00b c", ["a"]],
  ];
  for (const [line, want] of cases) {
    it(`splits ${JSON.stringify(line)} into ${JSON.stringify(want)}`, () => {
      expect(splitInline(line)).toEqual(want);
    });
  }

  it("gives the decoder the same arguments for each line, or the unbalanced quotes error", () => {
    for (const [line, want] of cases) {
      if (line.includes("\x00") || line.includes("\n")) continue;
      const got = decode(line + "\r\n");
      if (want === null) expect(got.error).toBe("ERR Protocol error: unbalanced quotes in request");
      else expect(got.commands).toEqual(want.length ? [want] : []);
    }
  });
});

// --- decoding: protocol errors ---------------------------------------------------

describe("RequestDecoder protocol errors (text as Redis 7.0 replies)", () => {
  const ERR = "ERR Protocol error: ";
  // [input, commands Redis runs before the error, error reply]
  const cases: [string, string[][], string][] = [
    ["*abc\r\n", [], "invalid multibulk length"],
    ["*\r\n", [], "invalid multibulk length"],
    ["*01\r\n$4\r\nPING\r\n", [], "invalid multibulk length"],
    ["*-0\r\nPING\r\n", [], "invalid multibulk length"],
    ["*+1\r\n", [], "invalid multibulk length"],
    ["* 1\r\n", [], "invalid multibulk length"],
    ["*1 \r\n", [], "invalid multibulk length"],
    ["*2147483648\r\n", [], "invalid multibulk length"],
    ["*9223372036854775807\r\n", [], "invalid multibulk length"],
    ["*" + "1".repeat(20) + "\r\n", [], "invalid multibulk length"],
    ["*" + "1".repeat(25) + "\r\n", [], "invalid multibulk length"],
    ["*-9223372036854775809\r\nPING\r\n", [], "invalid multibulk length"],
    ["*1\n$4\r\nPING\r\n", [], "invalid multibulk length"],
    ["PING\r\n*1\r\n+foo\r\n", [["PING"]], "expected '$', got '+'"],
    ["*1\r\n\r\n", [], "expected '$', got ' '"],
    ["*1\r\n\nabc\r\n", [], "expected '$', got ' '"],
    ["*1\r\n\xe9\r\n", [], "expected '$', got '\xe9'"],
    ["*2\r\n$4\r\nECHO\r\n:1\r\n", [], "expected '$', got ':'"],
    ["*1\r\n$-5\r\n", [], "invalid bulk length"],
    ["*1\r\n$-1\r\n", [], "invalid bulk length"],
    ["*1\r\n$-0\r\n", [], "invalid bulk length"],
    ["*1\r\n$\r\n", [], "invalid bulk length"],
    ["*1\r\n$04\r\nPING\r\n", [], "invalid bulk length"],
    ["*1\r\n$+3\r\nfoo\r\n", [], "invalid bulk length"],
    ["*1\r\n$ 3\r\nfoo\r\n", [], "invalid bulk length"],
    ["*1\r\n$3\nfoo\r\n", [], "invalid bulk length"],
    ["*1\r\n$9223372036854775808\r\n", [], "invalid bulk length"],
    ["*1\r\n$536870913\r\n", [], "invalid bulk length"],
    ["SET a b\r\nGET a\r\n*1\r\n$x\r\n", [["SET", "a", "b"], ["GET", "a"]], "invalid bulk length"],
    ['ECHO "a"b\r\n', [], "unbalanced quotes in request"],
    ["ECHO 'a'b\r\n", [], "unbalanced quotes in request"],
    ['ECHO "a""b"\r\n', [], "unbalanced quotes in request"],
    ['ECHO "\\\r\n', [], "unbalanced quotes in request"],
    ["PING\r\n*" + "1".repeat(INLINE_MAX), [["PING"]], "too big mbulk count string"],
    ["PING\r\n*1\r\n$" + "1".repeat(INLINE_MAX), [["PING"]], "too big bulk count string"],
    ["PING\r\n" + "a".repeat(INLINE_MAX + 1), [["PING"]], "too big inline request"],
  ];
  for (const [input, before, what] of cases) {
    const label = input.length > 40 ? JSON.stringify(input.slice(0, 20)) + `… (${input.length} bytes)` : JSON.stringify(input);
    it(`answers ${label} with "${what}" after ${before.length} command(s)`, () => {
      const want = { commands: before, error: ERR + what };
      expect(decode(input)).toMatchObject(want);
      if (input.length < 1000) expect(byteByByte(input)).toMatchObject(want);
    });
  }

  it("waits, without error, on inputs just inside each limit", () => {
    expect(decode("*1\r\n$536870912\r\n")).toEqual({ commands: [], buffered: 16 });
    expect(decode("PING\r\n*" + "1".repeat(INLINE_MAX - 1))).toEqual({ commands: [["PING"]], buffered: INLINE_MAX });
    expect(decode("PING\r\n*1\r\n$" + "1".repeat(INLINE_MAX - 1))).toEqual({ commands: [["PING"]], buffered: INLINE_MAX + 4 });
    expect(decode("PING\r\n*1\r\n+foo")).toEqual({ commands: [["PING"]], buffered: 8 });
  });

  it("refuses a bulk longer than maxBulkBytes (proto-max-bulk-len)", () => {
    expect(decode("*2\r\n$3\r\nGET\r\n$10\r\n0123456789\r\n", { maxBulkBytes: 10 }).commands).toEqual([["GET", "0123456789"]]);
    expect(decode("*2\r\n$3\r\nGET\r\n$11\r\n", { maxBulkBytes: 10 }).error).toBe(ERR + "invalid bulk length");
  });

  it("limits counts before authentication as Redis does (10 arguments, 16384-byte bulks)", () => {
    const auth = { authRequired: true };
    expect(decode("*10\r\n", auth)).toEqual({ commands: [], buffered: 5 });
    expect(decode("*11\r\n", auth).error).toBe(ERR + "unauthenticated multibulk length");
    expect(decode("*1\r\n$16384\r\n", auth)).toEqual({ commands: [], buffered: 12 });
    expect(decode("*1\r\n$16385\r\n", auth).error).toBe(ERR + "unauthenticated bulk length");
    expect(decode("*1\r\n$-1\r\n", auth).error).toBe(ERR + "invalid bulk length");
    expect(decode("*2147483648\r\n", auth).error).toBe(ERR + "invalid multibulk length");
    expect(decode("*11\r\n").error).toBeUndefined();
  });

  it("gives the error reply without CR or LF and the message without the ERR code", () => {
    const e = new ProtocolError("expected '$', got '\r'");
    expect(e.reply).toBe("ERR Protocol error: expected '$', got ' '");
    expect(e.message).toBe("Protocol error: expected '$', got ' '");
  });
});

// --- encoding --------------------------------------------------------------------

describe("encodeReply", () => {
  const both = (r: Reply, resp2: string, resp3: string) => {
    expect(enc(r, 2)).toBe(resp2);
    expect(enc(r, 3)).toBe(resp3);
  };

  it("encodes bulk strings byte for byte, empty and binary ones too", () => {
    both("v", "$1\r\nv\r\n", "$1\r\nv\r\n");
    both("", "$0\r\n\r\n", "$0\r\n\r\n");
    both("\x00\xff\r\n", "$4\r\n\x00\xff\r\n\r\n", "$4\r\n\x00\xff\r\n\r\n");
    both(ALL_BYTES, "$256\r\n" + ALL_BYTES + "\r\n", "$256\r\n" + ALL_BYTES + "\r\n");
  });

  it("encodes integers, numbers and bigints alike", () => {
    both(42, ":42\r\n", ":42\r\n");
    both(-1, ":-1\r\n", ":-1\r\n");
    both(0, ":0\r\n", ":0\r\n");
    both(9007199254740991, ":9007199254740991\r\n", ":9007199254740991\r\n");
    both(2n ** 63n - 1n, ":9223372036854775807\r\n", ":9223372036854775807\r\n");
    both(-(2n ** 63n), ":-9223372036854775808\r\n", ":-9223372036854775808\r\n");
  });

  it("encodes nil as $-1 in RESP2 and _ in RESP3 (GET of a missing key)", () => {
    both(null, "$-1\r\n", "_\r\n");
  });

  it("encodes the null array as *-1 in RESP2 and _ in RESP3 (BLPOP timeout)", () => {
    both(NULL_ARRAY, "*-1\r\n", "_\r\n");
  });

  it("encodes simple strings and errors on one line", () => {
    both(OK, "+OK\r\n", "+OK\r\n");
    both(simple("PONG"), "+PONG\r\n", "+PONG\r\n");
    both(error("ERR unknown command 'NOPE', with args beginning with: "), "-ERR unknown command 'NOPE', with args beginning with: \r\n", "-ERR unknown command 'NOPE', with args beginning with: \r\n");
    both(error("ERR a\r\nb"), "-ERR a  b\r\n", "-ERR a  b\r\n");
    both(simple("a\nb"), "+a b\r\n", "+a b\r\n");
  });

  it("encodes arrays with nested arrays and nils (MGET k nokey)", () => {
    both(["v", null], "*2\r\n$1\r\nv\r\n$-1\r\n", "*2\r\n$1\r\nv\r\n_\r\n");
    both([], "*0\r\n", "*0\r\n");
    both([["a", 1], [], [null]], "*3\r\n*2\r\n$1\r\na\r\n:1\r\n*0\r\n*1\r\n$-1\r\n", "*3\r\n*2\r\n$1\r\na\r\n:1\r\n*0\r\n*1\r\n_\r\n");
  });

  it("encodes doubles as a bulk string in RESP2 and with ',' in RESP3 (ZSCORE)", () => {
    both(double(1.5), "$3\r\n1.5\r\n", ",1.5\r\n");
    both(double(0), "$1\r\n0\r\n", ",0\r\n");
    both(double(0.1), "$19\r\n0.10000000000000001\r\n", ",0.10000000000000001\r\n");
    both(double(Infinity), "$3\r\ninf\r\n", ",inf\r\n");
    both(double(-Infinity), "$4\r\n-inf\r\n", ",-inf\r\n");
    both(double(1e300), "$23\r\n1.0000000000000001e+300\r\n", ",1.0000000000000001e+300\r\n");
  });

  it("encodes maps as a flat array in RESP2 and with '%' and a pair count in RESP3 (HGETALL, CONFIG GET)", () => {
    both(map(["f", "v"]), "*2\r\n$1\r\nf\r\n$1\r\nv\r\n", "%1\r\n$1\r\nf\r\n$1\r\nv\r\n");
    both(map([]), "*0\r\n", "%0\r\n");
  });

  it("encodes the HELLO 3 map exactly as redis-server does", () => {
    const hello = map(["server", "redis", "version", "7.0.15", "proto", 3, "id", 70, "mode", "standalone", "role", "master", "modules", []]);
    expect(enc(hello, 3)).toBe(
      "%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:70\r\n" +
        "$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n",
    );
  });

  it("encodes sets as an array in RESP2 and with '~' in RESP3 (SMEMBERS)", () => {
    both(set(["m"]), "*1\r\n$1\r\nm\r\n", "~1\r\n$1\r\nm\r\n");
    both(set([]), "*0\r\n", "~0\r\n");
  });

  it("encodes ZRANGE WITHSCORES pairs as redis-server does in RESP3", () => {
    const reply = [["b", double(0)], ["d", double(0.1)], ["a", double(1.5)], ["c", double(Infinity)]];
    expect(enc(reply, 3)).toBe(
      "*4\r\n*2\r\n$1\r\nb\r\n,0\r\n*2\r\n$1\r\nd\r\n,0.10000000000000001\r\n*2\r\n$1\r\na\r\n,1.5\r\n*2\r\n$1\r\nc\r\n,inf\r\n",
    );
  });

  it("encodes verbatim text as a bulk string in RESP2 and with '=' and its format in RESP3 (INFO, CLIENT INFO)", () => {
    const text = "id=70 addr=127.0.0.1:38072 resp=3\n";
    both(verbatim(text), `$${text.length}\r\n${text}\r\n`, `=${text.length + 4}\r\ntxt:${text}\r\n`);
    both(verbatim("# Server\r\nredis_version:7.0.15\r\n"), "$32\r\n# Server\r\nredis_version:7.0.15\r\n\r\n", "=36\r\ntxt:# Server\r\nredis_version:7.0.15\r\n\r\n");
    both(verbatim("**x**", "mkd"), "$5\r\n**x**\r\n", "=9\r\nmkd:**x**\r\n");
  });

  it("defaults to RESP2", () => {
    expect(bytesToBinary(encodeReply(null))).toBe("$-1\r\n");
  });

  it("concatenates several replies with encodeRepliesBinary", () => {
    expect(encodeRepliesBinary([OK, 1, null, "x"], 2)).toBe("+OK\r\n:1\r\n$-1\r\n$1\r\nx\r\n");
    expect(encodeRepliesBinary([OK, 1, null, "x"], 3)).toBe("+OK\r\n:1\r\n_\r\n$1\r\nx\r\n");
    expect(encodeRepliesBinary([], 3)).toBe("");
  });
});

describe("encodeCommandBinary", () => {
  it("encodes argv as a multibulk that decodes back to it", () => {
    const argv = ["SET", "k", "\r\n\x00", ""];
    expect(encodeCommandBinary(argv)).toBe("*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\n\r\n\x00\r\n$0\r\n\r\n");
    expect(decode(encodeCommandBinary(argv)).commands).toEqual([argv]);
  });
});

// --- formatDouble ----------------------------------------------------------------

/**
 * C's "%.17g" computed exactly with BigInt, independently of Number#toExponential: the
 * double's exact decimal expansion, rounded to 17 significant digits half to even (as
 * glibc's printf does), then laid out by %g's rules.
 */
function referenceG17(x: number): string {
  if (x === 0) return Object.is(x, -0) ? "-0" : "0";
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const bits = view.getBigUint64(0);
  const field = Number(bits >> 52n);
  let m = bits & ((1n << 52n) - 1n);
  let q = -1074;
  if (field !== 0) {
    m |= 1n << 52n;
    q = field - 1075;
  }
  // |x| = m × 2^q = n × 10^k exactly.
  const n = q >= 0 ? m << BigInt(q) : m * 5n ** BigInt(-q);
  const k = q >= 0 ? 0 : q;
  let digits = n.toString();
  let exp = digits.length - 1 + k;
  if (digits.length > 17) {
    let head = BigInt(digits.slice(0, 17));
    const rest = digits.slice(17);
    const half = "5" + "0".repeat(rest.length - 1);
    if (rest > half || (rest === half && (head & 1n) === 1n)) head += 1n;
    digits = head.toString();
    if (digits.length === 18) {
      digits = digits.slice(0, 17);
      exp++;
    }
  }
  digits = digits.replace(/0+$/, "");
  let out: string;
  if (exp < -4 || exp >= 17) {
    out = digits[0] + (digits.length > 1 ? "." + digits.slice(1) : "") + (exp < 0 ? "e-" : "e+") + String(Math.abs(exp)).padStart(2, "0");
  } else if (exp >= 0) {
    const int = digits.slice(0, exp + 1).padEnd(exp + 1, "0");
    const frac = digits.slice(exp + 1);
    out = int + (frac ? "." + frac : "");
  } else {
    out = "0." + "0".repeat(-exp - 1) + digits;
  }
  return (x < 0 ? "-" : "") + out;
}

function fromBits(hex: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt("0x" + hex));
  return view.getFloat64(0);
}

describe("formatDouble", () => {
  it("formats infinities, NaN and signed zeros as Redis does", () => {
    expect(formatDouble(Infinity)).toBe("inf");
    expect(formatDouble(-Infinity)).toBe("-inf");
    expect(formatDouble(NaN)).toBe("nan");
    expect(formatDouble(0)).toBe("0");
    expect(formatDouble(-0)).toBe("-0");
  });

  // [bit pattern, C's printf("%.17g")] as given by Python's '%.17g' (which matched Redis's
  // ZSCORE replies on 30,000 doubles), including ties where the 18th digit is an exact 5.
  const table: [string, string][] = [
    ["3ff8000000000000", "1.5"],
    ["3fb999999999999a", "0.10000000000000001"],
    ["3fc999999999999a", "0.20000000000000001"],
    ["3fd3333333333333", "0.29999999999999999"],
    ["3fd5555555555555", "0.33333333333333331"],
    ["3fe5555555555555", "0.66666666666666663"],
    ["4008000000000000", "3"],
    ["c004000000000000", "-2.5"],
    ["4341c37937e08000", "10000000000000000"],
    ["4376345785d8a000", "1e+17"],
    ["437b69b4ba630f35", "1.2345678901234568e+17"],
    ["4340000000000000", "9007199254740992"],
    ["4340000000000001", "9007199254740994"],
    ["43e0000000000000", "9.2233720368547758e+18"],
    ["43f0000000000000", "1.8446744073709552e+19"],
    ["3f1a36e2eb1c432d", "0.0001"],
    ["3ee4f8b588e368f1", "1.0000000000000001e-05"],
    ["3f202e85be111841", "0.000123456789"],
    ["444b1ae4d6e2ef50", "1e+21"],
    ["4480f0cf064dd592", "1e+22"],
    ["54b249ad2594c37d", "1e+100"],
    ["7e37e43c8800759c", "1.0000000000000001e+300"],
    ["7fefffffffffffff", "1.7976931348623157e+308"],
    ["0010000000000000", "2.2250738585072014e-308"],
    ["0000000000000001", "4.9406564584124654e-324"],
    ["0000000000000002", "9.8813129168249309e-324"],
    ["0000000000002710", "4.9406564584124654e-320"],
    ["43118b54f22aeb01", "1234567890123456.2"],
    ["43118b54f22aeb03", "1234567890123456.8"],
    ["43118b54f22aeb05", "1234567890123457.2"],
    ["c3118b54f22aeb01", "-1234567890123456.2"],
    ["4300000000000001", "562949953421312.12"],
    ["43194a0160b06325", "1779561048840393.2"],
    ["42f6132f5b5b9342", "388346475297076.12"],
    ["4330000000000002", "4503599627370498"],
    ["3fe0000000000000", "0.5"],
    ["4059000000000000", "100"],
    ["400921f9f01b866e", "3.1415899999999999"],
    ["4005bf0a8b145769", "2.7182818284590451"],
    ["430c6bf526340002", "1000000000000000.2"],
    ["3f1a36e2eb1c432c", "9.9999999999999991e-05"],
    ["40c81cd6c8b43958", "12345.678"],
    ["bf50624dd2f1a9fc", "-0.001"],
    ["44dfe185ca57c517", "6.0221407599999999e+23"],
    ["3c07a4da290c1653", "1.6021766339999999e-19"],
    ["cd613e30d8f16adf", "-5.6746649181362161e+64"],
    ["433fda9a1e2feb89", "8966079744306057"],
    ["c10d640c6d44194c", "-240769.55335254443"],
    ["0741c7a87ce42c82", "1.0270784629388736e-273"],
  ];
  for (const [bits, want] of table) {
    it(`formats 0x${bits} as ${want}`, () => {
      expect(formatDouble(fromBits(bits))).toBe(want);
      expect(referenceG17(fromBits(bits))).toBe(want);
    });
  }

  it("equals an exact %.17g on 35,000 random doubles of every kind, ties included", () => {
    const rand = seededFloats(2024);
    const u32 = () => Math.floor(rand() * 2 ** 32);
    const view = new DataView(new ArrayBuffer(8));
    const samples: number[] = [];
    while (samples.length < 35_000) {
      const kind = samples.length % 7;
      let x: number;
      if (kind === 0) {
        view.setUint32(0, u32());
        view.setUint32(4, u32());
        x = view.getFloat64(0); // any bit pattern: subnormals, huge, tiny
      } else if (kind === 1) x = (rand() - 0.5) * 2e6;
      else if (kind === 2) x = Math.round((rand() - 0.5) * 2e4 * 10 ** 4) / 10 ** Math.floor(rand() * 7);
      else if (kind === 3) {
        // 16–17 digit integers plus a fraction the spacing can hold: exact 18-digit ties.
        const e = 48 + Math.floor(rand() * 5);
        x = 2 ** e + Math.floor(rand() * 2 ** e) + [0.125, 0.25, 0.5, 0.75][Math.floor(rand() * 4)];
      } else if (kind === 4) x = Math.floor(rand() * 2 ** 53) * 2 ** (Math.floor(rand() * 2045) - 1074);
      else if (kind === 5) x = (Math.floor(rand() * 2e9) - 1e9) / 2 ** Math.floor(rand() * 16); // few fraction bits
      else x = Math.floor(rand() * 1e17) / 10 ** Math.floor(rand() * 30) * (rand() < 0.5 ? -1 : 1);
      if (Number.isFinite(x)) samples.push(x);
    }
    const wrong = samples.filter((x) => formatDouble(x) !== referenceG17(x)).map((x) => [x, formatDouble(x), referenceG17(x)]);
    expect(wrong).toEqual([]);
  });
});
