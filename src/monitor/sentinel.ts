/**
 * One monitor's logic, free of Workers APIs (the Durable Object in monitor.ts drives it, the
 * unit tests drive it with an injected transport and clock): every tick it pings each group's
 * members, keeps lagging members up to date with the topology, and when a primary has been
 * down (SDOWN) long enough and a quorum of monitors agree (ODOWN) it campaigns to lead the
 * group's failover (votes.ts: one vote per monitor per epoch, a majority of all monitors and
 * at least the quorum to win), then fails over (failover.ts) and announces the new topology.
 *
 * Epochs: an election is held at an even epoch E greater than every epoch known for the
 * group; its leader fences at E and writes the new topology at E + 1. Only E's leader ever
 * writes an E + 1 config, so two topologies of one epoch can never exist.
 */
import type { GroupConfig, ShardRoleInfo } from "../shard/group";
import { automaticFailover, controlledFailover, type FailoverOutcome } from "./failover";
import { HealthBook } from "./health";
import { newestConfigs, type TopologyStore } from "./topology-store";
import type { SentinelTransport } from "./transport";
import { settle } from "../util/async";
import type { VoteLedger, VoteReply } from "./votes";

export interface SentinelSettings {
  /** This monitor's name ("monitor-k"). */
  readonly self: string;
  /** The other monitors' names. */
  readonly peers: readonly string[];
  /** Monitors that must see a primary down before a failover (SENTINEL_QUORUM). */
  readonly quorum: number;
  readonly downAfterMs: number;
  readonly intervalMs: number;
  /** After voting for another leader, or after a failed attempt, how long to leave it the group. */
  readonly failoverTimeoutMs: number;
  /** MIN_REPLICAS_TO_WRITE, for the promotion rule (promotion.ts). */
  readonly minReplicasToWrite: number;
}

export interface SentinelClock {
  now(): number;
  random(): number;
  sleep(ms: number): Promise<void>;
}

/** One failover attempt this monitor led, for the admin view and the tests. */
export interface FailoverRecord {
  readonly group: number;
  readonly mode: "automatic" | "controlled";
  readonly electionEpoch: number;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly outcome: FailoverOutcome | { ok: false; reason: string };
}

/** Smallest even number above `n`. */
export function nextElectionEpoch(n: number): number {
  return n % 2 === 0 ? n + 2 : n + 1;
}

/** Votes needed to lead: a majority of all monitors, and at least the quorum. */
export function votesToLead(sentinels: number, quorum: number): number {
  return Math.max(quorum, Math.floor(sentinels / 2) + 1);
}

export class Sentinel {
  readonly health: HealthBook;
  readonly failovers: FailoverRecord[] = [];
  /** Per group: no campaign before this time (another leader's turn, or a back-off). */
  private readonly quietUntil = new Map<number, number>();
  /** Per group: the highest epoch any member reported (fences of an unfinished failover). */
  private readonly highestSeen = new Map<number, number>();
  /** Per group: a failover this monitor is leading now. */
  private readonly leading = new Set<number>();

  constructor(
    readonly settings: SentinelSettings,
    readonly topology: TopologyStore,
    private readonly votes: VoteLedger,
    private readonly transport: SentinelTransport,
    private readonly clock: SentinelClock,
  ) {
    this.health = new HealthBook(settings.downAfterMs);
  }

  /** One round of health checks (and failovers) over every group. */
  async tick(): Promise<void> {
    await Promise.all(this.topology.all().map((config) => this.watch(config)));
  }

  private async watch(config: GroupConfig): Promise<void> {
    const g = config.group;
    if (this.leading.has(g)) return;
    const members = [config.primary, ...config.replicas];
    const infos = await settle(members.map((m) => this.transport.roleInfo(m)));
    const now = this.clock.now();
    let newer = false;
    members.forEach((m, i) => {
      const info = infos[i];
      if (info === null) return this.health.failed(m, now);
      // A primary that answers as a replica (deposed by a newer epoch: a failover whose leader
      // died after fencing) takes no writes: it counts as down, so the group is failed over again.
      this.health.answered(m, info, now, i !== 0 || info.role === "primary");
      if (info.epoch > config.epoch) newer = true;
      if (info.epoch > (this.highestSeen.get(g) ?? 0)) this.highestSeen.set(g, info.epoch);
    });
    if (newer) {
      // A member knows a newer epoch: a failover we missed, or one under way.
      await this.catchUp();
      config = this.topology.get(g);
    }
    await this.reconcile(config, members, infos);
    if (!this.health.sdown(config.primary, now)) return;
    if (now < (this.quietUntil.get(g) ?? 0)) return;
    if (!(await this.objectivelyDown(config))) return;
    await this.lead(config, "automatic");
  }

  /**
   * Members behind the topology's epoch (a demoted primary back up, a replica that missed it)
   * get it again; so does a replica that knows the epoch but follows no one (a primary deposed
   * by a replica's refusal learns the epoch, not its leader).
   */
  private async reconcile(config: GroupConfig, members: string[], infos: (ShardRoleInfo | null)[]): Promise<void> {
    const behind = members.filter((m, i) => {
      const info = infos[i];
      if (info === null || info.name !== m) return false;
      return info.epoch < config.epoch || (info.epoch === config.epoch && m !== config.primary && info.role === "replica" && !info.primary);
    });
    await settle(behind.map((m) => this.transport.configure(m, config)));
  }

  /** Takes every peer's newer configs. */
  async catchUp(): Promise<void> {
    const views = (await settle(this.settings.peers.map((p) => this.transport.topology(p)))).filter((v): v is GroupConfig[] => v !== null);
    for (const config of newestConfigs(views).values()) this.accept(config);
  }

  /** Keeps a newer config (from a peer or this monitor's own failover). */
  accept(config: GroupConfig): boolean {
    if (!this.topology.accept(config)) return false;
    // The new primary's failures under the old layout are no evidence against it now.
    this.health.reset(config.primary, this.clock.now());
    return true;
  }

  private async objectivelyDown(config: GroupConfig): Promise<boolean> {
    const answers = await settle(this.settings.peers.map((p) => this.transport.isPrimaryDown(p, config.group, config.primary)));
    return 1 + answers.filter((a) => a === true).length >= this.settings.quorum;
  }

  /** A peer asks whether this monitor sees `primary` of `group` as subjectively down. */
  isPrimaryDown(group: number, primary: string): boolean {
    return this.topology.get(group).primary === primary && this.health.sdown(primary, this.clock.now());
  }

  /** A peer asks for this monitor's vote (recorded durably before the answer). */
  requestVote(group: number, epoch: number, candidate: string): VoteReply {
    const reply = this.votes.vote(group, epoch, candidate, this.topology.get(group).epoch);
    if (reply.granted && candidate !== this.settings.self) {
      // Leave the elected leader time to finish before campaigning ourselves.
      this.quietUntil.set(group, this.clock.now() + this.settings.failoverTimeoutMs);
    }
    return reply;
  }

  /**
   * Campaigns for the next election epoch of `config`'s group and, elected, fails it over.
   * Returns the record of the attempt (also kept in `failovers`).
   */
  async lead(config: GroupConfig, mode: "automatic" | "controlled", catchUpMs = 5000): Promise<FailoverRecord> {
    const g = config.group;
    const startedAt = this.clock.now();
    const epoch = nextElectionEpoch(Math.max(config.epoch, this.votes.highestEpoch(g), this.highestSeen.get(g) ?? 0));
    const record = (outcome: FailoverRecord["outcome"]): FailoverRecord => {
      const r: FailoverRecord = { group: g, mode, electionEpoch: epoch, startedAt, endedAt: this.clock.now(), outcome };
      this.failovers.push(r);
      if (this.failovers.length > 50) this.failovers.shift();
      return r;
    };
    const own = this.votes.vote(g, epoch, this.settings.self, config.epoch);
    if (!own.granted) return record({ ok: false, reason: `already voted in epoch ${epoch}` });
    const replies = await settle(this.settings.peers.map((p) => this.transport.requestVote(p, g, epoch, this.settings.self)));
    const granted = 1 + replies.filter((r) => r !== null && r.granted).length;
    const need = votesToLead(this.settings.peers.length + 1, this.settings.quorum);
    if (granted < need) {
      // Split vote or no majority reachable: back off a random while, so one candidate gets ahead.
      this.quietUntil.set(g, this.clock.now() + this.settings.intervalMs * (1 + 2 * this.clock.random()));
      return record({ ok: false, reason: `elected by ${granted} of ${need} votes needed in epoch ${epoch}` });
    }
    this.leading.add(g);
    try {
      const outcome =
        mode === "automatic"
          ? await automaticFailover(this.transport, config, epoch, this.settings.minReplicasToWrite)
          : await controlledFailover(this.transport, config, epoch, { catchUpMs, sleep: this.clock.sleep, now: this.clock.now });
      if (outcome.config) {
        this.accept(outcome.config);
        await settle(this.settings.peers.map((p) => this.transport.publish(p, outcome.config!)));
      }
      if (!outcome.ok) this.quietUntil.set(g, this.clock.now() + this.settings.intervalMs * (1 + 2 * this.clock.random()));
      return record(outcome);
    } finally {
      this.leading.delete(g);
    }
  }
}
