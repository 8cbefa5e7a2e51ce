/**
 * What an elected leader does for a group, in epoch pairs: it won election epoch E (even);
 * E fences, E + 1 is the new topology. Plain TS over the injected transport.
 *
 * Automatic (the primary is objectively down):
 *   1. fence: every replica it reaches is configured at epoch E, still following the old
 *      primary; from then on each refuses the old primary's stream (it carries an older
 *      epoch), so the offsets read from those answers no longer move, and the old primary,
 *      if it is alive behind a partition, cannot get a write acknowledged by them;
 *   2. choose (promotion.ts): at least R − N + 1 fenced replicas, the most advanced one;
 *   3. promote it with the config of epoch E + 1 (the old primary becomes a replica in it),
 *      then repoint the other replicas, then demote the old primary if reachable (it
 *      full-resyncs: whatever it had not replicated is discarded, as Redis does).
 *
 * Controlled (POST /admin/failover/<group>, as Redis FAILOVER): the primary is alive, so it
 * is told epoch E while staying primary: every router call (made for an older epoch) is then
 * refused as stale and retried, which stops writes; its stream, at epoch E, still flows. Once
 * the chosen replica has applied the primary's whole offset it is promoted (E + 1) and the old
 * primary demoted with nothing to discard. If it does not catch up in time, the group is
 * restored as it was at epoch E + 1 (writes resume at the old primary).
 */
import type { GroupConfig, ShardRoleInfo } from "../shard/group";
import { choosePromotion } from "./promotion";
import type { SentinelTransport } from "./transport";
import { settle } from "../util/async";

export type FailoverOutcome =
  | { readonly ok: true; readonly config: GroupConfig; readonly promoted: string; readonly offset: number }
  | { readonly ok: false; readonly reason: string; readonly config?: GroupConfig };

/** The config of epoch `epoch` in which `promoted` leads and the old primary takes its replica slot. */
export function promotedConfig(old: GroupConfig, promoted: string, epoch: number): GroupConfig {
  return { group: old.group, epoch, primary: promoted, replicas: old.replicas.map((r) => (r === promoted ? old.primary : r)) };
}

/** Configures the rest of the group after the promotion: replicas first, the old primary last. Best effort. */
async function spread(transport: SentinelTransport, config: GroupConfig, oldPrimary: string): Promise<void> {
  await settle(config.replicas.filter((r) => r !== oldPrimary).map((r) => transport.configure(r, config)));
  await settle([transport.configure(oldPrimary, config)]);
}

export async function automaticFailover(transport: SentinelTransport, old: GroupConfig, electionEpoch: number, minReplicasToWrite: number): Promise<FailoverOutcome> {
  if (old.replicas.length === 0) return { ok: false, reason: "no replicas to promote" };
  const fence: GroupConfig = { ...old, epoch: electionEpoch };
  const answers = await settle(old.replicas.map((r) => transport.configure(r, fence)));
  // A replica that knows a newer epoch than ours did not take the fence: it cannot count.
  const fenced = answers.filter((a): a is ShardRoleInfo => a !== null && a.epoch === electionEpoch && a.role === "replica");
  const choice = choosePromotion(fenced, old.replicas.length, minReplicasToWrite);
  if (!choice.ok) return { ok: false, reason: choice.reason };
  const config = promotedConfig(old, choice.chosen.name, electionEpoch + 1);
  const promoted = await transport.configure(choice.chosen.name, config).catch(() => null);
  if (promoted === null || promoted.epoch !== config.epoch || promoted.role !== "primary") {
    return { ok: false, reason: `${choice.chosen.name} did not take the promotion` };
  }
  await spread(transport, config, old.primary);
  return { ok: true, config, promoted: choice.chosen.name, offset: choice.chosen.offset };
}

export interface ControlledOptions {
  /** How long to wait for the chosen replica to catch up before giving up. */
  readonly catchUpMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
}

export async function controlledFailover(transport: SentinelTransport, old: GroupConfig, electionEpoch: number, options: ControlledOptions): Promise<FailoverOutcome> {
  if (old.replicas.length === 0) return { ok: false, reason: "no replicas to promote" };
  // Stop writes: the primary learns epoch E and refuses router calls of older epochs.
  const paused: GroupConfig = { ...old, epoch: electionEpoch };
  const primary = await transport.configure(old.primary, paused).catch(() => null);
  if (primary === null || primary.epoch !== electionEpoch) return { ok: false, reason: `the primary ${old.primary} could not be paused` };
  await settle(old.replicas.map((r) => transport.configure(r, paused)));
  const deadline = options.now() + options.catchUpMs;
  for (;;) {
    const target = await transport.roleInfo(old.primary).catch(() => null);
    const replicas = (await settle(old.replicas.map((r) => transport.roleInfo(r)))).filter((r): r is ShardRoleInfo => r !== null);
    const best = choosePromotion(replicas, old.replicas.length, 0);
    if (target !== null && best.ok && best.chosen.offset >= target.offset) {
      const config = promotedConfig(old, best.chosen.name, electionEpoch + 1);
      const promoted = await transport.configure(best.chosen.name, config).catch(() => null);
      if (promoted !== null && promoted.epoch === config.epoch && promoted.role === "primary") {
        await spread(transport, config, old.primary);
        return { ok: true, config, promoted: best.chosen.name, offset: best.chosen.offset };
      }
    }
    if (options.now() >= deadline) break;
    await options.sleep(50);
  }
  // Not caught up in time: the old primary leads again, at a new epoch, and writes resume.
  const restored: GroupConfig = { ...old, epoch: electionEpoch + 1 };
  await settle([transport.configure(old.primary, restored), ...old.replicas.map((r) => transport.configure(r, restored))]);
  return { ok: false, reason: "no replica caught up with the primary in time", config: restored };
}
