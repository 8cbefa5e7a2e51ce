/**
 * The Pub/Sub hub Durable Object ("hub-<i>", binding HUB): holds the subscribers of the
 * channels and shard channels of its slot range, and of every pattern (src/pubsub/placement.ts).
 *
 * Subscribers are router sessions (a RESP connection, an SSE request), each holding ONE
 * WebSocket to each hub it subscribes in, accepted with the hibernation API: while nothing
 * is published an idle hub is evicted from memory and its sockets stay open at no cost;
 * each socket's subscriptions are in its attachment (or, past the attachment's 2 KB, in
 * storage), so the registry is rebuilt when the hub wakes. A subscription dies with its
 * socket (webSocketClose / webSocketError).
 *
 * Publishers call `publishBatch` (a router's PUBLISHes, coalesced per connection; each
 * message's receiver count comes back), `publish` (one), or `publishMany` (a shard's
 * keyspace notifications, one RPC per batch). A call's deliveries are one `send` per
 * receiving socket, never awaited: a publisher never waits for a subscriber. A router socket
 * whose unsent output passes ROUTER_SOCKET_LIMIT is closed, so a stuck router cannot grow
 * the hub's memory; the router applies client-output-buffer-limit pubsub to its client.
 *
 * Ghosts. A socket closed by its router (client gone, session ended) is dropped at once
 * (webSocketClose). A router that vanishes without closing (its isolate killed, the network
 * cut) is found by heartbeat: every router socket sends "ping" each HEARTBEAT_MS, answered by
 * the runtime's auto-response without waking the hub; while the hub holds sockets its alarm
 * runs every SWEEP_MS and closes those silent for more than GHOST_MS. So a ghost is counted
 * by PUBLISH / PUBSUB NUMSUB for at most GHOST_MS + SWEEP_MS (about 2 minutes).
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../config";
import { SubscriptionRegistry } from "./registry";
import type { SubscriptionKind } from "./placement";
import { HEARTBEAT_PING, HEARTBEAT_PONG, isControlFrame, type Push } from "./wire";

/** A socket's subscriptions, as kept in its attachment (names by kind). */
interface Held {
  channel: string[];
  pattern: string[];
  shard: string[];
  /** Set when the lists live in storage under `subs:<key>` (too big for an attachment). */
  key?: string;
  /** A MONITOR socket (src/pubsub/monitor.ts). */
  monitor?: boolean;
}

/** The attachment's size limit is 2048 bytes; past this the lists move to storage. */
const ATTACHMENT_BUDGET = 1900;

/** A socket silent this long is a ghost (routers send a heartbeat every HEARTBEAT_MS). */
export const GHOST_MS = 90_000;
/** How often a hub holding sockets looks for ghosts. */
export const SWEEP_MS = 30_000;

/**
 * The hub's bound on one router socket's unsent output: a router socket carries many
 * subscribers' messages, so it is Redis's default pubsub hard limit (32mb) at least.
 */
const ROUTER_SOCKET_LIMIT = 32 * 1024 * 1024;

export class PubSubHub extends DurableObject<Env> {
  private readonly registry = new SubscriptionRegistry<WebSocket>();
  /** Each live socket's subscriptions (the attachment's content, in memory). */
  private readonly held = new Map<WebSocket, Held>();
  /** When each socket was opened (or first seen by a sweep), for sockets never heard from. */
  private readonly opened = new Map<WebSocket, number>();
  /** Messages delivered since this object started (INFO-like counter for tests). */
  delivered = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // Heartbeats are answered by the runtime: they do not wake a hibernating hub.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(HEARTBEAT_PING, HEARTBEAT_PONG));
    // Woken from hibernation (or restarted): rebuild the registry from the sockets.
    ctx.blockConcurrencyWhile(async () => {
      for (const ws of ctx.getWebSockets()) {
        let h = ws.deserializeAttachment() as Held | null;
        if (!h) continue;
        if (h.key) h = { ...((await ctx.storage.get<Held>(`subs:${h.key}`)) ?? { channel: [], pattern: [], shard: [] }), key: h.key };
        this.adopt(ws, h);
      }
    });
  }

  /** MONITOR sockets (hub 0 holds them all). */
  private readonly monitors = new Set<WebSocket>();

  private adopt(ws: WebSocket, h: Held): void {
    this.held.set(ws, h);
    if (h.monitor) this.monitors.add(ws);
    for (const kind of ["channel", "pattern", "shard"] as const) for (const name of h[kind]) this.registry.add(kind, name, ws);
  }

  /** A router opens a subscriber socket: accepted for hibernation. */
  async fetch(request: Request): Promise<Response> {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") return new Response("expected a WebSocket upgrade", { status: 426 });
    const pair = new WebSocketPair();
    const server = pair[1];
    this.ctx.acceptWebSocket(server);
    const h: Held = { channel: [], pattern: [], shard: [] };
    server.serializeAttachment(h);
    this.held.set(server, h);
    await this.armSweep();
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  /** Looks for ghosts every SWEEP_MS while any socket is held. */
  private async armSweep(): Promise<void> {
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + SWEEP_MS);
  }

  /** Closes sockets silent for more than GHOST_MS (their router is gone without closing them). */
  async alarm(): Promise<void> {
    const now = Date.now();
    for (const ws of this.ctx.getWebSockets()) {
      const seen = this.ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? this.opened.get(ws) ?? now;
      if (!this.opened.has(ws)) this.opened.set(ws, now);
      if (now - seen > GHOST_MS) {
        console.warn("hotslot: closing a silent subscriber socket (its router is gone)");
        await this.drop(ws);
      }
    }
    if (this.ctx.getWebSockets().length > 0) await this.ctx.storage.setAlarm(now + SWEEP_MS);
  }

  async webSocketMessage(ws: WebSocket, data: string | ArrayBuffer): Promise<void> {
    // A heartbeat the runtime did not answer itself (auto-response not yet set).
    if (data === HEARTBEAT_PING) return ws.send(HEARTBEAT_PONG);
    let frame: unknown;
    try {
      frame = JSON.parse(typeof data === "string" ? data : new TextDecoder().decode(data));
    } catch {
      return ws.close(1003, "bad control frame");
    }
    if (!isControlFrame(frame)) return ws.close(1003, "bad control frame");
    const h = this.held.get(ws) ?? { channel: [], pattern: [], shard: [] };
    this.held.set(ws, h);
    if (frame.kind === "monitor") {
      h.monitor = frame.op === "sub";
      if (h.monitor) this.monitors.add(ws);
      else this.monitors.delete(ws);
      await this.persist(ws, h);
      ws.send(JSON.stringify({ ack: frame.id }));
      return;
    }
    const list = new Set(h[frame.kind]);
    for (const name of frame.names) {
      if (frame.op === "sub") {
        if (this.registry.add(frame.kind, name, ws)) list.add(name);
      } else if (this.registry.remove(frame.kind, name, ws)) list.delete(name);
    }
    h[frame.kind] = [...list];
    await this.persist(ws, h);
    ws.send(JSON.stringify({ ack: frame.id }));
  }

  /** Keeps a socket's subscriptions where a woken hub finds them. */
  private async persist(ws: WebSocket, h: Held): Promise<void> {
    const lists: Held = { channel: h.channel, pattern: h.pattern, shard: h.shard, monitor: h.monitor };
    if (!h.key && JSON.stringify(lists).length <= ATTACHMENT_BUDGET) {
      ws.serializeAttachment(lists);
      return;
    }
    h.key ??= crypto.randomUUID();
    await this.ctx.storage.put(`subs:${h.key}`, lists);
    ws.serializeAttachment({ channel: [], pattern: [], shard: [], key: h.key, monitor: h.monitor });
  }

  async webSocketClose(ws: WebSocket): Promise<void> {
    await this.drop(ws);
  }

  async webSocketError(ws: WebSocket): Promise<void> {
    await this.drop(ws);
  }

  /** The socket is gone: so are its subscriptions. */
  private async drop(ws: WebSocket): Promise<void> {
    const h = this.held.get(ws);
    this.held.delete(ws);
    this.opened.delete(ws);
    this.monitors.delete(ws);
    if (!h) return;
    for (const kind of ["channel", "pattern", "shard"] as const) for (const name of h[kind]) this.registry.remove(kind, name, ws);
    if (h.key) await this.ctx.storage.delete(`subs:${h.key}`);
    try {
      ws.close(1000, "closed");
    } catch {
      // already closed
    }
  }

  /** PUBLISH (shard false) / SPUBLISH (shard true): delivers and returns the receiver count. */
  async publish(shard: boolean, channel: string, message: string): Promise<number> {
    return this.deliver([[shard, channel, message]]);
  }

  /**
   * Several PUBLISH / SPUBLISH in order (a router's coalesced calls): one frame per
   * subscriber for them all; returns each message's receiver count.
   */
  async publishBatch(messages: [shard: boolean, channel: string, message: string][]): Promise<number[]> {
    const counts: number[] = [];
    this.deliver(messages, counts);
    return counts;
  }

  /** Several messages in order (a shard's keyspace notifications): one frame per subscriber. */
  async publishMany(messages: [channel: string, message: string][]): Promise<number> {
    return this.deliver(messages.map(([c, m]) => [false, c, m]));
  }

  /** Delivers in order, one frame per socket; returns the receivers (and each message's in `counts`). */
  private deliver(messages: [shard: boolean, channel: string, message: string][], counts?: number[]): number {
    let receivers = 0;
    const frames = new Map<WebSocket, Push[]>();
    for (const [shard, channel, message] of messages) {
      const deliveries = this.registry.deliveries(shard, channel, message);
      counts?.push(deliveries.length);
      for (const [ws, push] of deliveries) {
        receivers++;
        let f = frames.get(ws);
        if (!f) frames.set(ws, (f = []));
        f.push(push);
      }
    }
    for (const [ws, pushes] of frames) {
      try {
        ws.send(JSON.stringify(pushes));
        this.delivered += pushes.length;
        if ((ws as unknown as { bufferedAmount?: number }).bufferedAmount! > ROUTER_SOCKET_LIMIT) {
          console.error("hotslot: closing a subscriber socket past the pubsub output limit");
          void this.drop(ws);
        }
      } catch {
        void this.drop(ws);
      }
    }
    return receivers;
  }

  /** MONITOR: whether anyone monitors (routers ask at most every few seconds). */
  async monitorActive(): Promise<boolean> {
    return this.monitors.size > 0;
  }

  /** MONITOR: lines a router formatted, to every monitor; returns whether any is left. */
  async monitorFeed(lines: string[]): Promise<boolean> {
    if (this.monitors.size === 0) return false;
    const frame = JSON.stringify(lines.map((l) => ["monitor", l]));
    for (const ws of this.monitors) {
      try {
        ws.send(frame);
      } catch {
        void this.drop(ws);
      }
    }
    return this.monitors.size > 0;
  }

  /** PUBSUB CHANNELS / SHARDCHANNELS of this hub. */
  async channels(kind: SubscriptionKind, pattern: string | null): Promise<string[]> {
    return this.registry.names(kind, pattern);
  }

  /** PUBSUB NUMSUB / SHARDNUMSUB of this hub's channels. */
  async numsub(kind: SubscriptionKind, names: string[]): Promise<number[]> {
    return this.registry.counts(kind, names);
  }

  /** PUBSUB NUMPAT: the distinct patterns (every hub holds every pattern). */
  async numpat(): Promise<number> {
    return this.registry.patternCount;
  }

  /** Live subscriber sockets (tests: ghost cleanup). */
  async sockets(): Promise<number> {
    return this.held.size;
  }
}
