/**
 * A replication group as every layer names it: group g's objects in the SHARD namespace are
 * "shard-g" (its first primary, the name a one-object deployment always had, so existing data
 * stays where it is) and "shard-g-r1" … "shard-g-rN" (its replicas). Which of them is primary
 * is not fixed by the name: after a failover a replica leads. The monitors (src/monitor) own
 * the current GroupConfig of each group with its epoch; a shard that was never configured
 * assumes the initial layout (epoch 0: "shard-g" primary, REPLICAS replicas).
 *
 * This file is the contract between the shard (roles, replication), the monitors (health,
 * failover) and the router (topology cache): types and names only.
 */

/** One group's membership as of an epoch. */
export interface GroupConfig {
  readonly group: number;
  /** Bumped by every topology change; an object that knows a newer epoch refuses older calls. */
  readonly epoch: number;
  /** Object name of the primary. */
  readonly primary: string;
  /** Object names of the replicas, in a stable order. */
  readonly replicas: readonly string[];
}

/** A replica as its primary sees it (INFO replication's slaveN, the monitors' choice). */
export interface ReplicaState {
  readonly name: string;
  /** The primary's offset this replica acknowledged as applied (and logged). */
  readonly ackedOffset: number;
  /** Ms since the replica last acknowledged anything (-1: never). */
  readonly lagMs: number;
  readonly online: boolean;
}

/** What a shard answers to a health check (the monitors' ping) and to `configure`. */
export interface ShardRoleInfo {
  readonly name: string;
  readonly group: number;
  readonly role: "primary" | "replica";
  readonly epoch: number;
  /** Primary: its replication offset; replica: the primary's offset it has applied. */
  readonly offset: number;
  /** Replica: the primary it follows, and whether the stream from it is flowing. */
  readonly primary?: string;
  readonly linkUp?: boolean;
  /** Primary: its replicas. */
  readonly replicas?: readonly ReplicaState[];
}

/**
 * A shard's refusal of a router call made for an older epoch, or sent to an object that is
 * not (or no longer) the group's primary: the router refreshes its topology and retries.
 */
export interface StaleRoute {
  readonly staleRoute: true;
  /** The epoch the refusing object knows. */
  readonly epoch: number;
  readonly role: "primary" | "replica";
}

export function isStaleRoute(r: unknown): r is StaleRoute {
  return r !== null && typeof r === "object" && (r as { staleRoute?: unknown }).staleRoute === true;
}

export function primaryName(group: number): string {
  return `shard-${group}`;
}

/** Replica k (1-based) of group g. */
export function replicaName(group: number, k: number): string {
  return `shard-${group}-r${k}`;
}

/** The group an object name belongs to, or null for a name of another form. */
export function groupOfName(name: string | undefined): number | null {
  const m = /^shard-(\d+)(?:-r\d+)?$/.exec(name ?? "");
  return m ? Number(m[1]) : null;
}

/** The initial layout of group g: epoch 0, "shard-g" primary, `replicas` replicas. */
export function initialGroupConfig(group: number, replicas: number): GroupConfig {
  return { group, epoch: 0, primary: primaryName(group), replicas: Array.from({ length: replicas }, (_, i) => replicaName(group, i + 1)) };
}
