/**
 * What a monitor calls, as an interface, so the quorum, election and failover logic
 * (sentinel.ts, failover.ts) runs in Node tests with an injected transport. The Durable
 * Object (monitor.ts) implements it with RPCs to Shard and Monitor objects, each with a
 * timeout; every method rejects when the callee is unreachable or too slow.
 */
import type { GroupConfig, ShardRoleInfo } from "../shard/group";
import type { VoteReply } from "./votes";

export interface SentinelTransport {
  /** The health ping: a shard's role, epoch and offset. */
  roleInfo(shard: string): Promise<ShardRoleInfo>;
  /** Applies `config` to a shard (it ignores a lower epoch than it knows); its role info after. */
  configure(shard: string, config: GroupConfig): Promise<ShardRoleInfo>;
  /** Whether peer monitor `peer` sees `primary` (group `group`'s primary) as subjectively down. */
  isPrimaryDown(peer: string, group: number, primary: string): Promise<boolean>;
  /** Asks `peer` for its vote as leader of `group`'s failover in `epoch`. */
  requestVote(peer: string, group: number, epoch: number, candidate: string): Promise<VoteReply>;
  /** Hands `peer` a new group config (it keeps it if newer than its own). */
  publish(peer: string, config: GroupConfig): Promise<void>;
  /** `peer`'s stored topology (every group's config). */
  topology(peer: string): Promise<GroupConfig[]>;
}
