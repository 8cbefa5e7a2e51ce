/**
 * Eviction, as Redis 7.0's evict.c: `Evictor.perform` (Redis's performEvictions) deletes
 * keys by the maxmemory-policy until the keyspace's accounted memory is back under
 * maxmemory. Each key's access clock (LRU clock or LFU counter) is src/engine/access-clock.ts.
 *
 * Candidates: LRU and LFU sample maxmemory-samples keys (from every key, or from keys
 * with a TTL for volatile-*) into a 16-entry eviction pool kept sorted by idleness, and
 * evict the best pool entry still present (evictionPoolPopulate). volatile-ttl takes the
 * key that expires soonest exactly (the expiry heap knows it), where Redis samples; the
 * random policies pick a uniformly random key. noeviction never deletes.
 */
import { idleMs, isLfu, lfuDecrAndReturn } from "./access-clock";
import type { Keyspace } from "./keyspace";
import { memoryLimit, type EvictionPolicy } from "./settings";

// --- performEvictions ------------------------------------------------------------------

/** Redis's EVPOOL_SIZE. */
const EVICTION_POOL_SIZE = 16;

export class Evictor {
  /** The eviction pool: candidates by ascending score (the best to evict is last). */
  private poolScore: number[] = [];
  private poolKey: string[] = [];

  constructor(private readonly db: Keyspace) {}

  /**
   * Evicts keys until used memory is at or under the memory limit (maxmemory, or
   * PLATFORM_MAXMEMORY when it is 0 or above it). Returns false when it cannot
   * get there (noeviction, or no key the policy may evict): Redis's EVICT_FAIL, which
   * makes the executor refuse commands that may grow memory.
   */
  perform(): boolean {
    const db = this.db;
    const settings = db.settings;
    // maxmemory 0 (Redis's "no limit") or above the platform's bound is that bound.
    const limit = memoryLimit(settings);
    if (db.usedMemory <= limit) return true;
    if (settings.maxmemoryPolicy === "noeviction") return false;
    while (db.usedMemory > limit) {
      const key = this.pick(settings.maxmemoryPolicy);
      if (key === undefined) return false;
      db.evict(key);
    }
    return true;
  }

  /** The next key to evict under `policy`, or undefined when there is none. */
  private pick(policy: EvictionPolicy): string | undefined {
    const db = this.db;
    switch (policy) {
      case "volatile-ttl":
        return db.soonestExpiring();
      case "allkeys-random":
        return db.sampleKeys(1, false)[0];
      case "volatile-random":
        return db.sampleKeys(1, true)[0];
      default: {
        const volatile = policy.startsWith("volatile-");
        // As performEvictions: refill the pool until a live candidate turns up; a pool
        // entry may be a ghost (deleted, or its TTL removed) since it was sampled.
        while (volatile ? db.expiresCount > 0 : db.size > 0) {
          this.populate(volatile, isLfu(policy));
          while (this.poolKey.length) {
            const key = this.poolKey.pop()!;
            this.poolScore.pop();
            if (db.accessOf(key) !== undefined && (!volatile || db.getExpire(key) !== undefined)) return key;
          }
        }
        return undefined;
      }
    }
  }

  /** evictionPoolPopulate: scores maxmemory-samples random keys into the pool. */
  private populate(volatile: boolean, lfu: boolean): void {
    const db = this.db;
    const now = db.now;
    const decay = db.settings.lfuDecayTime;
    for (const key of db.sampleKeys(db.settings.maxmemorySamples, volatile)) {
      const access = db.accessOf(key);
      if (access === undefined) continue;
      // Higher is better to evict: idle time, or how rarely the key is used.
      this.insert(lfu ? 255 - lfuDecrAndReturn(access, now, decay) : idleMs(access, now), key);
    }
  }

  private insert(score: number, key: string): void {
    const scores = this.poolScore;
    const keys = this.poolKey;
    if (keys.includes(key)) return;
    if (keys.length === EVICTION_POOL_SIZE && score <= scores[0]) return;
    let i = scores.length;
    while (i > 0 && scores[i - 1] > score) i--;
    scores.splice(i, 0, score);
    keys.splice(i, 0, key);
    if (keys.length > EVICTION_POOL_SIZE) {
      scores.shift();
      keys.shift();
    }
  }
}
