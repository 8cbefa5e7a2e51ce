/**
 * The router's ordered, coalescing channel to one shard, per request: a WebSocket
 * connection (all its frames) or an HTTP request. At most one call is out at a time, so
 * the calls reach the shard in the order made.
 *
 * Nagle without a timer: while no call is out, ops go at once (on the next microtask, so
 * the ops of one turn share a call); otherwise they wait, and when the call returns
 * everything waiting goes as ONE call (`Shard.run`). No added latency when idle, big
 * batches when a connection pipelines. A failed call fails each of its ops with its error.
 *
 * Why per request, not per isolate: the runtime binds a stub to the request that made it
 * ("Cannot perform I/O on behalf of a different request"), a call made for a request is
 * cancelled when that request ends, and in this workerd a promise one request resolves
 * runs its continuations in the resolver's request — so calls of two connections cannot
 * share an RPC (measured: every cross-request variant failed with that error).
 *
 * Blocking commands go on the channel's one long-lived stub (made anew only after a call on
 * it threw), alone and never counted in flight (they may be held for long), as does
 * UNBLOCK (so one sent on disconnect arrives after its BLOCK, on the same stub).
 * They run under a lease: the shard parks the client at most LEASE_MS per call and the
 * channel calls again until the command's own timeout, unless its client has gone
 * (`signal`) — so a waiter of an isolate that died is gone within one lease.
 */
import type { Reply } from "../protocol/reply";
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

interface Waiting {
  resolve(result: ShardResult): void;
  reject(e: unknown): void;
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

  constructor(
    private readonly link: ShardLink,
    private readonly leaseMs = LEASE_MS,
  ) {}

  /** Sends `op` (with whatever else is waiting); resolves with its result. */
  call(op: ShardOp): Promise<ShardResult> {
    const result = new Promise<ShardResult>((resolve, reject) => this.waiting.push({ resolve, reject }));
    this.queued.push(op);
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
    if (this.inFlight || this.queued.length === 0) return;
    const ops = this.queued;
    const waiting = this.waiting;
    this.queued = [];
    this.waiting = [];
    this.inFlight = true;
    this.rpcs++;
    this.ops += ops.length;
    this.link.run(ops).then(
      (results) => {
        this.inFlight = false;
        for (let i = 0; i < waiting.length; i++) waiting[i].resolve(results[i]);
        this.send();
      },
      (e: unknown) => {
        this.inFlight = false;
        for (const w of waiting) w.reject(e);
        this.send();
      },
    );
  };
}
