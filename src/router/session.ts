/**
 * A RESP connection's session (WebSocket, or TCP through the bridge): authentication,
 * protocol version, client name, the MULTI queue and WATCHed keys. It takes the commands
 * of one read, looks each up once, routes runs of them as one batch (one call per shard),
 * and stops at commands declared with routing `session` (AUTH, HELLO, MULTI, …) so each
 * command sees the session as it was when it was sent. Inside MULTI only commands flagged
 * `runs-in-multi` act at once; the rest are queued. Replies are encoded in the RESP
 * version current when each was produced.
 */
import { isCrossProtocolCommand, warnCrossProtocolAttack } from "../commands/connection";
import { ERR_CROSSSLOT, ERR_EXECABORT, ERR_NOAUTH } from "../commands/errors";
import type { RouterContext, Session } from "../commands/router-context";
import { hasRouterFlag, type CommandSpec } from "../commands/table";
import { encodeRepliesBinary } from "../protocol/resp";
import { error, OK, QUEUED, type Reply } from "../protocol/reply";
import type { WatchedKey } from "../shard/core";
import { keySlot } from "../util/keyslot";
import type { Access, Authenticator, Grant } from "./auth";
import {
  checkCommand,
  checkKnownWithArity,
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
import { clientRegistry, type ClientConnection } from "./clients";

let nextClientId = 1;

export class RespSession implements Session, ClientConnection {
  readonly id = nextClientId++;
  resp: 2 | 3 = 2;
  name: string | null = null;
  authenticated: boolean;
  /** What this connection's token (or AUTH) allows. */
  private access: Access;
  closing = false;

  private multi: Transaction | null = null;
  /** Names this connection to shards that park it on a blocking command. */
  private readonly token = crypto.randomUUID();
  /** The shard this connection is parked on, if any. */
  private blockedOn: number | null = null;
  private watched: { slot: number; keys: WatchedKey[] } | null = null;
  private readonly ctx: RouterContext;

  constructor(
    private readonly pool: ShardPool,
    private readonly auth: Authenticator,
    grant: Grant | null,
  ) {
    this.authenticated = grant !== null || !auth.required;
    this.access = auth.access(grant);
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
      transactions: {
        multi: () => this.beginMulti(),
        exec: () => this.exec(),
        discard: () => this.discard(),
        watch: (keys) => this.watch(keys),
        unwatch: () => this.unwatch(),
      },
    };
  }

  /**
   * Handles the commands of one read; returns the replies as one RESP binary string.
   * Replies ready before a blocking command are handed to `emit` first, so they are not
   * held back while it waits (as Redis sends them at once).
   */
  async handle(cmds: string[][], emit?: (out: string) => void): Promise<string> {
    let out = "";
    let pending: RoutedCommand[] = [];
    const flush = async () => {
      if (pending.length === 0) return;
      const replies = await routeBatch(this.pool, pending, { access: this.access, runLocal: this.runLocal });
      out += encodeRepliesBinary(replies, this.resp);
      pending = [];
    };
    const send = (r: Reply) => (out += encodeRepliesBinary([r], this.resp));
    for (const argv of cmds) {
      if (this.closing) break;
      // An HTTP request sent to a RESP port: close without a reply, running nothing more.
      if (isCrossProtocolCommand(argv)) return this.abortCrossProtocol();
      const cmd = resolveCommand(argv);
      const spec = cmd.spec;
      clientRegistry.noteCommand(this.id, cmd);
      // Before AUTH only commands flagged no_auth run (HELLO, AUTH, QUIT, RESET).
      if (!this.authenticated && !spec?.flags.includes("no_auth")) {
        await flush();
        send(preAuthError(cmd));
      } else if (this.multi && !hasRouterFlag(spec, "runs-in-multi")) {
        send(this.enqueue(cmd));
      } else if (spec?.routing === "session") {
        await flush();
        send(await this.runSessionCommand(cmd));
      } else if (spec?.flags.includes("blocking")) {
        await flush();
        if (emit && out) {
          emit(out);
          out = "";
        }
        send(await this.runBlocking(cmd));
      } else {
        pending.push(cmd);
      }
    }
    await flush();
    return out;
  }

  /** Redis's answer to POST / Host: (commands/connection.ts): log, drop the replies, close. */
  private abortCrossProtocol(): string {
    warnCrossProtocolAttack(Date.now());
    this.closing = true;
    return "";
  }

  /** The connection closed: release any watches and any parked blocking command. */
  async close(): Promise<void> {
    clientRegistry.unregister(this.id);
    this.closing = true;
    const blocked = this.blockedOn;
    this.blockedOn = null;
    if (blocked !== null) await this.pool.unblock(blocked, this.token);
    await this.unwatchAll();
  }

  // --- what the client registry reads (src/router/clients.ts) ----------------------------

  /**
   * CLIENT KILL from another connection: unlisted and its blocked command released at once;
   * its transport closes the socket from its own request context at its next event (workerd
   * forbids touching another request's socket).
   */
  killed = false;
  kill(): void {
    this.killed = true;
    void this.close();
  }

  get blocked(): boolean {
    return this.blockedOn !== null;
  }

  get multiQueued(): number {
    return this.multi ? this.multi.queue.length : -1;
  }

  /** CLIENT UNBLOCK: the shard releases the parked command with `reply` (default: its timeout reply). */
  async unblock(reply?: Reply): Promise<boolean> {
    if (this.blockedOn === null) return false;
    await this.pool.unblock(this.blockedOn, this.token, reply);
    return true;
  }

  /**
   * A blocking command (BLPOP, …): sent alone, and the connection waits for its reply
   * before its next command, as in Redis.
   */
  private runBlocking(cmd: RoutedCommand): Promise<Reply> {
    return routeBlocking(this.pool, cmd, this.access, this.token, Infinity, (shard) => (this.blockedOn = shard));
  }

  private readonly runLocal = (spec: CommandSpec, argv: string[]): Promise<Reply> => runRouterCommand(this.ctx, spec, argv);

  /** A command declared with routing `session`: its handler acts on this session. */
  private async runSessionCommand(cmd: RoutedCommand): Promise<Reply> {
    const checked = checkCommand(cmd, this.access);
    if (!isSpec(checked)) return checked;
    return this.runLocal(checked, cmd.argv);
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
    return tx.exec(this.pool, this.runLocal, watched?.keys, watched?.slot);
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
    void this.unwatchAll();
    this.resp = 2;
    this.name = null;
    this.authenticated = !this.auth.required;
    this.access = this.auth.access(null);
  }
}

/** Before AUTH: unknown commands and bad arity are reported as such, the rest NOAUTH. */
function preAuthError(cmd: RoutedCommand): Reply {
  const spec = checkKnownWithArity(cmd);
  return isSpec(spec) ? error(ERR_NOAUTH) : spec;
}
