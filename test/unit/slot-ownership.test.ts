// A shard writes only keys whose slot it owns (src/commands/execute.ts `slotOwner`,
// src/shard/slot-owner.ts): a routing fault — such as SORT's key positions naming another
// STORE destination than the one it writes — must not put a key in a shard that does not
// own its slot, where the router would never find it again.
import { describe, expect, it } from "vitest";
import { commandKeys, lookupCommand } from "../../src/commands/table";
import { error } from "../../src/protocol/reply";
import { SlotMap } from "../../src/router/slots";
import { initialSlotState } from "../../src/shard/slot-owner";
import { keySlot } from "../../src/util/keyslot";
import { engine } from "../support/engine";

const SHARDS = 4;
const map = SlotMap.contiguous(SHARDS);

/** A key (with this prefix) that shard `shard` of SHARDS owns. */
function keyOf(shard: number, prefix = "k"): string {
  for (let i = 0; ; i++) if (map.shardOfKey(`${prefix}${i}`) === shard) return `${prefix}${i}`;
}

/** An engine whose executor is shard `shard` of SHARDS. */
function shardEngine(shard: number) {
  const e = engine();
  e.ex.slotOwner = initialSlotState(`shard-${shard}`, SHARDS);
  return e;
}

describe("slot ownership", () => {
  it("refuses a write to a key of a slot the shard does not own, and changes nothing", () => {
    const { run, db } = shardEngine(1);
    const foreign = keyOf(2);
    expect(run("SET", foreign, "v")).toEqual(error(`ERR key '${foreign}' hashes to slot ${keySlot(foreign)}, which shard 1 does not own`));
    expect(db.size).toBe(0);
    const own = keyOf(1);
    expect(run("SET", own, "v")).toEqual({ kind: "simple", value: "OK" });
    // Reads are not checked (a read of a foreign key finds nothing to leak).
    expect(run("GET", foreign)).toBe(null);
  });

  it("checks every key a multi-key write creates, logging what it wrote before as its state", () => {
    const { ex, run, logged } = shardEngine(0);
    const a = keyOf(0, "a");
    const b = keyOf(3, "b");
    expect(run("MSET", b, "2", a, "1")).toEqual(error(`ERR key '${b}' hashes to slot ${keySlot(b)}, which shard 0 does not own`));
    expect(run("EXISTS", a, b)).toBe(0);
    const effects = logged("MSET", a, "1", b, "2");
    expect(effects).toHaveLength(2);
    expect(effects[0].slice(0, 2)).toEqual(["RESTORE", a]);
    expect(effects[1]).toEqual(["DEL", b]);
    expect(ex.runOne(["EXISTS", b])).toBe(0);
  });

  it("lets a command's own errors come first (the router sends MSET k v k whole for its arity error)", () => {
    const { run } = shardEngine(0);
    expect(run("MSET", keyOf(0), "v", keyOf(2))).toEqual(error("ERR wrong number of arguments for 'mset' command"));
  });

  it("refuses SORT … STORE get STORE b where b is another shard's, whatever the router was told", () => {
    const { run, db } = shardEngine(0);
    const src = keyOf(0, "src");
    const dst = keyOf(1, "dst");
    run("RPUSH", src, "3", "1", "2");
    expect(run("SORT", src, "STORE", "get", "STORE", dst)).toEqual(error(`ERR key '${dst}' hashes to slot ${keySlot(dst)}, which shard 0 does not own`));
    expect(db.has(dst)).toBe(false);
  });

  it("names the STORE destination SORT writes, so the router sends it to the owning shard", () => {
    const sort = lookupCommand("sort")!;
    // Redis 7.0's COMMAND GETKEYS names "get" here, while SORT writes "b".
    expect(commandKeys(sort, ["SORT", "k", "STORE", "get", "STORE", "b"])).toEqual(["k", "b"]);
    expect(commandKeys(sort, ["SORT", "k", "STORE", "by", "STORE", "b"])).toEqual(["k", "b"]);
    expect(commandKeys(sort, ["SORT", "k", "STORE", "a", "STORE", "b"])).toEqual(["k", "b"]);
  });

  it("replays logged effects whatever their slot (they were accepted once)", () => {
    const { ex, db } = shardEngine(1);
    const foreign = keyOf(2);
    ex.replay(["SET", foreign, "v"]);
    expect(db.has(foreign)).toBe(true);
  });

  it("is off for a plain Executor and for names that are not shards'; a group past SHARDS owns nothing until told", () => {
    const { run } = engine();
    expect(run("SET", keyOf(3), "v")).toEqual({ kind: "simple", value: "OK" });
    expect(initialSlotState(undefined, SHARDS)).toBe(null);
    expect(initialSlotState("other", SHARDS)).toBe(null);
    const added = initialSlotState("shard-4", SHARDS)!;
    for (let slot = 0; slot < 16384; slot += 7) expect(added.owns(slot)).toBe(false);
  });

  it("gives each shard exactly the router's contiguous range", () => {
    const owners = Array.from({ length: SHARDS }, (_, i) => initialSlotState(`shard-${i}`, SHARDS)!);
    for (let slot = 0; slot < 16384; slot += 7) {
      expect(owners.filter((o) => o.owns(slot)).map((o) => o.shard)).toEqual([map.shardOfSlot(slot)]);
    }
  });
});
