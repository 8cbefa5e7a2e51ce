/**
 * A shard object's part in its replication group: its role (primary or replica) and epoch,
 * persisted (src/shard/role.ts); the source that follows its effect stream and feeds its
 * replicas when primary (src/shard/replication-source.ts); the sink that applies its
 * primary's stream when replica (src/shard/replication-sink.ts). It answers the RPCs the
 * monitors and the router make (roleInfo, configure), decides which router calls this
 * object may serve (stale epoch, writes sent to a replica → StaleRoute), and what INFO
 * replication and ROLE say. The Durable Object (src/shard/shard.ts) only wires it in.
 */
import type { Executor } from "../commands/execute";
import type { Keyspace } from "../engine/keyspace";
import type { EffectStream } from "./effects";
import { type GroupConfig, type ShardRoleInfo, type StaleRoute } from "./group";
import type { ShardPersistence } from "./persistence";
import { newReplid, RoleStore, type RoleState } from "./role";
import { ReplicationSink } from "./replication-sink";
import { ReplicationSource, type FullSyncImage, type ReplAck, type ReplicaLink, type ReplMessage } from "./replication-source";
import type { Reply } from "../protocol/reply";
import { EXPORT_PULL_BYTES } from "../router/rdb-transfer";
import type { ReplicationView } from "../commands/context";
import type { ShardSlotConfig } from "./slot-state";

/** How a router call is addressed: the epoch it was routed for, and whether it is a replica read. */
export interface RouteInfo {
  readonly epoch: number;
  readonly replicaRead?: boolean;
  /** Read-your-writes: a replica read needs this offset applied (it waits briefly, else refuses: the router asks the primary). */
  readonly minOffset?: number;
}

/** The shard-side RPCs of a replication group member, as peers call them. */
export interface ReplicationPeer {
  replicate(msg: ReplMessage): Promise<ReplAck>;
  replicaHello(name: string): Promise<void>;
}

export interface ReplicationDeps {
  readonly sql: SqlStorage;
  readonly name: string;
  readonly group: number;
  readonly replicas: number;
  readonly db: Keyspace;
  readonly executor: Executor;
  readonly effects: EffectStream;
  readonly persistence: ShardPersistence;
  /** A stub of the group member named `name`. */
  peer(name: string): ReplicationPeer;
  /** Runs `fn` later (setTimeout). */
  later(fn: () => void, ms: number): void;
  /** Replication pacing (REPL_SHIP_INTERVAL_MS). */
  readonly shipIntervalMs?: number;
  /**
   * Live resharding (issue 13): this object's slot config, shipped by a primary with its
   * stream to replicas that lack it, and applied by a replica that receives it.
   */
  readonly slots?: { current(): ShardSlotConfig | null; take(config: ShardSlotConfig): Promise<void> };
}

/** A replica whose primary has not reached it for this long reports its link down. */
const LINK_TIMEOUT_MS = 60_000;

export class ShardReplication implements ReplicationView {
  readonly source: ReplicationSource;
  readonly sink: ReplicationSink;
  private readonly store: RoleStore;
  private state: RoleState;

  constructor(private readonly deps: ReplicationDeps) {
    this.store = new RoleStore(deps.sql);
    this.state = this.store.load(deps.group, deps.replicas);
    if (this.state.replid === "" && this.isPrimary) this.state.replid = newReplid();
    this.source = new ReplicationSource(
      {
        link: (name): ReplicaLink => {
          const stub = deps.peer(name);
          return { replicate: (msg) => stub.replicate(msg) };
        },
        fullSyncImage: () => this.fullSyncImage(),
        deposed: (epoch) => this.deposed(epoch),
        now: () => Date.now(),
        later: deps.later,
        slotConfig: () => deps.slots?.current() ?? null,
        shipIntervalMs: deps.shipIntervalMs,
      },
      this.state.replid,
      // Known once recovery has run: `start` sets it again then.
      deps.persistence.streamOffset,
      this.state.replid2,
      this.state.replid2End,
    );
    this.sink = new ReplicationSink(
      {
        name: deps.name,
        config: () => this.state.config,
        adopt: (config) => this.configure(config),
        isPrimary: () => this.isPrimary,
        apply: (effects) => {
          for (const argv of effects) deps.executor.replay(argv);
          deps.effects.stage(effects);
        },
        commit: () => deps.effects.commit(true),
        loadImage: (pieces, offset) => deps.persistence.loadImage(pieces, offset),
        persist: () => this.persist(),
        now: () => Date.now(),
        takeSlots: deps.slots ? (config) => deps.slots!.take(config) : undefined,
      },
      this.source,
    );
    deps.effects.onCommit((batch) => {
      this.source.backlog.capacity = deps.db.settings.replBacklogSize;
      this.source.committed(batch.effects);
    });
  }

  /** After recovery: a primary starts feeding its replicas, a replica asks its primary to. */
  start(): void {
    // The offset storage holds (the log's, else the snapshot's: ShardPersistence.streamOffset).
    this.source.backlog.reset(this.deps.persistence.streamOffset);
    this.persist();
    this.applyRole();
  }

  get isPrimary(): boolean {
    return this.state.config.primary === this.deps.name;
  }

  get epoch(): number {
    return this.state.config.epoch;
  }

  get config(): GroupConfig {
    return this.state.config;
  }

  // --- the monitors' and router's RPCs ---------------------------------------------------

  roleInfo(): ShardRoleInfo {
    const base = { name: this.deps.name, group: this.deps.group, epoch: this.epoch, offset: this.source.offset };
    if (this.isPrimary) return { ...base, role: "primary", replicas: this.source.replicas() };
    return { ...base, role: "replica", primary: this.state.config.primary, linkUp: this.sink.linkUp(LINK_TIMEOUT_MS) };
  }

  /**
   * A new group config (an older epoch is ignored): persisted, then acted on — this object
   * leads (a promoted replica keeps its data and continues its stream under a new id) or
   * follows config.primary (a demoted primary discards what it has: full resync).
   */
  configure(config: GroupConfig): ShardRoleInfo {
    if (config.epoch < this.epoch || config.group !== this.deps.group) return this.roleInfo();
    const wasPrimary = this.isPrimary;
    const oldPrimary = this.state.config.primary;
    this.state.config = config;
    const leads = this.isPrimary;
    if (leads && !wasPrimary) {
      // Promotion: the stream it followed stays valid up to here for its old peers.
      this.source.replid2 = this.source.replid;
      this.source.replid2End = this.source.offset;
      this.source.replid = newReplid();
      this.sink.reset();
    } else if (!leads && wasPrimary) {
      // Demotion: whatever it had not replicated must go; only a full resync is safe.
      this.source.replid = "";
    } else if (!leads && oldPrimary !== config.primary) {
      this.sink.reset();
    }
    this.persist();
    this.applyRole();
    return this.roleInfo();
  }

  /** A replica told this primary of a newer epoch: stop leading until configured. */
  private deposed(epoch: number): void {
    if (epoch <= this.epoch) return;
    this.state.config = { ...this.state.config, epoch, primary: "" };
    this.source.replid = "";
    this.persist();
    this.applyRole();
  }

  private applyRole(): void {
    if (this.isPrimary) {
      this.source.lead(this.deps.name, this.state.config);
    } else {
      this.source.follow();
      const primary = this.state.config.primary;
      // Ask to be fed: after a restart, or a change of primary (the primary may be idle).
      if (primary !== "") this.deps.later(() => void this.deps.peer(primary).replicaHello(this.deps.name).catch(() => {}), 0);
    }
    // A replica never expires keys itself; it hides them (see Keyspace.hideExpired).
    this.deps.db.hideExpired = !this.isPrimary;
  }

  private persist(): void {
    this.state.replid = this.source.replid;
    this.state.replid2 = this.source.replid2;
    this.state.replid2End = this.source.replid2End;
    this.store.save(this.state);
  }

  /**
   * Whether this object may serve a router call: null if so, else the StaleRoute refusal
   * (the caller knows an older epoch, or sent a non-read to a replica).
   */
  refusal(route: RouteInfo | undefined): StaleRoute | null {
    const role = this.isPrimary ? "primary" : "replica";
    // A replica read may come from a router a failover's epoch is ahead of (the fence, a new
    // topology it has not fetched yet): reads from replicas are eventually consistent anyway,
    // so a replica serves them; only writes and primary reads need the router's epoch current.
    const replicaRead = route?.replicaRead === true && !this.isPrimary;
    if (route !== undefined && route.epoch < this.epoch && !replicaRead) return { staleRoute: true, epoch: this.epoch, role };
    if (!this.isPrimary && !(route?.replicaRead && !this.sink.syncing && this.source.replid !== "")) return { staleRoute: true, epoch: this.epoch, role };
    return null;
  }

  /** A replica read refused because this replica has not applied the offset its client has seen (the router asks the primary). */
  behind(): StaleRoute {
    return { staleRoute: true, epoch: this.epoch, role: this.isPrimary ? "primary" : "replica" };
  }

  /** A replica's hello: feed it again. */
  hello(name: string): void {
    if (this.isPrimary) this.source.hello(name);
  }

  private fullSyncImage(): FullSyncImage {
    // Memory must equal the stream up to the image's offset: commit what is staged first.
    this.deps.effects.flush();
    const offset = this.source.offset;
    const persistence = this.deps.persistence;
    // A whole snapshot file: keys, and the script cache, function libraries, hash field TTLs and settings.
    const image = persistence.imageStart();
    return {
      offset,
      pieces: async function* () {
        for (;;) {
          const { bytes, done } = persistence.exportPull(image.id, EXPORT_PULL_BYTES);
          if (bytes.length > 0) yield bytes;
          if (done) return;
        }
      },
    };
  }

  // --- INFO replication and ROLE ---------------------------------------------------------

  infoSection(): string[] {
    const s = this.source;
    const backlog = s.backlog;
    const lines = ["# Replication", `role:${this.isPrimary ? "master" : "slave"}`];
    if (this.isPrimary) {
      const replicas = s.replicas();
      lines.push(`connected_slaves:${replicas.filter((r) => r.online).length}`);
      replicas.forEach((r, i) => {
        const lag = r.lagMs < 0 ? -1 : Math.floor(r.lagMs / 1000);
        lines.push(`slave${i}:ip=${r.name},port=0,state=${r.online ? "online" : "wait_bgsave"},offset=${Math.max(0, r.ackedOffset)},lag=${lag}`);
      });
    } else {
      const up = this.sink.linkUp(LINK_TIMEOUT_MS);
      const last = this.sink.lastContact < 0 ? -1 : Math.floor((Date.now() - this.sink.lastContact) / 1000);
      lines.push(
        `master_host:${this.state.config.primary}`,
        "master_port:0",
        `master_link_status:${up ? "up" : "down"}`,
        `master_last_io_seconds_ago:${last}`,
        `master_sync_in_progress:${this.sink.syncing ? 1 : 0}`,
        `slave_read_repl_offset:${s.offset}`,
        `slave_repl_offset:${s.offset}`,
        "slave_priority:100",
        "slave_read_only:1",
        "replica_announced:1",
        "connected_slaves:0",
      );
    }
    lines.push(
      `master_failover_state:no-failover`,
      `master_replid:${s.replid || "0000000000000000000000000000000000000000"}`,
      `master_replid2:${s.replid2 || "0000000000000000000000000000000000000000"}`,
      `master_repl_offset:${s.offset}`,
      `second_repl_offset:${s.replid2End}`,
      `repl_backlog_active:${this.isPrimary && this.state.config.replicas.length > 0 ? 1 : 0}`,
      `repl_backlog_size:${backlog.capacity}`,
      `repl_backlog_first_byte_offset:${backlog.firstOffset + 1}`,
      `repl_backlog_histlen:${backlog.histlen}`,
    );
    return lines;
  }

  /** ROLE's reply, as Redis 7.0 shapes it. */
  role(): Reply {
    if (this.isPrimary) {
      return ["master", this.source.offset, this.source.replicas().map((r) => [r.name, "0", String(Math.max(0, r.ackedOffset))])];
    }
    const state = this.sink.syncing ? "sync" : this.sink.linkUp(LINK_TIMEOUT_MS) ? "connected" : "connect";
    return ["slave", this.state.config.primary, 0, state, this.source.offset];
  }
}
