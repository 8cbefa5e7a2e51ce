/**
 * The ReplicationSource's host for unit tests (src/shard/replication-source.ts): one link for
 * every replica, no full resync, and a clock whose timers run only when the test moves it.
 */
import type { ReplicaLink, SourceHost } from "../../src/shard/replication-source";

export class TestClock {
  at = 1_000;
  private timers: { at: number; fn: () => void }[] = [];

  readonly now = (): number => this.at;
  readonly later = (fn: () => void, ms: number): void => void this.timers.push({ at: this.at + ms, fn });

  /** Moves the clock by `ms` and runs the timers that came due, in time order. */
  advance(ms: number): void {
    this.at += ms;
    for (const t of this.timers.splice(0).sort((a, b) => a.at - b.at)) {
      if (t.at <= this.at) t.fn();
      else this.timers.push(t);
    }
  }
}

export function testSourceHost(link: ReplicaLink, clock: TestClock, shipIntervalMs?: number): SourceHost {
  return {
    shipIntervalMs,
    link: () => link,
    fullSyncImage: () => {
      throw new Error("no full resync here");
    },
    deposed: () => {},
    now: clock.now,
    later: clock.later,
  };
}
