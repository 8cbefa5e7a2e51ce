// Hardening inside workerd: a read-only token cannot make a shard build a huge reply (it is
// refused before it is built, and the shard keeps serving), and a shard refuses to write a
// key whose slot it does not own, whatever it is sent.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { SlotMap } from "../../src/router/slots";
import { keySlot } from "../../src/util/keyslot";
import { cmd, http, READONLY_TOKEN } from "./helpers";

describe("bounded replies through the router", () => {
  it("refuses SRANDMEMBER key -50000000 on a three-member set, and the shard keeps serving", async () => {
    await cmd("DEL", "bounds:s");
    await cmd("SADD", "bounds:s", "a", "b", "c");
    const readonly = { Authorization: `Bearer ${READONLY_TOKEN}` };
    const { json } = await http(["SRANDMEMBER", "bounds:s", "-50000000"], "/", readonly);
    expect(json).toEqual({ error: "ERR reply too large: 50000000 elements (MAX_REPLY_ELEMENTS is 1000000)" });
    expect((await http(["SCARD", "bounds:s"], "/", readonly)).json).toEqual({ result: 3 });
    expect(await cmd("SRANDMEMBER", "bounds:s", "-5")).toHaveLength(5);
  });

  it("refuses a pipeline whose replies together would exceed MAX_REPLY_BYTES in one RPC", async () => {
    // Under MAX_VALUE_BYTES (16 MB); three of them (all one slot, one shard) pass 24 MiB
    // (an integer reply counts 8 bytes).
    // Built in two appends: a request may carry 10 MB at most.
    await cmd("DEL", "{bounds}big");
    await cmd("APPEND", "{bounds}big", "x".repeat(5 * 1024 * 1024));
    await cmd("APPEND", "{bounds}big", "x".repeat(5 * 1024 * 1024));
    const { json } = await http([["STRLEN", "{bounds}big"], ["GET", "{bounds}big"], ["GET", "{bounds}big"], ["GET", "{bounds}big"], ["STRLEN", "{bounds}big"]], "/pipeline");
    expect(json[0]).toEqual({ result: 10 * 1024 * 1024 });
    expect(json[1].result).toHaveLength(10 * 1024 * 1024);
    expect(json[2].result).toHaveLength(10 * 1024 * 1024);
    expect(json[3]).toEqual({ error: `ERR reply too large: ${30 * 1024 * 1024 + 8} bytes (MAX_REPLY_BYTES is ${24 * 1024 * 1024})` });
    expect(json[4]).toEqual({ result: 10 * 1024 * 1024 });
    await cmd("DEL", "{bounds}big");
  });
});

describe("slot ownership in the shard", () => {
  it("refuses a write of another shard's key sent straight to a shard", async () => {
    const map = SlotMap.contiguous(4);
    let key = "";
    for (let i = 0; !key; i++) if (map.shardOfKey(`own${i}`) === 2) key = `own${i}`;
    const stub = env.SHARD.get(env.SHARD.idFromName("shard-0"));
    const replies = await (runInDurableObject as any)(stub, (shard: any) => shard.exec([["SET", key, "v"], ["EXISTS", key]]));
    // Live resharding: the shard's slot gate refuses it before it runs, in the router's
    // private dialect (MOVED <slot> <epoch>: the router refetches the map and retries).
    expect(replies[0]).toEqual({ kind: "error", message: `MOVED ${keySlot(key)} 0` });
    // Reads of it are refused alike; the key was never created in shard 0.
    expect(replies[1]).toEqual({ kind: "error", message: `MOVED ${keySlot(key)} 0` });
    expect(await (runInDurableObject as any)(stub, (shard: any) => shard.core.db.peek(key))).toBe(undefined);
    // Through the router it lands in its own shard.
    expect(await cmd("SET", key, "v")).toBe("OK");
    expect(await cmd("GET", key)).toBe("v");
  });
});
