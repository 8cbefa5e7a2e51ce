/**
 * Eviction, as Redis 7.0's evict.c: the per-key access clock (LRU) or logarithmic access
 * counter (LFU), and `Evictor.perform` (Redis's performEvictions), which deletes keys by
 * the maxmemory-policy until the keyspace's accounted memory is back under maxmemory.
 *
 * Access field: like Redis's 24-bit robj.lru, one small integer per key serves both modes.
 * - LRU: the LRU clock, seconds since the epoch modulo 2^24 (LRU_CLOCK_RESOLUTION 1000 ms).
 * - LFU: (minutes since the epoch modulo 2^16) << 8 | an 8-bit counter. The counter starts
 *   at LFU_INIT_VAL (5), grows logarithmically on access (LFULogIncr, lfu-log-factor) and
 *   loses one per lfu-decay-time minutes without access (LFUDecrAndReturn).
 * Switching policy at run time reinterprets the same bits, as in Redis ("LRU and LFU data
 * will take some time to adjust").
 *
 * Candidates: LRU and LFU sample maxmemory-samples keys (from every key, or from keys
 * with a TTL for volatile-*) into a 16-entry eviction pool kept sorted by idleness, and
 * evict the best pool entry still present (evictionPoolPopulate). volatile-ttl takes the
 * key that expires soonest exactly (the expiry heap knows it), where Redis samples; the
 * random policies pick a uniformly random key. noeviction never deletes.
 */
import type { Keyspace } from "./keyspace";
import type { EngineSettings, EvictionPolicy } from "./settings";

// --- the access field ------------------------------------------------------------------

export const LRU_CLOCK_MAX = (1 << 24) - 1;
export const LFU_INIT_VAL = 5;
const LFU_COUNTER_MAX = 255;

export function isLfu(policy: EvictionPolicy): boolean {
  return policy === "allkeys-lfu" || policy === "volatile-lfu";
}

/** Redis's LRU_CLOCK(): seconds, modulo 2^24. */
export function lruClock(nowMs: number): number {
  return Math.floor(nowMs / 1000) & LRU_CLOCK_MAX;
}

/** Redis's LFUGetTimeInMinutes(): minutes, modulo 2^16. */
function lfuMinutes(nowMs: number): number {
  return Math.floor(nowMs / 60000) & 65535;
}

/** Minutes since `ldt`, counting a wrap of the 16-bit clock once (LFUTimeElapsed). */
function lfuTimeElapsed(ldt: number, nowMs: number): number {
  const now = lfuMinutes(nowMs);
  return now >= ldt ? now - ldt : 65535 - ldt + now;
}

/** The access field of a key just created (createObject). */
export function initialAccess(nowMs: number, settings: EngineSettings): number {
  return isLfu(settings.maxmemoryPolicy) ? (lfuMinutes(nowMs) << 8) | LFU_INIT_VAL : lruClock(nowMs);
}

/**
 * The LFU counter after decay, without storing it (LFUDecrAndReturn): one less per
 * lfu-decay-time minutes since the last access (never decays when the time is 0).
 * This is what OBJECT FREQ answers.
 */
export function lfuDecrAndReturn(access: number, nowMs: number, decayTime: number): number {
  const ldt = access >> 8;
  const counter = access & 255;
  const periods = decayTime ? Math.floor(lfuTimeElapsed(ldt, nowMs) / decayTime) : 0;
  if (periods) return periods > counter ? 0 : counter - periods;
  return counter;
}

/**
 * One logarithmic increment (LFULogIncr): up to LFU_INIT_VAL always, then with
 * probability 1 / ((counter - LFU_INIT_VAL) * lfu-log-factor + 1); saturates at 255.
 */
function lfuLogIncr(counter: number, logFactor: number, random: () => number): number {
  if (counter === LFU_COUNTER_MAX) return counter;
  const base = Math.max(0, counter - LFU_INIT_VAL);
  return random() < 1 / (base * logFactor + 1) ? counter + 1 : counter;
}

/** The access field after an access (lookupKey: updateLFU, or the LRU clock). */
export function touchedAccess(access: number, nowMs: number, settings: EngineSettings, random: () => number): number {
  if (!isLfu(settings.maxmemoryPolicy)) return lruClock(nowMs);
  const counter = lfuLogIncr(lfuDecrAndReturn(access, nowMs, settings.lfuDecayTime), settings.lfuLogFactor, random);
  return (lfuMinutes(nowMs) << 8) | counter;
}

/**
 * The access field RESTORE … IDLETIME / FREQ sets (objectSetLRUOrLFU): under an LFU policy
 * FREQ becomes the counter; otherwise IDLETIME (seconds) dates the last access back. Null
 * when the option given does not apply to the policy (the key keeps a fresh access).
 */
export function restoredAccess(nowMs: number, settings: EngineSettings, freq: number | null, idleSeconds: number | null): number | null {
  if (isLfu(settings.maxmemoryPolicy)) return freq === null ? null : (lfuMinutes(nowMs) << 8) | freq;
  if (idleSeconds === null) return null;
  const clock = lruClock(nowMs);
  // The clock wraps at 2^24 seconds: an access further back wraps too.
  return (((clock - idleSeconds) % (LRU_CLOCK_MAX + 1)) + LRU_CLOCK_MAX + 1) % (LRU_CLOCK_MAX + 1);
}

/** Milliseconds since the last access, by the LRU clock (estimateObjectIdleTime). */
export function idleMs(access: number, nowMs: number): number {
  const clock = lruClock(nowMs);
  return clock >= access ? (clock - access) * 1000 : (clock + (LRU_CLOCK_MAX - access)) * 1000;
}

// --- performEvictions ------------------------------------------------------------------

/** Redis's EVPOOL_SIZE. */
export const EVICTION_POOL_SIZE = 16;

export class Evictor {
  /** The eviction pool: candidates by ascending score (the best to evict is last). */
  private poolScore: number[] = [];
  private poolKey: string[] = [];

  constructor(private readonly db: Keyspace) {}

  /**
   * Evicts keys until used memory is at or under maxmemory. Returns false when it cannot
   * get there (noeviction, or no key the policy may evict): Redis's EVICT_FAIL, which
   * makes the executor refuse commands that may grow memory.
   */
  perform(): boolean {
    const db = this.db;
    const settings = db.settings;
    if (settings.maxmemory <= 0 || db.usedMemory <= settings.maxmemory) return true;
    if (settings.maxmemoryPolicy === "noeviction") return false;
    while (db.usedMemory > settings.maxmemory) {
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
