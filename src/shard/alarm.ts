/**
 * One Durable Object alarm serves every timer a shard needs (key expiry; any other
 * timer is one more name in TimerName): each timer has a due time, and the alarm is
 * always set to the earliest. Setting the alarm is a storage write, so it is only done when the earliest
 * due time moves earlier or the alarm has fired; a later-moving timer leaves the alarm
 * early, where it fires, finds nothing due, and is set again.
 */

export type TimerName = "expiry";

export class AlarmSchedule {
  private readonly due = new Map<TimerName, number>();
  /** The alarm time currently set in storage, or null. */
  private armed: number | null = null;

  constructor(private readonly storage: Pick<DurableObjectStorage, "setAlarm" | "deleteAlarm">) {}

  /** Sets (or clears, with undefined) one timer's due time and re-arms if needed. */
  set(name: TimerName, at: number | undefined): void {
    if (at === undefined) this.due.delete(name);
    else this.due.set(name, at);
    let earliest = this.earliest();
    if (earliest === undefined) return;
    // Never the current millisecond: a key is due only once now > its time, and an alarm
    // set for "now" from inside alarm() can be dropped (workerd#6866).
    earliest = Math.max(earliest, Date.now() + 1);
    if (this.armed === null || earliest < this.armed) {
      this.armed = earliest;
      void this.storage.setAlarm(earliest);
    }
  }

  /** The alarm fired: it is no longer armed. */
  fired(): void {
    this.armed = null;
  }

  private earliest(): number | undefined {
    let min: number | undefined;
    for (const at of this.due.values()) if (min === undefined || at < min) min = at;
    return min;
  }
}
