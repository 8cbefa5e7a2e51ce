/**
 * A RESP connection's session (WebSocket, or TCP through the bridge): authentication,
 * protocol version, client name, the MULTI queue and WATCHed keys. It takes the commands
 * of one read, looks each up once, routes runs of them as one batch (one call per shard),
 * and stops at commands declared with routing `session` (AUTH, HELLO, MULTI, …) so each
 * command sees the session as it was when it was sent. Reads pipeline: a read's shard
 * calls go out before earlier reads have answered (the pool's channels keep each shard's
 * calls in order); session and blocking commands are barriers that wait for every earlier
 * reply and hold later commands back. Inside MULTI only commands flagged `runs-in-multi`
 * act at once; the rest are queued. Replies are encoded in the RESP version current when
 * each command ran, in pieces of about 1 MB. Live resharding: a frame that would be routed
 * by a newer slot map than the connection's calls still out waits for them (runFrom), so a
 * command never reaches a slot's new group before an earlier one refused by the old group
 * is re-sent there (the channel keeps the order at one group: src/router/channel.ts).
 */
import { isCrossProtocolCommand, warnCrossProtocolAttack } from "../commands/connection";
import { ERR_CROSSSLOT, ERR_EXECABORT } from "../commands/errors";
import type { ReleaseBlocked, RouterContext, Session } from "../commands/router-context";
import { hasRouterFlag, type CommandSpec } from "../commands/table";
import { encodeRepliesBinary } from "../protocol/resp";
import { error, isError, OK, push, QUEUED, simple, type Reply } from "../protocol/reply";
import { MonitorFeed } from "../pubsub/monitor";
import { DEFAULT_PUBSUB_OUTPUT_LIMIT, readPubsubOutputLimit } from "../pubsub/output-limit";
import { HubClient, type HubConnector } from "../pubsub/hubs";
import { SessionSubscriptions } from "../pubsub/subscriptions";
import type { WatchedKey } from "../shard/core";
import { keySlot } from "../util/keyslot";
import type { Access, Authenticator, Grant } from "./auth";
import {
  checkCommand,
  isSpec,
  resolveCommand,
  routeBatch,
  routeBlocking,
  runRouterCommand,
  shardUnavailable,
  type RoutedCommand,
  type ShardPool,
} from "./dispatch";
import { Transaction } from "./transaction";
import { clusterView } from "./cluster-view";
import { DurableShardPool } from "./pool";
import type { SlotMap } from "./slots";
import { clientRegistry, type ClientConnection } from "./clients";
import { monitorModeRefusal, preAuthError, subscribedModeError } from "./session-refusals";

let nextClientId = 1;

/**
 * Replies are sent in pieces of about this size: a frame of 300 GETs of a 1 MB value is
 * 300 pieces, never one 300 MB string.
 */
export const REPLY_PIECE_BYTES = 1024 * 1024;

/** A frame's output: its replies in order, each segment ready now or when its batch answers. */
interface Frame {
  segments: (string[] | Promise<string[]>)[];
  emit?: (out: string) => void;
}

/**
 * Encodes replies as RESP in pieces of about REPLY_PIECE_BYTES (a bigger reply is a piece
 * alone). Replies are encoded in runs whose size is estimated from their strings, so a run
 * of small replies costs one encoder call.
 */
function encodePieces(replies: readonly Reply[], resp: 2 | 3): string[] {
  const pieces: string[] = [];
  let start = 0;
  let estimate = 0;
  for (let i = 0; i < replies.length; i++) {
    const r = replies[i];
    estimate += typeof r === "string" ? r.length + 16 : 16;
    if (estimate >= REPLY_PIECE_BYTES) {
      pieces.push(encodeRepliesBinary(replies.slice(start, i + 1), resp));
      start = i + 1;
      estimate = 0;
    }
  }
  if (start < replies.length) pieces.push(encodeRepliesBinary(start === 0 ? replies : replies.slice(start), resp));
  return pieces;
}

/** A frame's segments, in order, as pieces of about REPLY_PIECE_BYTES. */
async function collect(segments: readonly (string[] | Promise<string[]>)[]): Promise<string[]> {
  const out: string[] = [];
  let current = "";
  for (const segment of segments) {
    for (const piece of await segment) {
      if (current.length + piece.length > REPLY_PIECE_BYTES && current) {
        out.push(current);
        current = "";
      }
      current += piece;
    }
  }
  if (current) out.push(current);
  return out;
}

export class RespSession implements Session, ClientConnection {
  readonly id = nextClientId++;
  resp: 2 | 3 = 2;
  name: string | null = null;
  authenticated: boolean;
  /** What this connection's token (or AUTH) allows. */
  private access: Access;
  closing = false;

  private multi: Transaction | null = null;
  /** EXEC is running the queued commands (MONITOR then refuses, as Redis's DENY_BLOCKING does). */
  executing = false;
  /** Names this connection to shards that park it on a blocking command. */
  private readonly token = crypto.randomUUID();
  /** The client's input ended (endInput). */
  private inputEnded = false;
  /** The shard this connection is parked on, if any. */
  private blockedOn: number | null = null;
  private watched: { slot: number; keys: WatchedKey[] } | null = null;
  private readonly ctx: RouterContext;
  /** Set while a barrier (session or blocking command) holds later frames back. */
  private gate: Promise<void> | null = null;
  /** Live resharding: the slot map this connection's calls out were routed by (see runFrom). */
  private routedBy: SlotMap | null = null;
  /** Batches sent and not yet answered, and who waits for that to reach 0. */
  private calls = 0;
  private idleWaiters: (() => void)[] = [];
  /** Aborted when the connection closes: a blocking command then stops renewing its wait. */
  private readonly closed = new AbortController();
  /** Replication: READONLY (reads go to replicas), and the shards this connection wrote to (WAIT). */
  private replicaReads = false;
  private readonly written = new Set<number>();

  /**
   * CLIENT REPLY, as Redis's flags: OFF drops every reply until ON; SKIP drops the next
   * command's (it moves from "next" to "this" as each command finishes, as resetClient does).
   */
  private repliesOff = false;
  private skipNextReply = false;
  private skipThisReply = false;

  /** Pub/Sub: the connection's subscriptions, made at its first (P|S)SUBSCRIBE. */
  private subs: SessionSubscriptions | null = null;
  /** MONITOR: this connection's commands, to the monitors (when there are any). */
  private readonly monitorFeed: MonitorFeed | null;
  /** Pub/Sub: unsent pushed output past this closes the connection (read at the first subscription). */
  pubsubOutputLimit = DEFAULT_PUBSUB_OUTPUT_LIMIT;
  /** Pub/Sub: where pushed messages go, encoded (the transport sets it). */
  pushOut: ((encoded: string) => void) | null = null;

  constructor(
    private readonly pool: ShardPool,
    private readonly auth: Authenticator,
    /** The grant of the token the connection was opened with (the upgrade's): RESET returns to it. */
    private readonly connectionGrant: Grant | null,
    /** Pub/Sub: how this connection reaches the hubs (absent: Pub/Sub is off). */
    private readonly hubs?: HubConnector,
    /** The local port of the TCP bridge the connection comes through (see ConnectionOptions). */
    readonly bridgePort?: number,
  ) {
    this.authenticated = connectionGrant !== null || !auth.required;
    this.access = auth.access(connectionGrant);
    this.monitorFeed = hubs ? new MonitorFeed(hubs) : null;
    clientRegistry.register(this);
    const self = this;
    this.ctx = {
      session: this,
      get now() {
        return Date.now();
      },
      shardCount: pool.slots.shardCount,
      authenticate(user, password) {
        const r = auth.check(user, password);
        if (r === "wrongpass" || r === "nopass") return r;
        self.authenticated = true;
        self.access = auth.access(r);
        return "ok";
      },
      resetSession: () => this.reset(),
      clients: clientRegistry,
      releaseBlocked: (shard, token, reply) => this.pool.unblock(shard, token, reply),
      // Live resharding: CLUSTER SLOTS, SHARDS, … (a pool of Durable Objects only).
      cluster: pool instanceof DurableShardPool ? clusterView(pool) : undefined,
      topology: this.pool.topology ? () => this.pool.topology!() : undefined,
      replication: {
        waitAcks: (count, timeoutMs) => this.waitAcks(count, timeoutMs),
        setReplicaReads: (on) => (this.replicaReads = on),
      },
      transactions: {
        multi: () => this.beginMulti(),
        exec: () => this.exec(),
        discard: () => this.discard(),
        watch: (keys) => this.watch(keys),
        unwatch: () => this.unwatch(),
      },
      get pubsub() {
        return self.subscriptions() ?? undefined;
      },
      hubs: hubs ? new HubClient(hubs) : undefined,
    };
  }

  // --- Pub/Sub (src/pubsub) -------------------------------------------------------------

  /** True while the connection holds a subscription (RESP2: subscribed mode). */
  get subscribed(): boolean {
    return this.subs?.active ?? false;
  }

  get subscriptionCounts(): [number, number, number] {
    const s = this.subs;
    return s ? [s.count("channel"), s.count("pattern"), s.count("shard")] : [0, 0, 0];
  }

  private subscriptions(): SessionSubscriptions | null {
    if (!this.hubs) return null;
    if (!this.subs) {
      this.subs = new SessionSubscriptions(this.hubs);
      void readPubsubOutputLimit(this.pool).then((limit) => (this.pubsubOutputLimit = limit));
      // A MONITOR line is a status reply, as Redis sends it; the rest are Pub/Sub pushes.
      this.subs.onPush = (p) => this.pushOut?.(encodeRepliesBinary([p[0] === "monitor" ? simple(p[1]) : push(p)], this.resp));
    }
    return this.subs;
  }

  /**
   * `submit` with the replies joined into one RESP binary string (the unit tests' form;
   * the transport calls `submit`). Replies ready before a blocking command are handed to
   * `emit` first, so they are not held back while it waits (as Redis sends them at once).
   */
  async handle(cmds: string[][], emit?: (out: string) => void): Promise<string> {
    return (await this.submit(cmds, emit)).join("");
  }

  /**
   * Starts the commands of one read (a frame) and resolves with their replies, encoded,
   * in pieces of about REPLY_PIECE_BYTES. Frames pipeline: a frame's shard calls go out
   * before the replies of earlier frames are back (the channels keep each shard's calls
   * in order); the caller sends each frame's replies after the earlier frames'. Session
   * commands (AUTH, MULTI, EXEC, WATCH, …) and blocking commands are barriers: they run
   * once every earlier command has answered, and later commands — of this frame and of
   * frames still to come — start only after them.
   */
  submit(cmds: string[][], emit?: (out: string) => void): Promise<string[]> {
    const frame: Frame = { segments: [], emit };
    let done: Promise<void> | undefined;
    if (this.gate) {
      done = this.gate.then(() => this.runFrom(cmds, 0, frame));
    } else {
      done = this.runFrom(cmds, 0, frame);
    }
    if (done) this.holdUntil(done);
    return done ? done.then(() => collect(frame.segments)) : collect(frame.segments);
  }

  /** While `p` runs, later frames wait for it (it holds a barrier). */
  private holdUntil(p: Promise<void>): void {
    const gate = p.catch(() => {});
    this.gate = gate;
    void gate.then(() => {
      if (this.gate === gate) this.gate = null;
    });
  }

  /**
   * Runs `cmds` from index `i`: routable commands gather into one batch (one call per
   * shard); at a barrier the batch goes out and the rest waits. Returns undefined when the
   * frame ran without a barrier, else a promise of the rest.
   */
  private runFrom(cmds: string[][], i: number, frame: Frame): Promise<void> | undefined {
    // Live resharding: routed by a newer slot map than this connection's calls still out, a
    // command could reach a slot's new group before an earlier one refused at the old group
    // is re-sent there: the frame waits for those calls first (once per map change seen).
    if (this.pool.slots !== this.routedBy) {
      if (this.calls > 0) return this.idle().then(() => this.runFrom(cmds, i, frame));
      this.routedBy = this.pool.slots;
    }
    let pending: RoutedCommand[] | null = null;
    /** The pending batch's replies are dropped (CLIENT REPLY). */
    let pendingDropped = false;
    let monitorRefusal: Reply | null;
    for (; i < cmds.length; i++) {
      if (this.closing) break;
      const argv = cmds[i];
      const cmd = resolveCommand(argv);
      const spec = cmd.spec;
      // An HTTP request sent to a RESP port: close without a reply, running nothing more.
      // (POST and Host: are no commands, so a command found in the table needs no check.)
      if (spec === undefined && isCrossProtocolCommand(argv)) {
        this.abortCrossProtocol();
        frame.segments.length = 0;
        return undefined;
      }
      clientRegistry.noteCommand(this.id, cmd);
      if (this.authenticated) this.monitorFeed?.command(spec, argv, `0.0.0.0:${this.id}`);
      // Before AUTH only commands flagged no_auth run (HELLO, AUTH, QUIT, RESET).
      if (!this.authenticated && !spec?.flags.includes("no_auth")) {
        if (pending) pending = this.dispatch(pending, frame, pendingDropped);
        this.answer(frame, this.refused(cmd, preAuthError(cmd)));
      } else if (this.resp === 2 && this.subscribed && !hasRouterFlag(spec, "allowed-when-subscribed")) {
        if (pending) pending = this.dispatch(pending, frame, pendingDropped);
        this.answer(frame, this.refused(cmd, subscribedModeError(cmd)));
      } else if (this.subs?.monitoring && (monitorRefusal = monitorModeRefusal(cmd)) !== null) {
        if (pending) pending = this.dispatch(pending, frame, pendingDropped);
        this.answer(frame, this.refused(cmd, monitorRefusal));
      } else if (this.multi && !hasRouterFlag(spec, "runs-in-multi")) {
        if (pending) pending = this.dispatch(pending, frame, pendingDropped);
        this.answer(frame, this.enqueue(cmd));
      } else if (spec?.routing === "session" || spec?.flags.includes("blocking")) {
        if (pending) this.dispatch(pending, frame, pendingDropped);
        const blocking = spec.routing !== "session";
        const next = i + 1;
        return this.idle().then(async () => {
          if (blocking) {
            // The replies before it leave now; the connection then waits, as in Redis.
            if (frame.emit) for (const piece of await collect(frame.segments.splice(0))) frame.emit(piece);
            this.answer(frame, await this.runBlocking(cmd));
          } else {
            const reply = await this.runSessionCommand(cmd);
            // CLIENT REPLY OFF and SKIP answer nothing themselves (Redis adds no reply).
            this.answer(frame, reply, reply === OK && isQuietClientReply(cmd.argv));
          }
          return this.runFrom(cmds, next, frame);
        });
      } else {
        const dropped = this.replyDropped();
        if (pending && dropped !== pendingDropped) pending = this.dispatch(pending, frame, pendingDropped);
        (pending ??= []).push(cmd);
        pendingDropped = dropped;
      }
    }
    if (pending) this.dispatch(pending, frame, pendingDropped);
    return undefined;
  }

  /** A command's reply takes its place in the frame's output, unless CLIENT REPLY drops it. */
  private answer(frame: Frame, reply: Reply, quiet = false): void {
    if (this.replyDropped() || quiet) return;
    frame.segments.push(this.encode([reply]));
  }

  /**
   * Whether the reply of the command now finishing is dropped (CLIENT REPLY OFF, or SKIP
   * before it); a SKIP given by this command then applies to the next one.
   */
  private replyDropped(): boolean {
    if (!this.repliesOff && !this.skipThisReply && !this.skipNextReply) return false;
    const dropped = this.repliesOff || this.skipThisReply;
    this.skipThisReply = this.skipNextReply;
    this.skipNextReply = false;
    return dropped;
  }

  /** CLIENT REPLY ON|OFF|SKIP (SKIP while OFF changes nothing, as in Redis). */
  setReplyMode(mode: "on" | "off" | "skip"): void {
    if (mode === "on") this.repliesOff = this.skipThisReply = false;
    else if (mode === "off") this.repliesOff = true;
    else if (!this.repliesOff) this.skipNextReply = true;
  }

  /** Sends a batch to the shards now; its replies take their place in the frame's output (unless dropped: CLIENT REPLY). */
  private dispatch(batch: RoutedCommand[], frame: Frame, dropped = false): null {
    const resp = this.resp;
    const replies = routeBatch(this.pool, batch, { access: this.access, runLocal: this.runLocal, replicaReads: this.replicaReads, wrote: this.noteWrite });
    this.calls++;
    const settled = replies.then(
      (r) => {
        this.callDone();
        return encodePieces(r, resp);
      },
      (e: unknown) => {
        this.callDone();
        throw e;
      },
    );
    if (dropped) settled.catch(() => {});
    else frame.segments.push(settled);
    return null;
  }

  // --- replication: WAIT and READONLY (src/commands/replication.ts) -------------------------

  private readonly noteWrite = (shard: number): void => void this.written.add(shard);

  /** WAIT: the minimum over the shards written (every shard when none) of the replicas that acknowledged. */
  private async waitAcks(count: number, timeoutMs: number): Promise<number> {
    const pool = this.pool;
    if (!pool.waitAcks) return 0;
    const shards = this.written.size > 0 ? [...this.written] : Array.from({ length: pool.slots.shardCount }, (_, i) => i);
    const counts = await Promise.all(shards.map((s) => pool.waitAcks!(s, count, timeoutMs)));
    return Math.min(...counts);
  }

  private encode(replies: Reply[]): string[] {
    return encodePieces(replies, this.resp);
  }

  private callDone(): void {
    if (--this.calls > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Resolves once every batch sent so far has answered. */
  private idle(): Promise<void> {
    if (this.calls === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Redis's answer to POST / Host: (commands/connection.ts): log, drop the replies, close. */
  private abortCrossProtocol(): void {
    warnCrossProtocolAttack(Date.now());
    this.closing = true;
  }

  /** The connection closed: release any watches and any parked blocking command. */
  /**
   * The client half-closed (the multiplexed bridge's EOF): what it sent is still answered, but
   * Redis frees a client at the end of its input, so no blocking command parks it any more.
   * True when one is parked now: the transport then closes at once, which releases it.
   */
  endInput(): boolean {
    this.inputEnded = true;
    return this.blockedOn !== null;
  }

  async close(): Promise<void> {
    clientRegistry.unregister(this.id);
    this.closing = true;
    this.closed.abort();
    this.subs?.close();
    const blocked = this.blockedOn;
    this.blockedOn = null;
    if (blocked !== null) await this.pool.unblock(blocked, this.token);
    await this.unwatchAll();
  }

  // --- what the client registry reads (src/router/clients.ts) ----------------------------

  /**
   * CLIENT KILL from another connection: unlisted at once and its parked blocking command
   * released through the killer's own shard calls; its transport closes the socket, and
   * releases its watches, from its own request context at its next event (workerd forbids
   * touching another request's socket or stubs).
   */
  killed = false;
  /** Set by the transport: closes the socket now, from the killer's event (see kill). */
  onKilled: (() => void) | null = null;
  kill(release: ReleaseBlocked): void {
    this.killed = true;
    this.closing = true;
    clientRegistry.unregister(this.id);
    if (this.blockedOn !== null) void release(this.blockedOn, this.token);
    // Closed at once where the runtime lets the killer's event touch the victim's socket (a
    // gateway object: one I/O context for all its connections), so an idle or subscribed
    // client goes as in Redis, its subscriptions with it; else at its next event.
    try {
      this.onKilled?.();
    } catch (e) {
      console.warn("hotslot: CLIENT KILL closes the connection at its next event", e);
    }
  }

  get blocked(): boolean {
    return this.blockedOn !== null;
  }

  get multiQueued(): number {
    return this.multi ? this.multi.queue.length : -1;
  }

  /** CLIENT UNBLOCK: the shard releases the parked command with `reply` (default: its timeout reply). */
  async unblock(release: ReleaseBlocked, reply?: Reply): Promise<boolean> {
    if (this.blockedOn === null) return false;
    await release(this.blockedOn, this.token, reply);
    return true;
  }

  /**
   * A blocking command (BLPOP, …): sent alone, and the connection waits for its reply
   * before its next command, as in Redis.
   */
  private async runBlocking(cmd: RoutedCommand): Promise<Reply> {
    // Closed while it waited its turn, or the client's input ended: it must not park a
    // client nobody will release, or that has gone (it would take pushed data with it).
    if (this.closed.signal.aborted || this.inputEnded) return null;
    return routeBlocking(this.pool, cmd, this.access, this.token, Infinity, (shard) => (this.blockedOn = shard), this.closed.signal);
  }

  private readonly runLocal = (spec: CommandSpec, argv: string[]): Promise<Reply> => runRouterCommand(this.ctx, spec, argv);

  /** A command declared with routing `session`: its handler acts on this session. */
  private async runSessionCommand(cmd: RoutedCommand): Promise<Reply> {
    const checked = checkCommand(cmd, this.access);
    if (!isSpec(checked)) return this.refused(cmd, checked);
    return this.runLocal(checked, cmd.argv);
  }

  /**
   * A command refused before it ran. Redis answers a refused EXEC (wrong arity, before AUTH,
   * in RESP2 subscribed mode) as an aborted EXEC: the transaction and the watches are
   * discarded, and the error says why.
   */
  private refused(cmd: RoutedCommand, reply: Reply): Reply {
    if (cmd.spec?.name !== "exec" || !isError(reply)) return reply;
    this.multi = null;
    void this.unwatchAll().catch(() => {});
    // Redis's own refusals carry no "ERR " here (it formats them without a code).
    const why = reply.message.startsWith("ERR ") ? reply.message.slice(4) : reply.message;
    return error(`EXECABORT Transaction discarded because of: ${why}`);
  }

  // --- transactions (the TransactionControl of this session's RouterContext) ----------

  private enqueue(cmd: RoutedCommand): Reply {
    return this.multi!.add(cmd, this.access) ?? QUEUED;
  }

  private beginMulti(): Reply {
    if (this.multi) return error("ERR MULTI calls can not be nested");
    this.multi = new Transaction(this.pool.slots.shardCount);
    return OK;
  }

  private async discard(): Promise<Reply> {
    if (!this.multi) return error("ERR DISCARD without MULTI");
    this.multi = null;
    await this.unwatchAll();
    return OK;
  }

  private async exec(): Promise<Reply> {
    const tx = this.multi;
    if (!tx) return error("ERR EXEC without MULTI");
    this.multi = null;
    const watched = this.watched;
    this.watched = null;
    if (tx.failed) {
      if (watched) await this.pool.unwatch(this.pool.slots.shardOfSlot(watched.slot), watched.keys.map(([k]) => k));
      return error(ERR_EXECABORT);
    }
    // The shard releases the watches as it runs the transaction.
    this.executing = true;
    try {
      return await tx.exec(this.pool, this.runLocal, watched?.keys, watched?.slot);
    } finally {
      this.executing = false;
    }
  }

  private async watch(keys: string[]): Promise<Reply> {
    if (this.multi) return error("ERR WATCH inside MULTI is not allowed");
    const slot = this.watched?.slot ?? keySlot(keys[0]);
    if (keys.some((k) => keySlot(k) !== slot)) return error(ERR_CROSSSLOT);
    const shard = this.pool.slots.shardOfSlot(slot);
    let versions: WatchedKey[];
    try {
      versions = await this.pool.watch(shard, keys);
    } catch (e) {
      return shardUnavailable(shard, e);
    }
    this.watched ??= { slot, keys: [] };
    this.watched.keys.push(...versions);
    return OK;
  }

  /** UNWATCH: a failed call to the watches' shard is this command's error only. */
  private async unwatch(): Promise<Reply> {
    const shard = this.watched ? this.pool.slots.shardOfSlot(this.watched.slot) : -1;
    try {
      await this.unwatchAll();
    } catch (e) {
      return shardUnavailable(shard, e);
    }
    return OK;
  }

  private async unwatchAll(): Promise<void> {
    const w = this.watched;
    this.watched = null;
    if (w) await this.pool.unwatch(this.pool.slots.shardOfSlot(w.slot), w.keys.map(([k]) => k));
  }

  private reset(): void {
    this.multi = null;
    if (this.subs) void this.subs.reset();
    void this.unwatchAll();
    this.resp = 2;
    this.name = null;
    // As Redis's clearClientConnectionState: OFF and a pending SKIP end (RESET's own reply may still be skipped).
    this.repliesOff = this.skipNextReply = false;
    // Redis's RESET authenticates as the default user: here, whom the connection's own token
    // authenticated (a bridge client never sent AUTH), else nobody when a token is required.
    this.authenticated = this.connectionGrant !== null || !this.auth.required;
    this.access = this.auth.access(this.connectionGrant);
  }
}

/** CLIENT REPLY OFF or SKIP: Redis sends no reply for the command itself. */
function isQuietClientReply(argv: string[]): boolean {
  return argv.length === 3 && argv[0].toLowerCase() === "client" && argv[1].toLowerCase() === "reply" && argv[2].toLowerCase() !== "on";
}
