/**
 * The replication sink: what a replica does with its primary's messages (Shard.replicate).
 * It refuses a message of an older epoch, or from an object that is not the primary of the
 * config it knows (so a deposed primary never gets an ack again); adopts a newer config a
 * message carries (or one of its own epoch when it knows the epoch but not its primary: a
 * primary deposed by a replica's refusal), and the primary's slot config a message carries,
 * before its effects (src/shard/slot-migration.ts); answers a probe with where it is (stream id and applied offset); applies
 * a stream batch only at exactly its offset (a batch already applied is acknowledged again,
 * idempotent), logging it through its own effect stream, and acknowledges once that is
 * durable; and receives a full resynchronisation as RDB pieces, then replaces its keyspace
 * with them at once (a snapshot in its storage, the offset with it).
 */
import type { GroupConfig } from "./group";
import type { ReplAck, ReplicationSource, ReplMessage } from "./replication-source";
import type { ShardSlotConfig } from "./slot-state";

export interface SinkHost {
  readonly name: string;
  /** The config this object knows. */
  config(): GroupConfig;
  /** A newer config arrived with a message: adopt it (persist; may change the role). */
  adopt(config: GroupConfig): void;
  isPrimary(): boolean;
  /** Applies effects to the keyspace and stages them on this object's own effect stream. */
  apply(effects: string[][]): void;
  /** Commits what is staged (its log write is durable when this resolves). */
  commit(): Promise<void>;
  /** Replaces the keyspace with an RDB image (pieces of one file) at `offset` and snapshots it durably, the offset with it. */
  loadImage(pieces: Uint8Array[], offset: number): void;
  /** Persists the role state (stream ids; the offset is in the log and snapshot). */
  persist(): void;
  /** Applies (and persists) the primary's slot config unless older than this object's (live resharding). */
  takeSlots?(config: ShardSlotConfig): Promise<void>;
  now(): number;
}

interface Loading {
  readonly replid: string;
  readonly offset: number;
  readonly pieces: Uint8Array[];
}

export class ReplicationSink {
  /** When the primary last reached us (ms), -1: never since start. */
  lastContact = -1;
  /** A full resync being received. */
  private loading: Loading | null = null;
  /** Full resyncs completed since start. */
  fullSyncs = 0;

  constructor(
    private readonly host: SinkHost,
    private readonly source: ReplicationSource,
  ) {}

  get syncing(): boolean {
    return this.loading !== null;
  }

  /** Whether the link to the primary is up: it reached us lately and no full resync is under way. */
  linkUp(withinMs: number): boolean {
    return this.loading === null && this.lastContact >= 0 && this.host.now() - this.lastContact <= withinMs && this.source.replid !== "";
  }

  async receive(msg: ReplMessage): Promise<ReplAck> {
    let config = this.host.config();
    if (msg.epoch < config.epoch) return { ok: false, stale: true, epoch: config.epoch };
    // A newer epoch's config; or this epoch's, when this object knows the epoch but not its
    // primary (deposed by a replica's refusal while the failover's own config missed it): one
    // election per epoch, so the primary of this epoch calling is that epoch's leader.
    if (msg.epoch > config.epoch || (msg.epoch === config.epoch && config.primary === "" && msg.config.primary === msg.primary)) {
      this.host.adopt(msg.config);
      config = this.host.config();
    }
    if (this.host.isPrimary() || config.primary !== msg.primary) return { ok: false, stale: true, epoch: config.epoch };
    this.lastContact = this.host.now();
    // Issue 13: a replica that missed the coordinator's pushes (down, partitioned) takes its
    // primary's slot config first: its READONLY reads then redirect keys its group gave away.
    // The await is a storage write: the input gate holds other events meanwhile, so the
    // checks above still hold when the effects below are applied.
    if (msg.slots !== undefined && this.host.takeSlots) await this.host.takeSlots(msg.slots);
    switch (msg.kind) {
      case "probe":
        return this.at();
      case "stream": {
        // A new primary continuing the stream this replica holds (it was promoted from it, as
        // Redis's replid2): take its stream id, so the partial resync it decided goes on.
        if (this.loading === null && msg.replid !== this.source.replid && this.source.replid !== "" && msg.replid2 === this.source.replid && this.source.offset <= (msg.replid2End ?? -1)) {
          this.source.replid = msg.replid;
          this.host.persist();
        }
        if (this.loading !== null || msg.replid !== this.source.replid) return this.at();
        const offset = this.source.offset;
        if (msg.to <= offset) return { ok: true, offset }; // already applied: acknowledged again
        if (msg.from !== offset) return this.at();
        this.host.apply(msg.effects);
        await this.host.commit();
        if (this.source.offset !== msg.to) {
          // The offsets disagree (cannot happen while both count the same bytes): start over.
          this.source.restart("", this.source.offset);
          this.host.persist();
          return this.at();
        }
        return { ok: true, offset: this.source.offset };
      }
      case "full-begin":
        this.loading = { replid: msg.replid, offset: msg.offset, pieces: [] };
        return { ok: true, offset: this.source.offset };
      case "full-chunk":
        if (this.loading === null || this.loading.replid !== msg.replid) return this.at();
        this.loading.pieces.push(msg.bytes);
        return { ok: true, offset: this.source.offset };
      case "full-end": {
        const loading = this.loading;
        this.loading = null;
        if (loading === null || loading.replid !== msg.replid || loading.offset !== msg.offset) return this.at();
        this.host.loadImage(loading.pieces, loading.offset);
        this.source.restart(loading.replid, loading.offset);
        this.host.persist();
        this.fullSyncs++;
        return { ok: true, offset: loading.offset };
      }
    }
  }

  /** Where this replica is (a method, not a closure made per message: issue 10). */
  private at(): ReplAck {
    return { ok: false, sync: true, replid: this.source.replid, offset: this.source.offset };
  }

  /** Stops a full resync under way (this object's role changed). */
  reset(): void {
    this.loading = null;
  }
}
