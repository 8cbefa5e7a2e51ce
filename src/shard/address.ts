/**
 * The one way to reach a shard object by name (the group members of src/shard/group.ts):
 * a replica gets its location hint (REPLICA_LOCATIONS: replica k the k-th hint), so in
 * production it is placed near its readers; locally hints are ignored by the runtime.
 */
import { readConfig, type Env } from "../config";

/** Object ids by name, per namespace: an id is a plain value (unlike a stub, usable by any request), and hashing a name anew for every call showed in profiles. */
const idsByNamespace = new WeakMap<DurableObjectNamespace, Map<string, DurableObjectId>>();

function idOf(ns: DurableObjectNamespace, name: string): DurableObjectId {
  let ids = idsByNamespace.get(ns);
  if (!ids) idsByNamespace.set(ns, (ids = new Map()));
  let id = ids.get(name);
  if (!id) ids.set(name, (id = ns.idFromName(name)));
  return id;
}

export function shardObject<T = unknown>(env: Env, name: string): T {
  const id = idOf(env.SHARD, name);
  const k = /-r(\d+)$/.exec(name);
  const hint = k ? readConfig(env).replicaLocations[Number(k[1]) - 1] : undefined;
  return (hint ? env.SHARD.get(id, { locationHint: hint as DurableObjectLocationHint }) : env.SHARD.get(id)) as unknown as T;
}
