// DUMP and RESTORE (src/commands/dump.ts) through the Executor with an injected clock:
// replies, error texts and their order, TTL handling, and what is logged. Expected replies
// and errors were read from redis-server 7.0; the logged forms follow restoreCommand's
// propagation (a relative TTL rewritten as absolute with ABSTTL appended).
import { describe, expect, it } from "vitest";
import { commandKeys, lookupCommand } from "../../src/commands/table";
import { ListValue } from "../../src/engine/list";
import { error, OK } from "../../src/protocol/reply";
import { binaryToBytes } from "../../src/util/binary";
import { engine, NOT_INTEGER, SYNTAX, T0 } from "../support/engine";
import { object, payload, writeLength, writeString } from "../support/rdb-craft";

const BUSYKEY = error("BUSYKEY Target key name already exists.");
const BAD_TTL = error("ERR Invalid TTL value, must be >= 0");
const BAD_PAYLOAD = error("ERR DUMP payload version or checksum are wrong");
const BAD_DATA = error("ERR Bad data format");

const setup = () => engine();

/** redis-server 7.0's DUMP of the string "hello". */
const HELLO = Buffer.from("000568656c6c6f0a006372df766534200a", "hex").toString("latin1");

describe("the DUMP and RESTORE declarations", () => {
  it("match COMMAND INFO on redis-server 7.0", () => {
    const dump = lookupCommand("dump")!;
    expect([dump.arity, dump.flags, dump.categories]).toEqual([2, ["readonly"], ["keyspace", "read", "slow"]]);
    const restore = lookupCommand("restore")!;
    expect([restore.arity, restore.flags, restore.categories]).toEqual([-4, ["write", "denyoom"], ["keyspace", "write", "slow", "dangerous"]]);
    expect(commandKeys(restore, ["RESTORE", "k", "0", "p", "REPLACE"])).toEqual(["k"]);
  });
});

describe("DUMP", () => {
  it("serializes a value as redis-server does, and replies nil for a missing key", () => {
    const { run } = setup();
    run("SET", "s", "hello");
    expect(run("DUMP", "s")).toBe(HELLO);
    expect(run("DUMP", "missing")).toBe(null);
  });

  it("does not see an expired key", () => {
    const { run, clock } = setup();
    run("SET", "s", "hello", "PX", "10");
    clock.now += 11;
    expect(run("DUMP", "s")).toBe(null);
  });
});

describe("RESTORE", () => {
  it("creates the key from a payload, with no TTL for ttl 0", () => {
    const { run, logged } = setup();
    expect(logged("RESTORE", "k", "0", HELLO)).toEqual([["RESTORE", "k", "0", HELLO]]);
    expect(run("GET", "k")).toBe("hello");
    expect(run("PTTL", "k")).toBe(-1);
  });

  it("sets a relative TTL and logs it as an absolute one with ABSTTL", () => {
    const { run, logged } = setup();
    expect(logged("RESTORE", "k", "5000", HELLO, "IDLETIME", "10")).toEqual([
      ["RESTORE", "k", String(T0 + 5000), HELLO, "IDLETIME", "10", "ABSTTL"],
    ]);
    expect(run("PTTL", "k")).toBe(5000);
  });

  it("takes the TTL as a Unix time in ms with ABSTTL, logged as sent", () => {
    const { run, logged } = setup();
    const when = String(T0 + 60_000);
    expect(logged("RESTORE", "k", when, HELLO, "absttl")).toEqual([["RESTORE", "k", when, HELLO, "absttl"]]);
    expect(run("PEXPIRETIME", "k")).toBe(T0 + 60_000);
  });

  it("refuses an existing key unless REPLACE, which also drops the old TTL", () => {
    const { run } = setup();
    run("SET", "k", "old", "EX", "100");
    expect(run("RESTORE", "k", "0", HELLO)).toEqual(BUSYKEY);
    expect(run("GET", "k")).toBe("old");
    expect(run("RESTORE", "k", "0", HELLO, "REPLACE")).toEqual(OK);
    expect(run("GET", "k")).toBe("hello");
    expect(run("TTL", "k")).toBe(-1);
  });

  it("treats an expired key as missing (it is deleted and logged as DEL)", () => {
    const { run, logged, clock } = setup();
    run("SET", "k", "old", "PX", "10");
    clock.now += 11;
    expect(logged("RESTORE", "k", "0", HELLO)).toEqual([["DEL", "k"], ["RESTORE", "k", "0", HELLO]]);
    expect(run("GET", "k")).toBe("hello");
  });

  it("creates nothing for an expiry already past, deleting a replaced key (logged as DEL)", () => {
    const { run, logged } = setup();
    expect(logged("RESTORE", "k", String(T0 - 1), HELLO, "ABSTTL")).toEqual([]);
    expect(run("EXISTS", "k")).toBe(0);
    run("SET", "k", "old");
    expect(logged("RESTORE", "k", String(T0), HELLO, "ABSTTL", "REPLACE")).toEqual([["DEL", "k"]]);
    expect(run("EXISTS", "k")).toBe(0);
  });

  it("creates the key even with a past expiry while replaying the log, as Redis loads", () => {
    const { ex, db } = setup();
    ex.replay(["RESTORE", "k", String(T0 - 1), HELLO, "ABSTTL"]);
    expect(db.size).toBe(1);
    expect(db.getExpire("k")).toBe(T0 - 1);
  });

  it("checks options, then the key, then the TTL, then the payload, as redis-server", () => {
    const { run } = setup();
    run("SET", "k", "v");
    expect(run("RESTORE", "k", "-1", "junk", "FOO")).toEqual(SYNTAX);
    expect(run("RESTORE", "k", "-1", "junk", "IDLETIME", "-1")).toEqual(error("ERR Invalid IDLETIME value, must be >= 0"));
    expect(run("RESTORE", "k", "-1", "junk", "FREQ", "256")).toEqual(error("ERR Invalid FREQ value, must be >= 0 and <= 255"));
    expect(run("RESTORE", "k", "-1", "junk", "IDLETIME", "x")).toEqual(NOT_INTEGER);
    expect(run("RESTORE", "k", "-1", "junk")).toEqual(BUSYKEY);
    expect(run("RESTORE", "n", "-1", "junk")).toEqual(BAD_TTL);
    expect(run("RESTORE", "n", "x", "junk")).toEqual(NOT_INTEGER);
    expect(run("RESTORE", "n", "0", "junk")).toEqual(BAD_PAYLOAD);
    expect(run("RESTORE", "n", "0", HELLO, "FREQ", "0", "IDLETIME", "0")).toEqual(SYNTAX);
    expect(run("RESTORE", "n", "0", HELLO, "IDLETIME")).toEqual(SYNTAX);
    expect(run("RESTORE", "n", "0", HELLO, "FREQ", "255", "REPLACE", "ABSTTL")).toEqual(OK);
  });

  it("refuses a payload with a wrong checksum, version or body", () => {
    const { run, db } = setup();
    const flipped = HELLO.slice(0, 2) + "X" + HELLO.slice(3);
    expect(run("RESTORE", "n", "0", flipped)).toEqual(BAD_PAYLOAD);
    expect(run("RESTORE", "n", "0", payload(binaryToBytes(HELLO.slice(0, -10)), 11))).toEqual(BAD_PAYLOAD);
    expect(run("RESTORE", "n", "0", payload(object(0, (w) => writeLength(w, 99)), 10))).toEqual(BAD_DATA);
    expect(run("RESTORE", "n", "0", payload(object(18, (w) => writeLength(w, 0)), 10))).toEqual(BAD_DATA);
    expect(run("RESTORE", "n", "0", payload(new Uint8Array([15, 0]), 10))).toEqual(error("ERR Bad data format: streams are not supported"));
    expect(db.size).toBe(0);
  });

  it("round-trips a collection through DUMP and RESTORE", () => {
    const { run, db } = setup();
    db.set("l", new ListValue(["a", "1", "\x00\xff"]));
    expect(run("RESTORE", "copy", "0", run("DUMP", "l") as string)).toEqual(OK);
    expect([...(db.get("copy") as ListValue).values()]).toEqual(["a", "1", "\x00\xff"]);
    const legacy = payload(object(1, (w) => { writeLength(w, 2); writeString(w, "x"); writeString(w, "7"); }));
    expect(run("RESTORE", "old", "0", legacy)).toEqual(OK);
    expect([...(db.get("old") as ListValue).values()]).toEqual(["x", "7"]);
  });
});

describe("RESTORE IDLETIME and FREQ", () => {
  it("date the key's last access back under LRU, or set its LFU counter under LFU", async () => {
    const { Executor } = await import("../../src/commands/execute");
    const { Keyspace } = await import("../../src/engine/keyspace");
    const now = 1_700_000_000_000;
    const db = new Keyspace();
    const ex = new Executor(db, undefined, () => now);
    ex.runOne(["SET", "src", "value"]);
    const payload = ex.runOne(["DUMP", "src"]) as string;
    ex.runOne(["RESTORE", "idle", "0", payload, "IDLETIME", "3600"]);
    expect(ex.runOne(["OBJECT", "IDLETIME", "idle"])).toBe(3600);
    ex.runOne(["CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"]);
    ex.runOne(["RESTORE", "hot", "0", payload, "FREQ", "200"]);
    expect(ex.runOne(["OBJECT", "FREQ", "hot"])).toBe(200);
  });
});
