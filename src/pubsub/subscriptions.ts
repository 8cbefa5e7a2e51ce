/**
 * One connection's subscriptions (a RESP session, or an SSE request): the channels,
 * patterns and shard channels it holds, and its sockets to the hubs that hold them (one
 * per hub, opened on first use; patterns go to every hub). It answers (P|S)SUBSCRIBE and
 * (P|S)UNSUBSCRIBE with Redis's pushes and counts, once the hubs have acknowledged, so a
 * message published after the reply reaches this subscriber. Messages the hubs push are
 * handed to `onPush` in the order each hub sent them.
 *
 * A hub socket that closes while the connection is open (the hub restarted) is reopened
 * and its subscriptions sent again: messages published meanwhile are lost (at most once).
 */
import type { SubscriptionControl, SubscriptionKind } from "../commands/router-context";
import { error, OK, push, sequence, type Reply } from "../protocol/reply";
import { noteMonitorStarted } from "./monitor";
import type { HubConnector } from "./hubs";
import { hubOfChannel } from "./placement";
import { HEARTBEAT_MS, HEARTBEAT_PING, HEARTBEAT_PONG, type ControlFrame, type Push } from "./wire";

const VERBS: Record<SubscriptionKind, [sub: string, unsub: string]> = {
  channel: ["subscribe", "unsubscribe"],
  pattern: ["psubscribe", "punsubscribe"],
  shard: ["ssubscribe", "sunsubscribe"],
};

/** A socket to one hub, with the acknowledgements it awaits. */
class HubLink {
  private nextId = 1;
  private readonly acks = new Map<number, { resolve(): void; reject(e: unknown): void }>();

  /** Tells the hub every HEARTBEAT_MS that this router is alive (see PubSubHub's ghost sweep). */
  private readonly heartbeat: ReturnType<typeof setInterval>;

  constructor(
    readonly ws: WebSocket,
    onPushes: (pushes: Push[]) => void,
    onGone: () => void,
  ) {
    this.heartbeat = setInterval(() => {
      try {
        ws.send(HEARTBEAT_PING);
      } catch {
        // closing: the close event follows
      }
    }, HEARTBEAT_MS);
    ws.send(HEARTBEAT_PING);
    ws.addEventListener("message", (event) => {
      const text = typeof event.data === "string" ? event.data : new TextDecoder().decode(event.data as ArrayBuffer);
      if (text === HEARTBEAT_PONG) return;
      const frame = JSON.parse(text) as Push[] | { ack: number };
      if (Array.isArray(frame)) return onPushes(frame);
      this.acks.get(frame.ack)?.resolve();
      this.acks.delete(frame.ack);
    });
    const gone = () => {
      clearInterval(this.heartbeat);
      for (const a of this.acks.values()) a.reject(new Error("hub socket closed"));
      this.acks.clear();
      onGone();
    };
    ws.addEventListener("close", gone);
    ws.addEventListener("error", gone);
  }

  close(): void {
    clearInterval(this.heartbeat);
    try {
      this.ws.close(1000, "subscriber gone");
    } catch {
      // already closed
    }
  }

  /** Sends a subscribe/unsubscribe op; resolves when the hub has applied it. */
  control(op: ControlFrame["op"], kind: ControlFrame["kind"], names: string[]): Promise<void> {
    const id = this.nextId++;
    const frame: ControlFrame = { id, op, kind, names };
    return new Promise((resolve, reject) => {
      this.acks.set(id, { resolve, reject });
      try {
        this.ws.send(JSON.stringify(frame));
      } catch (e) {
        this.acks.delete(id);
        reject(e);
      }
    });
  }
}

export class SessionSubscriptions implements SubscriptionControl {
  private readonly held: Record<SubscriptionKind, Set<string>> = { channel: new Set(), pattern: new Set(), shard: new Set() };
  private readonly links = new Map<number, Promise<HubLink>>();
  private closed = false;
  /** Receives every pushed message (["message", ch, msg], …), in each hub's order. */
  onPush: (push: Push) => void = () => {};

  constructor(private readonly connector: HubConnector) {}

  /** Channels + patterns (the count SUBSCRIBE/PSUBSCRIBE replies carry). */
  get classicCount(): number {
    return this.held.channel.size + this.held.pattern.size;
  }

  /** Per kind, for CLIENT LIST's sub/psub/ssub. */
  count(kind: SubscriptionKind): number {
    return this.held[kind].size;
  }

  /** Holds any subscription: RESP2 subscribed mode. */
  get active(): boolean {
    return this.classicCount + this.held.shard.size > 0;
  }

  private countFor(kind: SubscriptionKind): number {
    return kind === "shard" ? this.held.shard.size : this.classicCount;
  }

  async subscribe(kind: SubscriptionKind, names: string[]): Promise<Reply> {
    const set = this.held[kind];
    const fresh = [...new Set(names.filter((n) => !set.has(n)))];
    try {
      await this.register("sub", kind, fresh);
    } catch (e) {
      return error(`ERR pubsub hub unavailable: ${(e as Error).message}`);
    }
    return sequence(
      names.map((n) => {
        set.add(n);
        return push([VERBS[kind][0], n, this.countFor(kind)]);
      }),
    );
  }

  async unsubscribe(kind: SubscriptionKind, names: string[]): Promise<Reply> {
    const set = this.held[kind];
    const verb = VERBS[kind][1];
    const targets = names.length > 0 ? names : [...set];
    if (targets.length === 0) return push([verb, null, this.countFor(kind)]);
    const gone = [...new Set(targets.filter((n) => set.has(n)))];
    const replies = targets.map((n) => {
      set.delete(n);
      return push([verb, n, this.countFor(kind)]);
    });
    // Best effort: a hub that cannot be told drops the subscription with the socket anyway.
    await this.register("unsub", kind, gone).catch(() => {});
    return sequence(replies);
  }

  /** MONITOR: this connection receives every command (["monitor", line] pushes). */
  monitoring = false;

  async monitor(): Promise<Reply> {
    try {
      await (await this.link(0)).control("sub", "monitor", []);
    } catch (e) {
      return error(`ERR pubsub hub unavailable: ${(e as Error).message}`);
    }
    this.monitoring = true;
    noteMonitorStarted();
    return OK;
  }

  /** RESET: every subscription dropped, no replies. */
  async reset(): Promise<void> {
    if (this.monitoring) {
      this.monitoring = false;
      void this.link(0).then((l) => l.control("unsub", "monitor", []), () => {});
    }
    const dropped = (["channel", "pattern", "shard"] as const).map((kind) => {
      const names = [...this.held[kind]];
      this.held[kind].clear();
      return [kind, names] as const;
    });
    for (const [kind, names] of dropped) await this.register("unsub", kind, names).catch(() => {});
  }

  /** The connection closed: its hub sockets close, and the hubs drop its subscriptions. */
  close(): void {
    this.closed = true;
    for (const link of this.links.values()) {
      void link.then(
        (l) => l.close(),
        () => {},
      );
    }
    this.links.clear();
  }

  /** Sends `op` for `names` to the hubs that hold them (patterns: every hub). */
  private async register(op: ControlFrame["op"], kind: SubscriptionKind, names: string[]): Promise<void> {
    if (names.length === 0) return;
    const byHub = new Map<number, string[]>();
    const hubs = this.connector.hubs;
    for (const n of names) {
      const targets = kind === "pattern" ? Array.from({ length: hubs }, (_, i) => i) : [hubOfChannel(n, hubs)];
      for (const h of targets) {
        let list = byHub.get(h);
        if (!list) byHub.set(h, (list = []));
        list.push(n);
      }
    }
    await Promise.all([...byHub].map(async ([h, list]) => (await this.link(h)).control(op, kind, list)));
  }

  private link(hub: number): Promise<HubLink> {
    let link = this.links.get(hub);
    if (!link) {
      link = this.connector.open(hub).then(
        (ws) =>
          new HubLink(
            ws,
            (pushes) => {
              for (const p of pushes) this.onPush(p);
            },
            () => this.lost(hub, link!),
          ),
      );
      this.links.set(hub, link);
      link.catch(() => this.links.get(hub) === link && this.links.delete(hub));
    }
    return link;
  }

  /** A hub socket closed under an open connection: reopen it and subscribe again. */
  private lost(hub: number, link: Promise<HubLink>): void {
    if (this.closed || this.links.get(hub) !== link) return;
    this.links.delete(hub);
    const hubs = this.connector.hubs;
    if (hub === 0 && this.monitoring) void this.link(0).then((l) => l.control("sub", "monitor", []), () => {});
    for (const kind of ["channel", "pattern", "shard"] as const) {
      const names = [...this.held[kind]].filter((n) => kind === "pattern" || hubOfChannel(n, hubs) === hub);
      if (names.length === 0) continue;
      void this.link(hub)
        .then((l) => l.control("sub", kind, names))
        .catch((e: unknown) => console.error("hotslot: resubscribing to a hub failed", e));
    }
  }
}
