/**
 * Hash field expiration (Redis 7.4 HEXPIRE family, Redis 8.0 HGETEX/HSETEX/HGETDEL) in the
 * engine, with the test's clock: every reply code, every error, what is logged, lazy and
 * active expiry of fields, the expiry index, memory accounting and INFO's subexpiry.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS } from "../../src/commands/execute";
import { lookupCommand } from "../../src/commands/table";
import { HashValue } from "../../src/engine/hash";
import { error } from "../../src/protocol/reply";
import { ShardCore } from "../../src/shard/core";
import { arity, engine, NOT_INTEGER, T0, WRONGTYPE } from "../support/engine";

const FIELDS_MISSING = error("ERR Mandatory argument FIELDS is missing or not at the right position");
const EXPIRE_NUMFIELDS = error("ERR Parameter `numFields` should be greater than 0");
const NUMFIELDS = error("ERR Number of fields must be a positive integer");
const MISMATCH = error("ERR The `numfields` parameter must match the number of arguments");
const NEGATIVE = error("ERR invalid expire time, must be >= 0");
const invalidExpire = (cmd: string) => error(`ERR invalid expire time in '${cmd}' command`);

function withHash() {
  const e = engine();
  e.run("HSET", "h", "f1", "v1", "f2", "v2", "f3", "v3");
  return e;
}

describe("HEXPIRE, HPEXPIRE, HEXPIREAT, HPEXPIREAT", () => {
  it("sets TTLs and replies 1 per field set, -2 per missing field", () => {
    const e = withHash();
    expect(e.run("HEXPIRE", "h", "100", "FIELDS", "2", "f1", "nope")).toEqual([1, -2]);
    expect(e.run("HPTTL", "h", "FIELDS", "1", "f1")).toEqual([100_000]);
    expect(e.run("HPEXPIRE", "h", "1500", "FIELDS", "1", "f2")).toEqual([1]);
    expect(e.run("HPEXPIRETIME", "h", "FIELDS", "1", "f2")).toEqual([T0 + 1500]);
    expect(e.run("HEXPIREAT", "h", String(T0 / 1000 + 50), "FIELDS", "1", "f3")).toEqual([1]);
    expect(e.run("HEXPIRETIME", "h", "FIELDS", "1", "f3")).toEqual([T0 / 1000 + 50]);
    expect(e.run("HPEXPIREAT", "h", String(T0 + 7), "FIELDS", "1", "f3")).toEqual([1]);
    expect(e.run("HPTTL", "h", "FIELDS", "1", "f3")).toEqual([7]);
  });

  it("replies -2 for every field of a missing key", () => {
    const e = engine();
    expect(e.run("HEXPIRE", "none", "10", "FIELDS", "2", "a", "b")).toEqual([-2, -2]);
    expect(e.db.has("none")).toBe(false);
  });

  it("deletes fields when the time is now or past (2), and the key with the last field", () => {
    const e = withHash();
    expect(e.logged("HEXPIRE", "h", "0", "FIELDS", "2", "f1", "zz")).toEqual([["HDEL", "h", "f1"]]);
    expect(e.run("HGETALL", "h")).toEqual({ kind: "map", entries: ["f2", "v2", "f3", "v3"] });
    expect(e.run("HPEXPIREAT", "h", String(T0), "FIELDS", "2", "f2", "f3")).toEqual([2, 2]);
    expect(e.db.has("h")).toBe(false);
  });

  it("honours NX, XX, GT and LT per field (no TTL counts as infinite)", () => {
    const e = withHash();
    expect(e.run("HEXPIRE", "h", "100", "XX", "FIELDS", "1", "f1")).toEqual([0]);
    expect(e.run("HEXPIRE", "h", "100", "GT", "FIELDS", "1", "f1")).toEqual([0]);
    expect(e.run("HEXPIRE", "h", "100", "NX", "FIELDS", "1", "f1")).toEqual([1]);
    expect(e.run("HEXPIRE", "h", "200", "nx", "FIELDS", "2", "f1", "f2")).toEqual([0, 1]);
    expect(e.run("HEXPIRE", "h", "150", "XX", "FIELDS", "2", "f1", "f3")).toEqual([1, 0]);
    expect(e.run("HEXPIRE", "h", "120", "GT", "FIELDS", "1", "f1")).toEqual([0]);
    expect(e.run("HEXPIRE", "h", "180", "gt", "FIELDS", "1", "f1")).toEqual([1]);
    expect(e.run("HEXPIRE", "h", "190", "LT", "FIELDS", "2", "f1", "f3")).toEqual([0, 1]);
    expect(e.run("HEXPIRE", "h", "10", "LT", "FIELDS", "1", "f1")).toEqual([1]);
    expect(e.run("HTTL", "h", "FIELDS", "3", "f1", "f2", "f3")).toEqual([10, 200, 190]);
  });

  it("logs HPEXPIREAT of only the fields it set, with the absolute time; nothing when none", () => {
    const e = withHash();
    expect(e.logged("HEXPIRE", "h", "10", "FIELDS", "3", "f1", "nope", "f2")).toEqual([
      ["HPEXPIREAT", "h", String(T0 + 10_000), "FIELDS", "2", "f1", "f2"],
    ]);
    expect(e.logged("HPEXPIRE", "h", "30", "NX", "FIELDS", "2", "f1", "f3")).toEqual([
      ["HPEXPIREAT", "h", String(T0 + 30), "FIELDS", "1", "f3"],
    ]);
    expect(e.logged("HEXPIRE", "h", "10", "NX", "FIELDS", "1", "f1")).toEqual([]);
    expect(e.logged("HEXPIRE", "h", "10", "FIELDS", "1", "nope")).toEqual([]);
  });

  it("refuses bad arguments with Redis's errors, changing nothing", () => {
    const e = withHash();
    expect(e.run("HEXPIRE", "h", "10", "FIELDS", "1")).toEqual(arity("hexpire"));
    expect(e.run("HEXPIRE", "h", "x", "FIELDS", "1", "f1")).toEqual(NOT_INTEGER);
    expect(e.run("HEXPIRE", "h", "-1", "FIELDS", "1", "f1")).toEqual(NEGATIVE);
    expect(e.run("HEXPIRE", "h", String(2 ** 46), "FIELDS", "1", "f1")).toEqual(invalidExpire("hexpire"));
    expect(e.run("HPEXPIRE", "h", String(2 ** 46), "FIELDS", "1", "f1")).toEqual(invalidExpire("hpexpire"));
    expect(e.run("HPEXPIREAT", "h", String(2 ** 46), "FIELDS", "1", "f1")).toEqual(invalidExpire("hpexpireat"));
    expect(e.run("HPEXPIREAT", "h", String(2 ** 46 - 1), "FIELDS", "1", "f1")).toEqual([1]);
    expect(e.run("HEXPIRE", "h", "10", "FIELDX", "1", "f1")).toEqual(FIELDS_MISSING);
    expect(e.run("HEXPIRE", "h", "10", "NX", "XX", "FIELDS", "1", "f1")).toEqual(FIELDS_MISSING);
    expect(e.run("HEXPIRE", "h", "10", "FIELDS", "0", "f1")).toEqual(EXPIRE_NUMFIELDS);
    expect(e.run("HEXPIRE", "h", "10", "FIELDS", "-1", "f1")).toEqual(EXPIRE_NUMFIELDS);
    expect(e.run("HEXPIRE", "h", "10", "FIELDS", "abc", "f1")).toEqual(EXPIRE_NUMFIELDS);
    expect(e.run("HEXPIRE", "h", "10", "FIELDS", "2", "f1")).toEqual(MISMATCH);
    expect(e.run("HEXPIRE", "h", "10", "FIELDS", "1", "f1", "f2")).toEqual(MISMATCH);
    expect(e.run("HTTL", "h", "FIELDS", "2", "f1", "f2")).toEqual([Math.floor((2 ** 46 - 1 + 999 - T0) / 1000), -1]);
    e.run("SET", "s", "x");
    expect(e.run("HEXPIRE", "s", "10", "FIELDS", "1", "f1")).toEqual(WRONGTYPE);
  });
});

describe("HTTL, HPTTL, HEXPIRETIME, HPEXPIRETIME", () => {
  it("reply -2 for no field or key, -1 for no TTL, and round seconds up", () => {
    const e = withHash();
    e.run("HPEXPIRE", "h", "1001", "FIELDS", "1", "f1");
    expect(e.run("HTTL", "h", "FIELDS", "3", "f1", "f2", "nope")).toEqual([2, -1, -2]);
    expect(e.run("HPTTL", "h", "FIELDS", "1", "f1")).toEqual([1001]);
    expect(e.run("HEXPIRETIME", "h", "FIELDS", "1", "f1")).toEqual([Math.floor((T0 + 1001 + 999) / 1000)]);
    expect(e.run("HPEXPIRETIME", "h", "FIELDS", "2", "f1", "f2")).toEqual([T0 + 1001, -1]);
    expect(e.run("HTTL", "none", "FIELDS", "2", "a", "b")).toEqual([-2, -2]);
  });

  it("refuse bad arguments", () => {
    const e = withHash();
    expect(e.run("HTTL", "h", "FIELDS", "1")).toEqual(arity("httl"));
    expect(e.run("HTTL", "h", "FIELD", "1", "f1")).toEqual(FIELDS_MISSING);
    expect(e.run("HPTTL", "h", "FIELDS", "0", "f1")).toEqual(NUMFIELDS);
    expect(e.run("HPTTL", "h", "FIELDS", "x", "f1")).toEqual(NUMFIELDS);
    expect(e.run("HEXPIRETIME", "h", "FIELDS", "2", "f1")).toEqual(MISMATCH);
    e.run("SET", "s", "x");
    expect(e.run("HPEXPIRETIME", "s", "FIELDS", "1", "f1")).toEqual(WRONGTYPE);
  });
});

describe("HPERSIST", () => {
  it("replies 1 when it removed a TTL, -1 for none, -2 for no field or key", () => {
    const e = withHash();
    e.run("HEXPIRE", "h", "100", "FIELDS", "1", "f1");
    expect(e.logged("HPERSIST", "h", "FIELDS", "3", "f1", "f2", "nope")).toEqual([["HPERSIST", "h", "FIELDS", "3", "f1", "f2", "nope"]]);
    expect(e.run("HTTL", "h", "FIELDS", "1", "f1")).toEqual([-1]);
    expect(e.logged("HPERSIST", "h", "FIELDS", "1", "f1")).toEqual([]);
    expect(e.run("HPERSIST", "none", "FIELDS", "1", "a")).toEqual([-2]);
    expect(e.run("HPERSIST", "h", "FIELDS", "0", "a")).toEqual(NUMFIELDS);
    expect(e.run("HPERSIST", "h", "FIELDS", "2", "a")).toEqual(MISMATCH);
    expect(e.run("HPERSIST", "h", "FIELDZ", "1", "a")).toEqual(FIELDS_MISSING);
  });
});

describe("expired fields", () => {
  it("are never returned by any hash command, and HLEN counts only live fields", () => {
    const e = withHash();
    e.run("HPEXPIRE", "h", "100", "FIELDS", "1", "f1");
    e.clock.now = T0 + 100;
    expect(e.run("HGET", "h", "f1")).toBe("v1"); // due only once now > time
    e.clock.now = T0 + 101;
    expect(e.run("HGET", "h", "f1")).toBeNull();
    e.run("HPEXPIRE", "h", "1", "FIELDS", "1", "f2");
    e.clock.now += 2;
    expect(e.run("HLEN", "h")).toBe(1);
    expect(e.run("HEXISTS", "h", "f2")).toBe(0);
    expect(e.run("HSTRLEN", "h", "f2")).toBe(0);
    expect(e.run("HMGET", "h", "f1", "f2", "f3")).toEqual([null, null, "v3"]);
    expect(e.run("HKEYS", "h")).toEqual(["f3"]);
    expect(e.run("HSCAN", "h", "0")).toEqual(["0", ["f3", "v3"]]);
    expect(e.run("HRANDFIELD", "h", "5")).toEqual(["f3"]);
    expect(e.run("HTTL", "h", "FIELDS", "1", "f1")).toEqual([-2]);
  });

  it("are reclaimed lazily and logged as HDEL; the last one takes the key (no command logged for a read)", () => {
    const e = withHash();
    e.run("HPEXPIRE", "h", "10", "FIELDS", "3", "f1", "f2", "f3");
    e.clock.now = T0 + 11;
    expect(e.logged("HGET", "h", "f1")).toEqual([["HDEL", "h", "f1", "f2", "f3"]]);
    expect(e.db.has("h")).toBe(false);
    expect(e.run("EXISTS", "h")).toBe(0);
    expect(e.db.stats.expiredFields).toBe(3);
  });

  it("are reclaimed by active expiry, which the expiry index schedules", () => {
    let now = T0;
    const log: string[][] = [];
    const core = new ShardCore(DEFAULT_LIMITS, (fx) => log.push(...fx), () => now);
    core.exec([
      ["HSET", "h", "a", "1", "b", "2", "c", "3"],
      ["HPEXPIRE", "h", "300", "FIELDS", "1", "a"],
      ["HPEXPIRE", "h", "100", "FIELDS", "1", "b"],
      ["SET", "k", "v", "PX", "200"],
    ]);
    expect(core.nextExpiry()).toBe(T0 + 100);
    log.length = 0;
    now = T0 + 150;
    expect(core.expireDue(10)).toBe(false);
    expect(log).toEqual([["HDEL", "h", "b"]]);
    expect(core.nextExpiry()).toBe(T0 + 200);
    now = T0 + 400;
    log.length = 0;
    core.expireDue(10);
    expect(log).toEqual([["DEL", "k"], ["HDEL", "h", "a"]]);
    expect(core.nextExpiry()).toBeUndefined();
    expect(core.exec([["HGETALL", "h"]])).toEqual([{ kind: "map", entries: ["c", "3"] }]);
  });

  it("leave the index when persisted, deleted, overwritten or the key goes", () => {
    const e = withHash();
    e.run("HPEXPIRE", "h", "100", "FIELDS", "1", "f1");
    expect(e.db.nextExpiry()).toBe(T0 + 100);
    e.run("HSET", "h", "f1", "new");
    expect(e.run("HTTL", "h", "FIELDS", "1", "f1")).toEqual([-1]);
    expect(e.db.nextExpiry()).toBeUndefined();
    e.run("HPEXPIRE", "h", "100", "FIELDS", "1", "f1");
    e.run("HPEXPIRE", "h", "50", "FIELDS", "1", "f2");
    expect(e.db.nextExpiry()).toBe(T0 + 50);
    e.run("HDEL", "h", "f2");
    expect(e.db.nextExpiry()).toBe(T0 + 100);
    e.run("DEL", "h");
    expect(e.db.nextExpiry()).toBeUndefined();
    expect(e.db.subexpiresCount).toBe(0);
  });

  it("keep their TTL through HINCRBY and HINCRBYFLOAT (logged so that replay keeps it)", () => {
    const e = engine();
    e.run("HSET", "h", "n", "10", "x", "1");
    e.run("HPEXPIRE", "h", "500", "FIELDS", "2", "n", "x");
    expect(e.run("HINCRBY", "h", "n", "5")).toBe(15);
    expect(e.logged("HINCRBYFLOAT", "h", "x", "1.5")).toEqual([["HSETEX", "h", "KEEPTTL", "FIELDS", "1", "x", "2.5"]]);
    expect(e.run("HPTTL", "h", "FIELDS", "2", "n", "x")).toEqual([500, 500]);
  });

  it("are copied by COPY and moved by RENAME", () => {
    const e = withHash();
    e.run("HPEXPIRE", "h", "100", "FIELDS", "1", "f1");
    e.run("COPY", "h", "c");
    e.run("RENAME", "h", "r");
    expect(e.run("HPTTL", "c", "FIELDS", "1", "f1")).toEqual([100]);
    expect(e.run("HPTTL", "r", "FIELDS", "1", "f1")).toEqual([100]);
    expect(e.db.subexpiresCount).toBe(2);
    e.clock.now = T0 + 101;
    expect(e.run("HLEN", "c")).toBe(2);
    expect(e.run("HLEN", "r")).toBe(2);
  });

  it("coexist with a key TTL: whichever comes first acts", () => {
    const e = engine();
    e.run("HSET", "h", "f1", "v1", "f2", "v2");
    e.run("HPEXPIRE", "h", "10", "FIELDS", "1", "f1");
    e.run("PEXPIRE", "h", "1000");
    e.clock.now = T0 + 20;
    expect(e.run("HTTL", "h", "FIELDS", "1", "f1")).toEqual([-2]);
    expect(e.run("PTTL", "h")).toBe(980);
    e.clock.now = T0 + 1001;
    expect(e.run("EXISTS", "h")).toBe(0);
    expect(e.db.nextExpiry()).toBeUndefined();
  });
});

describe("HGETEX", () => {
  it("gets values and sets, persists or leaves TTLs; nulls for a missing key", () => {
    const e = withHash();
    expect(e.run("HGETEX", "h", "FIELDS", "2", "f1", "nope")).toEqual(["v1", null]);
    expect(e.logged("HGETEX", "h", "EX", "10", "FIELDS", "2", "f1", "nope")).toEqual([
      ["HPEXPIREAT", "h", String(T0 + 10_000), "FIELDS", "1", "f1"],
    ]);
    expect(e.run("HGETEX", "h", "PX", "100", "FIELDS", "1", "f2")).toEqual(["v2"]);
    expect(e.run("HGETEX", "h", "EXAT", String(T0 / 1000 + 5), "FIELDS", "1", "f3")).toEqual(["v3"]);
    expect(e.run("HPTTL", "h", "FIELDS", "3", "f1", "f2", "f3")).toEqual([10_000, 100, 5000]);
    expect(e.logged("HGETEX", "h", "PERSIST", "FIELDS", "2", "f1", "nope")).toEqual([["HPERSIST", "h", "FIELDS", "1", "f1"]]);
    expect(e.logged("HGETEX", "h", "PERSIST", "FIELDS", "1", "f1")).toEqual([]);
    expect(e.run("HGETEX", "none", "PX", "5", "FIELDS", "2", "a", "b")).toEqual([null, null]);
  });

  it("deletes the fields (and the emptied key) for a time in the past, still returning the values", () => {
    const e = withHash();
    expect(e.logged("HGETEX", "h", "PXAT", "1", "FIELDS", "2", "f1", "f2")).toEqual([["HDEL", "h", "f1", "f2"]]);
    expect(e.run("HGETEX", "h", "PXAT", "1", "FIELDS", "1", "f3")).toEqual(["v3"]);
    expect(e.db.has("h")).toBe(false);
  });

  it("refuses bad arguments", () => {
    const e = withHash();
    expect(e.run("HGETEX", "h", "FIELDS", "1")).toEqual(arity("hgetex"));
    expect(e.run("HGETEX", "h", "XFIELDX", "1", "a")).toEqual(FIELDS_MISSING);
    expect(e.run("HGETEX", "h", "PXAT", "1", "1")).toEqual(FIELDS_MISSING);
    expect(e.run("HGETEX", "h", "PERSIST", "1", "FIELDS", "1", "a")).toEqual(FIELDS_MISSING);
    expect(e.run("HGETEX", "h", "FIELDS", "2", "a")).toEqual(MISMATCH);
    expect(e.run("HGETEX", "h", "FIELDS", "0", "a")).toEqual(NUMFIELDS);
    expect(e.run("HGETEX", "h", "FIELDS", "9223372036854775808", "a")).toEqual(NUMFIELDS);
    expect(e.run("HGETEX", "h", "EX", "bla", "FIELDS", "1", "a")).toEqual(NOT_INTEGER);
    expect(e.run("HGETEX", "h", "PX", "-1", "FIELDS", "1", "a")).toEqual(NEGATIVE);
    expect(e.run("HGETEX", "h", "EX", String(2 ** 48), "FIELDS", "1", "a")).toEqual(invalidExpire("hgetex"));
    expect(e.run("HGETEX", "h", "PXAT", String(2 ** 46 + 100), "FIELDS", "1", "a")).toEqual(invalidExpire("hgetex"));
    // hgetexCommand reads one option at argv[2]: a second one is where FIELDS must be.
    expect(e.run("HGETEX", "h", "EX", "10", "PERSIST", "FIELDS", "1", "a")).toEqual(FIELDS_MISSING);
    expect(e.run("HGETEX", "h", "PERSIST", "EX", "10", "FIELDS", "1", "a")).toEqual(FIELDS_MISSING);
    expect(e.run("HGETEX", "h", "EX", "10", "EX", "10", "FIELDS", "1", "a")).toEqual(FIELDS_MISSING);
    e.run("SET", "s", "x");
    expect(e.run("HGETEX", "s", "FIELDS", "1", "a")).toEqual(WRONGTYPE);
  });
});

describe("argument checks against the key's type", () => {
  it("check the type first, as every command but HSETEX looks the key up before parsing", () => {
    const e = engine();
    e.run("SET", "s", "x");
    expect(e.run("HEXPIRE", "s", "bla", "FIELDS", "1", "a")).toEqual(WRONGTYPE);
    expect(e.run("HPEXPIREAT", "s", "-1", "NX", "FIELDZ", "1", "a")).toEqual(WRONGTYPE);
    expect(e.run("HTTL", "s", "FIELDZ", "1", "a")).toEqual(WRONGTYPE);
    expect(e.run("HPERSIST", "s", "FIELDS", "0", "a")).toEqual(WRONGTYPE);
    expect(e.run("HGETDEL", "s", "FIELDS", "2", "a")).toEqual(WRONGTYPE);
    expect(e.run("HGETEX", "s", "EX", "-1", "FIELDS", "1", "a")).toEqual(WRONGTYPE);
    // hsetexParseArgs runs before the lookup.
    expect(e.run("HSETEX", "s", "BAD", "FIELDS", "1", "a", "b")).toEqual(error("ERR unknown argument: BAD"));
  });

  it("parse the time before FIELDS (hexpireGenericCommand)", () => {
    const e = withHash();
    expect(e.run("HEXPIRE", "h", "bla", "FIELDZ", "1", "a")).toEqual(NOT_INTEGER);
    expect(e.run("HEXPIRE", "h", "-1", "FIELDZ", "1", "a")).toEqual(NEGATIVE);
    expect(e.run("HEXPIRE", "h", "10", "NX", "FIELDS", "1")).toEqual(MISMATCH);
    expect(e.run("HEXPIRE", "h", "10", "XX", "NX", "FIELDS", "1", "a")).toEqual(FIELDS_MISSING);
    expect(e.run("HEXPIRE", "h", "10", "FIELDS", "x", "a")).toEqual(EXPIRE_NUMFIELDS);
  });
});

describe("HSETEX", () => {
  it("sets fields, with FNX / FXX all or nothing, and replies 1 or 0", () => {
    const e = engine();
    expect(e.run("HSETEX", "h", "FXX", "FIELDS", "1", "f1", "v1")).toBe(0);
    expect(e.db.has("h")).toBe(false);
    expect(e.run("HSETEX", "h", "FNX", "FIELDS", "1", "f1", "v1")).toBe(1);
    expect(e.run("HSETEX", "h", "FNX", "FIELDS", "2", "f1", "x", "f2", "x")).toBe(0);
    expect(e.run("HSETEX", "h", "FXX", "FIELDS", "2", "f1", "x", "f2", "x")).toBe(0);
    expect(e.run("HGETALL", "h")).toEqual({ kind: "map", entries: ["f1", "v1"] });
    expect(e.logged("HSETEX", "h", "FXX", "FIELDS", "1", "f1", "v11")).toEqual([["HSETEX", "h", "FXX", "FIELDS", "1", "f1", "v11"]]);
    expect(e.run("HGET", "h", "f1")).toBe("v11");
  });

  it("sets TTLs (logged as PXAT), keeps them with KEEPTTL, discards them otherwise", () => {
    const e = engine();
    expect(e.logged("HSETEX", "h", "PX", "5000", "FNX", "FIELDS", "2", "f1", "v1", "f2", "v2")).toEqual([
      ["HSETEX", "h", "PXAT", String(T0 + 5000), "FIELDS", "2", "f1", "v1", "f2", "v2"],
    ]);
    expect(e.run("HSETEX", "h", "KEEPTTL", "FIELDS", "1", "f1", "v11")).toBe(1);
    expect(e.run("HPTTL", "h", "FIELDS", "2", "f1", "f2")).toEqual([5000, 5000]);
    expect(e.run("HSETEX", "h", "FIELDS", "1", "f2", "v22")).toBe(1);
    expect(e.run("HPTTL", "h", "FIELDS", "2", "f1", "f2")).toEqual([5000, -1]);
    expect(e.run("HSETEX", "h", "EX", "7", "FIELDS", "1", "f3", "v3")).toBe(1);
    expect(e.run("HSETEX", "h", "EXAT", String(T0 / 1000 + 9), "FIELDS", "1", "f4", "v4")).toBe(1);
    expect(e.run("HSETEX", "h", "PXAT", String(T0 + 11), "FIELDS", "1", "f5", "v5")).toBe(1);
    expect(e.run("HPTTL", "h", "FIELDS", "3", "f3", "f4", "f5")).toEqual([7000, 9000, 11]);
  });

  it("deletes the fields for a time in the past (reply 1), creating no key", () => {
    const e = engine();
    expect(e.logged("HSETEX", "h", "EXAT", "1", "FIELDS", "1", "f1", "v1")).toEqual([]);
    expect(e.db.has("h")).toBe(false);
    e.run("HSET", "h", "f1", "v1", "f2", "v2");
    expect(e.logged("HSETEX", "h", "PXAT", "1", "FIELDS", "2", "f1", "x", "zz", "y")).toEqual([["HDEL", "h", "f1"]]);
    expect(e.run("HGETALL", "h")).toEqual({ kind: "map", entries: ["f2", "v2"] });
  });

  it("refuses bad arguments", () => {
    const e = engine();
    expect(e.run("HSETEX", "h", "FIELDS", "2", "a", "b")).toEqual(arity("hsetex"));
    expect(e.run("HSETEX", "h", "FIELDS", "1", "a", "b", "unknown")).toEqual(arity("hsetex"));
    // hsetexParseArgs: "unknown argument: %s" quotes the argument.
    expect(e.run("HSETEX", "h", "NX", "FIELDS", "1", "a", "b")).toEqual(error("ERR unknown argument: NX"));
    expect(e.run("HSETEX", "h", "1", "FIELDS", "1", "a", "b")).toEqual(error("ERR unknown argument: 1"));
    // FIELDS needs numfields, a field and a value after it before numfields is read.
    expect(e.run("HSETEX", "h", "EX", "100", "FIELDS", "x")).toEqual(arity("hsetex"));
    expect(e.run("HSETEX", "h", "FNX", "FIELDS", "1", "a")).toEqual(arity("hsetex"));
    // Options after FIELDS are fields and values, so the count no longer matches.
    expect(e.run("HSETEX", "h", "FIELDS", "1", "a", "b", "EX", "10")).toEqual(arity("hsetex"));
    expect(e.run("HSETEX", "h", "FNX", "FNX", "EX", "100", "FIELDS", "1", "a", "b")).toEqual(error("ERR Only one of FXX or FNX arguments can be specified"));
    expect(e.run("HSETEX", "h", "FXX", "FXX", "FIELDS", "1", "a", "b")).toEqual(error("ERR Only one of FXX or FNX arguments can be specified"));
    expect(e.run("HSETEX", "h", "FXX", "FNX", "EX", "100", "FIELDS", "1", "a", "b")).toEqual(error("ERR Only one of FXX or FNX arguments can be specified"));
    const onlyOne = error("ERR Only one of EX, PX, EXAT, PXAT or KEEPTTL arguments can be specified");
    expect(e.run("HSETEX", "h", "EX", "100", "PX", "1000", "FIELDS", "1", "a", "b")).toEqual(onlyOne);
    expect(e.run("HSETEX", "h", "KEEPTTL", "EX", "100", "FIELDS", "1", "a", "b")).toEqual(onlyOne);
    expect(e.run("HSETEX", "h", "KEEPTTL", "KEEPTTL", "FIELDS", "1", "a", "b")).toEqual(onlyOne);
    expect(e.run("HSETEX", "h", "PX", "100", "PX", "100", "FIELDS", "1", "a", "b")).toEqual(onlyOne);
    expect(e.run("HSETEX", "h", "EX", "FIELDS", "1", "a", "b")).toEqual(NOT_INTEGER);
    expect(e.run("HSETEX", "h", "EXAT", "-1", "FIELDS", "1", "a", "b")).toEqual(NEGATIVE);
    expect(e.run("HSETEX", "h", "PXAT", String(2 ** 48), "FIELDS", "1", "a", "b")).toEqual(invalidExpire("hsetex"));
    for (const n of ["x", "0", "-1", "9223372036854775808"]) {
      expect(e.run("HSETEX", "h", "FIELDS", n, "a", "b")).toEqual(error("ERR invalid number of fields"));
    }
    expect(e.db.has("h")).toBe(false);
    e.run("SET", "s", "x");
    expect(e.run("HSETEX", "s", "FIELDS", "1", "a", "b")).toEqual(WRONGTYPE);
  });
});

describe("HGETDEL", () => {
  it("returns the values and deletes the fields (logged as HDEL), the key with the last", () => {
    const e = withHash();
    expect(e.logged("HGETDEL", "h", "FIELDS", "2", "f1", "nope")).toEqual([["HDEL", "h", "f1"]]);
    expect(e.run("HGETDEL", "h", "FIELDS", "3", "f2", "f2", "f3")).toEqual(["v2", null, "v3"]);
    expect(e.db.has("h")).toBe(false);
    expect(e.run("HGETDEL", "h", "FIELDS", "1", "f1")).toEqual([null]);
    expect(e.run("HGETDEL", "h", "FIELD", "1", "f1")).toEqual(FIELDS_MISSING);
    expect(e.run("HGETDEL", "h", "FIELDS", "0", "f1")).toEqual(NUMFIELDS);
    expect(e.run("HGETDEL", "h", "FIELDS", "1", "f1", "f3")).toEqual(MISMATCH);
  });
});

describe("what field TTLs cost and show", () => {
  it("are accounted in used_memory and released with the last TTL", () => {
    const e = withHash();
    const before = e.db.usedMemory;
    e.run("HPEXPIRE", "h", "1000", "FIELDS", "2", "f1", "f2");
    const withTtls = e.db.usedMemory;
    expect(withTtls).toBeGreaterThan(before);
    e.run("HPERSIST", "h", "FIELDS", "2", "f1", "f2");
    expect(e.db.usedMemory).toBe(before);
  });

  it("hashes without field TTLs hold no TTL storage at all", () => {
    const e = withHash();
    const hash = e.db.peek("h") as HashValue;
    expect(hash.hasFieldTtls).toBe(false);
    expect(e.db.subexpiresCount).toBe(0);
  });

  it("show as listpackex and in INFO keyspace's subexpiry", () => {
    const e = withHash();
    expect(e.encoding("h")).toBe("listpack");
    e.run("HPEXPIRE", "h", "1000", "FIELDS", "1", "f1");
    expect(e.encoding("h")).toBe("listpackex");
    e.run("HSET", "g", "a", "1");
    expect(e.run("INFO", "keyspace")).toBe("# Keyspace\r\ndb0:keys=2,expires=0,avg_ttl=0,subexpiry=1\r\n");
  });

  it("are dropped by DUMP (a Redis 7.0 payload has no field TTLs): RESTORE gives a plain hash", () => {
    const e = withHash();
    e.run("HPEXPIRE", "h", "1000", "FIELDS", "1", "f1");
    const payload = e.run("DUMP", "h") as string;
    expect(e.run("RESTORE", "copy", "0", payload)).toEqual({ kind: "simple", value: "OK" });
    expect(e.run("HTTL", "copy", "FIELDS", "1", "f1")).toEqual([-1]);
    expect(e.run("HLEN", "copy")).toBe(3);
  });
});

describe("replay of the log", () => {
  it("reproduces the state, even once the logged times have passed", () => {
    const a = engine();
    const log: string[][] = [];
    const record = (...argv: string[]) => log.push(...a.logged(...argv));
    record("HSET", "h", "f1", "v1", "f2", "v2", "f3", "v3");
    record("HEXPIRE", "h", "10", "FIELDS", "1", "f1");
    record("HSETEX", "h", "PX", "20", "FIELDS", "1", "f4", "v4");
    a.clock.now = T0 + 15_000;
    record("HGET", "h", "f1"); // lazily reclaims f1: HDEL
    const b = engine();
    b.clock.now = T0 + 20_000;
    for (const argv of log) b.ex.replay(argv);
    expect(b.run("HKEYS", "h")).toEqual(["f2", "f3"]);
    expect(a.run("HKEYS", "h")).toEqual(["f2", "f3"]);
  });
});

describe("declarations", () => {
  it("match Redis 8's arity, flags and ACL categories (src/commands/*.json)", () => {
    const info = (name: string) => {
      const spec = lookupCommand(name)!;
      return [spec.arity, spec.flags.join(" "), spec.categories.join(" ")];
    };
    for (const name of ["hexpire", "hpexpire", "hexpireat", "hpexpireat"]) {
      expect(info(name)).toEqual([-6, "write denyoom fast", "write hash fast"]);
    }
    for (const name of ["httl", "hpttl", "hexpiretime", "hpexpiretime"]) {
      expect(info(name)).toEqual([-5, "readonly fast", "read hash fast"]);
    }
    expect(info("hpersist")).toEqual([-5, "write fast", "write hash fast"]);
    expect(info("hgetex")).toEqual([-5, "write fast", "write hash fast"]);
    expect(info("hgetdel")).toEqual([-5, "write fast", "write hash fast"]);
    expect(info("hsetex")).toEqual([-6, "write denyoom fast", "write hash fast"]);
  });
});
