/**
 * What a router-side handler (connection commands) sees: the connection's session and
 * the few router services those commands need. The router implements it; the command
 * modules only read and write through it, so they never touch Workers APIs.
 */
import type { Reply } from "../protocol/reply";

export interface Session {
  /** Unique per router isolate, increasing, like CLIENT ID. */
  readonly id: number;
  resp: 2 | 3;
  name: string | null;
  /** True once the connection may run commands (AUTH done, or no auth configured). */
  authenticated: boolean;
  /** Set by QUIT: the connection closes after this reply. */
  closing: boolean;
  /** Pub/Sub: the connection holds a subscription (RESP2 subscribed mode). */
  readonly subscribed?: boolean;
  /** True while EXEC runs the queued commands (Redis's CLIENT_DENY_BLOCKING then). */
  readonly executing?: boolean;
  /** CLIENT REPLY ON|OFF|SKIP: which replies the connection sends (absent over HTTP). */
  setReplyMode?(mode: "on" | "off" | "skip"): void;
  /** The local port of the TCP bridge the connection comes through, when it told (CLUSTER SLOTS). */
  readonly bridgePort?: number;
}

export interface RouterContext {
  readonly session: Session;
  /** Milliseconds since the epoch. */
  readonly now: number;
  /** Checks a password (and user, default "default"); on success marks the session. */
  authenticate(user: string, password: string): "ok" | "wrongpass" | "nopass";
  /** Forgets MULTI, WATCH and auth-independent state, as RESET does. */
  resetSession(): void;
  /** The number of primary shards. */
  readonly shardCount: number;
  /**
   * The connection's MULTI/EXEC and WATCH state, which the RESP session keeps; null over
   * HTTP, where a request holds no connection (transactions go to /multi-exec).
   */
  readonly transactions: TransactionControl | null;
  /** This isolate's RESP connections (CLIENT LIST, KILL, UNBLOCK); absent over HTTP. */
  readonly clients?: ClientDirectory;
  /**
   * Releases a client parked on a shard, through the caller's own shard calls: workerd lets
   * a request do I/O only on the stubs it made itself, so CLIENT KILL/UNBLOCK of another
   * connection cannot use that connection's channel.
   */
  readonly releaseBlocked: ReleaseBlocked;
  /** Live resharding: the slot map and per-slot numbers (CLUSTER SLOTS, SHARDS, …); absent in Node tests. */
  readonly cluster?: ClusterView;
  /** Failover: the groups and monitors as they are now (SENTINEL …); absent without a deployment. */
  readonly topology?: () => Promise<TopologySnapshot>;
  /** Replication (WAIT, WAITAOF, READONLY, READWRITE: src/commands/replication.ts); absent where unsupported. */
  readonly replication?: ReplicationControl;
  /** Pub/Sub: the connection's subscriptions (a RESP session's; absent over HTTP). */
  readonly pubsub?: SubscriptionControl;
  /** Pub/Sub: the hubs, for PUBLISH and PUBSUB (absent where no hub is bound, e.g. Node tests). */
  readonly hubs?: HubDirectory;
}

/** One member of a group as the router sees it now (src/router/topology-view.ts). */
export interface MemberSnapshot {
  readonly name: string;
  readonly role: "primary" | "replica";
  /** Whether it answered the router's ping just now. */
  readonly reachable: boolean;
  /** Its replication offset (primary) or applied offset (replica); null if unreachable. */
  readonly offset: number | null;
  /** Replica: ms since it last acknowledged the primary (the primary's view); null: unknown. */
  readonly lagMs: number | null;
  /** Replica: whether its link to the primary is up. */
  readonly linkUp: boolean | null;
  /** How many monitors see it subjectively down. */
  readonly sdownBy: number;
  /** Ms since a monitor last had an answer from it (the freshest), null: none. */
  readonly lastOkMsAgo: number | null;
}

export interface GroupSnapshot {
  readonly group: number;
  readonly epoch: number;
  readonly primary: string;
  readonly members: readonly MemberSnapshot[];
}

export interface MonitorSnapshot {
  readonly name: string;
  readonly reachable: boolean;
  /** The epoch of each group's config it holds. */
  readonly epochs: readonly number[];
  /** Its recent failover attempts (as it led them). */
  readonly failovers: readonly unknown[];
}

export interface TopologySnapshot {
  readonly sentinels: number;
  readonly quorum: number;
  readonly downAfterMs: number;
  readonly intervalMs: number;
  readonly failoverTimeoutMs: number;
  readonly groups: readonly GroupSnapshot[];
  readonly monitors: readonly MonitorSnapshot[];
}

/** A session's replication controls. */
export interface ReplicationControl {
  /** How many replicas acknowledged the writes this connection made (minimum over the shards written; all shards when none). */
  waitAcks(count: number, timeoutMs: number): Promise<number>;
  /** READONLY / READWRITE: whether this session's reads may go to replicas. */
  setReplicaReads(on: boolean): void;
}

/** What CLUSTER reads of the deployment (src/router/cluster-view.ts). */
export interface ClusterView {
  /** The current slot map: [first, last, group] ranges, the number of groups, the epoch. */
  slotMap(): Promise<{ ranges: Array<[number, number, number]>; groups: number; epoch: number }>;
  /** Per-slot numbers of `slots` (each asked of the group owning it), with up to `keysOf` keys of the first slot. */
  slotReport(slots: number[], keysOf: number): Promise<ClusterSlotReport>;
}

export interface ClusterSlotReport {
  readonly keyCount: number[];
  readonly cpuUsec: number[];
  readonly bytesIn: number[];
  readonly bytesOut: number[];
  readonly keys: string[];
}

/** Pub/Sub's three namespaces (src/pubsub/placement.ts). */
export type SubscriptionKind = "channel" | "pattern" | "shard";

/** (P|S)SUBSCRIBE and (P|S)UNSUBSCRIBE as the session performs them; replies are pushes. */
export interface SubscriptionControl {
  subscribe(kind: SubscriptionKind, names: string[]): Promise<Reply>;
  /** No names: every subscription of `kind`. */
  unsubscribe(kind: SubscriptionKind, names: string[]): Promise<Reply>;
  /** MONITOR: from now on the connection receives every command run in the deployment. */
  monitor(): Promise<Reply>;
}

/** PUBLISH and PUBSUB's views over every hub of the deployment. */
export interface HubDirectory {
  /** Delivers and returns the receivers across the deployment; `shard`: SPUBLISH. */
  publish(shard: boolean, channel: string, message: string): Promise<number>;
  channels(kind: "channel" | "shard", pattern: string | null): Promise<string[]>;
  numsub(kind: "channel" | "shard", names: string[]): Promise<number[]>;
  numpat(): Promise<number>;
}

/** Releases the client `token` parked on `shard`, with `reply` (default: its timeout reply). */
export type ReleaseBlocked = (shard: number, token: string, reply?: Reply) => Promise<void>;

/** CLIENT LIST's filter: TYPE, or a list of IDs. */
export interface ClientListFilter {
  type?: string;
  ids?: number[];
}

/** CLIENT KILL's filters (all must match); `skipMe` spares the caller. */
export interface ClientKillFilter {
  id?: number;
  addr?: string;
  laddr?: string;
  type?: string;
  skipMe: boolean;
}

/** The connections CLIENT acts on (src/router/clients.ts). */
export interface ClientDirectory {
  isClientType(type: string): boolean;
  /** CLIENT INFO's line for a connection (no newline), or null if it is not registered. */
  info(id: number): string | null;
  /** CLIENT LIST's text: one line per connection, each ending in a newline. */
  list(filter: ClientListFilter): string;
  /** Closes the matching connections; returns how many. */
  kill(filter: ClientKillFilter, callerId: number, release: ReleaseBlocked): number;
  /** CLIENT UNBLOCK: 1 if the client was blocked and has been released. */
  unblock(id: number, withError: boolean, release: ReleaseBlocked): Promise<number>;
}

/** MULTI, EXEC, DISCARD, WATCH and UNWATCH as the RESP session performs them. */
export interface TransactionControl {
  multi(): Reply;
  exec(): Promise<Reply>;
  discard(): Promise<Reply>;
  watch(keys: string[]): Promise<Reply>;
  unwatch(): Promise<Reply>;
}
