/**
 * Live slot migration, the shard's half (the coordinator drives it: src/monitor/coordinator.ts).
 * Owns the shard's SlotState (src/shard/slot-state.ts) and its persistence, and the three
 * durable steps of moving keys:
 *
 *   source `migrate`  — under blockConcurrencyWhile (no client command runs on the source
 *                       meanwhile): picks up to `maxKeys` keys of the migrating slots,
 *                       writes an in-flight marker (the batch's keys) to storage, sends
 *                       their records to the target, and only after the target answered
 *                       (its log holds them) deletes them, logging DEL, then clears the marker;
 *   target `import`   — applies RESTORE … REPLACE ABSTTL records (the DUMP/RESTORE payload,
 *                       so every type, encoding and absolute TTL survives) through its
 *                       executor, so they are logged like any write, and commits before it
 *                       answers;
 *   target `drop`     — deletes keys of importing slots (logged DEL): the roll-back of a
 *                       batch the source could not finish.
 *
 * Why a batch is never lost nor duplicated, whatever is SIGKILLed when:
 *   - the source's copy is authoritative while the source holds the key (the routing gate
 *     serves it there; the target hides importing slots from KEYS/DBSIZE and SCAN);
 *   - the target's copy counts only once the source has deleted its own as part of the move;
 *   - a crash leaves the marker on the source iff the batch's DEL may not have been
 *     logged. Before the source serves anything after a restart (`settle`), it resolves
 *     it: marker keys it still holds (the DEL was not logged) are dropped on the target —
 *     the target's copy may be stale or partial, and the next batch re-sends the current
 *     value — while marker keys it no longer holds were moved (no client command ran on
 *     the source between the DEL and now: settle runs first), so the target's copy stays;
 *   - re-sending a record is idempotent (REPLACE), and re-sending the same slots' keys
 *     after a coordinator restart finds only what is still on the source;
 *   - the coordinator pushes slot states with epochs; a shard applies only a newer or equal
 *     one, and persists it before answering.
 *
 * With replicas and failover (src/shard/replication*.ts, src/monitor): only a group's primary
 * migrates, imports, drops or takes a slot config as primary (the Shard refuses otherwise, so
 * a coordinator or settle with a stale topology fails and asks the monitors again). The
 * target acknowledges an import only once min-replicas-to-write replicas acknowledged it
 * (as a client write): the promotion rule (src/monitor/promotion.ts) then promotes a replica
 * that holds every acknowledged batch. So when the TARGET group fails over mid-batch:
 *   - batch acknowledged, source's DEL logged, marker cleared: the keys are on the promoted
 *     target (it holds every acknowledged import);
 *   - marker left (the source crashed, or the import failed because the target went down):
 *     the marker names the target GROUP, and settle drops the keys the source still holds on
 *     that group's CURRENT primary (the old target now refuses, not being primary). The
 *     promoted replica holds them if the import was replicated, or not: dropping is right in
 *     both cases (the source's copy is authoritative, the next batch re-sends it), and a
 *     DEL of an absent key is a no-op. Keys the source no longer holds were acknowledged,
 *     hence on the promoted replica.
 * With min-replicas-to-write 0 nothing guarantees a replica holds an import (as for client
 * writes): a target failover can lose up to the replication lag of moved keys.
 * When the SOURCE group fails over mid-batch, the marker is in the old source's storage, not
 * in its replicated log, so the promoted source does not know which batch was in flight:
 * keys it still holds (the batch's DEL did not reach it) may also sit, hidden, on the
 * target, and a client DEL of one on the new source would let the target's stale copy show
 * through ASK. So (issue 13):
 *   - the source answers a batch, and lets any client see its keys gone, only once
 *     min-replicas-to-write replicas acknowledged its DEL (it waits inside `exclusive`; not
 *     in time: it restores the keys from the records, keeps the marker, and the batch is
 *     rolled back as after a crash). A promoted replica then holds every DEL a client may
 *     have observed;
 *   - a promoted primary settles before it serves (`settlePromotion`): it takes its group's
 *     current slot config from the coordinator (it may have missed pushes while down), then
 *     drops on the target every key it holds in a migrating slot. None of those was ever seen
 *     moved, so the target's copy is a stale or partial one nobody wrote to; the next batch
 *     re-sends the current value.
 *   Why this rather than replicating the marker: the marker alone would not be enough (a
 *   replica that missed the DEL of an ACKNOWLEDGED batch would still hold keys clients may
 *   have rewritten on the target since), so the DEL must reach the replicas before clients
 *   see it anyway; with that, "drop what I hold in migrating slots" is exact and needs no
 *   new effect kind in the log and replication stream.
 *   A replica (or deposed primary) never settles a marker of its own: it discards it (its
 *   data may lag its primary's, which moved those keys since; the primary settled on promotion).
 *
 * Each record also carries the key's access clock (RESTORE … IDLETIME under an LRU or
 * no-eviction policy, FREQ under an LFU one: what OBJECT IDLETIME / FREQ answer on the
 * source), so the target's eviction ranks a moved key as the source did. A target under
 * the other kind of policy ignores it (the key gets a fresh clock, as RESTORE there would).
 *
 * A key deleted (or expired) on the source mid-migration is simply not sent; a key
 * created on the target through ASK is never overwritten by the source (the source did
 * not have it: that is why the router was sent there).
 */
import { idleMs, isLfu, lfuDecrAndReturn } from "../engine/access-clock";
import type { Keyspace } from "../engine/keyspace";
import { isError, type Reply } from "../protocol/reply";
import { withFreshCallee } from "../util/async";
import { keySlot, SLOTS } from "../util/keyslot";
import type { ShardCore } from "./core";
import { groupOfName } from "./group";
import { ERR_NOREPLICAS } from "./replica-ops";
import { IMPORTING, isRedirect, MIGRATING, SlotState, type ShardSlotConfig } from "./slot-state";

const CONFIG_KEY = "slots:config";
const MARKER_KEY = "slots:in-flight";
/** Set (with the role change) when this object is promoted: it settles its slots before it serves. */
const PROMOTED_KEY = "slots:promoted";

/** What a shard needs from its Durable Object to migrate. */
export interface MigrationHost {
  readonly storage: DurableObjectStorage;
  /**
   * Commits the staged effects (the log write) before returning, without waiting for a
   * timer turn: it runs inside `exclusive`, where another request's deferred group commit
   * could never fire.
   */
  commit(): Promise<void>;
  /** Runs `fn` with no other event delivered to the object meanwhile. */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  /** The target shard object `name`'s import entry point. */
  target(name: string): { importKeys(records: string[][]): Promise<void>; dropKeys(keys: string[], from?: string): Promise<number> };
  /** This object's name (a roll-back names its sender: the target checks it is its group's primary). */
  readonly self: string;
  /**
   * The object name of group `group`'s current primary (the monitors' topology; `fresh`:
   * ask the monitors again first): where a settle's roll-back goes after a failover.
   */
  primaryOf(group: number, fresh: boolean): Promise<string>;
  /** Whether this object is its group's primary now (a replica never settles: its primary does). */
  isPrimary(): boolean;
  /**
   * This object's group's current slot config, from the coordinator (null: no coordinator):
   * what a promoted replica may have missed while it was down.
   */
  currentConfig(): Promise<ShardSlotConfig | null>;
  /** Replicas under min-replicas-to-write: whether enough are good now, and whether enough acknowledged what is committed. */
  readonly replicas: { ready(): boolean; acknowledged(): Promise<boolean> };
}

/** A batch in flight, persisted on the source: its keys and where they went. */
interface InFlight {
  /** The object the batch was sent to (the target group's primary then). */
  readonly target: string;
  /** The target group (absent in a marker written before failover-aware settle: derived from `target`). */
  readonly targetGroup?: number;
  readonly keys: string[];
}

/** Attempts of a settle's roll-back, refreshing the target group's primary between them. */
const SETTLE_ATTEMPTS = 3;
/** Keys per dropKeys call of a promotion settle (a whole migrating slot range may be held). */
const DROP_CHUNK = 1000;

export interface MigrateResult {
  readonly moved: number;
  readonly bytes: number;
  /** True when keys of the slots remain here. */
  readonly more: boolean;
  /** How long the batch held this shard exclusively (ms): the coordinator's throttle. */
  readonly busyMs: number;
  /** Client commands this shard served since its previous batch (0: idle; the throttle). */
  readonly clientOps: number;
}

/** Per-slot numbers a shard reports (CLUSTER COUNTKEYSINSLOT, GETKEYSINSLOT, SLOT-STATS, rebalance). */
export interface SlotReport {
  readonly slots: number[];
  readonly keyCount: number[];
  readonly bytes: number[];
  readonly cpuUsec: number[];
  readonly bytesIn: number[];
  readonly bytesOut: number[];
  readonly reads: number[];
  readonly writes: number[];
}

export class SlotMigration {
  private marker: InFlight | null = null;
  /** Promoted and not settled yet (persisted: a restart before the settle still settles). */
  private promoted = false;
  private settling: Promise<void> | null = null;
  /** Client commands served as of the end of the previous batch (-1: none yet). */
  private servedAtLastBatch = -1;
  /** The slot config applied last (loaded or pushed; null: never configured): what a primary ships its replicas. */
  private config: ShardSlotConfig | null = null;

  constructor(
    readonly slots: SlotState,
    private readonly core: ShardCore,
    private readonly host: MigrationHost,
  ) {}

  /** Loads the pushed slot state and any in-flight batch (the shard's start). */
  async load(): Promise<void> {
    const config = await this.host.storage.get<ShardSlotConfig>(CONFIG_KEY);
    if (config && this.slots.apply(config)) this.config = config;
    this.marker = (await this.host.storage.get<InFlight>(MARKER_KEY)) ?? null;
    this.promoted = (await this.host.storage.get<boolean>(PROMOTED_KEY)) === true;
  }

  /** True while a batch interrupted by a crash, or a promotion, is unresolved: `settle` before serving. */
  get unsettled(): boolean {
    return this.marker !== null || this.promoted;
  }

  /**
   * This object was just promoted to its group's primary: before it serves, it settles its
   * slots (see the header). Called right after the role change is persisted, with no await
   * between, so both are written together.
   */
  async promote(): Promise<void> {
    this.promoted = true;
    await this.host.storage.put(PROMOTED_KEY, true);
  }

  /** Resolves an interrupted batch or a promotion (see the header); once, shared by concurrent callers. */
  settle(): Promise<void> {
    return (this.settling ??= this.host.exclusive(async () => {
      // Not the primary (a deposed or demoted one, restarted with a marker): the group's
      // primary settled for it when promoted; rolling back from here could drop on the
      // target keys the group has moved since (this object's data may be behind).
      if (!this.host.isPrimary()) {
        await this.clear();
        return null;
      }
      try {
        if (this.promoted) await this.settlePromotion();
        else if (this.marker !== null) await this.settleMarker(this.marker);
      } catch (error) {
        // A roll-back that cannot reach the target group is answered outside `exclusive` (as in `migrate`).
        return { error };
      }
      await this.clear();
      return null;
    }).then((failed) => {
      if (failed !== null && failed !== undefined) throw failed.error;
    }).finally(() => (this.settling = null)));
  }

  /** A batch this object itself left in flight (it restarted): roll back what it still holds. */
  private async settleMarker(m: InFlight): Promise<void> {
    const db = this.core.db;
    db.now = Date.now();
    const stillHere = m.keys.filter((k) => db.sequenceOf(k) !== undefined);
    const group = m.targetGroup ?? groupOfName(m.target);
    if (stillHere.length > 0) await this.rollBack(group, m.target, stillHere);
  }

  /**
   * A promoted primary, before it serves:
   *   1. takes its group's current slot config from the coordinator: a replica that was down
   *      missed the pushes, and must not serve keys of slots its group no longer owns;
   *   2. drops on the target every key it holds in a migrating slot. The old primary may have
   *      been mid-batch (its marker is in its own storage, not replicated): the target then
   *      holds hidden copies of keys this object still holds (the batch's DEL did not reach
   *      it), and deleting one here later would let the stale copy show through ASK. Dropping
   *      is right for every such key: a key this object holds was never seen moved by a
   *      client — the source answers a batch only once its DEL reached min-replicas-to-write
   *      replicas (`migrate`), and the promotion rule promotes one that holds it — so the
   *      target's copy has had no client write (ASK goes there only for keys the source lacks).
   * Its own old marker, if any (from an earlier time as primary), is covered by 2.
   */
  private async settlePromotion(): Promise<void> {
    const current = await this.host.currentConfig();
    if (current !== null) await this.configure(current);
    const byTarget = new Map<number, string[]>();
    for (const slot of this.slots.slotsIn(MIGRATING)) {
      const group = this.slots.peer[slot];
      let keys = byTarget.get(group);
      if (keys === undefined) byTarget.set(group, (keys = []));
      for (const key of this.core.db.keysInHashSlot(slot)) keys.push(key);
    }
    for (const [group, keys] of byTarget) {
      const target = await this.host.primaryOf(group, false);
      for (let i = 0; i < keys.length; i += DROP_CHUNK) await this.rollBack(group, target, keys.slice(i, i + DROP_CHUNK));
    }
  }

  /** Forgets the marker and the promotion (settled, or not this object's to settle). */
  private async clear(): Promise<void> {
    if (this.marker !== null) await this.host.storage.delete(MARKER_KEY);
    if (this.promoted) await this.host.storage.delete(PROMOTED_KEY);
    this.marker = null;
    this.promoted = false;
  }

  /**
   * Drops `keys` on the target group's CURRENT primary: the object the batch went to may
   * have been failed over since (it then refuses, not being primary), and the replica
   * promoted in its place may hold the batch (if replicated) or not — dropping is right
   * either way (see the header).
   */
  private async rollBack(group: number | null, target: string, keys: string[]): Promise<void> {
    await withFreshCallee(
      group === null ? 1 : SETTLE_ATTEMPTS,
      (attempt) => (group === null || attempt === 0 ? target : this.host.primaryOf(group, true)),
      (name) => this.host.target(name).dropKeys(keys, this.host.self),
    );
  }

  /** The coordinator's push: applied (and persisted) unless older than what is known. */
  async configure(config: ShardSlotConfig): Promise<{ epoch: number; applied: boolean }> {
    if (this.slots.configured && config.epoch < this.slots.epoch) return { epoch: this.slots.epoch, applied: false };
    this.slots.apply(config);
    this.config = config;
    await this.host.storage.put(CONFIG_KEY, config);
    // Clients parked on keys of slots no longer served here retry where the map points.
    this.core.redirectBlocked((argv) => {
      const r = this.slots.check(argv, false, this.core.db);
      return isRedirect(r) ? r : null;
    });
    return { epoch: this.slots.epoch, applied: true };
  }

  /**
   * The slot config as replication carries it (issue 13): a primary ships the config it
   * applied last with its stream to every replica that has not had it, and a replica applies
   * it before the effects of that message (src/shard/replication-sink.ts). So a replica that
   * missed the coordinator's pushes (down, or partitioned from the coordinator) holds a
   * migration batch's DELs only under a config that marks the slot migrating (its reads of
   * keys gone answer ASK) or gone (MOVED), never under an older one that answers nil. Until
   * its primary reaches it, its data is as old as its config (both from before it was cut
   * off): its reads are stale as any lagging replica's, not wrong about where keys are.
   */
  replicatedSlots(): { current(): ShardSlotConfig | null; take(config: ShardSlotConfig): Promise<void> } {
    return {
      current: () => this.config,
      take: async (config) => void (await this.configure(config)),
    };
  }

  /** Source: moves up to `maxKeys` keys (about `maxBytes`) of `slots` to object `target`. */
  async migrate(slots: number[], target: string, maxKeys: number, maxBytes: number): Promise<MigrateResult> {
    if (this.unsettled) await this.settle();
    // Refused up front, as a client write would be: the batch's DEL could not be confirmed.
    if (!this.host.replicas.ready()) throw new Error(`${ERR_NOREPLICAS} (migration batch)`);
    // A refused import is rethrown outside `exclusive`: thrown inside, it would reset the
    // object (the marker, kept in memory and storage, is settled before anything is served).
    let refused: { error: unknown } | null = null;
    const served = this.clientCommandsServed();
    // The first batch of this object counts everything served since it started: a source
    // that had clients is not taken for idle on no evidence.
    const clientOps = served - Math.max(0, this.servedAtLastBatch);
    const started = Date.now();
    const timed = (r: { moved: number; bytes: number; more: boolean }): MigrateResult => {
      this.servedAtLastBatch = this.clientCommandsServed();
      return { ...r, busyMs: Date.now() - started, clientOps };
    };
    const result = await this.host.exclusive(async () => {
      const db = this.core.db;
      db.now = Date.now();
      const keys: string[] = [];
      let more = false;
      // The slots' own keys (the keyspace's hash-slot index), not a walk over every key.
      pick: for (const slot of slots) {
        for (const key of db.keysInHashSlot(slot)) {
          if (db.isExpired(key)) continue;
          if (keys.length >= maxKeys) {
            more = true;
            break pick;
          }
          keys.push(key);
        }
      }
      if (keys.length === 0) return timed({ moved: 0, bytes: 0, more: false });
      const records: string[][] = [];
      let bytes = 0;
      for (const record of this.core.exportKeys(keys)) {
        if (record[0] !== "RESTORE") continue;
        record.push(...accessOption(db, record[1]));
        records.push(record);
        bytes += record[1].length + record[3].length;
        if (bytes >= maxBytes && records.length < keys.length) more = true;
        if (bytes >= maxBytes) break;
      }
      const sent = records.map((r) => r[1]);
      // Expiry of keys read above was staged: commit it with the marker.
      await this.host.commit();
      const marker: InFlight = { target, targetGroup: groupOfName(target) ?? undefined, keys: sent };
      await this.host.storage.put(MARKER_KEY, marker);
      this.marker = marker;
      try {
        await this.host.target(target).importKeys(records);
      } catch (error) {
        refused = { error };
        return null;
      }
      // The target's log holds them: now the source lets go.
      this.core.applyMigration(sent.map((k) => ["DEL", k]));
      await this.host.commit();
      // No client sees the keys gone (and is sent to the target) before min-replicas-to-write
      // replicas hold the DEL: a failover then promotes one that holds it (see settlePromotion).
      if (!(await this.host.replicas.acknowledged())) {
        // Not confirmed: the keys come back from the records (no command ran since they were
        // read), the marker stays, and the next settle drops the target's copies.
        this.core.applyMigration(records);
        await this.host.commit();
        refused = { error: new Error(`${ERR_NOREPLICAS} (migration batch: its DEL was not acknowledged by replicas)`) };
        return null;
      }
      await this.host.storage.delete(MARKER_KEY);
      this.marker = null;
      return timed({ moved: sent.length, bytes, more: more || records.length < keys.length });
    });
    if (refused !== null) throw (refused as { error: unknown }).error;
    return result!;
  }

  /** Commands that passed the routing gate here since the object started (reads + writes). */
  private clientCommandsServed(): number {
    const { reads, writes } = this.slots.counters;
    let n = 0;
    for (let s = 0; s < SLOTS; s++) n += reads[s] + writes[s];
    return n;
  }

  /** Target: applies and logs a batch's records before answering. */
  async importKeys(records: string[][]): Promise<void> {
    for (const r of records) {
      if (r[0] !== "RESTORE") throw new Error("ERR migration record is not a RESTORE");
      if (!this.slots.owns(keySlot(r[1]))) throw new Error(`ERR slot ${keySlot(r[1])} is not being imported here`);
    }
    const replies = this.core.applyMigration(records);
    await this.host.commit();
    const failed = replies.find(isError);
    // Out of memory under noeviction, …: the source keeps its keys and the move stops.
    if (failed) throw new Error(failed.message);
  }

  /**
   * Target: deletes keys of importing slots (roll-back of an interrupted batch), asked by
   * `from`: refused unless the monitors name it its group's primary. A deposed source that
   * does not know it yet (cut off from its replicas and monitors) still holds keys the
   * promoted one may have moved here since: its roll-back would delete them.
   */
  async dropKeys(keys: string[], from?: string): Promise<number> {
    const group = groupOfName(from);
    if (group !== null && (await this.host.primaryOf(group, true)) !== from) throw new Error(`ERR dropKeys: ${from} is not its group's primary`);
    const mine = keys.filter((k) => this.slots.state[keySlot(k)] === IMPORTING);
    const replies = this.core.applyMigration(mine.map((k) => ["DEL", k]));
    await this.host.commit();
    return replies.reduce<number>((n, r) => n + Number(r), 0);
  }

  /** Per-slot numbers for `slots` (each slot's keys visited once), with up to `keysOf` keys of the first slot. */
  report(slots: number[], keysOf = 0): SlotReport & { keys: string[] } {
    const keyCount = new Array<number>(slots.length).fill(0);
    const bytes = new Array<number>(slots.length).fill(0);
    const keys: string[] = [];
    const db = this.core.db;
    db.now = Date.now();
    slots.forEach((slot, i) => {
      for (const key of db.keysInHashSlot(slot)) {
        if (db.isExpired(key)) continue;
        keyCount[i]++;
        bytes[i] += db.memoryUsage(key) ?? 0;
        if (i === 0 && keys.length < keysOf) keys.push(key);
      }
    });
    const c = this.slots.counters;
    const pick = (a: Float64Array) => slots.map((s) => a[s]);
    return {
      slots,
      keyCount,
      bytes,
      keys,
      cpuUsec: pick(c.cpuUsec).map(Math.round),
      bytesIn: pick(c.bytesIn),
      bytesOut: pick(c.bytesOut),
      reads: pick(c.reads),
      writes: pick(c.writes),
    };
  }

  /**
   * Hides keys of importing slots from the keyspace-wide commands (KEYS, DBSIZE):
   * until a slot's move is done its keys count on the source, so none is seen twice.
   */
  hideImporting(argv: string[], reply: Reply): Reply {
    if (this.slots.importingCount === 0 || isError(reply)) return reply;
    const name = argv[0].toLowerCase();
    const visible = (k: Reply) => typeof k !== "string" || this.slots.state[keySlot(k)] !== IMPORTING;
    if (name === "keys" && Array.isArray(reply)) return reply.filter(visible);
    // (SCAN never walks an importing slot: Keyspace.scanHashSlots stops before slots not served.)
    if (name === "dbsize" && typeof reply === "number") {
      let hidden = 0;
      for (const slot of this.slots.slotsIn(IMPORTING)) hidden += this.core.db.countInHashSlot(slot);
      return reply - hidden;
    }
    return reply;
  }
}

/**
 * A migration record's access-clock option for `key` (reshard-tune, issue 13): what OBJECT
 * FREQ (LFU policies) or OBJECT IDLETIME (the others) answers for it here, as RESTORE's
 * FREQ / IDLETIME arguments. Read without touching the key.
 */
function accessOption(db: Keyspace, key: string): string[] {
  const access = db.accessOf(key);
  if (access === undefined) return [];
  if (isLfu(db.settings.maxmemoryPolicy)) return ["FREQ", String(lfuDecrAndReturn(access, db.now, db.settings.lfuDecayTime))];
  return ["IDLETIME", String(Math.floor(idleMs(access, db.now) / 1000))];
}
