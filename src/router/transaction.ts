/**
 * MULTI/EXEC as the router runs it, shared by RESP sessions and HTTP /multi-exec: queued
 * commands are checked as they are queued (lookup, arity, permission, one slot — a
 * keyspace-wide command would see only one shard, so it is refused when there are
 * several), and EXEC sends the queue to the slot's shard as one atomic call, answering
 * connection commands (PING, ECHO, …) in the router and splicing their replies in.
 */
import { ERR_CROSSSLOT } from "../commands/errors";
import { runsInRouter, type CommandSpec } from "../commands/table";
import { error, isError, NULL_ARRAY, type Reply } from "../protocol/reply";
import type { WatchedKey } from "../shard/core";
import type { Access } from "./auth";
import { followTransactionRedirect } from "./redirect";
import { checkCommand, commandSlot, isSpec, shardUnavailable, type LocalRunner, type RoutedCommand, type ShardPool } from "./dispatch";

export interface QueuedCommand {
  spec: CommandSpec;
  argv: string[];
}

/** A transaction being queued: its commands and the one slot their keys hash to. */
export class Transaction {
  readonly queue: QueuedCommand[] = [];
  /** -1 while no queued command has keys. */
  slot = -1;
  /** A command was refused at queue time: EXEC must discard the transaction. */
  failed = false;

  constructor(private readonly shardCount: number) {}

  /** Queues a command; returns null when queued, or the error it was refused with. */
  add(cmd: RoutedCommand, access: Access): Reply | null {
    const problem = this.check(cmd, access);
    if (problem !== null) this.failed = true;
    return problem;
  }

  private check(cmd: RoutedCommand, access: Access): Reply | null {
    const spec = checkCommand(cmd, access);
    if (!isSpec(spec)) return spec;
    const argv = cmd.argv;
    if (spec.flags.includes("no_multi")) return error("ERR Command not allowed inside a transaction");
    if (!runsInRouter(spec)) {
      if (spec.routing.startsWith("fanout-") && this.shardCount > 1) {
        return error(`ERR '${spec.name}' spans all shards and cannot run in a transaction when SHARDS > 1`);
      }
      const slot = commandSlot(spec, argv);
      if (typeof slot !== "number") return slot;
      if (slot >= 0 && this.slot >= 0 && slot !== this.slot) return error(ERR_CROSSSLOT);
      if (slot >= 0) this.slot = slot;
    }
    this.queue.push({ spec, argv });
    return null;
  }

  /**
   * Runs the queued commands atomically on their slot's shard (`watchSlot`'s when only
   * watches name a slot). Replies as EXEC does: the array of replies, the null array when
   * a watched key changed, or an error.
   */
  async exec(pool: ShardPool, runLocal: LocalRunner, watched: WatchedKey[] = [], watchSlot = -1): Promise<Reply> {
    if (watched.length > 0 && this.slot >= 0 && watchSlot !== this.slot) {
      await pool.unwatch(pool.slots.shardOfSlot(watchSlot), watched.map(([k]) => k));
      return error(ERR_CROSSSLOT);
    }
    const slot = this.slot >= 0 ? this.slot : watchSlot;
    const shardCmds = this.queue.filter((q) => !runsInRouter(q.spec)).map((q) => q.argv);
    let shardReplies: Reply[] = [];
    if (shardCmds.length > 0 || watched.length > 0) {
      const shard = slot >= 0 ? pool.slots.shardOfSlot(slot) : 0;
      let result: Reply;
      try {
        result = await pool.transaction(shard, shardCmds, watched);
        // Live resharding: the slot moved or is moving (src/router/redirect.ts).
        result = await followTransactionRedirect(pool, result, shardCmds, watched);
      } catch (e) {
        return shardUnavailable(shard, e);
      }
      if (!Array.isArray(result)) return isError(result) ? result : NULL_ARRAY;
      shardReplies = result;
    }
    const out: Reply[] = [];
    let next = 0;
    for (const q of this.queue) out.push(runsInRouter(q.spec) ? await runLocal(q.spec, q.argv) : shardReplies[next++]);
    return out;
  }
}
