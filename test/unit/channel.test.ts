/**
 * The router's shard channel (src/router/channel.ts) against an in-memory shard behind a
 * fake stub: ops made while a call is out join ONE call, in order; a failed call fails
 * each of its ops; blocking commands renew their lease until their own timeout and stop
 * once their client has gone. Also ShardCore.run and ShardCore.block's lease.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS } from "../../src/commands/execute";
import { NULL_ARRAY, OK, type Reply } from "../../src/protocol/reply";
import { ShardChannel, ShardLink, type ShardEndpoint } from "../../src/router/channel";
import { ShardCore, isLeaseExpired, type BlockWait, type ShardOp, type ShardResult } from "../../src/shard/core";

/** A shard behind a stub whose calls answer on the next macrotask (as an RPC would). */
function fakeShard() {
  const core = new ShardCore(DEFAULT_LIMITS, () => {});
  const calls: ShardOp[][] = [];
  let stubs = 0;
  let failNext: Error | null = null;
  const endpoint = (): ShardEndpoint => {
    stubs++;
    return {
      run(ops: ShardOp[]): Promise<ShardResult[]> {
        calls.push(ops);
        const failure = failNext;
        failNext = null;
        return new Promise((resolve, reject) =>
          setTimeout(() => (failure ? reject(failure) : resolve(core.run(ops))), 1),
        );
      },
      block(argv: string[], token: string, wait: BlockWait) {
        calls.push([{ kind: "exec", batch: [argv] }]);
        return core.block(argv, token, wait);
      },
    };
  };
  return {
    core,
    calls,
    stubs: () => stubs,
    failNextCall: (e: Error) => (failNext = e),
    channel: (leaseMs?: number) => new ShardChannel(new ShardLink(endpoint), leaseMs),
  };
}

const exec = (...batch: string[][]): ShardOp => ({ kind: "exec", batch });

describe("ShardChannel", () => {
  it("sends the ops of one turn as one call, and everything made while a call is out as the next one", async () => {
    const shard = fakeShard();
    const ch = shard.channel();
    const first = [ch.call(exec(["SET", "a", "1"])), ch.call(exec(["INCR", "n"]))];
    await Promise.resolve();
    await Promise.resolve();
    // A call is out: 30 more ops from "other frames" wait and then go together.
    const later = Array.from({ length: 30 }, () => ch.call(exec(["INCR", "n"])));
    const results = await Promise.all([...first, ...later]);
    expect(shard.calls.map((ops) => ops.length)).toEqual([2, 30]);
    expect(ch.rpcs).toBe(2);
    expect(ch.ops).toBe(32);
    expect(results[0]).toEqual([OK]);
    expect(results.slice(1).map((r) => (r as Reply[])[0])).toEqual(Array.from({ length: 31 }, (_, i) => i + 1));
  });

  it("keeps watch, transaction and unwatch ops in the order made", async () => {
    const shard = fakeShard();
    const ch = shard.channel();
    const watch = ch.call({ kind: "watch", keys: ["k"] });
    const set = ch.call(exec(["SET", "k", "other"]));
    const versions = (await watch) as [string, number, boolean][];
    await set;
    const tx = await ch.call({ kind: "transaction", batch: [["SET", "k", "mine"]], watched: versions });
    expect(tx).toEqual(NULL_ARRAY);
    expect(await ch.call(exec(["GET", "k"]))).toEqual(["other"]);
  });

  it("fails every op of a failed call with its error, and the next call works", async () => {
    const shard = fakeShard();
    const ch = shard.channel();
    shard.failNextCall(new Error("boom"));
    const a = ch.call(exec(["SET", "a", "1"]));
    const b = ch.call(exec(["SET", "b", "1"]));
    await expect(a).rejects.toThrow("boom");
    await expect(b).rejects.toThrow("boom");
    expect(await ch.call(exec(["EXISTS", "a", "b"]))).toEqual([0]);
  });

  it("renews a blocking command's lease until it is served", async () => {
    const shard = fakeShard();
    const ch = shard.channel(20);
    const pop = ch.block(["BLPOP", "l", "0"], "t1", Infinity);
    await new Promise((r) => setTimeout(r, 70));
    // Parked again after each lease: still one waiter.
    expect(shard.core.blockedClients).toBe(1);
    await ch.call(exec(["RPUSH", "l", "x"]));
    expect(await pop).toEqual(["l", "x"]);
    expect(ch.rpcs).toBeGreaterThanOrEqual(4);
  });

  it("answers a blocking command's own timeout across leases", async () => {
    const shard = fakeShard();
    const ch = shard.channel(20);
    const started = Date.now();
    expect(await ch.block(["BLPOP", "l", "0.09"], "t1", Infinity)).toEqual(NULL_ARRAY);
    expect(Date.now() - started).toBeGreaterThanOrEqual(80);
  });

  it("stops renewing once the client has gone, leaving no waiter and the data in place", async () => {
    const shard = fakeShard();
    const ch = shard.channel(20);
    const gone = new AbortController();
    const pop = ch.block(["BLPOP", "l", "0"], "t1", Infinity, gone.signal);
    gone.abort();
    expect(await pop).toBeNull();
    expect(shard.core.blockedClients).toBe(0);
    await ch.call(exec(["RPUSH", "l", "x"]));
    expect(await ch.call(exec(["LLEN", "l"]))).toEqual([1]);
  });

  it("releases a parked client with UNBLOCK on the same stub, after its BLOCK", async () => {
    const shard = fakeShard();
    const ch = shard.channel();
    const pop = ch.block(["BLPOP", "l", "0"], "t1", Infinity);
    await ch.unblock("t1");
    await pop;
    await ch.call(exec(["RPUSH", "l", "x"]));
    expect(await ch.call(exec(["LLEN", "l"]))).toEqual([1]);
    // One long-lived stub for BLOCK and UNBLOCK.
    expect(shard.core.blockedClients).toBe(0);
  });
});

describe("ShardCore lease", () => {
  it("answers LeaseExpired with the command's deadline when the lease ends first", async () => {
    const core = new ShardCore(DEFAULT_LIMITS, () => {});
    const before = Date.now();
    const r = await core.block(["BLPOP", "l", "10"], "t", { maxWaitMs: Infinity, leaseMs: 10 });
    expect(isLeaseExpired(r)).toBe(true);
    const deadline = (r as { deadline: number }).deadline;
    expect(deadline).toBeGreaterThanOrEqual(before + 10_000);
    expect(core.blockedClients).toBe(0);
    // Called again with the deadline passed: the timeout reply, at once.
    expect(isLeaseExpired(await core.block(["BLPOP", "l", "10"], "t", { maxWaitMs: Infinity, leaseMs: 10, deadline: Date.now() - 1 }))).toBe(false);
  });

  it("runs ops in order and returns one result each", () => {
    const core = new ShardCore(DEFAULT_LIMITS, () => {});
    const results = core.run([exec(["SET", "a", "1"], ["GET", "a"]), { kind: "watch", keys: ["a"] }, { kind: "unwatch", keys: ["a"] }, { kind: "unblock", token: "x" }]);
    expect(results).toHaveLength(4);
    expect((results[0] as Reply[])[1]).toBe("1");
    expect((results[1] as unknown[])[0]).toEqual(["a", expect.any(Number), false]);
    expect(results[2]).toBeNull();
    expect(results[3]).toBeNull();
  });
});
