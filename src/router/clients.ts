/**
 * The RESP connections of this router isolate: every RESP session (WebSocket, or TCP
 * through the bridge) registers here when it opens and leaves when it closes. This is
 * what CLIENT LIST / INFO / KILL / UNBLOCK and INFO's Clients section read.
 *
 * Scope: one registry per isolate. Sessions live in gateway objects (src/gateway/, GATEWAYS
 * of them) or, with GATEWAYS=0, in router isolates, of which Cloudflare runs many: each
 * counts and sees only its own connections (CLIENT LIST, KILL, UNBLOCK and
 * connected_clients are per gateway or isolate); under `wrangler dev` and in tests there is one.
 * HTTP requests are not connections and are never registered.
 *
 * CLIENT LIST lines copy redis-server 7.0's field order; fields Hotslot has no notion of
 * (fd, buffers, memory) carry the values an idle Redis client shows. A session's peer
 * address is not known to the router (the bridge relays bytes only), so `addr` is
 * 0.0.0.0 with the client id as its port: unique, so `CLIENT KILL addr:port` works.
 */
import type { ClientDirectory, ClientKillFilter, ClientListFilter, ReleaseBlocked } from "../commands/router-context";
import { error, type Reply } from "../protocol/reply";
import type { RoutedCommand } from "./dispatch";

/** What the registry reads from, and asks of, a connection (RespSession implements it). */
export interface ClientConnection {
  readonly id: number;
  readonly name: string | null;
  readonly resp: 2 | 3;
  /** Parked on a blocking command (BLPOP, …). */
  readonly blocked: boolean;
  /** Commands queued in MULTI, or -1 outside MULTI. */
  readonly multiQueued: number;
  /** Pub/Sub: channels, patterns and shard channels held (CLIENT LIST's sub, psub, ssub). */
  readonly subscriptionCounts?: readonly [sub: number, psub: number, ssub: number];
  /** Set once the connection is to close after its current reply (QUIT, CLIENT KILL of itself). */
  closing: boolean;
  /** Releases its parked blocking command with `reply` (default: its timeout reply), through `release`. */
  unblock(release: ReleaseBlocked, reply?: Reply): Promise<boolean>;
  /** Marks the connection killed and releases what it has parked, through `release`. */
  kill(release: ReleaseBlocked): void;
}

/** What CLIENT UNBLOCK ... ERROR sends to the blocked client, as Redis 7.0. */
export const UNBLOCKED_ERROR = "UNBLOCKED client unblocked via CLIENT UNBLOCK";

class ClientRecord {
  readonly createdAt = Date.now();
  lastCommandAt = this.createdAt;
  /** CLIENT LIST's `cmd`: Redis shows NULL before the first command. */
  lastCommand = "NULL";

  constructor(
    readonly conn: ClientConnection,
    readonly addr: string,
  ) {}

  get flags(): string {
    let f = "";
    if (this.conn.multiQueued >= 0) f += "x";
    if (this.conn.blocked) f += "b";
    if (this.conn.closing) f += "c";
    if (this.pubsub) f += "P";
    return f || "N";
  }

  /** Holds a subscription: Redis's CLIENT_PUBSUB (type pubsub, flag P). */
  get pubsub(): boolean {
    const n = this.conn.subscriptionCounts;
    return n !== undefined && n[0] + n[1] + n[2] > 0;
  }

  /** CLIENT LIST / KILL's TYPE: pubsub while subscribed, else normal. */
  typeMatches(type: string): boolean {
    return type.toLowerCase() === (this.pubsub ? "pubsub" : "normal");
  }

  /** One CLIENT LIST line (without the newline), fields in redis-server 7.0's order. */
  line(now: number): string {
    const c = this.conn;
    return [
      `id=${c.id}`,
      `addr=${this.addr}`,
      "laddr=0.0.0.0:0",
      "fd=-1",
      `name=${c.name ?? ""}`,
      `age=${Math.floor((now - this.createdAt) / 1000)}`,
      `idle=${Math.floor((now - this.lastCommandAt) / 1000)}`,
      `flags=${this.flags}`,
      "db=0",
      `sub=${c.subscriptionCounts?.[0] ?? 0}`,
      `psub=${c.subscriptionCounts?.[1] ?? 0}`,
      `ssub=${c.subscriptionCounts?.[2] ?? 0}`,
      `multi=${c.multiQueued}`,
      "qbuf=0",
      "qbuf-free=0",
      "argv-mem=0",
      "multi-mem=0",
      "rbs=0",
      "rbp=0",
      "obl=0",
      "oll=0",
      "omem=0",
      "tot-mem=0",
      "events=r",
      `cmd=${this.lastCommand}`,
      "user=default",
      "redir=-1",
      `resp=${c.resp}`,
    ].join(" ");
  }
}

/** Client types CLIENT LIST / KILL TYPE accept; a RESP session is `normal`, or `pubsub` while subscribed. */
const CLIENT_TYPES = new Set(["normal", "master", "replica", "slave", "pubsub"]);

export class ClientRegistry implements ClientDirectory {
  private readonly clients = new Map<number, ClientRecord>();

  register(conn: ClientConnection): void {
    this.clients.set(conn.id, new ClientRecord(conn, `0.0.0.0:${conn.id}`));
  }

  unregister(id: number): void {
    this.clients.delete(id);
  }

  /**
   * Records the command a client is running (CLIENT LIST's cmd and idle). As Redis, an
   * unknown command leaves `cmd` as it was, and a container shows its subcommand.
   */
  noteCommand(id: number, { argv, spec }: RoutedCommand): void {
    const r = this.clients.get(id);
    if (!r) return;
    r.lastCommandAt = Date.now();
    if (!spec) return;
    const sub = argv.length > 1 && spec.subcommands ? argv[1].toLowerCase() : "";
    r.lastCommand = sub && spec.subcommands!.includes(sub) ? `${spec.name}|${sub}` : spec.name;
  }

  /** INFO's connected_clients. */
  get connected(): number {
    return this.clients.size;
  }

  /** INFO's blocked_clients: sessions parked on a blocking command. */
  get blocked(): number {
    let n = 0;
    for (const r of this.clients.values()) if (r.conn.blocked) n++;
    return n;
  }

  isClientType(type: string): boolean {
    return CLIENT_TYPES.has(type.toLowerCase());
  }

  info(id: number): string | null {
    return this.clients.get(id)?.line(Date.now()) ?? null;
  }

  list(filter: ClientListFilter): string {
    const now = Date.now();
    let records: ClientRecord[];
    if (filter.ids) records = filter.ids.flatMap((id) => this.clients.get(id) ?? []);
    else records = [...this.clients.values()].filter((r) => filter.type === undefined || r.typeMatches(filter.type));
    return records.map((r) => r.line(now) + "\n").join("");
  }

  /**
   * Closes every client `filter` matches; returns how many. The caller itself, when it
   * matches, closes after its reply (as Redis marks it close-after-reply).
   */
  kill(filter: ClientKillFilter, callerId: number, release: ReleaseBlocked): number {
    let killed = 0;
    for (const r of [...this.clients.values()]) {
      if (filter.skipMe && r.conn.id === callerId) continue;
      if (filter.id !== undefined && r.conn.id !== filter.id) continue;
      if (filter.addr !== undefined && r.addr !== filter.addr) continue;
      if (filter.laddr !== undefined && filter.laddr !== "0.0.0.0:0") continue;
      if (filter.type !== undefined && !r.typeMatches(filter.type)) continue;
      killed++;
      if (r.conn.id === callerId) r.conn.closing = true;
      else r.conn.kill(release);
    }
    return killed;
  }

  /** CLIENT UNBLOCK: 1 if the client was blocked and is now released. */
  async unblock(id: number, withError: boolean, release: ReleaseBlocked): Promise<number> {
    const r = this.clients.get(id);
    if (!r || !r.conn.blocked) return 0;
    return (await r.conn.unblock(release, withError ? error(UNBLOCKED_ERROR) : undefined)) ? 1 : 0;
  }
}

/** This isolate's registry. */
export const clientRegistry = new ClientRegistry();
