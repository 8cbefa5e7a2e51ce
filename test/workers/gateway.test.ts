/**
 * The RESP gateway (src/gateway/gateway.ts): RESP WebSocket sessions held by a gateway
 * object share one channel per shard, so concurrent connections each waiting on their own
 * frame (redis-benchmark -c 50 -P 1) reach a shard as a few RPCs, not one per frame — while
 * every connection keeps its own order and gets exactly its own replies. Concurrent HTTP
 * requests share them the same way.
 */
import { describe, expect, it } from "vitest";
import { cmd, connect, http } from "./helpers";

const rpcs = async () => Number(/hotslot_rpc_calls:(\d+)/.exec(await cmd("INFO", "stats"))![1]);

describe("connections through a gateway", () => {
  it("share shard calls across connections, each keeping its own order and replies", async () => {
    const CONNS = 16;
    const FRAMES = 25;
    const conns = await Promise.all(Array.from({ length: CONNS }, () => connect()));
    expect(await conns[0].call(["DEL", "{gw}log"])).toMatch(/^:\d+\r\n$/);
    const before = await rpcs();
    // Each connection sends one frame and waits for its reply before the next (no pipelining
    // of its own): only sharing between connections can put two frames in one call.
    await Promise.all(
      conns.map(async (c, i) => {
        for (let f = 0; f < FRAMES; f++) {
          const reply = await c.call(["RPUSH", "{gw}log", `${i}.${f}`], ["INCR", `{gw}n${i}`], ["GET", `{gw}n${i}`]);
          // Its own counter, nobody else's: the replies went back to the connection that asked.
          expect(reply).toMatch(new RegExp(`^:\\d+\\r\\n:${f + 1}\\r\\n\\$${String(f + 1).length}\\r\\n${f + 1}\\r\\n$`));
        }
      }),
    );
    const used = (await rpcs()) - before - 4; // the second INFO's own calls, one per shard
    // All of it on one shard ({gw}): without sharing that is one call per frame.
    expect(used).toBeGreaterThan(0);
    expect(used).toBeLessThan((CONNS * FRAMES) / 2);
    // Every connection's pushes are in the list in the order it sent them.
    const log: string[] = (await cmd("LRANGE", "{gw}log", "0", "-1")) as string[];
    expect(log.length).toBe(CONNS * FRAMES);
    for (let i = 0; i < CONNS; i++) {
      expect(log.filter((e) => e.startsWith(`${i}.`))).toEqual(Array.from({ length: FRAMES }, (_, f) => `${i}.${f}`));
    }
    for (const c of conns) c.close();
  }, 60_000);

  it("keeps a connection's MULTI, WATCH and session state its own while others share its calls", async () => {
    const [a, b] = await Promise.all([connect(), connect()]);
    expect(await a.call(["SET", "{gw}w", "1"], ["WATCH", "{gw}w"], ["MULTI"], ["INCR", "{gw}w"])).toBe("+OK\r\n+OK\r\n+OK\r\n+QUEUED\r\n");
    // b is not in a's transaction, and its write to the watched key aborts a's EXEC.
    expect(await b.call(["INCR", "{gw}w"], ["CLIENT", "SETNAME", "bee"])).toBe(":2\r\n+OK\r\n");
    expect(await a.call(["EXEC"], ["GET", "{gw}w"], ["CLIENT", "GETNAME"])).toBe("*-1\r\n$1\r\n2\r\n$-1\r\n");
    expect(await b.call(["CLIENT", "GETNAME"])).toBe("$3\r\nbee\r\n");
    a.close();
    b.close();
  });

  it("share shard calls between concurrent HTTP requests, each answered its own results", async () => {
    await cmd("DEL", "{gw}hlog");
    const CLIENTS = 16;
    const ROUNDS = 10;
    const before = await rpcs();
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, i) => {
        for (let r = 0; r < ROUNDS; r++) {
          const { status, json } = await http([["RPUSH", "{gw}hlog", `${i}.${r}`], ["INCR", `{gw}h${i}`]], "/pipeline");
          expect(status).toBe(200);
          expect(json[1]).toEqual({ result: r + 1 });
        }
      }),
    );
    const used = (await rpcs()) - before - 4;
    expect(used).toBeGreaterThan(0);
    expect(used).toBeLessThan((CLIENTS * ROUNDS) / 2);
    const log: string[] = (await cmd("LRANGE", "{gw}hlog", "0", "-1")) as string[];
    for (let i = 0; i < CLIENTS; i++) {
      expect(log.filter((e) => e.startsWith(`${i}.`))).toEqual(Array.from({ length: ROUNDS }, (_, r) => `${i}.${r}`));
    }
  }, 60_000);
});
