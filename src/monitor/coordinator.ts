/**
 * The SlotCoordinator Durable Object (binding COORDINATOR, one object named "slot-map"):
 * owns the slot map with its epoch (src/monitor/slot-map-data.ts), built from SHARDS on
 * first use, and drives reshards and rebalances (src/monitor/migration-job.ts) with its
 * alarm: each alarm performs steps for up to ALARM_BUDGET_MS, storing the job after each,
 * so a SIGKILL at any point resumes where it stopped. Off the request path: routers fetch the map only
 * when a shard refused a key (MOVED) or before a keyspace-wide command, and cache it.
 */
import { DurableObject } from "cloudflare:workers";
import { readConfig, type Env } from "../config";
import { primaryName } from "../shard/group";
import { TopologyCache } from "../router/topology";
import type { Shard } from "../shard/shard";
import type { ShardSlotConfig } from "../shard/slot-state";
import { withTimeout } from "../util/async";
import { SLOTS } from "../util/keyslot";
import type { Monitor } from "./monitor";
import { monitorNames } from "./names";
import { batchKeysOf, batchWaitMs, currentGroupConfig, groupConfig, jobProgress, newJob, pauseOf, slotPushPlan, takeChunk, throttleAfterBatch, type MigrationJob } from "./migration-job";
import { initialSlotMap, ownerOf, planRebalance, planReshard, rangesOf, validateSlotMap, type SlotMapData } from "./slot-map-data";

export const COORDINATOR_NAME = "slot-map";

/** Bytes one migration batch moves about at most (keys: the job's batch size): one RPC each way. */
const BATCH_BYTES = 8 * 1024 * 1024;
/** Steps one alarm runs for at most this long before it yields to the next alarm. */
const ALARM_BUDGET_MS = 250;
/** How long a primary's slot-config push may take before the step fails and is retried. */
const PRIMARY_PUSH_MS = 10_000;
/** How long a replica's slot-config push may take (a replica that is down is not waited for). */
const REPLICA_PUSH_MS = 1000;
/** Pause before retrying a step that failed (a shard restarting, …). */
const RETRY_MS = 1000;

type ShardRpc = Pick<Shard, "configureSlots" | "migrateSlots" | "slotReport">;

/** What a rebalance evens out: keys, bytes, or load (commands' bytes in and out). */
export type RebalanceBy = "keys" | "memory" | "load";

/**
 * The object name of group g's initial primary (epoch 0). The coordinator itself addresses
 * a group's CURRENT primary: the monitors' topology, through a TopologyCache (src/router/topology.ts).
 */
export function groupPrimary(group: number): string {
  return primaryName(group);
}

export class SlotCoordinator extends DurableObject<Env> {
  private map: SlotMapData | null = null;
  private job: MigrationJob | null = null;
  private lastJob: MigrationJob | null = null;
  /** Steps run one at a time (an alarm and a test's `step` may overlap across awaits). */
  private stepping: Promise<boolean> = Promise.resolve(false);
  /** Failover: each group's current primary, from the monitors (refreshed after a failed step). */
  private topologyCache: TopologyCache | null = null;
  /** The primary each group's current slot config was last pushed to (a new one gets it first). */
  private readonly configuredPrimary = new Map<number, string>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      const stored = await ctx.storage.get<SlotMapData>("map");
      this.map = stored ? validateSlotMap(stored) : null;
      this.job = (await ctx.storage.get<MigrationJob>("job")) ?? null;
      this.lastJob = (await ctx.storage.get<MigrationJob>("lastJob")) ?? null;
      // A job interrupted by a crash carries on (the alarm survives too; this is a safety net).
      if (this.job && (await ctx.storage.getAlarm()) === null) await ctx.storage.setAlarm(Date.now());
    });
  }

  /** The slot map (created from SHARDS on first use). */
  async getMap(): Promise<SlotMapData> {
    return this.current();
  }

  /** The map and the running (or last) job, for GET /admin/topology. */
  async topology(): Promise<{ map: SlotMapData; job: Record<string, unknown> | null; lastJob: Record<string, unknown> | null }> {
    return { map: await this.current(), job: jobProgress(this.job), lastJob: jobProgress(this.lastJob) };
  }

  /**
   * Group `group`'s slot config as things stand (issue 13): a promoted primary asks before it
   * serves, as it may have missed pushes while it was a replica that was down. The same
   * config the coordinator would re-push to a new primary mid-job; the map's own layout
   * otherwise. The shard applies it only if not older than what it knows.
   */
  async slotConfigOf(group: number): Promise<ShardSlotConfig> {
    const map = await this.current();
    const chunk = this.job !== null && this.job.stage === "chunks" ? this.job.chunk : null;
    return currentGroupConfig(ownerOf(map.ranges), group, map.epoch, chunk);
  }

  /**
   * Starts moving slots so that `shards` groups own them all; refused while a job runs.
   * `batchKeys` / `pauseMs` fix the batch size / the pause after each batch; left out, they
   * adapt to the sources' load (see throttleAfterBatch in src/monitor/migration-job.ts).
   */
  async startReshard(shards: number, batchKeys?: number, pauseMs?: number): Promise<{ job: Record<string, unknown> | null } | { error: string }> {
    if (!Number.isInteger(shards) || shards < 1 || shards > SLOTS) return { error: "ERR shards must be an integer from 1 to 16384" };
    if (batchKeys !== undefined && (!Number.isInteger(batchKeys) || batchKeys < 1 || batchKeys > 100_000)) return { error: "ERR batchKeys must be an integer from 1 to 100000" };
    if (pauseMs !== undefined && (!Number.isInteger(pauseMs) || pauseMs < 0 || pauseMs > 60_000)) return { error: "ERR pauseMs must be an integer from 0 to 60000" };
    if (this.job) return { error: `ERR a ${this.job.mode} is already running (${this.job.id})` };
    const map = await this.current();
    const moves = planReshard(ownerOf(map.ranges), shards);
    if (moves.length === 0 && shards >= map.groups) {
      if (shards === map.groups) return { job: null };
    }
    return this.begin(newJob("reshard", shards, map.groups, moves, Date.now(), batchKeys ?? null, pauseMs ?? null), Math.max(map.groups, shards));
  }

  /** Starts moving slots between the groups to even out `by` (measured by the shards' slot stats). */
  async startRebalance(by: RebalanceBy): Promise<{ job: Record<string, unknown> | null } | { error: string }> {
    if (this.job) return { error: `ERR a ${this.job.mode} is already running (${this.job.id})` };
    const map = await this.current();
    const all = Array.from({ length: SLOTS }, (_, i) => i);
    const weight = new Float64Array(SLOTS);
    const reports = await Promise.all(Array.from({ length: map.groups }, async (_, g) => (await this.shard(g)).slotReport(all)));
    for (const r of reports) {
      r.slots.forEach((s, i) => {
        weight[s] += by === "keys" ? r.keyCount[i] : by === "memory" ? r.bytes[i] : r.bytesIn[i] + r.bytesOut[i];
      });
    }
    const moves = planRebalance(ownerOf(map.ranges), map.groups, weight);
    if (moves.length === 0) return { job: null };
    return this.begin(newJob("rebalance", map.groups, map.groups, moves, Date.now()), map.groups);
  }

  /** Runs one step of the job now (tests and `alarm`); false when no job is left. */
  async step(): Promise<boolean> {
    const next = this.stepping.then(() => this.stepOnce());
    this.stepping = next.catch(() => false);
    return next;
  }

  async alarm(): Promise<void> {
    let more = true;
    try {
      // Several steps per alarm (each stored before the next, so a kill between any two
      // resumes as well): an alarm's scheduling costs more than a step.
      for (const started = Date.now(); more && Date.now() - started < ALARM_BUDGET_MS; ) {
        // A throttled job rests between a source's batches (pauseMs, or the adaptive pause);
        // the other steps (slot-config pushes) go on meanwhile and count as the rest.
        const wait = this.job ? batchWaitMs(this.job, Date.now()) : 0;
        if (wait > 0) {
          await this.ctx.storage.setAlarm(Date.now() + wait);
          return;
        }
        more = await this.step();
      }
    } catch (e) {
      // A group's primary may have changed (failover): ask the monitors before retrying.
      await this.groups().refresh(this.env).catch(() => false);
      if (this.job) {
        this.job.lastError = (e as Error).message;
        await this.ctx.storage.put("job", this.job);
      }
      await this.ctx.storage.setAlarm(Date.now() + RETRY_MS);
      return;
    }
    if (more) await this.ctx.storage.setAlarm(Date.now());
  }

  // --- the state machine ------------------------------------------------------------

  private async begin(job: MigrationJob, groups: number): Promise<{ job: Record<string, unknown> | null }> {
    const map = await this.current();
    // During the job every group that may hold keys is fanned out to.
    this.map = { ...map, groups };
    this.job = job;
    await this.ctx.storage.put({ map: this.map, job });
    await this.ctx.storage.setAlarm(Date.now());
    if (groups !== map.groups) await this.announceGroups(groups);
    return { job: jobProgress(job) };
  }

  private async stepOnce(): Promise<boolean> {
    const job = this.job;
    if (!job) return false;
    const map = await this.current();
    const owner = ownerOf(map.ranges);
    switch (job.stage) {
      case "init": {
        // Every group learns its current slots (durably): none relies on the SHARDS formula after this.
        const epoch = map.epoch + 1;
        await Promise.all(Array.from({ length: map.groups }, (_, g) => this.push(g, groupConfig(owner, g, epoch, null))));
        job.stage = "chunks";
        return this.save({ ...map, epoch }, job);
      }
      case "chunks":
        return this.chunkStep(job, map, owner);
      case "retire": {
        // Scale in: groups ≥ the new count own nothing now; they are told so and left out.
        const epoch = map.epoch + 1;
        await Promise.all(Array.from({ length: map.groups }, (_, g) => this.push(g, groupConfig(owner, g, epoch, null))));
        job.stage = "done";
        job.finishedAt = Date.now();
        job.lastError = null;
        this.job = null;
        this.lastJob = job;
        this.map = { ...map, epoch, groups: job.shards };
        await this.ctx.storage.put({ map: this.map, lastJob: job });
        await this.ctx.storage.delete("job");
        if (job.shards !== map.groups) await this.announceGroups(job.shards);
        return false;
      }
      default:
        return false;
    }
  }

  private async chunkStep(job: MigrationJob, map: SlotMapData, owner: Uint16Array): Promise<boolean> {
    const chunk = job.chunk;
    if (chunk === null) {
      job.chunk = takeChunk(job);
      if (job.chunk === null) job.stage = "retire";
      return this.save(map, job);
    }
    switch (chunk.phase) {
      case "mark": {
        const epoch = map.epoch + 1;
        await this.push(chunk.from, groupConfig(owner, chunk.from, epoch, chunk));
        await this.push(chunk.to, groupConfig(owner, chunk.to, epoch, chunk));
        chunk.phase = "move";
        return this.save({ ...map, epoch }, job);
      }
      case "move": {
        const target = await this.primaryOf(chunk.to, map, job);
        const r = await (await this.shard(chunk.from)).migrateSlots(chunk.slots, target, batchKeysOf(job), BATCH_BYTES);
        throttleAfterBatch(job, r);
        job.nextBatchAt = Date.now() + pauseOf(job);
        job.keysMoved += r.moved;
        job.bytesMoved += r.bytes;
        job.batches++;
        job.lastError = null;
        if (!r.more) {
          chunk.phase = "finish";
          chunk.finishEpoch = map.epoch + 1;
        }
        return this.save(map, job);
      }
      case "finish": {
        const epoch = chunk.finishEpoch!;
        for (const s of chunk.slots) owner[s] = chunk.to;
        await this.push(chunk.to, groupConfig(owner, chunk.to, epoch, null));
        chunk.phase = "release";
        return this.save({ ...map, epoch, ranges: rangesOf(owner) }, job);
      }
      case "release": {
        await this.push(chunk.from, groupConfig(owner, chunk.from, map.epoch, null));
        job.doneSlots += chunk.slots.length;
        job.chunk = null;
        return this.save(map, job);
      }
    }
  }

  /** Stores the map and the job together (one atomic write); true: more steps follow. */
  private async save(map: SlotMapData, job: MigrationJob): Promise<boolean> {
    this.map = map;
    this.job = job;
    await this.ctx.storage.put({ map, job });
    return true;
  }

  /** Pushes `config` to group `group`: its primary (must apply it), then its replicas (best effort, bounded). */
  private async push(group: number, config: ShardSlotConfig): Promise<void> {
    const [primary, ...replicas] = slotPushPlan(this.groups().config(group));
    // Bounded too: a primary that hangs (down) fails the step, which refreshes the topology.
    await withTimeout(this.stub(primary.name).configureSlots(config, "primary"), PRIMARY_PUSH_MS, `configureSlots ${primary.name}`);
    await Promise.allSettled(replicas.map(({ name }) => withTimeout(this.stub(name).configureSlots(config, "replica"), REPLICA_PUSH_MS, `configureSlots ${name}`)));
    this.configuredPrimary.set(group, primary.name);
  }

  /** The monitors' topology as this coordinator knows it (initial layout until refreshed). */
  private groups(): TopologyCache {
    return (this.topologyCache ??= new TopologyCache(readConfig(this.env).replicas));
  }

  /**
   * Group `group`'s current primary. One this coordinator has not configured yet (a promoted
   * replica that may have missed a push, or any primary after the coordinator restarted) is
   * first pushed the group's current slot config, so it gates keys as the job expects.
   */
  private async primaryOf(group: number, map: SlotMapData, job: MigrationJob | null): Promise<string> {
    const primary = this.groups().config(group).primary;
    if (this.configuredPrimary.get(group) !== primary && job !== null && job.stage === "chunks") {
      await this.push(group, currentGroupConfig(ownerOf(map.ranges), group, map.epoch, job.chunk));
    }
    return primary;
  }

  private async shard(group: number): Promise<ShardRpc> {
    const map = await this.current();
    return this.stub(await this.primaryOf(group, map, this.job));
  }

  private stub(name: string): ShardRpc {
    return this.env.SHARD.get(this.env.SHARD.idFromName(name)) as unknown as ShardRpc;
  }

  /**
   * Tells every monitor the slot map's group count (they watch groups 0 … groups-1). Best
   * effort: a monitor that missed it learns it from its own poll (src/monitor/monitor.ts).
   */
  private async announceGroups(groups: number): Promise<void> {
    const ns = this.env.MONITOR;
    await Promise.allSettled(
      monitorNames(this.env).map((n) => withTimeout((ns.get(ns.idFromName(n)) as unknown as Monitor).setGroups("coordinator", groups), 1000, `setGroups ${n}`)),
    );
  }

  private async current(): Promise<SlotMapData> {
    if (this.map) return this.map;
    this.map = initialSlotMap(readConfig(this.env).shards);
    await this.ctx.storage.put("map", this.map);
    return this.map;
  }
}
