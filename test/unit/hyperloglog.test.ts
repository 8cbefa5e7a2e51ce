// The HyperLogLog commands (src/commands/hyperloglog.ts) and representation
// (src/engine/hyperloglog.ts), run through the Executor. Replies, error texts and stored
// bytes were read from redis-server 7.0; test/reference/differential-hyperloglog.test.ts
// compares many more sequences against it.
import { describe, expect, it } from "vitest";
import { lookupCommand } from "../../src/commands/table";
import { elementRegister, estimate, histogramOf, hllHash, HllBuffer, selfTest, setRegister } from "../../src/engine/hyperloglog";
import { error, OK, simple } from "../../src/protocol/reply";
import { arity, engine, WRONGTYPE } from "../support/engine";

const NOT_HLL = error("WRONGTYPE Key is not a valid HyperLogLog string value.");
const CORRUPT = error("INVALIDOBJ Corrupted HLL object detected");
const HEADER_SPARSE_INVALID = "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80";

describe("the HyperLogLog declarations", () => {
  // name, arity, flags, first key, last key, step — as COMMAND INFO on redis-server 7.0.
  it.each([
    ["pfadd", -2, ["write", "denyoom", "fast"], 1, 1, 1],
    ["pfcount", -2, ["readonly"], 1, -1, 1],
    ["pfmerge", -2, ["write", "denyoom"], 1, -1, 1],
    ["pfdebug", 3, ["write", "denyoom", "admin"], 2, 2, 1],
  ] as const)("declares %s as Redis 7.0 does", (name, a, flags, first, last, step) => {
    const spec = lookupCommand(name)!;
    expect([spec.arity, [...spec.flags], spec.keys]).toEqual([a, flags, { first, last, step }]);
    expect(spec.categories).toContain("hyperloglog");
  });

  it("refuses wrong arity", () => {
    const e = engine();
    expect(e.run("PFADD")).toEqual(arity("pfadd"));
    expect(e.run("PFCOUNT")).toEqual(arity("pfcount"));
    expect(e.run("PFMERGE")).toEqual(arity("pfmerge"));
    expect(e.run("PFDEBUG", "encoding")).toEqual(arity("pfdebug"));
    expect(e.run("PFSELFTEST", "x")).toEqual(arity("pfselftest"));
  });
});

describe("the representation", () => {
  it("hashes with MurmurHash64A, seed 0xadc83b19, as Redis", () => {
    // Register index and value of "a", "b", "c" as PFDEBUG GETREG shows them on redis-server.
    expect(hllHash("")).toBe(hllHash(""));
    const regs = ["a", "b", "c"].map(elementRegister).map((p) => [p >>> 6, p & 63]);
    const e = engine();
    e.run("PFADD", "k", "a", "b", "c");
    // Redis 7.0's PFDEBUG DECODE of the same HLL.
    expect(e.run("PFDEBUG", "DECODE", "k")).toBe("Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603");
    expect(regs.map(([i]) => i).sort((x, y) => x - y)).toEqual([8436, 12711, 15780]);
  });

  it("creates an empty sparse HLL as Redis does, and PFCOUNT writes the cache into it", () => {
    const e = engine();
    expect(e.run("PFADD", "k")).toBe(1);
    expect(e.run("GET", "k")).toBe(HEADER_SPARSE_INVALID + "\x7f\xff");
    expect(e.logged("PFCOUNT", "k")).toEqual([["PFCOUNT", "k"]]);
    expect(e.run("GET", "k")).toBe("HYLL\x01" + "\x00".repeat(11) + "\x7f\xff");
    // The cache is valid now: nothing changes, nothing is logged.
    expect(e.logged("PFCOUNT", "k")).toEqual([]);
    expect(e.run("PFADD", "k")).toBe(0);
  });

  it("promotes to dense past hll-sparse-max-bytes and when a value passes 32", () => {
    const e = engine();
    expect(e.run("CONFIG", "GET", "hll-sparse-max-bytes")).toEqual(expect.objectContaining({ entries: ["hll-sparse-max-bytes", "3000"] }));
    e.run("CONFIG", "SET", "hll-sparse-max-bytes", "30");
    e.run("PFADD", "k", "a", "b", "c");
    expect(e.run("PFDEBUG", "ENCODING", "k")).toEqual(simple("sparse"));
    e.run("PFADD", "k", ...Array.from({ length: 20 }, (_, i) => `x${i}`));
    expect(e.run("PFDEBUG", "ENCODING", "k")).toEqual(simple("dense"));
    expect((e.run("GET", "k") as string).length).toBe(12304);
    const h = HllBuffer.empty();
    expect(setRegister(h, 5, 33, 3000)).toBe(1);
    expect(h.encoding).toBe(0);
  });

  it("estimates from the register histogram as Redis 7.0 (Ertl's estimator)", () => {
    expect(estimate(histogramOf(HEADER_SPARSE_INVALID + "\x7f\xff")!)).toBe(0);
    const e = engine();
    e.run("PFADD", "k", ...Array.from({ length: 1000 }, (_, i) => String(i)));
    // Within the standard error (0.81%) times a few; the differential test checks exact values.
    const n = e.run("PFCOUNT", "k") as number;
    expect(Math.abs(n - 1000)).toBeLessThan(30);
  });
});

describe("errors", () => {
  it("sends WRONGTYPE for other types, and Redis's HLL text for strings that are not HLLs", () => {
    const e = engine();
    e.run("RPUSH", "list", "x");
    e.run("SET", "s", "hello");
    for (const argv of [["PFADD", "list", "a"], ["PFCOUNT", "list"], ["PFCOUNT", "list", "s"], ["PFMERGE", "d", "list"], ["PFDEBUG", "encoding", "list"]]) {
      expect(e.run(...argv), argv.join(" ")).toEqual(WRONGTYPE);
    }
    for (const argv of [["PFADD", "s", "a"], ["PFCOUNT", "s"], ["PFCOUNT", "none", "s"], ["PFMERGE", "s"], ["PFDEBUG", "encoding", "s"]]) {
      expect(e.run(...argv), argv.join(" ")).toEqual(NOT_HLL);
    }
    // A dense header on a string of the wrong length, a bad encoding byte, a short string.
    for (const v of ["HYLL\x00" + "\x00".repeat(20), "HYLL\x02" + "\x00".repeat(13), "HYLL"]) {
      e.run("SET", "bad", v);
      expect(e.run("PFCOUNT", "bad")).toEqual(NOT_HLL);
    }
    expect(e.run("GET", "d")).toBeNull();
  });

  it("reports corrupt sparse values as INVALIDOBJ and changes nothing", () => {
    const e = engine();
    // Opcodes covering 100 registers only, and 16384 plus one VAL.
    for (const v of [HEADER_SPARSE_INVALID + "\x40\x63", HEADER_SPARSE_INVALID + "\x7f\xff\x80"]) {
      e.run("SET", "bad", v);
      expect(e.run("PFCOUNT", "bad")).toEqual(CORRUPT);
      expect(e.run("PFCOUNT", "bad", "none")).toEqual(CORRUPT);
      expect(e.run("PFMERGE", "d", "bad")).toEqual(CORRUPT);
      expect(e.run("PFDEBUG", "TODENSE", "bad")).toEqual(CORRUPT);
      expect(e.run("PFDEBUG", "GETREG", "bad")).toEqual(CORRUPT);
      expect(e.run("GET", "bad")).toBe(v);
      expect(e.run("EXISTS", "d")).toBe(0);
    }
  });

  it("answers PFDEBUG's errors in Redis's words", () => {
    const e = engine();
    e.run("PFADD", "k", "a");
    expect(e.run("PFDEBUG", "encoding", "none")).toEqual(error("ERR The specified key does not exist"));
    expect(e.run("PFDEBUG", "nope", "k")).toEqual(error("ERR Unknown PFDEBUG subcommand 'nope'"));
    expect(e.run("PFDEBUG", "no\r\npe\x00x", "k")).toEqual(error("ERR Unknown PFDEBUG subcommand 'no  pe'"));
    expect(e.run("PFDEBUG", "TODENSE", "k")).toBe(1);
    expect(e.run("PFDEBUG", "TODENSE", "k")).toBe(0);
    expect(e.run("PFDEBUG", "DECODE", "k")).toEqual(error("ERR HLL encoding is not sparse"));
    expect((e.run("PFDEBUG", "GETREG", "k") as number[]).length).toBe(16384);
  });

  it("refuses bad hll-sparse-max-bytes values as Redis does", () => {
    const e = engine();
    expect(e.run("CONFIG", "SET", "hll-sparse-max-bytes", "abc")).toEqual(
      error("ERR CONFIG SET failed (possibly related to argument 'hll-sparse-max-bytes') - argument must be a memory value"),
    );
    expect(e.run("CONFIG", "SET", "hll-sparse-max-bytes", "99999999999999999999")).toEqual(
      error("ERR CONFIG SET failed (possibly related to argument 'hll-sparse-max-bytes') - argument must be between 0 and 9223372036854775807 inclusive"),
    );
    expect(e.run("CONFIG", "SET", "hll-sparse-max-bytes", "1kb")).toEqual(OK);
    expect(e.db.settings.hllSparseMaxBytes).toBe(1024);
  });
});

describe("effects", () => {
  it("logs PFADD and PFMERGE as sent, keeps TTLs, and logs nothing for a PFADD that changed nothing", () => {
    const e = engine();
    expect(e.logged("PFADD", "k", "a")).toEqual([["PFADD", "k", "a"]]);
    expect(e.logged("PFADD", "k", "a")).toEqual([]);
    e.run("PEXPIRE", "k", "100000");
    expect(e.logged("PFMERGE", "k", "other")).toEqual([["PFMERGE", "k", "other"]]);
    expect(e.run("PTTL", "k")).toBe(100000);
    expect(e.logged("PFCOUNT", "k", "other")).toEqual([]);
  });

  it("keeps what a PFADD changed before it met corruption, logged as the key's state", () => {
    const e = engine();
    // Covers registers 0..99 only: an element hashing below 100 updates, one above fails.
    e.run("SET", "bad", HEADER_SPARSE_INVALID + "\x40\x63");
    let low = "";
    let high = "";
    for (let i = 0; (low === "" || high === "") && i < 100000; i++) {
      const idx = elementRegister(`e${i}`) >>> 6;
      if (idx < 100 && low === "") low = `e${i}`;
      if (idx >= 100 && high === "") high = `e${i}`;
    }
    const effects = e.logged("PFADD", "bad", low, high);
    expect(e.run("GET", "bad")).not.toBe(HEADER_SPARSE_INVALID + "\x40\x63");
    expect(effects).toHaveLength(1);
    expect(effects[0][0]).toBe("RESTORE");
  });
});

describe("PFSELFTEST", () => {
  it("passes its register and estimator checks", () => {
    expect(engine().run("PFSELFTEST")).toEqual(OK);
    expect(selfTest(Math.random, 2, 10_000, 3000)).toBeNull();
  });
});

describe("speed", () => {
  it("adds and counts fast enough for a shard", () => {
    const e = engine();
    const t0 = performance.now();
    const N = 20_000;
    for (let i = 0; i < N; i++) e.run("PFADD", "sparse-then-dense", `el:${i}`);
    const addMs = performance.now() - t0;
    const t1 = performance.now();
    for (let i = 0; i < 2000; i++) {
      e.run("PFADD", "sparse-then-dense", `more:${i}`);
      e.run("PFCOUNT", "sparse-then-dense");
    }
    const pairMs = performance.now() - t1;
    console.log(`PFADD: ${Math.round((N / addMs) * 1000)}/s; PFADD+PFCOUNT (dense, cache invalidated): ${Math.round((2000 / pairMs) * 1000)}/s`);
    expect(addMs).toBeLessThan(20_000);
  }, 60_000);
});
