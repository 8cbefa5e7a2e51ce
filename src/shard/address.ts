/**
 * The one way to reach a shard object by name (the group members of src/shard/group.ts):
 * a replica gets its location hint (REPLICA_LOCATIONS: replica k the k-th hint), so in
 * production it is placed near its readers; locally hints are ignored by the runtime.
 */
import { readConfig, type Env } from "../config";

export function shardObject<T = unknown>(env: Env, name: string): T {
  const id = env.SHARD.idFromName(name);
  const k = /-r(\d+)$/.exec(name);
  const hint = k ? readConfig(env).replicaLocations[Number(k[1]) - 1] : undefined;
  return (hint ? env.SHARD.get(id, { locationHint: hint as DurableObjectLocationHint }) : env.SHARD.get(id)) as unknown as T;
}
