/**
 * Engine settings that CONFIG GET/SET expose and the engine obeys: Redis 7.0's encoding
 * thresholds (which decide OBJECT ENCODING: listpack → hashtable/skiplist, intset →
 * hashtable), the memory limit and eviction policy, and when the shard snapshots. Each
 * keyspace holds one mutable settings object; CONFIG SET is logged, so values survive a
 * restart of the shard.
 */

export const EVICTION_POLICIES = [
  "volatile-lru",
  "volatile-lfu",
  "volatile-random",
  "volatile-ttl",
  "allkeys-lru",
  "allkeys-lfu",
  "allkeys-random",
  "noeviction",
] as const;
export type EvictionPolicy = (typeof EVICTION_POLICIES)[number];

export interface EngineSettings {
  /** list-max-listpack-size: > 0 entries per node; < 0 a node byte limit (-1 4kb … -5 64kb). */
  listMaxListpackSize: number;
  /** list-compress-depth (accepted; compression is not modelled). */
  listCompressDepth: number;
  hashMaxListpackEntries: number;
  hashMaxListpackValue: number;
  setMaxIntsetEntries: number;
  zsetMaxListpackEntries: number;
  zsetMaxListpackValue: number;
  /** maxmemory in bytes; 0 = no limit. */
  maxmemory: number;
  maxmemoryPolicy: EvictionPolicy;
  maxmemorySamples: number;
  lfuLogFactor: number;
  lfuDecayTime: number;
  /**
   * auto-aof-rewrite-percentage: the shard snapshots (compacting its log) when the log has
   * grown by this percentage of the last snapshot's size; 0 = never automatically.
   */
  autoAofRewritePercentage: number;
  /** auto-aof-rewrite-min-size: no automatic snapshot while log + snapshot are smaller (bytes). */
  autoAofRewriteMinSize: number;
}

export function defaultSettings(): EngineSettings {
  return {
    listMaxListpackSize: -2,
    listCompressDepth: 0,
    hashMaxListpackEntries: 512,
    hashMaxListpackValue: 64,
    setMaxIntsetEntries: 512,
    zsetMaxListpackEntries: 128,
    zsetMaxListpackValue: 64,
    maxmemory: 0,
    maxmemoryPolicy: "noeviction",
    maxmemorySamples: 5,
    lfuLogFactor: 10,
    lfuDecayTime: 1,
    autoAofRewritePercentage: 100,
    autoAofRewriteMinSize: 64 * 1024 * 1024,
  };
}
