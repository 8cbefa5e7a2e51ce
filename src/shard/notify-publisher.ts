/**
 * Keyspace notifications leave a shard here: each batch's (channel, message) pairs are
 * grouped by the hub holding each channel and sent as ONE `publishMany` RPC per hub, off
 * the reply path (the batch's replies never wait for it). Per hub, calls go one at a time
 * in order — while one is out, later batches queue and go together — so a subscriber sees
 * a shard's events in commit order. Delivery is at most once: a failed call is logged and
 * its messages dropped, as Redis drops messages to a subscriber that is gone.
 *
 * Nothing runs while notify-keyspace-events is "" (the default): the executor produces no
 * notifications and this object is never called.
 */
import type { Notification } from "../engine/notify";
import { hubName, hubOfChannel } from "../pubsub/placement";

interface HubPublishRpc {
  publishMany(messages: [channel: string, message: string][]): Promise<number>;
}

/** Most messages queued per hub while its call is out: past it, the oldest are dropped. */
export const MAX_QUEUED_NOTIFICATIONS = 100_000;

export class NotifyPublisher {
  private readonly queued = new Map<number, [string, string][]>();
  private readonly busy = new Set<number>();
  /** Messages dropped (a hub call failed, or the queue was full). */
  dropped = 0;

  constructor(
    private readonly ns: DurableObjectNamespace,
    private readonly hubs: number,
  ) {}

  publish(notifications: readonly Notification[]): void {
    for (const { channel, message } of notifications) {
      const hub = hubOfChannel(channel, this.hubs);
      let q = this.queued.get(hub);
      if (!q) this.queued.set(hub, (q = []));
      if (q.length >= MAX_QUEUED_NOTIFICATIONS) {
        q.shift();
        this.dropped++;
      }
      q.push([channel, message]);
    }
    for (const hub of this.queued.keys()) this.send(hub);
  }

  private send(hub: number): void {
    if (this.busy.has(hub)) return;
    const batch = this.queued.get(hub);
    if (!batch || batch.length === 0) return;
    this.queued.delete(hub);
    this.busy.add(hub);
    const stub = this.ns.get(this.ns.idFromName(hubName(hub))) as unknown as HubPublishRpc;
    stub.publishMany(batch).then(
      () => this.done(hub),
      (e: unknown) => {
        this.dropped += batch.length;
        console.error("hotslot: publishing keyspace notifications failed", e);
        this.done(hub);
      },
    );
  }

  private done(hub: number): void {
    this.busy.delete(hub);
    this.send(hub);
  }
}
