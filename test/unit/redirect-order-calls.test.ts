/**
 * A connection's order across SEPARATE router calls while a slot migrates (src/router/channel.ts
 * holds a channel while a call's refusals are followed; src/router/session.ts drains a
 * connection's calls when the slot map changed). Within one call the shard keeps the order
 * (CallOrder, test/unit/redirect-order.test.ts); here a command C1 of call N is refused
 * (SPLIT / ASK+DEFERRED / MOVED) while the connection's next command C2 on the same slot went
 * in call N+1, which the channel sends the moment call N's results are back — before the
 * session has re-sent C1; or C2 went in the same call as a separate op (another frame) and
 * was followed apart from C1; or the map refreshed by C1's MOVED routed C2 straight to the
 * new group. The test pool is the Worker's: one ordered coalescing ShardChannel per
 * shard (shared by all sessions, as in the gateway) over in-memory shards behind slot gates,
 * each call answered a few milliseconds later, as an RPC would be.
 */
import { describe, expect, it } from "vitest";
import "../../src/commands/index";
import { DEFAULT_LIMITS } from "../../src/commands/execute";
import type { Reply } from "../../src/protocol/reply";
import { Authenticator } from "../../src/router/auth";
import { ShardChannel, ShardLink, type ShardEndpoint } from "../../src/router/channel";
import type { ShardPool } from "../../src/router/dispatch";
import { redirectFollower } from "../../src/router/redirect";
import { RespSession } from "../../src/router/session";
import { SlotMap } from "../../src/router/slots";
import { ShardCore, type BlockWait, type ShardOp, type ShardResult, type WatchedKey } from "../../src/shard/core";
import { SlotState } from "../../src/shard/slot-state";
import { keySlot } from "../../src/util/keyslot";

const RPC_MS = 4;
const auth = new Authenticator({ token: null, readonlyToken: null });

/** Two groups of the contiguous layout behind slot gates, reached through ShardChannels as pool.ts reaches them. */
class ChannelPool implements ShardPool {
  slots = SlotMap.contiguous(2);
  readonly cores: ShardCore[];
  readonly states: SlotState[];
  readonly channels: ShardChannel[];
  /** Calls each shard has answered. */
  readonly answered = [0, 0];
  /** What `refreshSlots` installs (after a coordinator round trip). */
  nextMap: SlotMap | null = null;
  private readonly follow = redirectFollower(this);

  constructor() {
    this.cores = [0, 1].map(() => new ShardCore(DEFAULT_LIMITS, () => {}));
    this.states = this.cores.map((core, g) => {
      const st = SlotState.initial(g, 2);
      core.slotGate = { check: (argv, asking, order) => st.check(argv, asking, core.db, order), served: () => {} };
      return st;
    });
    this.channels = this.cores.map((core, g) => {
      const endpoint: ShardEndpoint = {
        run: (ops: ShardOp[]) =>
          new Promise<ShardResult[]>((resolve) =>
            setTimeout(() => {
              this.answered[g]++;
              resolve(core.run(ops));
            }, RPC_MS),
          ),
        block: (argv: string[], token: string, wait: BlockWait) => core.block(argv, token, wait),
      };
      return new ShardChannel(new ShardLink(() => endpoint));
    });
  }

  /** Slot `slot` starts migrating from group 0 to group 1. */
  migrate(slot: number): void {
    this.states[0].apply({ epoch: 1, owned: [[0, slot - 1], [slot + 1, 8191]], migrating: [[slot, 1]], importing: [] });
    this.states[1].apply({ epoch: 1, owned: [[8192, 16383]], migrating: [], importing: [[slot, 0]] });
  }

  /** Slot `slot` has moved to group 1 (epoch 2); the router's map is refreshed only on MOVED. */
  moved(slot: number): void {
    this.states[0].apply({ epoch: 2, owned: [[0, slot - 1], [slot + 1, 8191]], migrating: [], importing: [] });
    this.states[1].apply({ epoch: 2, owned: [[slot, slot], [8192, 16383]], migrating: [], importing: [] });
    this.nextMap = SlotMap.fromData({ epoch: 2, groups: 2, initialShards: 2, ranges: [[0, slot - 1, 0], [slot, slot, 1], [slot + 1, 8191, 0], [8192, 16383, 1]] });
  }

  async refreshSlots(): Promise<void> {
    await new Promise((r) => setTimeout(r, 3 * RPC_MS));
    if (this.nextMap) this.slots = this.nextMap;
  }

  // As DurableShardPool.exec: refusals followed inside the channel, re-sent ops first in line.
  exec(shard: number, batch: string[][], asking?: boolean, resent?: boolean): Promise<Reply[]> {
    const op: ShardOp = asking ? { kind: "exec", batch, asking } : { kind: "exec", batch };
    return this.channels[shard].call(op, resent ? undefined : this.follow, resent) as Promise<Reply[]>;
  }
  transaction(shard: number, batch: string[][], watched: WatchedKey[], asking?: boolean): Promise<Reply> {
    return this.channels[shard].call({ kind: "transaction", batch, watched, asking }) as Promise<Reply>;
  }
  watch(shard: number, keys: string[]): Promise<WatchedKey[]> {
    return this.channels[shard].call({ kind: "watch", keys }) as Promise<WatchedKey[]>;
  }
  async unwatch(shard: number, keys: string[]): Promise<void> {
    await this.channels[shard].call({ kind: "unwatch", keys });
  }
  block(shard: number, argv: string[], token: string, maxWaitMs: number): Promise<Reply> {
    return this.channels[shard].block(argv, token, maxWaitMs);
  }
  unblock(shard: number, token: string, reply?: Reply): Promise<void> {
    return this.channels[shard].unblock(token, reply);
  }
}

/** A key of group 0 (slots 0..8191) other than slot `not`'s. */
function keyOfGroup0(prefix: string, not = -1): string {
  for (let i = 0; ; i++) {
    const k = `${prefix}${i}`;
    const s = keySlot(k);
    if (s < 8192 && s !== not) return k;
  }
}

/** Lets queued microtasks and immediates run (a call made now is sent), without letting RPC_MS pass. */
const turn = () => new Promise((r) => setImmediate(r));

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await turn();
}

describe("a connection's order across separately sent calls during a migration", () => {
  it("a split MGET does not see a SET the connection sent after it in the next call", async () => {
    const pool = new ChannelPool();
    const a = keyOfGroup0("a");
    const b = keyOfGroup0("b", keySlot(a));
    const s = new RespSession(pool, auth, null);
    expect(await s.handle([["SET", a, "old"]])).toBe("+OK\r\n");
    pool.migrate(keySlot(b));
    const mget = s.handle([["MGET", a, b]]);
    await turn();
    // The MGET's call is out: the SET goes as the next call, the moment the MGET is refused SPLIT.
    expect(pool.answered[0]).toBe(1);
    const set = s.handle([["SET", a, "new"]]);
    expect(await mget).toBe("*2\r\n$3\r\nold\r\n$-1\r\n");
    expect(await set).toBe("+OK\r\n");
    expect(await s.handle([["GET", a]])).toBe("$3\r\nnew\r\n");
  });

  it("a command DEFERRED behind an ASK is not overtaken by the connection's next call on its slot", async () => {
    const pool = new ChannelPool();
    const k = keyOfGroup0("k");
    const h = `{${k}}h`;
    const s = new RespSession(pool, auth, null);
    await s.handle([["SET", h, "0"]]);
    pool.migrate(keySlot(k));
    // k is not on the source: ASK; h is, but waits behind k (DEFERRED), and is re-sent to the source.
    const first = s.handle([["APPEND", k, "x"], ["APPEND", h, "1"]]);
    await turn();
    expect(pool.answered[0]).toBe(1);
    const second = s.handle([["APPEND", h, "2"]]);
    expect(await first).toBe(":1\r\n:2\r\n");
    expect(await second).toBe(":3\r\n");
    expect(await s.handle([["GET", h]])).toBe("$3\r\n012\r\n");
  });

  it("frames that went in one call are followed together: a later frame's ASK does not overtake a split MSET's piece", async () => {
    const pool = new ChannelPool();
    const k = keyOfGroup0("k");
    const o = keyOfGroup0("o", keySlot(k));
    const s = new RespSession(pool, auth, null);
    pool.migrate(keySlot(k));
    // One call: the MSET is refused SPLIT, the APPEND (k not on the source) ASK.
    const mset = s.handle([["MSET", k, "v", o, "w"]]);
    const append = s.handle([["APPEND", k, "x"]]);
    expect(await mset).toBe("+OK\r\n");
    expect(await append).toBe(":2\r\n");
  });

  it("a command MOVED on a stale map is overtaken neither by the next call nor by frames routed by the refreshed map", async () => {
    const pool = new ChannelPool();
    const k = keyOfGroup0("k");
    const s = new RespSession(pool, auth, null);
    pool.moved(keySlot(k));
    await pool.cores[1].run([{ kind: "exec", batch: [["SET", k, "_"]] }]);
    const replies = [s.handle([["APPEND", k, "a"]])];
    await turn();
    replies.push(s.handle([["APPEND", k, "b"]]));
    // Once the first MOVED has refreshed the map, the next frame would go straight to group 1.
    await until(() => pool.slots.epoch === 2);
    replies.push(s.handle([["APPEND", k, "c"]]));
    expect(await Promise.all(replies)).toEqual([":2\r\n", ":3\r\n", ":4\r\n"]);
    expect(await s.handle([["GET", k]])).toBe("$4\r\n_abc\r\n");
  });

  it("in a gateway, other connections' commands held behind a follow are all answered, in order", async () => {
    const pool = new ChannelPool();
    const k = keyOfGroup0("k");
    const o = keyOfGroup0("o", keySlot(k));
    const mover = new RespSession(pool, auth, null);
    const other = new RespSession(pool, auth, null);
    pool.migrate(keySlot(k));
    const moved = mover.handle([["APPEND", k, "1"], ["APPEND", k, "2"]]);
    const counts = Array.from({ length: 6 }, () => other.handle([["INCR", o]]));
    await turn();
    const more = [mover.handle([["APPEND", k, "3"]]), other.handle([["INCR", o]])];
    expect(await moved).toBe(":1\r\n:2\r\n");
    expect(await Promise.all(counts)).toEqual([1, 2, 3, 4, 5, 6].map((n) => `:${n}\r\n`));
    expect(await Promise.all(more)).toEqual([":3\r\n", ":7\r\n"]);
    expect(await mover.handle([["GET", k]])).toBe("$3\r\n123\r\n");
  });

  it("a follower that fails fails its ops only, and the channel goes on", async () => {
    const pool = new ChannelPool();
    const k = keyOfGroup0("k");
    pool.migrate(keySlot(k));
    const failing = () => Promise.reject(new Error("coordinator down"));
    const refusedOp = pool.channels[0].call({ kind: "exec", batch: [["SET", k, "1"]] }, failing);
    await turn();
    const queued = pool.channels[0].call({ kind: "exec", batch: [["INCR", keyOfGroup0("n", keySlot(k))]] });
    await expect(refusedOp).rejects.toThrow("coordinator down");
    expect(await queued).toEqual([1]);
  });

  it("without a refusal, frames sent while a call is out still go as one next call", async () => {
    const pool = new ChannelPool();
    const s = new RespSession(pool, auth, null);
    const first = s.handle([["INCR", "n"]]);
    await turn();
    const later = Array.from({ length: 10 }, () => s.handle([["INCR", "n"]]));
    expect(await first).toBe(":1\r\n");
    expect(await Promise.all(later)).toEqual(Array.from({ length: 10 }, (_, i) => `:${i + 2}\r\n`));
    expect(pool.channels[0].rpcs + pool.channels[1].rpcs).toBe(2);
  });
});
