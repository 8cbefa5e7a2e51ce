/**
 * The router's ordered, coalescing channel to one shard: a request's own (a WebSocket
 * connection's frames, an HTTP request's commands) in the Worker, or in a gateway object
 * (src/gateway/gateway.ts) one shared by all its connections and requests. At most one call
 * is out at a time, so the calls reach the shard in the order made.
 *
 * Nagle without a timer: while no call is out, ops go at once (on the next microtask, so
 * the ops of one turn share a call); otherwise they wait, and when the call returns
 * everything waiting goes as ONE call (`Shard.run`). No added latency when idle, big
 * batches when a connection pipelines. A failed call fails each of its ops with its error.
 *
 * Why per request in the Worker: the runtime binds a stub to the request that made it
 * ("Cannot perform I/O on behalf of a different request"), a call made for a request is
 * cancelled when that request ends, and in this workerd a promise one request resolves
 * runs its continuations in the resolver's request — so calls of two connections cannot
 * share an RPC there (measured: every cross-request variant failed with that error). A
 * Durable Object's requests share one I/O context: that is what the gateway is for.
 *
 * Order across calls during a live resharding (src/router/redirect.ts follows a shard's
 * refusals): when a call's results come back, the channel sends the next call at once —
 * before the callers' continuations run — so an op refused in call N (ASK, SPLIT, DEFERRED,
 * MOVED: re-sent elsewhere, later) would be overtaken by a later op of its connection on the
 * same slot that waited for call N+1 (a split MGET seeing a SET sent after it). So an exec op
 * made with a `follow` (the pool's redirect follower) whose replies hold a refusal is not
 * answered yet: the channel HOLDS its queue (`holds`: no new call of queued ops) while the
 * follower re-sends the refused commands (as many rounds as it takes), and answers the op with
 * the final replies; then the queue goes on. A call's refused ops of one follower (one
 * connection) are followed together, in call order. The follower's re-sends (`resent`) go ahead of
 * queued ops and are never held (the hold waits for them), nor followed again (the follower's
 * own rounds do). Which ops a hold delays: every queued op of this channel — in a gateway those
 * of other connections too, briefly (one follow: a re-send or two, a slot map refresh after
 * MOVED); never reordered, never lost. Cost when nothing is refused: one scan of each exec
 * op's replies for a refusal (no await, no allocation), and two more checks per call.
 *
 * Blocking commands go on the channel's one long-lived stub (made anew only after a call on
 * it threw), alone and never counted in flight (they may be held for long), as does
 * UNBLOCK (so one sent on disconnect arrives after its BLOCK, on the same stub).
 * They run under a lease: the shard parks the client at most LEASE_MS per call and the
 * channel calls again until the command's own timeout, unless its client has gone
 * (`signal`) — so a waiter of an isolate that died is gone within one lease.
 */
import type { Reply } from "../protocol/reply";
import { isRedirect } from "../shard/slot-state";
import { isLeaseExpired, type BlockWait, type LeaseExpired, type ShardOp, type ShardResult } from "../shard/core";

/** The shard's RPC methods as the channel calls them (src/shard/shard.ts). */
export interface ShardEndpoint {
  run(ops: ShardOp[]): Promise<ShardResult[]>;
  block(argv: string[], token: string, wait: BlockWait): Promise<Reply | LeaseExpired>;
}

/** One caller's (one request's) stub to a shard, made when first needed and after a call on it threw. */
export class ShardLink {
  private endpoint: ShardEndpoint | null = null;
  constructor(private readonly connect: () => ShardEndpoint) {}

  stub(): ShardEndpoint {
    return (this.endpoint ??= this.connect());
  }

  /** A call on `endpoint` threw: the next call makes a new stub (unless one was made already). */
  broken(endpoint: ShardEndpoint): void {
    if (this.endpoint === endpoint) this.endpoint = null;
  }

  /** Runs a blocking command on this stub, alone (see ShardChannel.block). */
  async block(argv: string[], token: string, wait: BlockWait): Promise<Reply | LeaseExpired> {
    const endpoint = this.stub();
    try {
      return await endpoint.block(argv, token, wait);
    } catch (e) {
      this.broken(endpoint);
      throw e;
    }
  }

  /**
   * Sends ops now, as one call on a stub of its own. Order needs no shared stub here: a
   * channel has one such call out at a time. And a stub whose object was reset throws on
   * its next call: a fresh one spares that call (whose ops did not run) a needless error.
   */
  run(ops: ShardOp[]): Promise<ShardResult[]> {
    try {
      return this.connect().run(ops);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Sends ops now, as one call on this stub (UNBLOCK: it must follow this stub's BLOCK). */
  async runAlone(ops: ShardOp[]): Promise<ShardResult[]> {
    const endpoint = this.stub();
    try {
      return await endpoint.run(ops);
    } catch (e) {
      this.broken(endpoint);
      throw e;
    }
  }
}

/** The longest a shard parks a blocking command per call (the waiter's lease). */
export const LEASE_MS = 30_000;

/**
 * Follows the refusals in exec ops' replies (src/router/redirect.ts redirectFollower),
 * re-sending through the channels with `resent`, and writes the final replies into `results`
 * (results[i] belongs to batches[i]; the ops of one call, in call order).
 */
export type Follower = (batches: string[][][], results: Reply[][]) => Promise<void>;

interface Waiting {
  resolve(result: ShardResult): void;
  reject(e: unknown): void;
  /** Set for exec ops whose refusals are followed while the channel holds (see the header). */
  follow?: Follower;
}

/**
 * A call's refused ops, by follower (in a gateway: by connection, each with its own pool):
 * one follower takes all of its ops of the call at once, so it re-sends them in call order
 * (a split command's pieces before a later op's ASK on its slot, as within one batch).
 */
class Refusals {
  readonly byFollower: Array<{ follow: Follower; waiting: Waiting[]; batches: string[][][]; results: Reply[][] }> = [];

  add(w: Waiting, batch: string[][], replies: Reply[]): void {
    let g = this.byFollower.find((x) => x.follow === w.follow);
    if (!g) this.byFollower.push((g = { follow: w.follow!, waiting: [], batches: [], results: [] }));
    g.waiting.push(w);
    g.batches.push(batch);
    g.results.push(replies);
  }
}

/** Whether an op's result is exec replies holding a refusal (MOVED, ASK, SPLIT, DEFERRED). */
function refused(result: ShardResult): result is Reply[] {
  if (!Array.isArray(result)) return false;
  for (let i = 0; i < result.length; i++) if (isRedirect(result[i])) return true;
  return false;
}

export class ShardChannel {
  /** Calls made (run and block). */
  rpcs = 0;
  /** Ops sent in those calls. */
  ops = 0;
  private inFlight = false;
  private queued: ShardOp[] = [];
  private waiting: Waiting[] = [];
  private scheduled = false;
  /** Refused ops being followed: while above 0, queued ops wait (see the header). */
  private holds = 0;
  /** Followers' re-sends: sent first, even while the channel holds. */
  private resentQueued: ShardOp[] = [];
  private resentWaiting: Waiting[] = [];

  constructor(
    private readonly link: ShardLink,
    private readonly leaseMs = LEASE_MS,
  ) {}

  /**
   * Sends `op` (with whatever else is waiting); resolves with its result. `follow`: an exec
   * op's refusals are followed before it resolves, holding this channel's queue meanwhile;
   * `resent`: a follower's re-send, sent ahead of queued ops and even while the channel holds.
   */
  call(op: ShardOp, follow?: Follower, resent?: boolean): Promise<ShardResult> {
    const result = new Promise<ShardResult>((resolve, reject) => (resent ? this.resentWaiting : this.waiting).push({ resolve, reject, follow }));
    (resent ? this.resentQueued : this.queued).push(op);
    if (!this.inFlight && !this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.send);
    }
    return result;
  }

  /**
   * Runs a blocking command on the shard, renewing its lease until it is served or its own
   * wait (at most `maxWaitMs`) ends. Once `signal` is aborted (the client has gone) it is
   * not renewed and the answer is null.
   */
  async block(argv: string[], token: string, maxWaitMs: number, signal?: AbortSignal, asking?: boolean): Promise<Reply> {
    let deadline: number | undefined;
    for (;;) {
      this.rpcs++;
      const wait = { maxWaitMs, leaseMs: this.leaseMs, deadline };
      const reply = await this.link.block(argv, token, asking ? { ...wait, asking } : wait);
      if (!isLeaseExpired(reply)) return reply;
      if (signal?.aborted) return null;
      deadline = reply.deadline;
    }
  }

  /** Releases this request's client parked by `block`: alone, at once, after its BLOCK. */
  async unblock(token: string, reply?: Reply): Promise<void> {
    this.rpcs++;
    await this.link.runAlone([{ kind: "unblock", token, reply }]);
  }

  private readonly send = (): void => {
    this.scheduled = false;
    if (this.inFlight) return;
    let ops: ShardOp[];
    let waiting: Waiting[];
    const queuedWait = this.holds > 0 || this.queued.length === 0;
    if (this.resentQueued.length === 0) {
      if (queuedWait) return;
      ops = this.queued;
      waiting = this.waiting;
      this.queued = [];
      this.waiting = [];
    } else {
      // Re-sends first: they are older than anything queued (their ops were in an answered call).
      ops = queuedWait ? this.resentQueued : this.resentQueued.concat(this.queued);
      waiting = queuedWait ? this.resentWaiting : this.resentWaiting.concat(this.waiting);
      this.resentQueued = [];
      this.resentWaiting = [];
      if (!queuedWait) {
        this.queued = [];
        this.waiting = [];
      }
    }
    this.inFlight = true;
    this.rpcs++;
    this.ops += ops.length;
    this.link.run(ops).then(
      (results) => {
        this.inFlight = false;
        let refusals: Refusals | null = null;
        for (let i = 0; i < waiting.length; i++) {
          const w = waiting[i];
          const result = results[i];
          if (w.follow !== undefined && refused(result)) (refusals ??= new Refusals()).add(w, (ops[i] as { batch: string[][] }).batch, result);
          else w.resolve(result);
        }
        if (refusals !== null) for (const g of refusals.byFollower) this.follow(g);
        this.send();
      },
      (e: unknown) => {
        this.inFlight = false;
        for (const w of waiting) w.reject(e);
        this.send();
      },
    );
  };

  /** Holds the queue until a follower has followed its refused ops of a call, then answers them (see the header). */
  private follow(g: Refusals["byFollower"][number]): void {
    this.holds++;
    const release = (): void => {
      this.holds--;
      this.send();
    };
    let followed: Promise<void>;
    try {
      followed = g.follow(g.batches, g.results);
    } catch (e) {
      followed = Promise.reject(e);
    }
    followed.then(
      () => {
        release();
        g.waiting.forEach((w, i) => w.resolve(g.results[i]));
      },
      (e: unknown) => {
        release();
        for (const w of g.waiting) w.reject(e);
      },
    );
  }
}
