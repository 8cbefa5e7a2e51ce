// Generic key commands (src/commands/keys.ts) run through the shard executor with an
// injected clock. Expected replies, errors and logged effects are Redis 7.0's (checked
// against redis-server); the logged form is what the shard appends to its log.
import { beforeEach, describe, expect, it } from "vitest";
import { Executor } from "../../src/commands/execute";
import { lookupCommand } from "../../src/commands/table";
import { Keyspace, type Collection } from "../../src/engine/keyspace";
import { error, OK, simple, type Reply } from "../../src/protocol/reply";
import { keySlot } from "../../src/util/keyslot";

/** A minimal collection, so copying and type filters can be tested before real types exist. */
class FakeList implements Collection {
  readonly type = "list" as const;
  constructor(readonly items: string[]) {}
  get size(): number {
    return this.items.length;
  }
  encoding(): string {
    return "quicklist";
  }
  memoryUsage(): number {
    return 8 * this.items.length;
  }
  clone(): FakeList {
    return new FakeList([...this.items]);
  }
}

const T0 = 1_700_000_000_000;
let now: number;
let db: Keyspace;
let ex: Executor;

beforeEach(() => {
  now = T0;
  db = new Keyspace();
  ex = new Executor(db, undefined, () => now);
});

/** Runs one command; its reply. */
const run = (...argv: string[]): Reply => ex.runOne(argv);
/** Runs one command; its reply and what it logged. */
function logged(...argv: string[]): { reply: Reply; effects: string[][] } {
  const r = ex.run([argv]);
  return { reply: r.replies[0], effects: r.effects };
}
/** A string key with a TTL `ms` from now. */
function setWithTtl(key: string, ms: number, value = "v"): void {
  db.set(key, value);
  db.setExpire(key, now + ms);
}
/** Every key a full SCAN returns, page by page with `count`. */
function scanAll(...opts: string[]): string[] {
  const out: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = run("SCAN", cursor, ...opts) as [string, string[]];
    out.push(...keys);
    cursor = next;
  } while (cursor !== "0");
  return out;
}

describe("declarations", () => {
  // [arity, flags, first, last, step, routing] as COMMAND INFO prints them on Redis 7.0.
  const expected: Record<string, [number, string[], number, number, number, string]> = {
    del: [-2, ["write"], 1, -1, 1, "split-sum"],
    unlink: [-2, ["write", "fast"], 1, -1, 1, "split-sum"],
    exists: [-2, ["readonly", "fast"], 1, -1, 1, "split-sum"],
    touch: [-2, ["readonly", "fast"], 1, -1, 1, "split-sum"],
    type: [2, ["readonly", "fast"], 1, 1, 1, "shard"],
    rename: [3, ["write"], 1, 2, 1, "shard"],
    renamenx: [3, ["write", "fast"], 1, 2, 1, "shard"],
    copy: [-3, ["write", "denyoom"], 1, 2, 1, "shard"],
    keys: [2, ["readonly"], 0, 0, 0, "fanout-concat"],
    scan: [-2, ["readonly"], 0, 0, 0, "fanout-scan"],
    randomkey: [1, ["readonly"], 0, 0, 0, "fanout-random"],
    expire: [-3, ["write", "fast"], 1, 1, 1, "shard"],
    pexpire: [-3, ["write", "fast"], 1, 1, 1, "shard"],
    expireat: [-3, ["write", "fast"], 1, 1, 1, "shard"],
    pexpireat: [-3, ["write", "fast"], 1, 1, 1, "shard"],
    ttl: [2, ["readonly", "fast"], 1, 1, 1, "shard"],
    pttl: [2, ["readonly", "fast"], 1, 1, 1, "shard"],
    expiretime: [2, ["readonly", "fast"], 1, 1, 1, "shard"],
    pexpiretime: [2, ["readonly", "fast"], 1, 1, 1, "shard"],
    persist: [2, ["write", "fast"], 1, 1, 1, "shard"],
  };
  for (const [name, [arity, flags, first, last, step, routing]] of Object.entries(expected)) {
    it(`declares ${name} as Redis does`, () => {
      const spec = lookupCommand(name)!;
      expect(spec.arity).toBe(arity);
      expect([...spec.flags]).toEqual(flags);
      expect(spec.keys ? [spec.keys.first, spec.keys.last, spec.keys.step] : [0, 0, 0]).toEqual([first, last, step]);
      expect(spec.routing).toBe(routing);
      expect(spec.categories).toContain("keyspace");
    });
  }

  it("marks KEYS as dangerous", () => {
    expect(lookupCommand("keys")!.categories).toContain("dangerous");
  });

  it("refuses a wrong number of arguments with Redis's error", () => {
    expect(run("DEL")).toEqual(error("ERR wrong number of arguments for 'del' command"));
    expect(run("expire", "k")).toEqual(error("ERR wrong number of arguments for 'expire' command"));
    expect(run("TTL", "a", "b")).toEqual(error("ERR wrong number of arguments for 'ttl' command"));
  });
});

describe("DEL and UNLINK", () => {
  for (const cmd of ["DEL", "UNLINK"]) {
    it(`${cmd} deletes the keys that exist and counts them, a repeated key once`, () => {
      db.set("a", "1");
      db.set("b", "2");
      expect(logged(cmd, "a", "a", "b", "missing")).toEqual({ reply: 2, effects: [[cmd, "a", "a", "b", "missing"]] });
      expect(db.size).toBe(0);
    });

    it(`${cmd} of missing keys replies 0 and logs nothing`, () => {
      expect(logged(cmd, "x", "y")).toEqual({ reply: 0, effects: [] });
    });

    it(`${cmd} does not count a key whose TTL has passed`, () => {
      setWithTtl("a", 100);
      now += 101;
      expect(run(cmd, "a")).toBe(0);
      expect(db.size).toBe(0);
    });
  }
});

describe("EXISTS and TOUCH", () => {
  for (const cmd of ["EXISTS", "TOUCH"]) {
    it(`${cmd} counts existing keys, a repeated key each time`, () => {
      db.set("a", "1");
      expect(run(cmd, "a", "a", "b")).toBe(2);
    });

    it(`${cmd} changes nothing and logs nothing`, () => {
      db.set("a", "1");
      expect(logged(cmd, "a")).toEqual({ reply: 1, effects: [] });
    });
  }
});

describe("TYPE", () => {
  it("names the type of the value, or none", () => {
    db.set("s", "1");
    db.set("l", new FakeList(["x"]));
    expect(run("TYPE", "s")).toEqual(simple("string"));
    expect(run("TYPE", "l")).toEqual(simple("list"));
    expect(run("TYPE", "missing")).toEqual(simple("none"));
  });
});

describe("RENAME", () => {
  it("moves the value and its TTL to the new name", () => {
    setWithTtl("a", 5000, "va");
    expect(logged("RENAME", "a", "b")).toEqual({ reply: OK, effects: [["RENAME", "a", "b"]] });
    expect(db.get("a")).toBeUndefined();
    expect(db.get("b")).toBe("va");
    expect(run("PTTL", "b")).toBe(5000);
  });

  it("replaces an existing target, dropping the target's TTL", () => {
    db.set("a", "va");
    setWithTtl("b", 5000, "vb");
    expect(run("RENAME", "a", "b")).toEqual(OK);
    expect(db.get("b")).toBe("va");
    expect(run("TTL", "b")).toBe(-1);
    expect(db.size).toBe(1);
  });

  it("refuses a missing source, even when both names are the same", () => {
    expect(run("RENAME", "a", "b")).toEqual(error("ERR no such key"));
    expect(run("RENAME", "a", "a")).toEqual(error("ERR no such key"));
  });

  it("treats a source whose TTL has passed as missing", () => {
    setWithTtl("a", 10);
    now += 11;
    expect(run("RENAME", "a", "b")).toEqual(error("ERR no such key"));
    expect(db.has("b")).toBe(false);
  });

  it("renaming a key to itself replies OK, changes nothing and logs nothing", () => {
    setWithTtl("a", 5000);
    expect(logged("RENAME", "a", "a")).toEqual({ reply: OK, effects: [] });
    expect(run("PTTL", "a")).toBe(5000);
  });
});

describe("RENAMENX", () => {
  it("renames when the target does not exist, keeping the TTL", () => {
    setWithTtl("a", 3000);
    expect(logged("RENAMENX", "a", "b")).toEqual({ reply: 1, effects: [["RENAMENX", "a", "b"]] });
    expect(run("PTTL", "b")).toBe(3000);
    expect(db.has("a")).toBe(false);
  });

  it("replies 0 and changes nothing when the target exists", () => {
    db.set("a", "va");
    db.set("b", "vb");
    expect(logged("RENAMENX", "a", "b")).toEqual({ reply: 0, effects: [] });
    expect(db.get("a")).toBe("va");
    expect(db.get("b")).toBe("vb");
  });

  it("replies 0 for the same name, and refuses a missing source", () => {
    db.set("a", "1");
    expect(run("RENAMENX", "a", "a")).toBe(0);
    expect(run("RENAMENX", "x", "y")).toEqual(error("ERR no such key"));
  });
});

describe("COPY", () => {
  it("copies the value and its TTL, logged as sent", () => {
    setWithTtl("a", 7000, "va");
    expect(logged("COPY", "a", "b")).toEqual({ reply: 1, effects: [["COPY", "a", "b"]] });
    expect(db.get("a")).toBe("va");
    expect(db.get("b")).toBe("va");
    expect(run("PTTL", "b")).toBe(7000);
  });

  it("replies 0 and changes nothing when the target exists, unless REPLACE", () => {
    db.set("a", "va");
    setWithTtl("b", 1000, "vb");
    expect(logged("COPY", "a", "b")).toEqual({ reply: 0, effects: [] });
    expect(db.get("b")).toBe("vb");
    expect(run("COPY", "a", "b", "replace")).toBe(1);
    expect(db.get("b")).toBe("va");
    expect(run("TTL", "b")).toBe(-1);
  });

  it("replies 0 for a missing source", () => {
    expect(logged("COPY", "x", "y")).toEqual({ reply: 0, effects: [] });
  });

  it("refuses copying a key onto itself, even a missing one", () => {
    expect(run("COPY", "a", "a")).toEqual(error("ERR source and destination objects are the same"));
    expect(run("COPY", "a", "a", "DB", "0")).toEqual(error("ERR source and destination objects are the same"));
  });

  it("accepts DB 0, the only database", () => {
    db.set("a", "1");
    expect(run("COPY", "a", "b", "DB", "0")).toBe(1);
  });

  it("refuses any other DB as Redis with one database does", () => {
    db.set("a", "1");
    expect(run("COPY", "a", "b", "DB", "1")).toEqual(error("ERR DB index is out of range"));
    expect(run("COPY", "a", "b", "DB", "-1")).toEqual(error("ERR DB index is out of range"));
    expect(run("COPY", "a", "b", "DB", "abc")).toEqual(error("ERR value is not an integer or out of range"));
    expect(run("COPY", "a", "b", "DB", "2147483648")).toEqual(
      error("ERR value is out of range, value must between -2147483648 and 2147483647"),
    );
    expect(db.has("b")).toBe(false);
  });

  it("refuses unknown options and a DB without its index with a syntax error", () => {
    expect(run("COPY", "a", "b", "FOO")).toEqual(error("ERR syntax error"));
    expect(run("COPY", "a", "b", "DB")).toEqual(error("ERR syntax error"));
  });

  it("reports the first bad option in argument order", () => {
    expect(run("COPY", "a", "b", "FOO", "DB", "16")).toEqual(error("ERR syntax error"));
    expect(run("COPY", "a", "b", "DB", "16", "FOO")).toEqual(error("ERR DB index is out of range"));
  });

  it("deep-copies a collection, so changing the copy leaves the source alone", () => {
    const src = new FakeList(["x"]);
    db.set("a", src);
    expect(run("COPY", "a", "b")).toBe(1);
    const copy = db.get("b") as unknown as FakeList;
    expect(copy).not.toBe(src);
    copy.items.push("y");
    expect(src.items).toEqual(["x"]);
    expect(run("TYPE", "b")).toEqual(simple("list"));
  });
});

describe("KEYS", () => {
  it("lists the keys matching a glob pattern", () => {
    for (const k of ["hello", "hallo", "hxllo", "world"]) db.set(k, "1");
    expect((run("KEYS", "h[ae]llo") as string[]).sort()).toEqual(["hallo", "hello"]);
    expect((run("KEYS", "*") as string[]).sort()).toEqual(["hallo", "hello", "hxllo", "world"]);
  });

  it("lists the empty key for the lone * pattern, as Redis special-cases it", () => {
    db.set("", "1");
    expect(run("KEYS", "*")).toEqual([""]);
    expect(run("KEYS", "**")).toEqual([]);
    expect(run("KEYS", "")).toEqual([""]);
  });

  it("matches binary keys byte by byte", () => {
    db.set("\xff\x00k", "1");
    expect(run("KEYS", "\xff?k")).toEqual(["\xff\x00k"]);
  });

  it("omits keys whose TTL has passed, without deleting or logging anything", () => {
    db.set("live", "1");
    setWithTtl("gone", 10);
    now += 11;
    expect(logged("KEYS", "*")).toEqual({ reply: ["live"], effects: [] });
    expect(db.size).toBe(2);
  });
});

describe("SCAN", () => {
  it("returns every key once over a full iteration, ending with cursor 0", () => {
    const keys = Array.from({ length: 25 }, (_, i) => `k${i}`);
    for (const k of keys) db.set(k, "1");
    expect(scanAll().sort()).toEqual([...keys].sort());
    expect(scanAll("COUNT", "3").sort()).toEqual([...keys].sort());
  });

  it("replies the cursor as a bulk string and the keys as an array", () => {
    db.set("a", "1");
    expect(run("SCAN", "0")).toEqual(["0", ["a"]]);
    expect(run("SCAN", "0", "COUNT", "1000")).toEqual(["0", ["a"]]);
  });

  it("returns at most COUNT keys per call (keys of different slots)", () => {
    for (let i = 0; i < 10; i++) db.set(`k${i}`, "1");
    const [cursor, keys] = run("SCAN", "0", "COUNT", "3") as [string, string[]];
    expect(keys).toHaveLength(3);
    expect(cursor).not.toBe("0");
    const [, next] = run("SCAN", cursor, "COUNT", "3") as [string, string[]];
    expect(next).toHaveLength(3);
    expect(next.filter((k) => keys.includes(k))).toEqual([]);
  });

  it("walks hash slots in order, and pages inside a slot holding more keys than COUNT", () => {
    const tagged = Array.from({ length: 100 }, (_, i) => `{t}${i}`);
    for (const k of ["a", "b", "c", ...tagged]) db.set(k, "1");
    const order: number[] = [];
    let cursor = "0";
    let pages = 0;
    const seen: string[] = [];
    do {
      const [next, keys] = run("SCAN", cursor, "COUNT", "7") as [string, string[]];
      // Never more than COUNT, but a large slot is taken at least 1/32 at a time (4 of 100 here).
      expect(keys.length).toBeLessThanOrEqual(7);
      for (const k of keys) order.push(keySlot(k));
      seen.push(...keys);
      cursor = next;
      pages++;
    } while (cursor !== "0");
    expect(seen.sort()).toEqual(["a", "b", "c", ...tagged].sort());
    expect(order).toEqual([...order].sort((x, y) => x - y));
    expect(pages).toBeGreaterThanOrEqual(15);
  });

  it("takes a large slot in at most about 32 pages whatever COUNT says", () => {
    const tagged = Array.from({ length: 640 }, (_, i) => `{t}${i}`);
    for (const k of tagged) db.set(k, "1");
    const sizes: number[] = [];
    let cursor = "0";
    do {
      const [next, keys] = run("SCAN", cursor, "COUNT", "1") as [string, string[]];
      sizes.push(keys.length);
      cursor = next;
    } while (cursor !== "0");
    // 32 pages of 20 (the walk may end with an empty page past the slot).
    const full = sizes.filter((n) => n > 0);
    expect(full.every((n) => n === 20)).toBe(true);
    expect(full).toHaveLength(32);
  });

  it("continues a large slot at a position that means the same in any keyspace holding it (a slot moved, a shard restarted)", () => {
    const tagged = Array.from({ length: 100 }, (_, i) => `{t}${i}`);
    for (const k of tagged) db.set(k, "1");
    const [cursor, first] = run("SCAN", "0", "COUNT", "10") as [string, string[]];
    expect(cursor).not.toBe("0");
    expect(first).toHaveLength(10);
    // The rest of the walk on another keyspace holding the same keys, created in another order.
    const other = new Executor(new Keyspace());
    for (const k of [...tagged].reverse()) other.runOne(["SET", k, "1"]);
    const seen = [...first];
    let c = cursor;
    while (c !== "0") {
      const [next, keys] = other.runOne(["SCAN", c, "COUNT", "10"]) as [string, string[]];
      seen.push(...keys);
      c = next;
    }
    expect(seen.sort()).toEqual([...tagged].sort());
  });

  it("returns every key present throughout exactly once while keys come and go", () => {
    const stable = Array.from({ length: 40 }, (_, i) => `stable${i}`);
    for (const k of stable) db.set(k, "1");
    for (let i = 0; i < 20; i++) db.set(`doomed${i}`, "1");
    const seen: string[] = [];
    let cursor = "0";
    let round = 0;
    do {
      const [next, keys] = run("SCAN", cursor, "COUNT", "4") as [string, string[]];
      seen.push(...keys);
      cursor = next;
      // Between calls: add new keys, delete some doomed ones, rewrite a stable one.
      db.set(`new${round}`, "1");
      db.delete(`doomed${round}`);
      db.set(`stable${round % 40}`, "rewritten");
      round++;
    } while (cursor !== "0");
    for (const k of stable) expect(seen.filter((s) => s === k)).toEqual([k]);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it("filters by MATCH after the step, so a call may return no keys but a live cursor", () => {
    for (let i = 0; i < 10; i++) db.set(`k${i}`, "1");
    db.set("special", "1");
    const [cursor, keys] = run("SCAN", "0", "MATCH", "spec*", "COUNT", "5") as [string, string[]];
    expect(keys).toEqual([]);
    expect(cursor).not.toBe("0");
    expect(scanAll("MATCH", "spec*", "COUNT", "5")).toEqual(["special"]);
    expect(scanAll("MATCH", "k[0-2]").sort()).toEqual(["k0", "k1", "k2"]);
  });

  it("filters by TYPE, case-insensitively; an unknown type matches nothing", () => {
    db.set("s", "1");
    db.set("l", new FakeList([]));
    expect(scanAll("TYPE", "list")).toEqual(["l"]);
    expect(scanAll("TYPE", "STRING")).toEqual(["s"]);
    expect(scanAll("TYPE", "nosuchtype")).toEqual([]);
  });

  it("lists the empty key for MATCH *", () => {
    db.set("", "1");
    expect(run("SCAN", "0", "MATCH", "*")).toEqual(["0", [""]]);
  });

  it("takes the last of repeated options", () => {
    db.set("a", "1");
    db.set("b", "1");
    expect(run("SCAN", "0", "count", "5", "COUNT", "6", "match", "x", "MATCH", "a")).toEqual(["0", ["a"]]);
  });

  it("never returns a key whose TTL has passed", () => {
    db.set("live", "1");
    setWithTtl("gone", 10);
    now += 11;
    expect(scanAll()).toEqual(["live"]);
  });

  it("refuses cursors strtoul would not fully read", () => {
    for (const bad of ["abc", " 0", "0 ", "+", "-", "1x", "0x10", "18446744073709551616"]) {
      expect(run("SCAN", bad)).toEqual(error("ERR invalid cursor"));
    }
  });

  it("keeps strtoul's quirks: empty is 0, a sign is allowed, and reading stops at NUL", () => {
    db.set("a", "1");
    expect(run("SCAN", "")).toEqual(["0", ["a"]]);
    expect(run("SCAN", "+0")).toEqual(["0", ["a"]]);
    expect(run("SCAN", "-0")).toEqual(["0", ["a"]]);
    expect(run("SCAN", "0\x00junk")).toEqual(["0", ["a"]]);
    // "-1" wraps to 2^64 - 1, far past every key.
    expect(run("SCAN", "-1")).toEqual(["0", []]);
    expect(run("SCAN", "18446744073709551615")).toEqual(["0", []]);
  });

  it("refuses bad options as Redis does", () => {
    expect(run("SCAN", "0", "COUNT", "0")).toEqual(error("ERR syntax error"));
    expect(run("SCAN", "0", "COUNT", "-1")).toEqual(error("ERR syntax error"));
    expect(run("SCAN", "0", "COUNT", "abc")).toEqual(error("ERR value is not an integer or out of range"));
    expect(run("SCAN", "0", "COUNT", "9223372036854775808")).toEqual(
      error("ERR value is not an integer or out of range"),
    );
    expect(run("SCAN", "0", "MATCH")).toEqual(error("ERR syntax error"));
    expect(run("SCAN", "0", "TYPE")).toEqual(error("ERR syntax error"));
    expect(run("SCAN", "0", "FOO", "bar")).toEqual(error("ERR syntax error"));
  });

  it("checks the cursor before the options", () => {
    expect(run("SCAN", "abc", "COUNT", "0")).toEqual(error("ERR invalid cursor"));
  });
});

describe("RANDOMKEY", () => {
  it("replies nil when the keyspace is empty", () => {
    expect(run("RANDOMKEY")).toBeNull();
  });

  it("returns a key that exists", () => {
    for (const k of ["a", "b", "c"]) db.set(k, "1");
    for (let i = 0; i < 20; i++) expect(["a", "b", "c"]).toContain(run("RANDOMKEY"));
  });

  it("never returns a key whose TTL has passed", () => {
    for (let i = 0; i < 10; i++) setWithTtl(`gone${i}`, 5);
    db.set("live", "1");
    now += 6;
    for (let i = 0; i < 20; i++) expect(run("RANDOMKEY")).toBe("live");
    db.delete("live");
    expect(run("RANDOMKEY")).toBeNull();
  });
});

describe("EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT", () => {
  beforeEach(() => db.set("k", "v"));

  it("EXPIRE sets a TTL in seconds, logged as PEXPIREAT at the absolute time", () => {
    expect(logged("EXPIRE", "k", "100")).toEqual({ reply: 1, effects: [["PEXPIREAT", "k", String(T0 + 100_000)]] });
    expect(run("PTTL", "k")).toBe(100_000);
  });

  it("PEXPIRE sets a TTL in milliseconds, logged as PEXPIREAT", () => {
    expect(logged("PEXPIRE", "k", "1500")).toEqual({ reply: 1, effects: [["PEXPIREAT", "k", String(T0 + 1500)]] });
    expect(run("PTTL", "k")).toBe(1500);
  });

  it("EXPIREAT sets an absolute time in seconds, logged in milliseconds", () => {
    const at = T0 / 1000 + 60;
    expect(logged("EXPIREAT", "k", String(at))).toEqual({ reply: 1, effects: [["PEXPIREAT", "k", String(at * 1000)]] });
    expect(run("TTL", "k")).toBe(60);
  });

  it("PEXPIREAT sets an absolute time in milliseconds, logged without its options", () => {
    expect(logged("PEXPIREAT", "k", String(T0 + 42), "nx")).toEqual({
      reply: 1,
      effects: [["PEXPIREAT", "k", String(T0 + 42)]],
    });
    expect(run("PEXPIRETIME", "k")).toBe(T0 + 42);
  });

  it("replies 0 for a missing key and logs nothing", () => {
    expect(logged("EXPIRE", "missing", "10")).toEqual({ reply: 0, effects: [] });
  });

  it("deletes the key for a time already past, logged as DEL", () => {
    expect(logged("EXPIRE", "k", "-1")).toEqual({ reply: 1, effects: [["DEL", "k"]] });
    expect(db.has("k")).toBe(false);
    db.set("k", "v");
    expect(logged("EXPIRE", "k", "0")).toEqual({ reply: 1, effects: [["DEL", "k"]] });
    db.set("k", "v");
    expect(logged("PEXPIREAT", "k", String(T0))).toEqual({ reply: 1, effects: [["DEL", "k"]] });
    db.set("k", "v");
    expect(logged("EXPIREAT", "k", "1")).toEqual({ reply: 1, effects: [["DEL", "k"]] });
    expect(db.size).toBe(0);
  });

  it("sets a past time instead of deleting while replaying the log, as Redis does while loading", () => {
    ex.replay(["PEXPIREAT", "k", String(T0 - 1)]);
    expect(db.getExpire("k")).toBe(T0 - 1);
    expect(db.size).toBe(1);
  });

  it("NX sets only when the key has no TTL", () => {
    expect(run("EXPIRE", "k", "100", "NX")).toBe(1);
    expect(logged("EXPIRE", "k", "200", "nx")).toEqual({ reply: 0, effects: [] });
    expect(run("TTL", "k")).toBe(100);
  });

  it("XX sets only when the key has a TTL", () => {
    expect(run("EXPIRE", "k", "100", "XX")).toBe(0);
    expect(run("TTL", "k")).toBe(-1);
    run("EXPIRE", "k", "100");
    expect(run("EXPIRE", "k", "50", "xx")).toBe(1);
    expect(run("TTL", "k")).toBe(50);
  });

  it("GT sets only a later time, and never on a key without TTL", () => {
    expect(run("EXPIRE", "k", "100", "GT")).toBe(0);
    run("EXPIRE", "k", "100");
    expect(run("EXPIRE", "k", "50", "GT")).toBe(0);
    expect(run("EXPIRE", "k", "100", "GT")).toBe(0);
    expect(run("EXPIRE", "k", "200", "GT")).toBe(1);
    expect(run("TTL", "k")).toBe(200);
  });

  it("LT sets only an earlier time, and always on a key without TTL", () => {
    expect(run("EXPIRE", "k", "100", "LT")).toBe(1);
    expect(run("EXPIRE", "k", "300", "LT")).toBe(0);
    expect(run("EXPIRE", "k", "100", "LT")).toBe(0);
    expect(run("EXPIRE", "k", "10", "XX", "LT")).toBe(1);
    expect(run("TTL", "k")).toBe(10);
  });

  it("LT with a past time deletes a key without TTL; GT does not", () => {
    expect(run("EXPIRE", "k", "-5", "GT")).toBe(0);
    expect(db.has("k")).toBe(true);
    expect(logged("EXPIRE", "k", "-5", "LT")).toEqual({ reply: 1, effects: [["DEL", "k"]] });
    expect(db.has("k")).toBe(false);
  });

  it("refuses incompatible options with Redis's errors", () => {
    const nx = error("ERR NX and XX, GT or LT options at the same time are not compatible");
    const gtlt = error("ERR GT and LT options at the same time are not compatible");
    expect(run("EXPIRE", "k", "10", "NX", "XX")).toEqual(nx);
    expect(run("EXPIRE", "k", "10", "NX", "GT")).toEqual(nx);
    expect(run("EXPIRE", "k", "10", "lt", "nx")).toEqual(nx);
    expect(run("EXPIRE", "k", "10", "GT", "LT")).toEqual(gtlt);
    expect(run("EXPIRE", "k", "10", "XX", "GT", "LT")).toEqual(gtlt);
    expect(run("TTL", "k")).toBe(-1);
  });

  it("refuses an unknown option, naming it as C prints it", () => {
    expect(run("EXPIRE", "k", "10", "foo")).toEqual(error("ERR Unsupported option foo"));
    expect(run("EXPIRE", "k", "10", "a\r\nb")).toEqual(error("ERR Unsupported option a  b"));
    expect(run("EXPIRE", "k", "10", "n\x00x")).toEqual(error("ERR Unsupported option n"));
  });

  it("reads an option only up to a NUL byte, as strcasecmp does", () => {
    expect(run("EXPIRE", "k", "10", "nx\x00junk")).toBe(1);
    expect(run("TTL", "k")).toBe(10);
  });

  it("checks the options before the time", () => {
    expect(run("EXPIRE", "k", "abc", "foo")).toEqual(error("ERR Unsupported option foo"));
    expect(run("EXPIRE", "k", "abc", "NX")).toEqual(error("ERR value is not an integer or out of range"));
    expect(run("PEXPIRE", "k", "1.5")).toEqual(error("ERR value is not an integer or out of range"));
    expect(run("EXPIRE", "k", " 1")).toEqual(error("ERR value is not an integer or out of range"));
  });

  it("refuses times that overflow 64-bit milliseconds, naming the command", () => {
    expect(run("EXPIRE", "k", "9223372036854775")).toEqual(error("ERR invalid expire time in 'expire' command"));
    expect(run("expire", "k", "-9223372036854776")).toEqual(error("ERR invalid expire time in 'expire' command"));
    expect(run("PEXPIRE", "k", "9223372036854775807")).toEqual(error("ERR invalid expire time in 'pexpire' command"));
    expect(run("EXPIREAT", "k", "9223372036854776")).toEqual(error("ERR invalid expire time in 'expireat' command"));
    expect(run("EXPIRE", "missing", "9223372036854775")).toEqual(error("ERR invalid expire time in 'expire' command"));
    expect(run("TTL", "k")).toBe(-1);
  });

  it("accepts the largest times that fit, exactly", () => {
    expect(logged("PEXPIREAT", "k", "9223372036854775807")).toEqual({
      reply: 1,
      effects: [["PEXPIREAT", "k", "9223372036854775807"]],
    });
    expect(run("PEXPIRETIME", "k")).toBe(9223372036854775807n);
    expect(run("TTL", "k")).toBe(9223370336854776n);
    expect(run("EXPIREAT", "k", "9223372036854775")).toBe(1);
    expect(run("EXPIRETIME", "k")).toBe(9223372036854775n);
  });

  it("accepts a huge negative time as long as it fits, deleting the key", () => {
    expect(run("EXPIRE", "k", "-9223372036854775")).toBe(1);
    expect(db.has("k")).toBe(false);
  });
});

describe("TTL, PTTL, EXPIRETIME, PEXPIRETIME", () => {
  it("reply -2 for a missing key and -1 for a key without TTL", () => {
    db.set("k", "v");
    for (const cmd of ["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"]) {
      expect(run(cmd, "missing")).toBe(-2);
      expect(run(cmd, "k")).toBe(-1);
    }
  });

  it("TTL rounds the time left to the nearest second, as (ms + 500) / 1000", () => {
    db.set("k", "v");
    const cases: [number, number][] = [[1500, 2], [1499, 1], [500, 1], [499, 0], [1, 0], [100_000, 100]];
    for (const [ms, s] of cases) {
      db.setExpire("k", now + ms);
      expect(run("TTL", "k")).toBe(s);
      expect(run("PTTL", "k")).toBe(ms);
    }
  });

  it("EXPIRETIME rounds the absolute time to the nearest second", () => {
    db.set("k", "v");
    db.setExpire("k", 99_999_999_999_499);
    expect(run("EXPIRETIME", "k")).toBe(99_999_999_999);
    expect(run("PEXPIRETIME", "k")).toBe(99_999_999_999_499);
    db.setExpire("k", 99_999_999_999_500);
    expect(run("EXPIRETIME", "k")).toBe(100_000_000_000);
  });

  it("counts down as time passes, then reports the key missing once it expires", () => {
    setWithTtl("k", 3000);
    now += 1000;
    expect(run("PTTL", "k")).toBe(2000);
    expect(run("PEXPIRETIME", "k")).toBe(T0 + 3000);
    now += 2001;
    expect(run("TTL", "k")).toBe(-2);
    expect(run("PEXPIRETIME", "k")).toBe(-2);
    expect(db.size).toBe(0);
  });

  it("logs the lazy deletion of an expired key as DEL", () => {
    setWithTtl("k", 10);
    now += 11;
    expect(logged("PTTL", "k").effects).toContainEqual(["DEL", "k"]);
  });
});

describe("PERSIST", () => {
  it("removes a TTL and replies 1, logged as sent", () => {
    setWithTtl("k", 1000);
    expect(logged("PERSIST", "k")).toEqual({ reply: 1, effects: [["PERSIST", "k"]] });
    expect(run("TTL", "k")).toBe(-1);
  });

  it("replies 0 and logs nothing for a key without TTL or a missing key", () => {
    db.set("k", "v");
    expect(logged("PERSIST", "k")).toEqual({ reply: 0, effects: [] });
    expect(logged("PERSIST", "missing")).toEqual({ reply: 0, effects: [] });
  });

  it("replies 0 for a key whose TTL has passed", () => {
    setWithTtl("k", 10);
    now += 11;
    expect(run("PERSIST", "k")).toBe(0);
    expect(db.size).toBe(0);
  });
});

describe("lazy expiry across commands", () => {
  beforeEach(() => {
    setWithTtl("gone", 1000);
    now += 1001;
  });

  it("EXISTS, TYPE and TTL see an expired key as missing", () => {
    expect(run("EXISTS", "gone")).toBe(0);
    setWithTtl("gone2", -1);
    expect(run("TYPE", "gone2")).toEqual(simple("none"));
    setWithTtl("gone3", -1);
    expect(run("TTL", "gone3")).toBe(-2);
    expect(db.size).toBe(0);
  });

  it("KEYS, SCAN and RANDOMKEY never return it", () => {
    expect(run("KEYS", "*")).toEqual([]);
    expect(run("SCAN", "0")).toEqual(["0", []]);
    expect(run("RANDOMKEY")).toBeNull();
  });

  it("a key with a millisecond left is still there, and gone once its time has passed", () => {
    setWithTtl("soon", 1);
    expect(run("EXISTS", "soon")).toBe(1);
    expect(run("PTTL", "soon")).toBe(1);
    now += 2;
    expect(run("EXISTS", "soon")).toBe(0);
  });
});
