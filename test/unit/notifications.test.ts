/**
 * Keyspace notifications at engine level (injected clock): the notify-keyspace-events
 * parameter (validation and canonical form as redis-server 7.0), the (channel, message)
 * pairs commands, lazy and active expiry, hash field expiry and eviction produce, and the
 * seam: notifications leave with `collect`, are never logged, and replay produces none.
 * test/reference/notifications.test.ts compares the command streams with redis-server.
 */
import { describe, expect, it } from "vitest";
import { error, map, OK } from "../../src/protocol/reply";
import { engine, T0 } from "../support/engine";

/** Runs one command inside a batch; its notifications as "channel message" lines. */
function pairs(e: ReturnType<typeof engine>, ...argv: string[]): string[] {
  return e.ex.run([argv]).notifications.map((n) => `${n.channel} ${n.message}`);
}

function notifying(flags = "KEA"): ReturnType<typeof engine> {
  const e = engine();
  e.run("CONFIG", "SET", "notify-keyspace-events", flags);
  return e;
}

describe("notify-keyspace-events", () => {
  it("is empty by default", () => {
    expect(engine().run("CONFIG", "GET", "notify-keyspace-events")).toEqual(map(["notify-keyspace-events", ""]));
  });

  it("shows the canonical form redis-server 7.0 shows", () => {
    const e = engine();
    for (const [given, shown] of [
      ["KEA", "AKE"],
      ["Ag$lshzxetdnKEm", "AKEm"],
      ["g", "g"],
      ["Kn", "nK"],
      ["xE", "xE"],
      ["g$lshzxetd", "A"],
      ["", ""],
    ]) {
      e.run("CONFIG", "SET", "notify-keyspace-events", given);
      expect(e.run("CONFIG", "GET", "notify-keyspace-events"), given).toEqual(map(["notify-keyspace-events", shown]));
    }
  });

  it("refuses any other character with Redis's error", () => {
    const e = engine();
    expect(e.run("CONFIG", "SET", "notify-keyspace-events", "KEQ")).toEqual(
      error("ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'."),
    );
    expect(e.run("CONFIG", "GET", "notify-keyspace-events")).toEqual(map(["notify-keyspace-events", ""]));
  });

  it("is logged like every CONFIG SET, so it survives a restart", () => {
    const e = engine();
    expect(e.logged("CONFIG", "SET", "notify-keyspace-events", "KEA")).toEqual([["CONFIG", "SET", "notify-keyspace-events", "KEA"]]);
  });
});

describe("keyspace notifications", () => {
  it("produce nothing while the setting is empty", () => {
    const e = engine();
    expect(pairs(e, "SET", "k", "v")).toEqual([]);
    expect(pairs(e, "DEL", "k")).toEqual([]);
  });

  it("give both channels, keyspace first, with the event and the key", () => {
    expect(pairs(notifying(), "SET", "k\x00\xff", "v")).toEqual(["__keyspace@0__:k\x00\xff set", "__keyevent@0__:set k\x00\xff"]);
  });

  it("filter by class and by channel kind", () => {
    const e = notifying("El");
    expect(pairs(e, "SET", "k", "v")).toEqual([]);
    expect(pairs(e, "RPUSH", "l", "a")).toEqual(["__keyevent@0__:rpush l"]);
    const k = notifying("Kg");
    expect(pairs(k, "RPUSH", "l", "a")).toEqual([]);
    expect(pairs(k, "LPOP", "l")).toEqual(["__keyspace@0__:l del"]);
  });

  it("announce a new key before its event and an emptied one after it (class n and g)", () => {
    const e = notifying("KAn");
    expect(pairs(e, "RPUSH", "l", "a")).toEqual(["__keyspace@0__:l new", "__keyspace@0__:l rpush"]);
    expect(pairs(e, "RPOPLPUSH", "l", "m")).toEqual([
      "__keyspace@0__:m new",
      "__keyspace@0__:m lpush",
      "__keyspace@0__:l rpop",
      "__keyspace@0__:l del",
    ]);
    expect(pairs(e, "RENAME", "m", "r")).toEqual(["__keyspace@0__:r new", "__keyspace@0__:m rename_from", "__keyspace@0__:r rename_to"]);
  });

  it("announce SET with an expiry as set, then expire", () => {
    expect(pairs(notifying("Eg$"), "SET", "k", "v", "EX", "10")).toEqual(["__keyevent@0__:set k", "__keyevent@0__:expire k"]);
  });

  it("announce lazy expiry as expired, before the command's own events", () => {
    const e = notifying("KEA");
    e.run("SET", "k", "v", "PX", "100");
    e.clock.now = T0 + 101;
    expect(pairs(e, "APPEND", "k", "x")).toEqual(["__keyspace@0__:k expired", "__keyevent@0__:expired k", "__keyspace@0__:k append", "__keyevent@0__:append k"]);
  });

  it("announce active expiry (the alarm) as expired, collected with its DELs", () => {
    const e = notifying("Ex");
    e.run("SET", "a", "1", "PX", "50");
    e.run("SET", "b", "1", "PX", "80");
    e.clock.now = T0 + 100;
    const { effects, notifications } = e.ex.collect(() => e.ex.expireDue(10));
    expect(effects).toEqual([["DEL", "a"], ["DEL", "b"]]);
    expect(notifications).toEqual([
      { channel: "__keyevent@0__:expired", message: "a" },
      { channel: "__keyevent@0__:expired", message: "b" },
    ]);
  });

  it("announce eviction as evicted", () => {
    const e = notifying("Ee");
    e.run("CONFIG", "SET", "maxmemory-policy", "allkeys-random");
    for (let i = 0; i < 20; i++) e.run("SET", `k${i}`, "x".repeat(1000));
    // The executor evicts right after the command that lowered the limit.
    const got = pairs(e, "CONFIG", "SET", "maxmemory", String(e.db.usedMemory - 5000));
    expect(got.length).toBeGreaterThan(0);
    expect(got.every((p) => /^__keyevent@0__:evicted k\d+$/.test(p))).toBe(true);
  });

  it("announce hash field expiry: hexpire, hpersist, hexpired (then del), hdel for a past time", () => {
    const e = notifying("Egh");
    e.run("HSET", "h", "f", "v", "g", "w");
    expect(pairs(e, "HPEXPIRE", "h", "100", "FIELDS", "1", "f")).toEqual(["__keyevent@0__:hexpire h"]);
    expect(pairs(e, "HPERSIST", "h", "FIELDS", "2", "f", "g")).toEqual(["__keyevent@0__:hpersist h"]);
    expect(pairs(e, "HPERSIST", "h", "FIELDS", "1", "f")).toEqual([]);
    e.run("HPEXPIRE", "h", "100", "FIELDS", "2", "f", "g");
    e.clock.now = T0 + 200;
    expect(pairs(e, "HGET", "h", "f")).toEqual(["__keyevent@0__:hexpired h", "__keyevent@0__:del h"]);
    e.run("HSET", "h", "f", "v", "g", "w");
    expect(pairs(e, "HPEXPIREAT", "h", "1", "FIELDS", "1", "f")).toEqual(["__keyevent@0__:hdel h"]);
    expect(pairs(e, "HPEXPIREAT", "h", "1", "FIELDS", "1", "g")).toEqual(["__keyevent@0__:hdel h", "__keyevent@0__:del h"]);
  });

  it("announce field expiry by the alarm as hexpired", () => {
    const e = notifying("Eh");
    e.run("HSET", "h", "f", "v", "g", "w");
    e.run("HPEXPIRE", "h", "100", "FIELDS", "1", "f");
    e.clock.now = T0 + 200;
    const { notifications } = e.ex.collect(() => e.ex.expireDue(10));
    expect(notifications).toEqual([{ channel: "__keyevent@0__:hexpired", message: "h" }]);
  });

  it("are not effects: the log is the same with them on", () => {
    const on = notifying("KEA");
    const off = engine();
    for (const argv of [["RPUSH", "l", "a"], ["LPOP", "l"], ["SET", "k", "1", "EX", "5"], ["INCR", "k"]]) {
      expect(on.ex.run([argv]).effects).toEqual(off.ex.run([argv]).effects);
    }
  });

  it("are not produced by log replay, nor outside collect", () => {
    const e = notifying("KEA");
    const got = e.ex.collect(() => {
      e.ex.replay(["SET", "k", "v"]);
      e.ex.replay(["DEL", "k"]);
    });
    expect(got.notifications).toEqual([]);
    expect(e.run("SET", "x", "1")).toEqual(OK);
    expect(pairs(e, "GET", "x")).toEqual([]);
  });
});
