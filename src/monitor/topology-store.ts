/**
 * A monitor's durable topology: per group, the config with the highest epoch it has seen
 * (its own failovers, peers' announcements, peers' answers). A group it never heard of has
 * the initial layout at epoch 0. "Highest epoch wins" is the merge rule everywhere: here, in
 * the router's cache (src/router/topology.ts) and in the shards.
 *
 * How many groups there are is the slot map's business (live resharding adds and retires
 * groups): it starts at SHARDS and follows what the coordinator says (`setGroups`).
 */
import { initialGroupConfig, type GroupConfig } from "../shard/group";

/** Durable storage of group configs (synchronous: SQLite in the object, a Map in tests). */
export interface ConfigStore {
  load(group: number): GroupConfig | null;
  save(config: GroupConfig): void;
}

export class TopologyStore {
  constructor(
    private readonly store: ConfigStore,
    private groups: number,
    private readonly replicas: number,
  ) {}

  /** How many groups are watched (0 … count-1). */
  get count(): number {
    return this.groups;
  }

  /** The slot map's group count (groups added by a reshard are watched, retired ones no longer); true if it changed. */
  setGroups(count: number): boolean {
    if (!Number.isInteger(count) || count < 1 || count === this.groups) return false;
    this.groups = count;
    return true;
  }

  get(group: number): GroupConfig {
    return this.store.load(group) ?? initialGroupConfig(group, this.replicas);
  }

  all(): GroupConfig[] {
    return Array.from({ length: this.groups }, (_, g) => this.get(g));
  }

  /** Keeps `config` if it is newer than the stored one; true if it was. */
  accept(config: GroupConfig): boolean {
    if (config.group < 0 || config.group >= this.groups) return false;
    if (config.epoch <= this.get(config.group).epoch) return false;
    this.store.save(config);
    return true;
  }
}

/** A ConfigStore in memory (tests). */
export class MemoryConfigStore implements ConfigStore {
  readonly configs = new Map<number, GroupConfig>();
  load(group: number): GroupConfig | null {
    return this.configs.get(group) ?? null;
  }
  save(config: GroupConfig): void {
    this.configs.set(config.group, config);
  }
}

/** The newest config per group among several views (a router's refresh, a monitor catching up). */
export function newestConfigs(views: readonly (readonly GroupConfig[])[]): Map<number, GroupConfig> {
  const best = new Map<number, GroupConfig>();
  for (const view of views) {
    for (const c of view) {
      const cur = best.get(c.group);
      if (!cur || c.epoch > cur.epoch) best.set(c.group, c);
    }
  }
  return best;
}
