/**
 * The router and the shards together, inside workerd: each key lands on the shard whose
 * slot range holds its Redis Cluster slot, pipelines spread over shards come back in order, multi-key commands split and merge or are refused with CROSSSLOT,
 * keyspace-wide commands fan out, transactions run atomically in one slot, and every
 * acknowledged write survives the shards being evicted from memory.
 */
import { evictAllDurableObjects, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { keySlot } from "../../src/util/keyslot";
import { SlotMap } from "../../src/router/slots";
import { cmd, connect, shardStub, SHARDS } from "./helpers";

const slots = SlotMap.contiguous(SHARDS);

/** Keys that land on every shard. */
function keysOnEveryShard(prefix: string, perShard: number): string[] {
  const byShard: string[][] = Array.from({ length: SHARDS }, () => []);
  for (let i = 0; byShard.some((k) => k.length < perShard); i++) {
    const key = `${prefix}:${i}`;
    const s = slots.shardOfKey(key);
    if (byShard[s].length < perShard) byShard[s].push(key);
  }
  return byShard.flat();
}

function bulk(s: string): string {
  return `$${s.length}\r\n${s}\r\n`;
}

/** Runs one command on shard `i` itself, past the router. */
async function onShard(i: number, argv: string[]): Promise<unknown> {
  return (runInDurableObject as any)(shardStub(i), async (shard: any) => (await shard.exec([argv]))[0]);
}

async function shardSizes(): Promise<number[]> {
  const sizes: number[] = [];
  for (let i = 0; i < SHARDS; i++) sizes.push((await onShard(i, ["DBSIZE"])) as number);
  return sizes;
}

describe("slot routing", () => {
  it("stores each key on the shard whose slot range holds keySlot(key), and on no other", async () => {
    // Plain keys, hash tags (only the first non-empty {tag} counts) and binary bytes.
    const keys = [
      "route:foo",
      "route:bar",
      "{user1000}.following",
      "{user1000}.followers",
      "route{}{bar}",
      "route{bar}{zap}",
      "route{{bar}}zap",
      "route{b",
      "route\x00\xff\r\n",
      ...keysOnEveryShard("route", 1),
    ];
    const ranges = SlotMap.contiguous(SHARDS).ranges();
    const owners = keys.map((k) => ranges.find(([first, last]) => first <= keySlot(k) && keySlot(k) <= last)![2]);
    expect(new Set(owners).size).toBe(SHARDS);
    const c = await connect();
    expect(await c.call(...keys.map((k) => ["SET", k, "routed"]))).toBe("+OK\r\n".repeat(keys.length));
    c.close();
    for (const [n, key] of keys.entries()) {
      const holders: number[] = [];
      for (let i = 0; i < SHARDS; i++) if ((await onShard(i, ["EXISTS", key])) === 1) holders.push(i);
      expect(holders, JSON.stringify(key)).toEqual([owners[n]]);
    }
  });

  it("spreads a pipeline over every shard and answers in request order", async () => {
    const keys = keysOnEveryShard("spread", 25);
    const c = await connect();
    const sets = keys.map((k, i) => ["SET", k, `v${i}`]);
    expect(await c.call(...sets)).toBe("+OK\r\n".repeat(keys.length));
    expect(await c.call(...keys.map((k) => ["GET", k]))).toBe(keys.map((_, i) => bulk(`v${i}`)).join(""));
    expect((await shardSizes()).every((n) => n >= 25)).toBe(true);
    c.close();
  });

  it("splits MSET, MGET, EXISTS and DEL over shards and merges their replies", async () => {
    const keys = keysOnEveryShard("split", 2);
    expect(await cmd("MSET", ...keys.flatMap((k) => [k, `=${k}`]))).toBe("OK");
    expect(await cmd("MGET", keys[0], "split:missing", ...keys.slice(1))).toEqual([`=${keys[0]}`, null, ...keys.slice(1).map((k) => `=${k}`)]);
    expect(await cmd("EXISTS", ...keys, keys[0])).toBe(keys.length + 1);
    expect(await cmd("DEL", ...keys, "split:missing")).toBe(keys.length);
    expect(await cmd("EXISTS", ...keys)).toBe(0);
  });

  it("refuses other multi-key commands whose keys span slots, with CROSSSLOT", async () => {
    const c = await connect();
    expect(await c.call(["RENAME", "a", "b"], ["MSETNX", "a", "1", "b", "2"], ["RENAME", "{t}a", "{t}b"])).toBe(
      "-CROSSSLOT Keys in request don't hash to the same slot\r\n".repeat(2) + "-ERR no such key\r\n",
    );
    c.close();
  });

  it("fans DBSIZE, KEYS, SCAN and FLUSHALL out to every shard", async () => {
    await cmd("FLUSHALL");
    const keys = keysOnEveryShard("fan", 10);
    await cmd("MSET", ...keys.flatMap((k) => [k, "x"]));
    expect(await cmd("DBSIZE")).toBe(keys.length);
    expect((await cmd("KEYS", "fan:*")).sort()).toEqual([...keys].sort());
    const seen: string[] = [];
    let cursor = "0";
    do {
      const [next, batch] = await cmd("SCAN", cursor, "COUNT", "7");
      seen.push(...batch);
      cursor = next;
    } while (cursor !== "0");
    expect(seen.sort()).toEqual([...keys].sort());
    expect(keys).toContain(await cmd("RANDOMKEY"));
    expect(await cmd("FLUSHALL")).toBe("OK");
    expect(await cmd("DBSIZE")).toBe(0);
    expect(await cmd("RANDOMKEY")).toBe(null);
  });
});

describe("transactions", () => {
  it("runs MULTI/EXEC atomically within one slot", async () => {
    const c = await connect();
    expect(await c.call(["MULTI"], ["SET", "{tx}a", "1"], ["INCR", "{tx}a"], ["PING"], ["GET", "{tx}a"], ["EXEC"])).toBe(
      "+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*4\r\n+OK\r\n:2\r\n+PONG\r\n$1\r\n2\r\n",
    );
    c.close();
  });

  it("discards a transaction with an error at queue time, or keys in two slots", async () => {
    const c = await connect();
    expect(await c.call(["MULTI"], ["SET", "{tx}b"], ["SET", "{tx}b", "1"], ["EXEC"])).toBe(
      "+OK\r\n-ERR wrong number of arguments for 'set' command\r\n+QUEUED\r\n-EXECABORT Transaction discarded because of previous errors.\r\n",
    );
    expect(await c.call(["MULTI"], ["SET", "{tx}b", "1"], ["SET", "{other}b", "1"], ["EXEC"])).toBe(
      "+OK\r\n+QUEUED\r\n-CROSSSLOT Keys in request don't hash to the same slot\r\n-EXECABORT Transaction discarded because of previous errors.\r\n",
    );
    expect(await c.call(["EXISTS", "{tx}b"], ["EXEC"], ["DISCARD"])).toBe(":0\r\n-ERR EXEC without MULTI\r\n-ERR DISCARD without MULTI\r\n");
    c.close();
  });

  it("aborts EXEC when a WATCHed key was changed by another connection", async () => {
    const a = await connect();
    const b = await connect();
    expect(await a.call(["WATCH", "{w}k"], ["MULTI"], ["SET", "{w}k", "mine"])).toBe("+OK\r\n+OK\r\n+QUEUED\r\n");
    expect(await b.call(["SET", "{w}k", "theirs"])).toBe("+OK\r\n");
    expect(await a.call(["EXEC"], ["GET", "{w}k"])).toBe("*-1\r\n$6\r\ntheirs\r\n");
    expect(await a.call(["WATCH", "{w}k"], ["MULTI"], ["SET", "{w}k", "mine"], ["EXEC"])).toBe("+OK\r\n+OK\r\n+QUEUED\r\n*1\r\n+OK\r\n");
    a.close();
    b.close();
  });
});

describe("durability", () => {
  it("keeps every acknowledged write after the shards are evicted from memory", async () => {
    const keys = keysOnEveryShard("durable", 5);
    const c = await connect();
    await c.call(...keys.map((k, i) => ["SET", k, `value-${i}\x00\xff`]));
    await c.call(["INCRBY", "{n}counter", "41"], ["INCR", "{n}counter"], ["SET", "{t}ttl", "x", "EX", "1000"], ["DEL", keys[0]]);
    c.close();
    await evictAllDurableObjects();
    expect(await cmd("GET", "{n}counter")).toBe("42");
    expect(await cmd("EXISTS", ...keys)).toBe(keys.length - 1);
    expect(await cmd("TTL", "{t}ttl")).toBeGreaterThan(990);
    const d = await connect();
    expect(await d.call(["GET", keys[1]])).toBe(bulk("value-1\x00\xff"));
    d.close();
  });
});

describe("protocol errors", () => {
  it("closes only the offending connection, after answering the commands before it", async () => {
    const bad = await connect();
    const good = await connect();
    expect(await bad.send("*1\r\n$4\r\nPING\r\n*1\r\n$-5\r\n")).toBe("+PONG\r\n-ERR Protocol error: invalid bulk length\r\n");
    await bad.closed;
    expect(await good.call(["PING"])).toBe("+PONG\r\n");
    good.close();
  });
});
