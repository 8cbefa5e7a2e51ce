/**
 * A simulated group of shards and monitors for the Sentinel unit tests: shards are plain
 * records that obey configure() the way the Shard object does (a lower epoch is ignored,
 * the role follows config.primary), monitors are real Sentinel instances, and the transport
 * routes calls between them with per-caller faults (down objects, partitions) and a fake clock.
 */
import type { GroupConfig, ShardRoleInfo } from "../../src/shard/group";
import { initialGroupConfig } from "../../src/shard/group";
import { Sentinel, type SentinelSettings } from "../../src/monitor/sentinel";
import { MemoryConfigStore, TopologyStore } from "../../src/monitor/topology-store";
import type { SentinelTransport } from "../../src/monitor/transport";
import { MemoryVoteStore, VoteLedger } from "../../src/monitor/votes";

export interface SimShard {
  name: string;
  group: number;
  role: "primary" | "replica";
  epoch: number;
  offset: number;
  primary?: string;
  /** Every configure() this shard accepted, in order. */
  configured: GroupConfig[];
}

export class SimCluster {
  now = 0;
  readonly shards = new Map<string, SimShard>();
  readonly monitors: Sentinel[] = [];
  readonly voteStores: MemoryVoteStore[] = [];
  /** Objects that refuse every call. */
  readonly down = new Set<string>();
  /** "from→to" pairs that cannot reach each other. */
  readonly cut = new Set<string>();
  private seed = 1;
  /** Called after each configure() a shard accepted (a test's interleaving point). */
  onConfigure: (shard: SimShard, config: GroupConfig) => void = () => {};

  constructor(
    readonly groups: number,
    readonly replicas: number,
    readonly sentinels = 3,
    overrides: Partial<SentinelSettings> = {},
  ) {
    for (let g = 0; g < groups; g++) {
      const c = initialGroupConfig(g, replicas);
      for (const name of [c.primary, ...c.replicas]) {
        this.shards.set(name, { name, group: g, role: name === c.primary ? "primary" : "replica", epoch: 0, offset: 0, primary: name === c.primary ? undefined : c.primary, configured: [] });
      }
    }
    const names = Array.from({ length: sentinels }, (_, i) => `monitor-${i}`);
    for (const self of names) {
      const settings: SentinelSettings = {
        self,
        peers: names.filter((n) => n !== self),
        quorum: 2,
        downAfterMs: 5000,
        intervalMs: 1000,
        failoverTimeoutMs: 7000,
        minReplicasToWrite: 1,
        ...overrides,
      };
      const votes = new MemoryVoteStore();
      this.voteStores.push(votes);
      const clock = { now: () => this.now, random: () => this.random(), sleep: async (ms: number) => void (this.now += ms) };
      this.monitors.push(new Sentinel(settings, new TopologyStore(new MemoryConfigStore(), groups, replicas), new VoteLedger(votes), this.transport(self), clock));
    }
  }

  private random(): number {
    this.seed = (this.seed * 1103515245 + 12345) % 2147483648;
    return this.seed / 2147483648;
  }

  shard(name: string): SimShard {
    return this.shards.get(name)!;
  }

  private reach(from: string, to: string): void {
    if (this.down.has(to) || this.down.has(from)) throw new Error(`${to} is down`);
    if (this.cut.has(`${from}→${to}`) || this.cut.has(`${to}→${from}`)) throw new Error(`${to} unreachable from ${from}`);
  }

  private info(s: SimShard): ShardRoleInfo {
    return { name: s.name, group: s.group, role: s.role, epoch: s.epoch, offset: s.offset, primary: s.primary };
  }

  monitor(name: string): Sentinel {
    return this.monitors.find((m) => m.settings.self === name)!;
  }

  transport(from: string): SentinelTransport {
    return {
      roleInfo: async (shard) => {
        this.reach(from, shard);
        return this.info(this.shard(shard));
      },
      configure: async (shard, config) => {
        this.reach(from, shard);
        const s = this.shard(shard);
        if (config.epoch >= s.epoch) {
          s.epoch = config.epoch;
          s.role = config.primary === shard ? "primary" : "replica";
          s.primary = s.role === "replica" ? config.primary : undefined;
          s.configured.push(config);
          this.onConfigure(s, config);
        }
        return this.info(s);
      },
      isPrimaryDown: async (peer, group, primary) => {
        this.reach(from, peer);
        return this.monitor(peer).isPrimaryDown(group, primary);
      },
      requestVote: async (peer, group, epoch, candidate) => {
        this.reach(from, peer);
        return this.monitor(peer).requestVote(group, epoch, candidate);
      },
      publish: async (peer, config) => {
        this.reach(from, peer);
        this.monitor(peer).accept(config);
      },
      topology: async (peer) => {
        this.reach(from, peer);
        return this.monitor(peer).topology.all();
      },
    };
  }

  /**
   * The primary of `group` ships a write to its replicas: each replica that follows it at an
   * epoch no newer than the primary's applies it (a fenced replica refuses it). Returns how
   * many replicas applied it (what min-replicas-to-write counts before acknowledging).
   */
  write(primaryName: string, reachable: readonly string[] = [...this.shards.keys()]): number {
    const p = this.shard(primaryName);
    if (this.down.has(p.name) || p.role !== "primary") return -1;
    p.offset++;
    let acks = 0;
    let deposedAt = -1;
    for (const s of this.shards.values()) {
      if (s.group !== p.group || s.role !== "replica" || s.primary !== p.name || !reachable.includes(s.name) || this.down.has(s.name)) continue;
      if (s.epoch > p.epoch) {
        // The replica refuses a stale stream, and tells the primary: it is deposed (src/shard/replication.ts).
        deposedAt = Math.max(deposedAt, s.epoch);
        continue;
      }
      s.offset = p.offset;
      acks++;
    }
    if (deposedAt > p.epoch) {
      p.role = "replica";
      p.epoch = deposedAt;
      p.primary = undefined;
    }
    return acks;
  }

  /** Advances the clock by `ms` in steps of the monitors' interval, ticking every monitor not down. */
  async run(ms: number): Promise<void> {
    const end = this.now + ms;
    while (this.now < end) {
      for (const m of this.monitors) if (!this.down.has(m.settings.self)) await m.tick();
      this.now += m0Interval(this.monitors[0]);
    }
  }

  /** Every monitor's (not down) config of `group`. */
  configs(group: number): GroupConfig[] {
    return this.monitors.filter((m) => !this.down.has(m.settings.self)).map((m) => m.topology.get(group));
  }
}

function m0Interval(m: Sentinel): number {
  return m.settings.intervalMs;
}
