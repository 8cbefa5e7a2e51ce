/**
 * A reshard or rebalance as a durable state machine (pure data and functions; the
 * SlotCoordinator, src/monitor/coordinator.ts, stores it and performs each step with its
 * alarm, so a SIGKILL at any point resumes from the last stored phase). Slots move in
 * chunks of one source → one target; each chunk goes through:
 *
 *   mark     → push the source "migrating" and the target "importing" (epoch + 1)
 *   move     → the source sends batches of keys to the target until none is left
 *   finish   → push the target "owned" (finish epoch), then store the map with the chunk's
 *              slots on the target at that epoch (routers now go straight there)
 *   release  → push the source its slots gone: it answers MOVED for them from now on
 *
 * Every push is idempotent (a shard applies an epoch ≥ its own), and the order keeps one
 * server answering for every key at every moment: before the map names the target, routers
 * reach it through the source's ASK; after, directly; a router with an old map is sent on
 * by MOVED. A job starts with `init` (every group told its current slots, so no shard relies
 * on the SHARDS formula any more) and ends by retiring groups ≥ the new count (scale in).
 */
import type { GroupConfig } from "../shard/group";
import type { ShardSlotConfig } from "../shard/slot-state";
import { SLOTS } from "../util/keyslot";
import type { SlotMove } from "./slot-map-data";

export type ChunkPhase = "mark" | "move" | "finish" | "release";

export interface Chunk {
  readonly from: number;
  readonly to: number;
  readonly slots: number[];
  phase: ChunkPhase;
  /** The epoch the chunk's end is pushed with (set when moving ends). */
  finishEpoch?: number;
}

export interface MigrationJob {
  readonly id: string;
  readonly mode: "reshard" | "rebalance";
  /** Groups after the job (reshard: the requested count; rebalance: unchanged). */
  readonly shards: number;
  readonly groupsBefore: number;
  /**
   * Keys one migration batch moves at most (one RPC source → target each), when set by the
   * caller; null: adaptive (`adaptiveKeys`, see `throttleAfterBatch`).
   */
  readonly batchKeys: number | null;
  /** Pause after each batch (ms; 0: none) when set by the caller; null: adaptive (`nextPauseMs`). */
  readonly pauseMs: number | null;
  /** The adaptive size of the next batch (used while `batchKeys` is null). */
  adaptiveKeys?: number;
  /** The adaptive pause after the last batch (used while `pauseMs` is null). */
  nextPauseMs?: number;
  /** Milliseconds sources spent moving batches (the time they served no client). */
  busyMs?: number;
  /** No batch is sent before this time (ms since the epoch): the pause after the last one. */
  nextBatchAt?: number;
  /** "init" until every group was told its slots, then "chunks", then "retire". */
  stage: "init" | "chunks" | "retire" | "done";
  /** Moves not yet in a chunk: [slot, from, to]. */
  pending: Array<[number, number, number]>;
  chunk: Chunk | null;
  readonly totalSlots: number;
  doneSlots: number;
  keysMoved: number;
  bytesMoved: number;
  batches: number;
  readonly startedAt: number;
  finishedAt: number | null;
  /** The last step's failure (the step is retried). */
  lastError: string | null;
}

/** Slots per chunk (one mark/finish pair of pushes for them all). */
export const CHUNK_SLOTS = 128;
/** Keys of a job's first adaptive batch: one RPC each way, well under the RPC size limit for small keys. */
export const BATCH_KEYS = 1000;

// --- adaptive throttling (a job without explicit batchKeys / pauseMs) ----------------------
// A batch holds its source exclusively (no client command runs there meanwhile: that is
// what makes a move exact), so a migration that sends batches back to back stops the
// source's clients. The source reports how long each batch held it and how many client
// commands it served since its previous batch; from these the next batch is sized and the
// pause after it chosen:
//   - the source served clients: the batch is sized to take about BATCH_TARGET_MS (the
//     longest a client waits behind one), and the pause after it is long enough that
//     batches take at most MIGRATION_SHARE of the source's time;
//   - it served none (an idle deployment): no pause, and batches grow to IDLE_BATCH_KEYS,
//     so an idle migration runs at full speed.

/** The largest share of a busy source's time that migration batches take. */
export const MIGRATION_SHARE = 0.25;
/** How long one batch should hold a source that serves clients (ms). */
export const BATCH_TARGET_MS = 20;
/** The longest adaptive pause (ms): a batch that stalled (a slow commit) does not stall the job for long. */
export const MAX_PAUSE_MS = 5000;
/** Adaptive batch bounds (keys). */
export const MIN_BATCH_KEYS = 50;
export const IDLE_BATCH_KEYS = 10_000;

/** What a source reports of a batch, for the throttle. */
export interface BatchTiming {
  readonly moved: number;
  /** How long the batch held the source (ms). */
  readonly busyMs: number;
  /** Client commands the source served since its previous batch. */
  readonly clientOps: number;
}

/** Keys the job's next batch moves at most. */
export function batchKeysOf(job: MigrationJob): number {
  return job.batchKeys ?? job.adaptiveKeys ?? BATCH_KEYS;
}

/** The pause after the job's last batch (ms). */
export function pauseOf(job: MigrationJob): number {
  return job.pauseMs ?? job.nextPauseMs ?? 0;
}

/** How long the alarm waits before the job's next step (> 0 only before a batch still resting). */
export function batchWaitMs(job: MigrationJob, now: number): number {
  if (job.stage !== "chunks" || job.chunk?.phase !== "move" || job.nextBatchAt === undefined) return 0;
  return Math.max(0, job.nextBatchAt - now);
}

/** Sizes the next batch and the pause after this one from a batch's timing (see above). */
export function throttleAfterBatch(job: MigrationJob, t: BatchTiming): void {
  job.busyMs = (job.busyMs ?? 0) + t.busyMs;
  const keys = batchKeysOf(job);
  const busy = t.clientOps > 0;
  if (job.pauseMs === null) job.nextPauseMs = busy ? Math.min(MAX_PAUSE_MS, Math.ceil((t.busyMs * (1 - MIGRATION_SHARE)) / MIGRATION_SHARE)) : 0;
  if (job.batchKeys !== null) return;
  let next: number;
  if (!busy) next = keys * 2;
  else if (t.moved === 0 || t.busyMs <= 0) next = keys;
  // Keys per ms of this batch, times the target; at most halved or doubled per batch (one
  // slow batch — a commit that waited — does not collapse the size).
  else next = Math.min(keys * 2, Math.max(keys / 2, (t.moved / t.busyMs) * BATCH_TARGET_MS));
  job.adaptiveKeys = Math.round(Math.min(IDLE_BATCH_KEYS, Math.max(MIN_BATCH_KEYS, next)));
}

export function newJob(
  mode: MigrationJob["mode"],
  shards: number,
  groupsBefore: number,
  moves: SlotMove[],
  now: number,
  batchKeys: number | null = null,
  pauseMs: number | null = null,
): MigrationJob {
  return {
    id: `${mode}-${now}`,
    mode,
    shards,
    groupsBefore,
    batchKeys,
    pauseMs,
    adaptiveKeys: BATCH_KEYS,
    nextPauseMs: 0,
    busyMs: 0,
    stage: "init",
    pending: moves.map((m) => [m.slot, m.from, m.to]),
    chunk: null,
    totalSlots: moves.length,
    doneSlots: 0,
    keysMoved: 0,
    bytesMoved: 0,
    batches: 0,
    startedAt: now,
    finishedAt: null,
    lastError: null,
  };
}

/** Takes the next chunk: up to CHUNK_SLOTS pending moves of the first pending (from, to) pair. */
export function takeChunk(job: MigrationJob, size = CHUNK_SLOTS): Chunk | null {
  if (job.pending.length === 0) return null;
  const [, from, to] = job.pending[0];
  const slots: number[] = [];
  const rest: Array<[number, number, number]> = [];
  for (const m of job.pending) {
    if (slots.length < size && m[1] === from && m[2] === to) slots.push(m[0]);
    else rest.push(m);
  }
  job.pending = rest;
  return { from, to, slots, phase: "mark" };
}

/** Group `group`'s slot state: what `owner` gives it, with `chunk` migrating out of or into it. */
export function groupConfig(owner: ArrayLike<number>, group: number, epoch: number, chunk: Chunk | null): ShardSlotConfig {
  const moving = new Set(chunk && (chunk.phase === "mark" || chunk.phase === "move") ? chunk.slots : []);
  const owned: Array<[number, number]> = [];
  let start = -1;
  for (let s = 0; s <= SLOTS; s++) {
    const mine = s < SLOTS && owner[s] === group && !moving.has(s);
    if (mine && start < 0) start = s;
    if (!mine && start >= 0) {
      owned.push([start, s - 1]);
      start = -1;
    }
  }
  const migrating: Array<[number, number]> = [];
  const importing: Array<[number, number]> = [];
  if (chunk && moving.size > 0) {
    if (group === chunk.from) for (const s of chunk.slots) migrating.push([s, chunk.to]);
    if (group === chunk.to) for (const s of chunk.slots) importing.push([s, chunk.from]);
  }
  return { epoch, owned, migrating, importing };
}

/** What GET /admin/topology shows of a job. */
export function jobProgress(job: MigrationJob | null): Record<string, unknown> | null {
  if (!job) return null;
  const { pending, chunk, ...rest } = job;
  const seconds = ((job.finishedAt ?? Date.now()) - job.startedAt) / 1000;
  return {
    ...rest,
    pendingSlots: pending.length,
    chunk: chunk && { from: chunk.from, to: chunk.to, slots: chunk.slots.length, first: chunk.slots[0], phase: chunk.phase },
    keysPerSecond: seconds > 0 ? Math.round(job.keysMoved / seconds) : 0,
    mbPerSecond: seconds > 0 ? Math.round((job.bytesMoved / 1048576 / seconds) * 100) / 100 : 0,
  };
}

/**
 * Group `group`'s slot config as the job stands now (the coordinator re-pushes it to a
 * primary it has not configured: a promoted replica). A chunk in "finish" is still moving
 * as far as the source and target know until the finish push (the map does not give the
 * target its slots yet): it is pushed as moving, never as plainly owned by the source, which
 * would then create keys the target already holds.
 */
export function currentGroupConfig(owner: ArrayLike<number>, group: number, epoch: number, chunk: Chunk | null): ShardSlotConfig {
  return groupConfig(owner, group, epoch, chunk && chunk.phase === "finish" ? { ...chunk, phase: "move" } : chunk);
}

/**
 * Where a group's slot config goes (failover-aware resharding): the primary first — it must
 * apply it (`configureSlots` refuses on an object that is not its group's primary, so a
 * coordinator with a stale topology fails the step, refreshes and retries) — then every
 * replica, best effort. A replica that missed a push also gets the config from its primary:
 * the replication stream carries it until the replica has it (src/shard/replication-source.ts);
 * a promoted one takes the group's current config from the coordinator before it serves, and
 * the coordinator re-pushes it to a primary it has not addressed before (see
 * SlotCoordinator.primaryOf in src/monitor/coordinator.ts). Replay of the primary's stream is
 * never gated by slots, so a replica's stale config cannot make it diverge: it only decides
 * what READONLY reads it serves.
 */
export function slotPushPlan(config: GroupConfig): Array<{ name: string; member: "primary" | "replica" }> {
  return [{ name: config.primary, member: "primary" as const }, ...config.replicas.filter((r) => r !== config.primary).map((name) => ({ name, member: "replica" as const }))];
}
