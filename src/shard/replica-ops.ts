/**
 * How a router call's ops run under replication: on a replica (reads only; a write gets
 * Redis's READONLY error, and nothing a read does is deleted or logged: the keyspace hides
 * expired keys, and nothing is evicted), and on a primary under min-replicas-to-write:
 * writes are refused with NOREPLICAS while fewer good replicas are connected (as Redis),
 * and — stronger than Redis — a call that wrote answers only once that many replicas have
 * acknowledged its effects, or, after min-replicas-max-lag seconds, answers its writes with
 * ERR_NOREPLICAS_UNCONFIRMED: the write was applied here and may or may not survive a
 * failover, so the client may not count it as acknowledged. The same rule for migration
 * batches (src/shard/slot-migration.ts): `replicasReady`, `committedOnReplicas`.
 */
import { lookupCommand } from "../commands/table";
import type { EngineSettings } from "../engine/settings";
import { error, isError, type Reply } from "../protocol/reply";
import type { ShardCore, ShardOp, ShardResult } from "./core";
import type { ReplicationSource } from "./replication-source";

export const ERR_READONLY = "READONLY You can't write against a read only replica.";
export const ERR_NOREPLICAS = "NOREPLICAS Not enough good replicas to write.";
export const ERR_NOREPLICAS_UNCONFIRMED =
  "NOREPLICAS Not enough good replicas acknowledged the write in time: it was applied on the primary and may be lost in a failover.";

function isWrite(argv: string[]): boolean {
  return lookupCommand(argv[0])?.isWrite === true;
}

/** Runs `batch` with the commands `refuse` picks answered `reply` instead; order kept. */
function execExcept(batch: string[][], refuse: (argv: string[]) => boolean, reply: Reply, run: (batch: string[][]) => Reply[]): Reply[] {
  const kept = batch.filter((argv) => !refuse(argv));
  if (kept.length === batch.length) return run(batch);
  const replies = kept.length > 0 ? run(kept) : [];
  let k = 0;
  return batch.map((argv) => (refuse(argv) ? reply : replies[k++]));
}

/** A replica's reads: exec ops only (anything else is not a read the router would send it). */
export function runOnReplica(core: ShardCore, ops: ShardOp[]): ShardResult[] {
  return ops.map((op) => {
    if (op.kind !== "exec") return op.kind === "transaction" ? error(ERR_READONLY) : null;
    // Ungated: a replica never evicts (its primary's DELs do).
    return core.executor.ungated(() => execExcept(op.batch, isWrite, error(ERR_READONLY), (b) => core.exec(b)));
  });
}

/**
 * How long a replica read waits for the offset its client has seen (read-your-writes:
 * `upstash-sync-token`) before refusing, so the router asks the primary instead. Short: the
 * primary answers a read in about one RPC, so waiting longer than that gains nothing.
 */
export const READ_YOUR_WRITES_WAIT_MS = 50;

/** Read-your-writes: every "offset" op's result is `offset`, the object's offset once the call committed. */
export function answerOffsets(ops: readonly ShardOp[], results: ShardResult[], offset: number): ShardResult[] {
  for (let i = 0; i < ops.length; i++) if (ops[i].kind === "offset") results[i] = offset;
  return results;
}

/** Whether an op writes (a transaction with a write in it counts). */
function opWrites(op: ShardOp): boolean {
  return (op.kind === "exec" || op.kind === "transaction") && op.batch.some(isWrite);
}

/**
 * A primary's call under min-replicas-to-write (see the header): `run` runs the (gated)
 * ops and commits them.
 */
export async function withMinReplicas(
  source: ReplicationSource,
  settings: Pick<EngineSettings, "minReplicasToWrite" | "minReplicasMaxLag">,
  ops: ShardOp[],
  run: (ops: ShardOp[]) => Promise<ShardResult[]>,
): Promise<ShardResult[]> {
  const need = settings.minReplicasToWrite;
  const writes = ops.map(opWrites);
  if (!writes.some(Boolean)) return run(ops);
  if (source.goodReplicas(settings.minReplicasMaxLag) < need) {
    // Refused before running, as Redis: nothing was applied.
    const refused = error(ERR_NOREPLICAS);
    const gated: (ShardOp | null)[] = ops.map((op) => {
      if (op.kind === "transaction" && writes[ops.indexOf(op)]) return null;
      if (op.kind === "exec") return { kind: "exec", batch: op.batch.filter((argv) => !isWrite(argv)) };
      return op;
    });
    const results = await run(gated.filter((op): op is ShardOp => op !== null));
    let r = 0;
    return ops.map((op, i) => {
      if (gated[i] === null) return refused;
      const result = results[r++];
      if (op.kind !== "exec") return result;
      const replies = result as Reply[];
      let k = 0;
      return op.batch.map((argv) => (isWrite(argv) ? refused : replies[k++]));
    });
  }
  const results = await run(ops);
  const acked = await source.waitForAcks(source.offset, need, Math.max(1, settings.minReplicasMaxLag * 1000));
  if (acked >= need) return results;
  const unconfirmed = error(ERR_NOREPLICAS_UNCONFIRMED);
  return results.map((result, i) => {
    const op = ops[i];
    if (!writes[i]) return result;
    if (op.kind === "transaction") return isError(result as Reply) || result === null ? result : unconfirmed;
    const replies = result as Reply[];
    return (op as Extract<ShardOp, { kind: "exec" }>).batch.map((argv, j) => (isWrite(argv) && !isError(replies[j]) ? unconfirmed : replies[j]));
  });
}

type ReplicaSettings = Pick<EngineSettings, "minReplicasToWrite" | "minReplicasMaxLag">;

/**
 * Migration batches under min-replicas-to-write (issue 13): whether enough replicas are good
 * to start one (else it is refused up front, as a write). True without replication (null)
 * or with min-replicas-to-write 0.
 */
export function replicasReady(source: ReplicationSource | null, settings: ReplicaSettings): boolean {
  return source === null || settings.minReplicasToWrite <= 0 || source.goodReplicas(settings.minReplicasMaxLag) >= settings.minReplicasToWrite;
}

/**
 * Whether min-replicas-to-write replicas acknowledged everything committed so far, waiting
 * up to min-replicas-max-lag: a target's import, a source's DEL of a batch. True without
 * replication (null) or with min-replicas-to-write 0; false on an object no longer primary.
 */
export async function committedOnReplicas(source: ReplicationSource | null, settings: ReplicaSettings): Promise<boolean> {
  const need = settings.minReplicasToWrite;
  if (source === null || need <= 0) return true;
  return (await source.waitForAcks(source.offset, need, Math.max(1, settings.minReplicasMaxLag * 1000))) >= need;
}
