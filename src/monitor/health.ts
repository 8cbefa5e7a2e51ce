/**
 * One monitor's view of the objects it pings: when each last answered and what it said.
 * An object is subjectively down (SDOWN) once it has failed every ping for `downAfterMs`
 * since its last good answer (or since the monitor first tried it). Plain TS, no I/O.
 */
import type { ShardRoleInfo } from "../shard/group";

export interface HealthEntry {
  /** When the object last answered a ping (or, never having answered, when pings began). */
  lastOkAt: number;
  /** Whether it ever answered. */
  everOk: boolean;
  /** Its last answer. */
  info: ShardRoleInfo | null;
  /** When it last failed a ping (-1: not since its last answer). */
  failingSince: number;
}

export class HealthBook {
  private readonly entries = new Map<string, HealthEntry>();

  constructor(private readonly downAfterMs: number) {}

  private entry(name: string, now: number): HealthEntry {
    let e = this.entries.get(name);
    if (!e) this.entries.set(name, (e = { lastOkAt: now, everOk: false, info: null, failingSince: -1 }));
    return e;
  }

  answered(name: string, info: ShardRoleInfo, now: number, healthy = true): void {
    const e = this.entry(name, now);
    e.everOk = true;
    e.info = info;
    if (!healthy) {
      if (e.failingSince < 0) e.failingSince = now;
      return;
    }
    e.lastOkAt = now;
    e.failingSince = -1;
  }

  failed(name: string, now: number): void {
    const e = this.entry(name, now);
    if (e.failingSince < 0) e.failingSince = now;
  }

  /** Subjectively down: failing, and no good answer for downAfterMs. */
  sdown(name: string, now: number): boolean {
    const e = this.entries.get(name);
    return e !== undefined && e.failingSince >= 0 && now - e.lastOkAt >= this.downAfterMs;
  }

  /** Currently failing pings (not necessarily down yet). */
  failing(name: string): boolean {
    const e = this.entries.get(name);
    return e !== undefined && e.failingSince >= 0;
  }

  info(name: string): ShardRoleInfo | null {
    return this.entries.get(name)?.info ?? null;
  }

  lastOkAt(name: string): number | null {
    const e = this.entries.get(name);
    return e && e.everOk ? e.lastOkAt : null;
  }

  /** Forgets an object's failures (it was just reconfigured, or the config changed under it). */
  reset(name: string, now: number): void {
    const e = this.entries.get(name);
    if (e) {
      e.lastOkAt = now;
      e.failingSince = -1;
    }
  }
}
