/**
 * The per-key access clock, as Redis 7.0's 24-bit robj.lru: one small integer per key
 * serves both eviction modes, and this file is the only code that knows its bits.
 * - LRU: the LRU clock, seconds since the epoch modulo 2^24 (LRU_CLOCK_RESOLUTION 1000 ms).
 * - LFU: (minutes since the epoch modulo 2^16) << 8 | an 8-bit counter. The counter starts
 *   at LFU_INIT_VAL (5), grows logarithmically on access (LFULogIncr, lfu-log-factor) and
 *   loses one per lfu-decay-time minutes without access (LFUDecrAndReturn).
 * Switching policy at run time reinterprets the same bits, as in Redis ("LRU and LFU data
 * will take some time to adjust").
 *
 * The keyspace stamps the clock on each access (src/engine/keyspace.ts); eviction
 * (src/engine/eviction.ts), OBJECT FREQ / IDLETIME and RESTORE … IDLETIME / FREQ read or
 * set it.
 */
import type { EngineSettings, EvictionPolicy } from "./settings";

const LRU_CLOCK_MAX = (1 << 24) - 1;
const LFU_INIT_VAL = 5;
const LFU_COUNTER_MAX = 255;

export function isLfu(policy: EvictionPolicy): boolean {
  return policy === "allkeys-lfu" || policy === "volatile-lfu";
}

/** Redis's LRU_CLOCK(): seconds, modulo 2^24. */
function lruClock(nowMs: number): number {
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
