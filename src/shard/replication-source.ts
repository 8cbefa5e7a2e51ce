/**
 * The replication source: every shard object has one. It follows the object's committed
 * effect stream (EffectStream.onCommit) — the offset in bytes and the backlog, on a
 * primary and on a replica alike, so a promoted replica continues the stream and can serve
 * partial resynchronisations to its old peers — and, on a primary, ships it to each replica.
 *
 * Shipping, per replica, one call in flight at a time (later batches coalesce into the next
 * call, in order): a replica whose position is unknown is probed first; it answers where it
 * is (its replication id and applied offset); the backlog serves it from there (partial
 * resync) or, when it does not cover that offset or the replica follows another stream, a
 * full resync streams a snapshot (`fullSync`: RDB pieces under the RPC size limit). Every
 * message carries the epoch and the group config: a replica refuses an older epoch or a
 * different primary, and a primary told of a newer epoch stops shipping (it was deposed).
 * Messages also carry the primary's slot config until the replica has answered one that did
 * (`send`): a replica then never applies effects committed under a newer slot config than its own.
 * A replica that cannot be reached is retried after RETRY_MS. Nothing here is on a client's
 * reply path, except waits asked for by WAIT and min-replicas-to-write (`waitForAcks`).
 */
import type { GroupConfig, ReplicaState } from "./group";
import { ReplicationBacklog } from "./replication-backlog";
import type { ShardSlotConfig } from "./slot-state";

/** What a primary sends a replica (Shard.replicate). */
export type ReplMessage = {
  readonly epoch: number;
  readonly config: GroupConfig;
  /** The sender's name: a replica accepts only its configured primary. */
  readonly primary: string;
  readonly replid: string;
  /** The stream the sender continues (its replid before its promotion) and up to which offset. */
  readonly replid2?: string;
  readonly replid2End?: number;
  /**
   * The sender's slot config (live resharding, issue 13), on every message until the replica
   * has answered one that carried it: the replica applies it before anything else in the
   * message, so it never holds a primary's effects (a migration batch's DELs) under a slot
   * config older than the one they were committed under.
   */
  readonly slots?: ShardSlotConfig;
} & (
  | { readonly kind: "probe" }
  | { readonly kind: "stream"; readonly from: number; readonly to: number; readonly effects: string[][] }
  | { readonly kind: "full-begin"; readonly offset: number }
  | { readonly kind: "full-chunk"; readonly bytes: Uint8Array }
  | { readonly kind: "full-end"; readonly offset: number }
);

/** A replica's answer. */
export type ReplAck =
  /** Applied (and logged) up to `offset` of stream `replid`. */
  | { readonly ok: true; readonly offset: number }
  /** Refused: the replica knows a newer epoch (or another primary for this one). */
  | { readonly ok: false; readonly stale: true; readonly epoch: number }
  /** Not where the sender thinks: here is where it is ("" replid: it needs a full resync). */
  | { readonly ok: false; readonly sync: true; readonly replid: string; readonly offset: number };

/** How the source reaches a replica. */
export interface ReplicaLink {
  replicate(msg: ReplMessage): Promise<ReplAck>;
}

/** A snapshot for a full resync: taken at `offset`, handed out as an RDB file in pieces. */
export interface FullSyncImage {
  readonly offset: number;
  pieces(): AsyncIterable<Uint8Array>;
}

export interface SourceHost {
  link(name: string): ReplicaLink;
  /** Commits what is staged, then starts an image of the keyspace at the offset reached. */
  fullSyncImage(): FullSyncImage;
  /** A replica reported a newer epoch: this object is no longer primary. */
  deposed(epoch: number): void;
  now(): number;
  /** Retries later (default setTimeout). */
  later?(fn: () => void, ms: number): void;
  /** This object's slot config (live resharding), shipped to replicas that lack it; null: never configured. */
  slotConfig?(): ShardSlotConfig | null;
  /** The pacing interval (REPL_SHIP_INTERVAL_MS; default SHIP_INTERVAL_MS). */
  readonly shipIntervalMs?: number;
}

/** Most bytes of effects in one shipment (well under the 32 MiB RPC limit). */
export const MAX_SHIP_BYTES = 4 * 1024 * 1024;
/** A replica that could not be reached is tried again after this long. */
export const RETRY_MS = 1000;
/**
 * Shipments to one replica start at most this often while nobody waits for an ack (WAIT,
 * min-replicas-to-write, a migration batch): the batches committed meanwhile go as one. Under
 * load a primary commits far more often than that, and each shipment is an RPC, an apply and
 * a log write on the replica — a fixed cost per shipment, whatever its size (measured: 5 → 20
 * ms took 20–30% more throughput locally); the replication lag this adds is at most this long.
 * The default of REPL_SHIP_INTERVAL_MS (src/config.ts).
 */
export const SHIP_INTERVAL_MS = 20;

/** A peer's position before its probe is answered, and when only a full resync will do. */
const UNKNOWN = -1;
const NEEDS_FULL = -2;

interface Peer {
  readonly name: string;
  /** The offset the replica has applied as far as we know; -1: unknown (probe first). */
  position: number;
  /** The highest offset it acknowledged as applied and logged. */
  acked: number;
  lastAckAt: number;
  online: boolean;
  running: boolean;
  fullSyncs: number;
  /** The replica's stub, made once and kept while calls succeed (a stub that failed is made again). */
  link: ReplicaLink | null;
  /** When the last shipment started (pacing: SHIP_INTERVAL_MS). */
  shippedAt: number;
  /** A paced pump is scheduled. */
  paced: boolean;
  /** Refused as stale by a replica that knows no newer epoch: not tried again until RETRY_MS has passed. */
  refused: boolean;
  /** The slot config the replica answered a message carrying (null: none, or not known to have arrived). */
  slotsSent: ShardSlotConfig | null;
}

interface AckWaiter {
  readonly offset: number;
  readonly count: number;
  resolve(n: number): void;
  timer: ReturnType<typeof setTimeout> | null;
}

export class ReplicationSource {
  readonly backlog: ReplicationBacklog;
  private peers = new Map<string, Peer>();
  private config: GroupConfig | null = null;
  private self = "";
  private waiters: AckWaiter[] = [];
  /** Replica reads waiting for this object to reach an offset (read-your-writes). */
  private reachWaiters: { offset: number; resolve(reached: boolean): void }[] = [];
  /** Full resyncs served, partial ones (INFO stats' sync_full / sync_partial_ok). */
  readonly stats = { syncFull: 0, syncPartialOk: 0, syncPartialErr: 0 };

  constructor(
    private readonly host: SourceHost,
    /** The stream this object holds and the offset it is at. */
    public replid: string,
    offset: number,
    /** The previous stream (after a promotion) and the offset it is valid up to. */
    public replid2 = "",
    public replid2End = -1,
  ) {
    this.backlog = new ReplicationBacklog(offset);
  }

  get offset(): number {
    return this.backlog.offset;
  }

  get isPrimary(): boolean {
    return this.config !== null;
  }

  /** A committed batch (EffectStream.onCommit): the offset moves, the backlog grows, replicas are fed. */
  committed(effects: readonly string[][]): void {
    this.backlog.append(effects as string[][]);
    if (this.config) for (const p of this.peers.values()) this.pump(p);
    this.settleReached();
  }

  /**
   * Read-your-writes on a replica: resolves true once this object has applied (committed)
   * `offset`, false if it has not within `timeoutMs`.
   */
  reached(offset: number, timeoutMs: number): Promise<boolean> {
    if (this.offset >= offset) return Promise.resolve(true);
    if (timeoutMs <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const w = { offset, resolve };
      this.reachWaiters.push(w);
      setTimeout(() => {
        this.reachWaiters = this.reachWaiters.filter((x) => x !== w);
        resolve(this.offset >= offset);
      }, timeoutMs);
    });
  }

  private settleReached(): void {
    if (this.reachWaiters.length === 0) return;
    this.reachWaiters = this.reachWaiters.filter((w) => {
      if (this.offset < w.offset) return true;
      w.resolve(true);
      return false;
    });
  }

  /** Leads `config` as `self`: ships to its replicas (new ones probed first). */
  lead(self: string, config: GroupConfig): void {
    this.self = self;
    this.config = config;
    const next = new Map<string, Peer>();
    for (const name of config.replicas) {
      if (name === self) continue;
      // A new config: a replica that refused the old one may take this one (no wait).
      const known = this.peers.get(name);
      if (known) known.refused = false;
      next.set(name, known ?? { name, position: UNKNOWN, acked: -1, lastAckAt: -1, online: false, running: false, fullSyncs: 0, link: null, shippedAt: 0, paced: false, refused: false, slotsSent: null });
    }
    this.peers = next;
    for (const p of this.peers.values()) this.pump(p);
  }

  /** Stops shipping (this object follows a primary now, or was deposed). */
  follow(): void {
    this.config = null;
    this.peers = new Map();
    this.settleWaiters();
  }

  /** A replica asked to be fed (it restarted or fell behind): probe it again. */
  hello(name: string): void {
    const p = this.peers.get(name);
    if (!p) return;
    p.position = UNKNOWN;
    p.refused = false;
    p.slotsSent = null;
    this.pump(p);
  }

  /** Starts the stream over (a full resync received): offset `offset` of stream `replid`. */
  restart(replid: string, offset: number): void {
    this.replid = replid;
    this.replid2 = "";
    this.replid2End = -1;
    this.backlog.reset(offset);
    this.settleReached();
  }

  /** Whether a replica at `offset` of stream `replid` can continue from the backlog. */
  canContinue(replid: string, offset: number): boolean {
    if (replid === "") return false;
    const sameStream = replid === this.replid || (replid === this.replid2 && offset <= this.replid2End);
    return sameStream && this.backlog.covers(offset);
  }

  // --- acks --------------------------------------------------------------------------

  /** How many replicas acknowledged `offset` or beyond. */
  ackedCount(offset: number): number {
    let n = 0;
    for (const p of this.peers.values()) if (p.acked >= offset) n++;
    return n;
  }

  /**
   * Resolves with the number of replicas that acknowledged `offset`, once `count` have or
   * `timeoutMs` passed (0: no limit, as WAIT's timeout).
   */
  waitForAcks(offset: number, count: number, timeoutMs: number): Promise<number> {
    const now = this.ackedCount(offset);
    if (now >= count || !this.isPrimary) return Promise.resolve(now);
    return new Promise((resolve) => {
      const w: AckWaiter = { offset, count, resolve, timer: null };
      if (timeoutMs > 0) {
        w.timer = setTimeout(() => {
          this.waiters = this.waiters.filter((x) => x !== w);
          resolve(this.ackedCount(offset));
        }, timeoutMs);
      }
      this.waiters.push(w);
      // Awaited: ship now, not at the pace of unawaited shipments.
      if (this.config) for (const p of this.peers.values()) this.pump(p);
    });
  }

  private settleWaiters(): void {
    if (this.waiters.length === 0) return;
    const left: AckWaiter[] = [];
    for (const w of this.waiters) {
      const n = this.ackedCount(w.offset);
      if (n >= w.count || !this.isPrimary) {
        if (w.timer) clearTimeout(w.timer);
        w.resolve(n);
      } else left.push(w);
    }
    this.waiters = left;
  }

  /**
   * Replicas good enough for min-replicas-to-write: reachable, and either caught up or
   * acknowledged within `maxLagSeconds` (a caught-up replica of an idle primary has no lag).
   */
  goodReplicas(maxLagSeconds: number): number {
    let n = 0;
    for (const p of this.peers.values()) if (p.online && this.lagSeconds(p) <= maxLagSeconds) n++;
    return n;
  }

  private lagSeconds(p: Peer): number {
    if (p.acked >= this.offset) return 0;
    return p.lastAckAt < 0 ? Infinity : Math.floor((this.host.now() - p.lastAckAt) / 1000);
  }

  /** Each replica as INFO replication and the monitors see it. */
  replicas(): ReplicaState[] {
    const now = this.host.now();
    return [...this.peers.values()].map((p) => ({
      name: p.name,
      ackedOffset: p.acked,
      lagMs: p.acked >= this.offset ? 0 : p.lastAckAt < 0 ? -1 : now - p.lastAckAt,
      online: p.online,
    }));
  }

  // --- shipping ----------------------------------------------------------------------

  private message<T extends object>(body: T, slots?: ShardSlotConfig): ReplMessage {
    const config = this.config!;
    const msg = { epoch: config.epoch, config, primary: this.self, replid: this.replid, replid2: this.replid2, replid2End: this.replid2End, ...body };
    return (slots === undefined ? msg : { ...msg, slots }) as unknown as ReplMessage;
  }

  /**
   * Sends `body` to replica `p`, with this object's slot config while `p` has not answered a
   * message that carried it (issue 13: a replica that missed the coordinator's pushes takes
   * it from its primary, before the effects that followed it).
   */
  private async send<T extends object>(p: Peer, link: ReplicaLink, body: T): Promise<ReplAck> {
    const current = this.host.slotConfig?.() ?? null;
    const slots = current !== null && p.slotsSent !== current ? current : undefined;
    const ack = await link.replicate(this.message(body, slots));
    // Answered, not refused as stale: the replica applied it (ReplicationSink.receive).
    if (slots !== undefined && !("stale" in ack)) p.slotsSent = slots;
    return ack;
  }

  /** Feeds one replica until it has everything; one loop per replica at a time. */
  private pump(p: Peer): void {
    if (p.running || !this.config || this.peers.get(p.name) !== p) return;
    if (p.position >= this.offset || p.refused) return;
    const wait = this.pacedWait(p);
    if (wait > 0) {
      if (!p.paced) {
        p.paced = true;
        this.retryLater(p, wait, () => (p.paced = false));
      }
      return;
    }
    p.running = true;
    void this.feed(p).finally(() => {
      p.running = false;
      // Stopped for the pace with more to ship: scheduled (a failed feed schedules its retry).
      if (p.link !== null) this.pump(p);
    });
  }

  /** How long shipping to `p` waits for the pace: not while an ack is awaited, nor for a probe or a resync. */
  private pacedWait(p: Peer): number {
    if (this.waiters.length > 0 || p.position < 0) return 0;
    return p.shippedAt + (this.host.shipIntervalMs ?? SHIP_INTERVAL_MS) - this.host.now();
  }

  private async feed(p: Peer): Promise<void> {
    // Made once per replica, not per shipment: a stub costs a name → id lookup each time.
    const link = (p.link ??= this.host.link(p.name));
    try {
      while (this.config && this.peers.get(p.name) === p) {
        let ack: ReplAck;
        if (p.position === UNKNOWN) {
          ack = await this.send(p, link, { kind: "probe" });
        } else {
          if (p.position >= this.offset || this.pacedWait(p) > 0) return;
          const part = p.position === NEEDS_FULL ? null : this.backlog.since(p.position, MAX_SHIP_BYTES);
          if (part === null) {
            ack = await this.fullSync(p, link);
          } else {
            p.shippedAt = this.host.now();
            ack = await this.send(p, link, { kind: "stream", from: p.position, to: part.to, effects: part.effects });
          }
        }
        if (!this.config) return;
        if (!this.handle(p, ack)) return;
      }
    } catch {
      // Unreachable (down, restarting, partitioned): probe again later, through a new stub.
      p.link = null;
      p.online = false;
      p.position = UNKNOWN;
      p.slotsSent = null;
      this.retryLater(p, RETRY_MS);
    }
  }

  /** Pumps `p` again after `ms` (`first` runs before: the wait it ends). */
  private retryLater(p: Peer, ms: number, first?: () => void): void {
    const retry = () => {
      first?.();
      this.pump(p);
    };
    if (this.host.later) this.host.later(retry, ms);
    else setTimeout(retry, ms);
  }

  /** Acts on an ack; false when shipping to this replica stops. */
  private handle(p: Peer, ack: ReplAck): boolean {
    if (ack.ok) {
      p.position = ack.offset;
      p.acked = Math.max(p.acked, ack.offset);
      p.lastAckAt = this.host.now();
      p.online = true;
      this.settleWaiters();
      return true;
    }
    if ("stale" in ack) {
      this.host.deposed(ack.epoch);
      // Still leading: the replica knows no newer epoch (it follows another primary of this
      // epoch, or thinks itself primary, for the moment a failover takes to spread). Probe it
      // again later, never at once: an immediate re-send is an RPC ping-pong that does not
      // end, and on one workerd thread it starves every other request.
      if (this.config) {
        p.position = UNKNOWN;
        p.refused = true;
        this.retryLater(p, RETRY_MS, () => (p.refused = false));
      }
      return false;
    }
    // Where the replica is: continue from the backlog, or send it everything.
    p.online = true;
    p.lastAckAt = this.host.now();
    if (this.canContinue(ack.replid, ack.offset)) {
      if (ack.replid !== this.replid || ack.offset !== p.position) this.stats.syncPartialOk++;
      p.position = ack.offset;
      p.acked = Math.max(p.acked, ack.replid === this.replid ? ack.offset : -1);
      this.settleWaiters();
    } else {
      if (ack.replid !== "") this.stats.syncPartialErr++;
      p.position = NEEDS_FULL;
    }
    return true;
  }

  /** Streams a snapshot to the replica; answers the replica's ack of its end. */
  private async fullSync(p: Peer, link: ReplicaLink): Promise<ReplAck> {
    this.stats.syncFull++;
    p.fullSyncs++;
    const image = this.host.fullSyncImage();
    const begin = await this.send(p, link, { kind: "full-begin", offset: image.offset });
    if (!begin.ok) return begin;
    for await (const bytes of image.pieces()) {
      const ack = await this.send(p, link, { kind: "full-chunk", bytes });
      if (!ack.ok) return ack;
    }
    return this.send(p, link, { kind: "full-end", offset: image.offset });
  }
}
