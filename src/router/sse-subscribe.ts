/**
 * Pub/Sub over HTTP (the Upstash dialect): `GET|POST /subscribe/<channel>[/<channel>…]` and
 * `/psubscribe/<pattern>…` answered as a Server-Sent Events stream — first one
 * `subscribe,<channel>,<count>` event per name, then `message,<channel>,<message>` (or
 * `pmessage,<pattern>,<channel>,<message>`) per message, as @upstash/redis's subscribe()
 * parses them. Values are sent as UTF-8 text (bytes that are not UTF-8 become U+FFFD).
 * `GET /monitor` streams MONITOR lines the same way (`data: OK`, then one event per command).
 *
 * The request holds its own subscriptions (src/pubsub/subscriptions.ts: one socket per hub).
 * When the client goes (the request is aborted, or the stream cancelled) the sockets close
 * and the hubs drop the subscriptions. A comment line every KEEPALIVE_MS keeps proxies from
 * closing an idle stream and finds out a dead client. A client that does not read is closed
 * once its unread output passes the pubsub output limit.
 */
import type { SubscriptionKind } from "../commands/router-context";
import { isError, type Reply } from "../protocol/reply";
import { sseBytes, sseComment, sseEvent, SSE_HEADERS } from "../protocol/sse";
import type { HubConnector } from "../pubsub/hubs";
import { SessionSubscriptions } from "../pubsub/subscriptions";
import { binaryToUtf8 } from "../util/binary";

export const KEEPALIVE_MS = 25_000;

/** A push as one SSE event's text: its fields joined by commas (Upstash's format). */
function pushText(fields: readonly (string | number | null)[]): string {
  return fields.map((f) => (typeof f === "string" ? binaryToUtf8(f) : String(f))).join(",");
}

export function subscribeStream(
  hubs: HubConnector,
  kind: Extract<SubscriptionKind, "channel" | "pattern">,
  names: string[],
  signal: AbortSignal,
  outputLimit: number,
  headers: Record<string, string>,
): Promise<Response> {
  return eventStream(hubs, (subs) => subs.subscribe(kind, names), signal, outputLimit, headers);
}

/** `GET /monitor`: every command run in the deployment, one `data: <line>` event each (admin or full token). */
export function monitorStream(hubs: HubConnector, signal: AbortSignal, outputLimit: number, headers: Record<string, string>): Promise<Response> {
  return eventStream(hubs, (subs) => subs.monitor(), signal, outputLimit, headers);
}

/**
 * An event stream of a request's own subscriptions: `start` subscribes (its pushes, or OK,
 * are the first events), then every pushed message is an event.
 */
async function eventStream(
  hubs: HubConnector,
  start: (subs: SessionSubscriptions) => Promise<Reply>,
  signal: AbortSignal,
  outputLimit: number,
  headers: Record<string, string>,
): Promise<Response> {
  const subs = new SessionSubscriptions(hubs);
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let open = true;
  let keepalive: ReturnType<typeof setInterval> | null = null;
  const end = () => {
    if (!open) return;
    open = false;
    if (keepalive !== null) clearInterval(keepalive);
    subs.close();
    try {
      controller.close();
    } catch {
      // already closed or errored
    }
  };
  const write = (text: string) => {
    if (!open) return;
    try {
      controller.enqueue(sseBytes(text));
    } catch {
      return end();
    }
    // Unread output past the limit: this subscriber is too slow (client-output-buffer-limit).
    if ((controller.desiredSize ?? 0) < 0) {
      console.error("hotslot: closing an SSE subscriber past client-output-buffer-limit pubsub");
      end();
    }
  };
  const stream = new ReadableStream<Uint8Array>(
    {
      start: (c) => {
        controller = c;
      },
      cancel: end,
    },
    new ByteLengthQueuingStrategy({ highWaterMark: outputLimit }),
  );
  subs.onPush = (p) => write(sseEvent(p[0] === "monitor" ? binaryToUtf8(p[1]) : pushText(p)));
  const reply: Reply = await start(subs);
  if (isError(reply)) {
    subs.close();
    return new Response(JSON.stringify({ error: reply.message }), { status: 503, headers: { ...headers, "content-type": "application/json" } });
  }
  if (reply !== null && typeof reply === "object" && !Array.isArray(reply) && reply.kind === "sequence") {
    for (const r of reply.replies) if (r !== null && typeof r === "object" && !Array.isArray(r) && r.kind === "push") write(sseEvent(pushText(r.items as (string | number | null)[])));
  } else {
    write(sseEvent("OK"));
  }
  signal.addEventListener("abort", end);
  if (signal.aborted) end();
  keepalive = setInterval(() => write(sseComment("keepalive")), KEEPALIVE_MS);
  return new Response(stream, { status: 200, headers: { ...headers, ...SSE_HEADERS } });
}
