/**
 * Engine settings that CONFIG GET/SET expose and the engine obeys: Redis 7.0's encoding
 * thresholds (which decide OBJECT ENCODING: listpack → hashtable/skiplist, intset →
 * hashtable), the memory limit and eviction policy, and when the shard snapshots. Each
 * keyspace holds one mutable settings object; CONFIG SET is logged, so values survive a
 * restart of the shard.
 *
 * Also the platform's bounds: what a shard in a Durable Object (128 MB isolate, a CPU
 * limit per event, the log replayed at start-up) can hold and still recover.
 * src/commands/config.ts refuses settings beyond them.
 */

// --- platform bounds ------------------------------------------------------------------

/**
 * The most memory a shard may account (maxmemory's ceiling, and the limit in force when
 * maxmemory is 0): the isolate has 128 MB, and the runtime, a request's buffers and a
 * snapshot chunk in flight need the rest. Accounting counts workerd's heap bytes
 * (src/engine/memory.ts), erring on the safe side.
 */
export const PLATFORM_MAXMEMORY = 100 * 1024 * 1024;

/**
 * The most log a shard may gather before it compacts: recovery replays the log after the
 * newest snapshot at start-up, which must finish within the platform's limits. The log
 * compacts once it has grown by auto-aof-rewrite-percentage of the snapshot (at most
 * about PLATFORM_MAXMEMORY), and not before log + snapshot reach auto-aof-rewrite-min-size,
 * so both are bounded to keep the log under about this.
 */
export const PLATFORM_MAX_LOG_BYTES = 256 * 1024 * 1024;

/**
 * auto-aof-rewrite-percentage's range: 0 (never compact) would let the log grow for ever;
 * above 200 a snapshot near PLATFORM_MAXMEMORY would let it pass PLATFORM_MAX_LOG_BYTES.
 */
export const AOF_REWRITE_PERCENTAGE_MIN = 1;
export const AOF_REWRITE_PERCENTAGE_MAX = 200;

/**
 * maxmemory-samples' ceiling: eviction samples this many keys per evicted key (Redis
 * keeps the samples in a stack array, so a huge value crashes it; here it would spend the
 * CPU limit). Redis's docs find 10 close to true LRU.
 */
export const MAXMEMORY_SAMPLES_MAX = 64;

/** The memory limit a shard enforces: maxmemory, or the platform's bound when it is 0 or above it. */
export function memoryLimit(settings: Pick<EngineSettings, "maxmemory">): number {
  const m = settings.maxmemory;
  return m > 0 && m < PLATFORM_MAXMEMORY ? m : PLATFORM_MAXMEMORY;
}

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
  /** maxmemory in bytes; 0 (Redis's "no limit") means PLATFORM_MAXMEMORY (see memoryLimit). */
  maxmemory: number;
  maxmemoryPolicy: EvictionPolicy;
  maxmemorySamples: number;
  lfuLogFactor: number;
  lfuDecayTime: number;
  /**
   * auto-aof-rewrite-percentage: the shard snapshots (compacting its log) when the log has
   * grown by this percentage of the last snapshot's size (AOF_REWRITE_PERCENTAGE_MIN to _MAX).
   */
  autoAofRewritePercentage: number;
  /** auto-aof-rewrite-min-size: no automatic snapshot while log + snapshot are smaller (bytes). */
  autoAofRewriteMinSize: number;
  /** hll-sparse-max-bytes: a sparse HyperLogLog longer than this becomes dense. */
  hllSparseMaxBytes: number;
  /** notify-keyspace-events as NOTIFY_* flags (src/engine/notify.ts); 0 = off. */
  notifyKeyspaceEvents: number;
  /**
   * busy-reply-threshold (alias lua-time-limit), ms: a script running longer is killed,
   * its time counted in Lua instructions (src/scripting/budget.ts); 0 = no limit.
   */
  busyReplyThreshold: number;
  /** repl-backlog-size (bytes of effects a primary keeps for partial resynchronisation; src/shard/replication-backlog.ts). */
  replBacklogSize: number;
  /** min-replicas-to-write: writes need this many good replicas, and wait for their acks (src/shard/replication-source.ts). */
  minReplicasToWrite: number;
  /** min-replicas-max-lag, seconds: how stale a good replica may be, and how long a write waits for acks. */
  minReplicasMaxLag: number;
  /**
   * client-output-buffer-limit as [hard, soft, softSeconds] per class (normal, replica,
   * pubsub). Only pubsub's hard limit acts: routers read it when a connection subscribes.
   */
  clientOutputBufferLimit: { normal: number[]; replica: number[]; pubsub: number[] };
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
    hllSparseMaxBytes: 3000,
    notifyKeyspaceEvents: 0,
    busyReplyThreshold: 5000,
    replBacklogSize: 1024 * 1024,
    minReplicasToWrite: 0,
    minReplicasMaxLag: 10,
    clientOutputBufferLimit: { normal: [0, 0, 0], replica: [268435456, 67108864, 60], pubsub: [33554432, 8388608, 60] },
  };
}
