/**
 * A hub's subscription registry: which subscribers (hub-side sockets) hold which channels,
 * patterns and shard channels, and the fan-out of one published message to them. Plain
 * TypeScript over any subscriber type, so Node tests run it without a runtime.
 *
 * A PUBLISH reaches the channel's subscribers, then every pattern subscriber whose pattern
 * matches (Redis's order: channel receivers first, then pattern receivers, each counted);
 * a shard message reaches the shard channel's subscribers only.
 */
import { globMatch } from "../engine/glob";
import type { SubscriptionKind } from "./placement";

/** One delivery: a subscriber and the push it gets (Redis's message shape, without framing). */
export type Delivery<S> = [subscriber: S, push: string[]];

export class SubscriptionRegistry<S> {
  private readonly byName: Record<SubscriptionKind, Map<string, Set<S>>> = {
    channel: new Map(),
    pattern: new Map(),
    shard: new Map(),
  };

  /** Adds `subscriber` to `name` of `kind`; false if it was there already. */
  add(kind: SubscriptionKind, name: string, subscriber: S): boolean {
    const map = this.byName[kind];
    let set = map.get(name);
    if (!set) map.set(name, (set = new Set()));
    if (set.has(subscriber)) return false;
    set.add(subscriber);
    return true;
  }

  /** Removes `subscriber` from `name` of `kind`; false if it was not there. */
  remove(kind: SubscriptionKind, name: string, subscriber: S): boolean {
    const map = this.byName[kind];
    const set = map.get(name);
    if (!set || !set.delete(subscriber)) return false;
    if (set.size === 0) map.delete(name);
    return true;
  }

  /**
   * Every push a message on `channel` causes: for a classic channel its subscribers'
   * `message`s, then the matching patterns' `pmessage`s; for a shard channel `smessage`s.
   */
  deliveries(shard: boolean, channel: string, message: string): Delivery<S>[] {
    const out: Delivery<S>[] = [];
    if (shard) {
      for (const s of this.byName.shard.get(channel) ?? []) out.push([s, ["smessage", channel, message]]);
      return out;
    }
    for (const s of this.byName.channel.get(channel) ?? []) out.push([s, ["message", channel, message]]);
    for (const [pattern, subs] of this.byName.pattern) {
      if (!globMatch(pattern, channel)) continue;
      for (const s of subs) out.push([s, ["pmessage", pattern, channel, message]]);
    }
    return out;
  }

  /** Names of `kind` with at least one subscriber, matching `pattern` when given. */
  names(kind: SubscriptionKind, pattern: string | null): string[] {
    const out: string[] = [];
    for (const name of this.byName[kind].keys()) if (pattern === null || globMatch(pattern, name)) out.push(name);
    return out;
  }

  /** Subscribers of each name of `kind`. */
  counts(kind: SubscriptionKind, names: string[]): number[] {
    return names.map((n) => this.byName[kind].get(n)?.size ?? 0);
  }

  /** Distinct patterns subscribed (Redis's PUBSUB NUMPAT: the size of its pattern dict). */
  get patternCount(): number {
    return this.byName.pattern.size;
  }
}
