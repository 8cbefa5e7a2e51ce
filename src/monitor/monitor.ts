/**
 * The Monitor Durable Object (Sentinel): drives one Sentinel (sentinel.ts) from its alarm,
 * every MONITOR_INTERVAL_MS, and answers its peers (is this primary down? your vote? a new
 * config; your topology), the router (the topology) and the admin endpoints (its view, a
 * controlled failover, faults). The topology and votes live in its SQLite storage; its
 * health view is in memory (a restarted monitor watches DOWN_AFTER_MS again before acting).
 *
 * Who wakes it: nothing is on the request path. The router, on the first request of each
 * isolate, calls `ensureRunning` on every monitor (src/router/topology.ts); a monitor's alarm
 * then re-arms itself forever. Alarms of the monitors are phased (monitor k ticks k/SENTINELS
 * of an interval after monitor 0), so they rarely campaign at the same instant.
 *
 * Which groups it watches follows the slot map (live resharding adds and retires groups):
 * the coordinator tells every monitor the group count when it changes (`setGroups`, best
 * effort), and each monitor also asks the coordinator every GROUPS_POLL_TICKS ticks (and on
 * its first tick after a start) in case it missed that — one coordinator request per monitor
 * per GROUPS_POLL_TICKS intervals (at the default 1 s interval, 3 monitors: ~260k requests a
 * month, an eighth of what 4 groups × 2 members of pings cost). The count is persisted.
 *
 * Every RPC entry passes the fault gate first (faults.ts; test configurations only).
 */
import { shardObject } from "../shard/address";
import { withTimeout } from "../util/async";
import { DurableObject } from "cloudflare:workers";
import { readMonitorConfig, type Env } from "../config";
import type { GroupConfig, ShardRoleInfo } from "../shard/group";
import { COORDINATOR_NAME, type SlotCoordinator } from "./coordinator";
import { FaultGate, type FaultSpec } from "./faults";
import { groupLayout, monitorIndex, monitorNames } from "./names";
import { Sentinel, type FailoverRecord } from "./sentinel";
import { TopologyStore, type ConfigStore } from "./topology-store";
import type { SentinelTransport } from "./transport";
import { VoteLedger, type VoteRecord, type VoteReply, type VoteStore } from "./votes";

/** The Shard RPCs a monitor calls (src/shard/shard.ts); `from` names the caller for partitions. */
interface ShardControl {
  roleInfo(from?: string): Promise<ShardRoleInfo>;
  configure(config: GroupConfig, from?: string): Promise<ShardRoleInfo>;
}

/** One member's health as this monitor sees it (GET /admin/topology). */
export interface MemberView {
  readonly name: string;
  readonly info: ShardRoleInfo | null;
  readonly lastOkAt: number | null;
  readonly failing: boolean;
  readonly sdown: boolean;
}

export interface MonitorView {
  readonly name: string;
  readonly now: number;
  readonly configs: GroupConfig[];
  readonly members: MemberView[][];
  readonly failovers: FailoverRecord[];
}

/** A monitor asks the coordinator for the slot map's group count every this many ticks. */
const GROUPS_POLL_TICKS = 30;

class SqlStores implements ConfigStore, VoteStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec("CREATE TABLE IF NOT EXISTS topology (grp INTEGER PRIMARY KEY, config TEXT NOT NULL)");
    sql.exec("CREATE TABLE IF NOT EXISTS votes (grp INTEGER PRIMARY KEY, epoch INTEGER NOT NULL, candidate TEXT NOT NULL)");
    sql.exec("CREATE TABLE IF NOT EXISTS slot_groups (id INTEGER PRIMARY KEY CHECK (id = 0), groups INTEGER NOT NULL)");
  }
  /** The group count the slot map last gave (null: never told, SHARDS). */
  groupCount(): number | null {
    const rows = this.sql.exec<{ groups: number }>("SELECT groups FROM slot_groups WHERE id = 0").toArray();
    return rows.length ? rows[0].groups : null;
  }
  saveGroupCount(groups: number): void {
    this.sql.exec("INSERT OR REPLACE INTO slot_groups (id, groups) VALUES (0, ?)", groups);
  }
  load(group: number): GroupConfig | null {
    const rows = this.sql.exec<{ config: string }>("SELECT config FROM topology WHERE grp = ?", group).toArray();
    return rows.length ? (JSON.parse(rows[0].config) as GroupConfig) : null;
  }
  save(config: GroupConfig): void {
    this.sql.exec("INSERT OR REPLACE INTO topology (grp, config) VALUES (?, ?)", config.group, JSON.stringify(config));
  }
  lastVote(group: number): VoteRecord | null {
    const rows = this.sql.exec<{ epoch: number; candidate: string }>("SELECT epoch, candidate FROM votes WHERE grp = ?", group).toArray();
    return rows.length ? { epoch: rows[0].epoch, candidate: rows[0].candidate } : null;
  }
  recordVote(group: number, vote: VoteRecord): void {
    this.sql.exec("INSERT OR REPLACE INTO votes (grp, epoch, candidate) VALUES (?, ?, ?)", group, vote.epoch, vote.candidate);
  }
}

export class Monitor extends DurableObject<Env> {
  private readonly self: string;
  private readonly sentinel: Sentinel;
  private readonly faults: FaultGate;
  private readonly intervalMs: number;
  private readonly phaseMs: number;
  private readonly stores: SqlStores;
  /** Ticks since this object started (the group count is polled on the first and every GROUPS_POLL_TICKS). */
  private ticks = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const settings = readMonitorConfig(env);
    const layout = groupLayout(env);
    this.self = ctx.id.name ?? "monitor-0";
    const names = monitorNames(env);
    this.intervalMs = settings.intervalMs;
    this.phaseMs = Math.floor((Math.max(0, monitorIndex(this.self)) * settings.intervalMs) / Math.max(1, settings.sentinels));
    this.faults = new FaultGate(settings.faultInjection);
    const stores = (this.stores = new SqlStores(ctx.storage.sql));
    this.sentinel = new Sentinel(
      {
        self: this.self,
        peers: names.filter((n) => n !== this.self),
        quorum: settings.quorum,
        downAfterMs: settings.downAfterMs,
        intervalMs: settings.intervalMs,
        failoverTimeoutMs: settings.downAfterMs + 2 * settings.intervalMs,
        minReplicasToWrite: layout.minReplicasToWrite,
      },
      new TopologyStore(stores, stores.groupCount() ?? layout.groups, layout.replicas),
      new VoteLedger(stores),
      this.transport(settings.intervalMs),
      { now: () => Date.now(), random: Math.random, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) },
    );
  }

  private transport(intervalMs: number): SentinelTransport {
    const env = this.env;
    const self = this.self;
    const shard = (name: string) => shardObject<ShardControl>(env, name);
    const peer = (name: string) => env.MONITOR.get(env.MONITOR.idFromName(name)) as unknown as Monitor;
    // A ping answers within the interval or counts as failed; configure may resync, give it longer.
    const pingMs = Math.max(250, Math.min(intervalMs, 2000));
    const configureMs = 5000;
    return {
      roleInfo: (name) => withTimeout(shard(name).roleInfo(self), pingMs, `roleInfo ${name}`),
      configure: (name, config) => withTimeout(shard(name).configure(config, self), configureMs, `configure ${name}`),
      isPrimaryDown: (p, group, primary) => withTimeout(peer(p).isPrimaryDown(self, group, primary), pingMs, `isPrimaryDown ${p}`),
      requestVote: (p, group, epoch, candidate) => withTimeout(peer(p).requestVote(self, group, epoch, candidate), pingMs, `requestVote ${p}`),
      publish: (p, config) => withTimeout(peer(p).publish(self, config), pingMs, `publish ${p}`),
      topology: (p) => withTimeout(peer(p).topology(self), pingMs, `topology ${p}`),
    };
  }

  /** Arms the alarm if it is not armed (idempotent: the router calls it once per isolate). */
  async ensureRunning(from?: string): Promise<void> {
    await this.faults.enter(from);
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(this.nextTick(Date.now()));
  }

  /** The next tick time, on this monitor's phase of the interval. */
  private nextTick(now: number): number {
    const i = this.intervalMs;
    return Math.floor((now - this.phaseMs) / i) * i + i + this.phaseMs;
  }

  async alarm(): Promise<void> {
    try {
      // A monitor that is "down" (fault injection) does not act either.
      await this.faults.enter(undefined);
      if (this.ticks++ % GROUPS_POLL_TICKS === 0) await this.pollGroups();
      await this.sentinel.tick();
    } catch {
      // Down, or a tick failed: try again next interval.
    } finally {
      await this.ctx.storage.setAlarm(this.nextTick(Date.now()));
    }
  }

  /** The slot map's group count (the coordinator, when a reshard adds or retires groups). */
  async setGroups(from: string, groups: number): Promise<void> {
    await this.faults.enter(from);
    this.adoptGroups(groups);
  }

  private adoptGroups(groups: number): void {
    if (this.sentinel.topology.setGroups(groups)) this.stores.saveGroupCount(groups);
  }

  /** Asks the coordinator for the group count (a missed `setGroups`); a failure waits for the next poll. */
  private async pollGroups(): Promise<void> {
    const ns = this.env.COORDINATOR;
    if (!ns) return;
    const coordinator = ns.get(ns.idFromName(COORDINATOR_NAME)) as unknown as SlotCoordinator;
    try {
      this.adoptGroups((await withTimeout(coordinator.getMap(), 1000, "coordinator map")).groups);
    } catch {
      // Next poll.
    }
  }

  async isPrimaryDown(from: string, group: number, primary: string): Promise<boolean> {
    await this.faults.enter(from);
    return this.sentinel.isPrimaryDown(group, primary);
  }

  async requestVote(from: string, group: number, epoch: number, candidate: string): Promise<VoteReply> {
    await this.faults.enter(from);
    return this.sentinel.requestVote(group, epoch, candidate);
  }

  async publish(from: string, config: GroupConfig): Promise<void> {
    await this.faults.enter(from);
    this.sentinel.accept(config);
  }

  /** Every group's config (the router's refresh, a peer catching up). */
  async topology(from?: string): Promise<GroupConfig[]> {
    await this.faults.enter(from);
    return this.sentinel.topology.all();
  }

  /** This monitor's whole view, for GET /admin/topology and SENTINEL commands. */
  async view(from?: string): Promise<MonitorView> {
    await this.faults.enter(from);
    const now = Date.now();
    const configs = this.sentinel.topology.all();
    const h = this.sentinel.health;
    return {
      name: this.self,
      now,
      configs,
      members: configs.map((c) =>
        [c.primary, ...c.replicas].map((name) => ({ name, info: h.info(name), lastOkAt: h.lastOkAt(name), failing: h.failing(name), sdown: h.sdown(name, now) })),
      ),
      failovers: this.sentinel.failovers.slice(-10),
    };
  }

  /** A controlled failover of `group` (POST /admin/failover/<group>): elected, then the swap without loss. */
  async failover(from: string, group: number, catchUpMs = 5000): Promise<FailoverRecord> {
    await this.faults.enter(from);
    await this.sentinel.catchUp();
    return this.sentinel.lead(this.sentinel.topology.get(group), "controlled", catchUpMs);
  }

  /** Test-only (FAULT_INJECTION = "yes"): sets or heals this monitor's fault. */
  async setFault(spec: FaultSpec | null): Promise<void> {
    this.faults.set(spec);
  }
}

