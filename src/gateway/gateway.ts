/**
 * The gateway: a Durable Object that holds client RESP WebSocket sessions (the bridge's
 * connections) and, with GATEWAY_HTTP=yes, serves HTTP command requests, so that the calls of ALL of them to one
 * shard share one ordered, coalescing channel (src/router/channel.ts) — what the router
 * Worker cannot do, since there every request's I/O is bound to that request. Under load
 * fifty connections' frames reach a shard as a few RPCs instead of fifty; the runtime's
 * per-event cost (README "Benchmark") is paid per batch, not per frame.
 *
 * The router Worker checks the request (CORS, method, token) and forwards it unchanged to
 * one of `GATEWAYS` objects ("gateway-0" …, picked at random per connection or request;
 * GATEWAYS=0 keeps everything in the Worker). Here the same app (src/router/http.ts) serves
 * it, with the gateway's channels: same auth, same session rules, same replies. Each
 * connection keeps Redis's order: its calls enter a shared channel in the order it makes
 * them, and a channel's calls reach its shard one after another. Event streams (SUBSCRIBE,
 * MONITOR over SSE) and the admin endpoints stay in the Worker.
 *
 * Sockets are accepted with `accept()`, not the hibernation API: a session's state (MULTI
 * queue, WATCH, a blocked command, subscriptions) lives in memory, so a gateway with open
 * connections stays resident (README "Gateways": cost). It stores nothing.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../config";
import type { ShardChannel } from "../router/channel";
import { createApp } from "../router/http";

export class Gateway extends DurableObject<Env> {
  /** Every session's and request's channels to the shards, one per shard (group). */
  private readonly channels: ShardChannel[] = [];
  private readonly app = createApp({ channels: this.channels });

  /** A RESP WebSocket upgrade or a command request the router forwarded. */
  fetch(request: Request): Promise<Response> {
    // What the app uses of a Worker's ExecutionContext (waitUntil), backed by this object's.
    const ctx = { waitUntil: (p: Promise<unknown>) => this.ctx.waitUntil(p), passThroughOnException: () => {}, props: {} } as unknown as ExecutionContext;
    return Promise.resolve(this.app.fetch(request, this.env, ctx));
  }
}
