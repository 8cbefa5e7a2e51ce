/**
 * The router's view of the hubs, per request (a RESP connection, an HTTP request): RPCs for
 * PUBLISH and PUBSUB, and subscriber sockets for sessions that subscribe. Per request
 * because workerd binds a stub, and a socket, to the request that made it (see
 * src/router/channel.ts); a RESP connection is one long request, so its sockets live as
 * long as it does.
 *
 * PUBLISH goes to the channel's hub, which counts channel and pattern receivers (every hub
 * holds every pattern): one RPC, or one for all the PUBLISHes a connection makes while its
 * previous call to that hub is out (PublishChannel). PUBSUB CHANNELS asks every hub and concatenates (a channel is
 * in one hub only); NUMSUB asks each channel's hub; NUMPAT asks hub 0 (each hub holds the
 * same patterns, so one answer counts each distinct pattern once).
 */
import type { HubDirectory } from "../commands/router-context";
import { hubName, hubOfChannel } from "./placement";
import type { PubSubHub } from "./hub";

type HubRpc = Pick<PubSubHub, "publish" | "publishBatch" | "publishMany" | "channels" | "numsub" | "numpat" | "sockets" | "monitorActive" | "monitorFeed">;

type Publication = [shard: boolean, channel: string, message: string];

/**
 * A request's ordered, coalescing publish channel to one hub (as src/router/channel.ts is to
 * a shard): one call out at a time, so a connection's PUBLISHes reach the hub in order;
 * those made meanwhile go together as ONE `publishBatch` call when it returns.
 */
class PublishChannel {
  private queued: Publication[] = [];
  private waiting: { resolve(n: number): void; reject(e: unknown): void }[] = [];
  private inFlight = false;
  private scheduled = false;

  constructor(private readonly rpc: () => HubRpc) {}

  publish(p: Publication): Promise<number> {
    const result = new Promise<number>((resolve, reject) => this.waiting.push({ resolve, reject }));
    this.queued.push(p);
    if (!this.inFlight && !this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.send);
    }
    return result;
  }

  private readonly send = (): void => {
    this.scheduled = false;
    if (this.inFlight || this.queued.length === 0) return;
    const batch = this.queued;
    const waiting = this.waiting;
    this.queued = [];
    this.waiting = [];
    this.inFlight = true;
    let call: Promise<number[]>;
    try {
      call = this.rpc().publishBatch(batch);
    } catch (e) {
      call = Promise.reject(e);
    }
    call.then(
      (counts) => {
        this.inFlight = false;
        waiting.forEach((w, i) => w.resolve(counts[i]));
        this.send();
      },
      (e: unknown) => {
        this.inFlight = false;
        for (const w of waiting) w.reject(e);
        this.send();
      },
    );
  };
}

/** How a request reaches hub i: an RPC stub, and a new subscriber socket. */
export interface HubConnector {
  readonly hubs: number;
  rpc(hub: number): HubRpc;
  /** Opens a subscriber socket to hub `hub` (accepted, ready to send). */
  open(hub: number): Promise<WebSocket>;
}

/** The connector of the Worker: hub i is the object named hub-i of the HUB namespace. */
export function durableHubs(ns: DurableObjectNamespace, hubs: number): HubConnector {
  const ids = new Map<number, DurableObjectId>();
  const id = (i: number) => {
    let v = ids.get(i);
    if (!v) ids.set(i, (v = ns.idFromName(hubName(i))));
    return v;
  };
  return {
    hubs,
    rpc: (i) => ns.get(id(i)) as unknown as HubRpc,
    async open(i) {
      const res = await ns.get(id(i)).fetch("http://hub/subscribe", { headers: { Upgrade: "websocket" } });
      const ws = res.webSocket;
      if (!ws) throw new Error(`hub ${i} refused the subscriber socket (${res.status})`);
      ws.accept();
      return ws;
    },
  };
}

/** PUBLISH and PUBSUB over a connector. */
export class HubClient implements HubDirectory {
  private readonly channels_ = new Map<number, PublishChannel>();

  constructor(readonly connector: HubConnector) {}

  publish(shard: boolean, channel: string, message: string): Promise<number> {
    const hub = hubOfChannel(channel, this.connector.hubs);
    let ch = this.channels_.get(hub);
    if (!ch) this.channels_.set(hub, (ch = new PublishChannel(() => this.connector.rpc(hub))));
    return ch.publish([shard, channel, message]);
  }

  async channels(kind: "channel" | "shard", pattern: string | null): Promise<string[]> {
    const all = await Promise.all(Array.from({ length: this.connector.hubs }, (_, i) => this.connector.rpc(i).channels(kind, pattern)));
    return all.flat();
  }

  async numsub(kind: "channel" | "shard", names: string[]): Promise<number[]> {
    const byHub = new Map<number, number[]>();
    names.forEach((n, i) => {
      const h = hubOfChannel(n, this.connector.hubs);
      let list = byHub.get(h);
      if (!list) byHub.set(h, (list = []));
      list.push(i);
    });
    const out: number[] = new Array(names.length).fill(0);
    await Promise.all(
      [...byHub].map(async ([h, idx]) => {
        const counts = await this.connector.rpc(h).numsub(kind, idx.map((i) => names[i]));
        idx.forEach((i, j) => (out[i] = counts[j]));
      }),
    );
    return out;
  }

  numpat(): Promise<number> {
    return this.connector.rpc(0).numpat();
  }
}
