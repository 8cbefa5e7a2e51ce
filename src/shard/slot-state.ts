/**
 * Which slots a shard serves, as data: each slot is not owned, owned, migrating (this shard
 * is the source of a move; the peer is the target group) or importing (this shard is the
 * target; the peer is the source group), as of the coordinator's epoch. The SlotCoordinator
 * (src/monitor/coordinator.ts) pushes it (`Shard.configureSlots`), the shard persists it; a
 * shard never told falls back to the contiguous layout its name implies (src/shard/slot-owner.ts).
 *
 * `check` is the routing gate every command passes before it runs (Redis Cluster's
 * getNodeByQuery, answered in the router's private dialect, never seen by clients):
 *   - a key of a slot not served here → `MOVED <slot> <epoch>`: the router refetches the
 *     slot map and retries where it now points;
 *   - a migrating slot: served while every key is still here; when none is (moved already,
 *     or new) → `ASK <slot> <group>`: the router retries once at that group, flagged asking;
 *     some here and some not → `TRYAGAIN Multiple keys request during rehashing of slot`;
 *   - an importing slot: served only when asked (the ASKING flag), else MOVED back to the
 *     owner the map names; asked with several keys of which only some are here → TRYAGAIN;
 *   - keys of several slots (a command the router splits by group: MGET, MSET, DEL, …) of
 *     which one is not owned plainly → `SPLIT <slot>`: the router splits it per slot;
 *   - after one of these redirects in a router call, a later command of the call that
 *     touches a slot of a redirected (or already deferred) command, or has no keys, and
 *     would be served here → `DEFERRED <slot> <group> <asking>`: not run, the router sends
 *     it again to this group once the redirected command has run (see CallOrder).
 * Reads and writes alike; what passes is counted per slot (CLUSTER SLOT-STATS).
 */
import type { SlotOwner } from "../commands/context";
import { arityOk, commandKeys, lookupCommand, type CommandSpec } from "../commands/table";
import { SCAN_AWAY, SCAN_SERVE, SCAN_WHOLE, type Keyspace, type ScanRole } from "../engine/keyspace";
import { contiguousOwner } from "../monitor/slot-map-data";
import { error, type ErrorReply, type Reply } from "../protocol/reply";
import { keySlot, SLOTS } from "../util/keyslot";

export const NOT_OWNED = 0;
export const OWNED = 1;
export const MIGRATING = 2;
export const IMPORTING = 3;

export const ERR_TRYAGAIN = "TRYAGAIN Multiple keys request during rehashing of slot";

/** A shard's slot state as the coordinator pushes it (JSON-safe). */
export interface ShardSlotConfig {
  readonly epoch: number;
  /** [first, last] ranges of slots owned (served without ASKING). */
  readonly owned: ReadonlyArray<readonly [number, number]>;
  /** Slots this shard is moving out: [slot, target group]. */
  readonly migrating: ReadonlyArray<readonly [number, number]>;
  /** Slots this shard is moving in: [slot, source group]. */
  readonly importing: ReadonlyArray<readonly [number, number]>;
}

/** A refusal the router acts on: `MOVED <slot> <epoch>`, `ASK <slot> <group>` or `SPLIT <slot>`. */
export function isRedirect(r: unknown): r is ErrorReply {
  if (r === null || typeof r !== "object" || Array.isArray(r) || (r as ErrorReply).kind !== "error") return false;
  const m = (r as ErrorReply).message;
  return m.startsWith("MOVED ") || m.startsWith("ASK ") || m.startsWith("SPLIT ") || m.startsWith("DEFERRED ");
}

/**
 * A pipeline's order across a redirect, for one router call (`Shard.run`: one or more
 * batches of one connection). The router re-sends a redirected command only after the
 * shard has answered the whole call, so a later command of the call that the gate let
 * through would run BEFORE it: `MSET a x b y` answered SPLIT (b's slot is moving) and then
 * `DEL a` served at once deletes the old `a`, and the MSET's piece for `a` lands after it
 * (the client saw DEL reply 0 where 1 was due, and `a` ends up set, not deleted). So once
 * a command is redirected, every later command sharing a slot with it (or with a command
 * deferred before it) is not run either: it is answered DEFERRED, and the router sends it
 * again, in order, after the redirected ones (src/router/redirect.ts). A later command that
 * would be redirected anyway keeps its own redirect (ASK/MOVED for a key the redirected
 * command did not find here cannot be served here either, so the two never race).
 * Commands of other slots keep running: only a slot's order is observable (as in Redis
 * Cluster, where slots live on different nodes). Keyless commands (DBSIZE, KEYS, FLUSHALL
 * pieces, …) may depend on every slot: they wait too once anything was redirected.
 */
export class CallOrder {
  private readonly held = new Set<number>();

  get holding(): boolean {
    return this.held.size > 0;
  }

  hold(slots: readonly number[]): void {
    for (const s of slots) this.held.add(s);
  }

  holds(slots: readonly number[]): boolean {
    return slots.some((s) => this.held.has(s));
  }
}

/** The refusal of a command held back by CallOrder: sent again to `group`, asking as before. */
export function deferred(slot: number, group: number, asking: boolean): ErrorReply {
  return error(`DEFERRED ${slot} ${group} ${asking ? 1 : 0}`);
}

/** Per-slot counters (CLUSTER SLOT-STATS): since the object started, not persisted. */
export class SlotCounters {
  readonly cpuUsec = new Float64Array(SLOTS);
  readonly bytesIn = new Float64Array(SLOTS);
  readonly bytesOut = new Float64Array(SLOTS);
  readonly reads = new Float64Array(SLOTS);
  readonly writes = new Float64Array(SLOTS);
}

export class SlotState implements SlotOwner {
  readonly state = new Uint8Array(SLOTS);
  readonly peer = new Uint16Array(SLOTS);
  epoch = 0;
  /** True once the coordinator configured this shard (else: the name's contiguous layout). */
  configured = false;
  importingCount = 0;
  /** Slots this shard is moving out (exact DBSIZE / KEYS / SCAN: the source answers for them whole, src/shard/keyspace-view.ts). */
  migratingCount = 0;
  readonly counters = new SlotCounters();

  constructor(readonly shard: number) {}

  /** The layout a shard named "shard-<group>" has before any coordinator speaks to it. */
  static initial(group: number, shards: number): SlotState {
    const s = new SlotState(group);
    if (group < shards) {
      const owner = contiguousOwner(shards);
      for (let i = 0; i < SLOTS; i++) if (owner[i] === group) s.state[i] = OWNED;
    }
    return s;
  }

  /** Applies a pushed config unless older than what this shard knows; true when applied. */
  apply(c: ShardSlotConfig): boolean {
    if (this.configured && c.epoch < this.epoch) return false;
    this.state.fill(NOT_OWNED);
    for (const [first, last] of c.owned) this.state.fill(OWNED, first, last + 1);
    for (const [slot, to] of c.migrating) {
      this.state[slot] = MIGRATING;
      this.peer[slot] = to;
    }
    for (const [slot, from] of c.importing) {
      this.state[slot] = IMPORTING;
      this.peer[slot] = from;
    }
    this.importingCount = c.importing.length;
    this.migratingCount = c.migrating.length;
    this.epoch = c.epoch;
    this.configured = true;
    return true;
  }

  /** The executor's creation guard: a key may be created in a slot served here in any way. */
  owns(slot: number): boolean {
    return this.state[slot] !== NOT_OWNED;
  }

  /** SCAN in hash-slot order: an owned slot is served, a migrating one answered whole (the source counts its moved keys), others are away. */
  scanRole(slot: number): ScanRole {
    const st = this.state[slot];
    return st === OWNED ? SCAN_SERVE : st === MIGRATING ? SCAN_WHOLE : SCAN_AWAY;
  }

  /** Slots in `state`, ascending. */
  slotsIn(state: number): number[] {
    const out: number[] = [];
    for (let s = 0; s < SLOTS; s++) if (this.state[s] === state) out.push(s);
    return out;
  }

  /**
   * The routing gate (see the header): a refusal, or the slot of the command's keys (-1:
   * keyless, or keys of several slots — MGET split by shard — all served here).
   */
  check(argv: string[], asking: boolean, db: Keyspace, order?: CallOrder): Reply | number {
    const spec = lookupCommand(argv[0]);
    const keys = keysOf(spec, argv);
    if (spec === undefined || keys.length === 0) return order?.holding ? deferred(-1, this.shard, asking) : -1;
    // Each key's slot, computed once for everything below (this runs for every command).
    const slots = keys.map(keySlot);
    const refusal = this.refusal(keys, slots, asking, db, false);
    if (refusal !== null) {
      if (order && isRedirect(refusal)) order.hold(slots);
      return refusal;
    }
    const first = slots[0];
    if (order?.holds(slots)) {
      order.hold(slots);
      return deferred(first, this.shard, asking);
    }
    if (spec.isWrite) this.counters.writes[first]++;
    else this.counters.reads[first]++;
    let bytes = 0;
    for (const a of argv) bytes += a.length + 16;
    this.counters.bytesIn[first] += bytes;
    return first;
  }

  /**
   * The gate for a MULTI/EXEC as a whole (Redis Cluster checks a transaction's keys
   * together): its keys all here, or all away (ASK), else TRYAGAIN — never some commands
   * on the source and others on the target. Null: every command passes `check`.
   */
  checkTransaction(batch: string[][], asking: boolean, db: Keyspace): Reply | null {
    const keys = batch.flatMap((argv) => keysOf(lookupCommand(argv[0]), argv));
    return keys.length === 0 ? null : this.refusal(keys, keys.map(keySlot), asking, db, true);
  }

  /** MOVED, ASK, SPLIT or TRYAGAIN for these keys, or null (served here). */
  private refusal(keys: string[], slots: number[], asking: boolean, db: Keyspace, transaction: boolean): Reply | null {
    // Keys of several slots (MGET, MSET, DEL… the router split by group) of which one is not
    // plainly owned here: the router splits the command per slot and routes each piece (a
    // transaction cannot be split: it is refused until the slot has moved).
    const first = slots[0];
    if (slots.length > 1 && slots.some((s) => s !== first)) {
      for (const s of slots) if (this.state[s] !== OWNED) return error(transaction ? ERR_TRYAGAIN : `SPLIT ${s}`);
    }
    let here = 0;
    let away = 0;
    let moving = -1;
    let now = -1;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      const s = slots[i];
      const st = this.state[s];
      if (st === OWNED) continue;
      if (st === NOT_OWNED || (st === IMPORTING && !asking)) return error(`MOVED ${s} ${this.epoch}`);
      if (now < 0) db.now = now = Date.now();
      // Present: held and not past its TTL (checked without touching or expiring it).
      if (db.sequenceOf(key) !== undefined && !db.isExpired(key)) here++;
      else away++;
      moving = s;
    }
    if (moving >= 0 && here > 0 && away > 0) return error(ERR_TRYAGAIN);
    if (moving >= 0 && away > 0 && this.state[moving] === MIGRATING) return error(`ASK ${moving} ${this.peer[moving]}`);
    return null;
  }
}

/** A command's keys ([] for a keyless, unknown or malformed one: the command answers itself). */
function keysOf(spec: CommandSpec | undefined, argv: string[]): string[] {
  if (!spec || !spec.run || !arityOk(spec, argv.length)) return [];
  try {
    return commandKeys(spec, argv);
  } catch {
    return [];
  }
}
