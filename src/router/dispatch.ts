/**
 * Routing a batch of commands (a pipeline) to the shards: each command, looked up once
 * where it entered the router (`resolveCommand`), is checked (arity, permission by its
 * declaration, CROSSSLOT), placed in its shard's batch — split per shard
 * for MGET/MSET/DEL/…, or sent to every shard for DBSIZE/KEYS/… (SCAN: to the group serving
 * its cursor's hash slot) — then every shard's
 * batch goes out as ONE call, all shards in parallel, and the replies are merged and put
 * back in request order. The shards are reached through `ShardPool`, so this runs in Node
 * tests against in-memory shards as well as in the Worker against Durable Objects.
 * Also the router's one way to run a router-side command and its one "shard unavailable".
 */
import { scanCursorOrReply } from "../commands/args";
import { mergeDebugReplies } from "../commands/debug";
import { CommandError, ERR_CROSSSLOT, ERR_PROTECTED, errNoPerm, errUnknownCommand, errWrongArity } from "../commands/errors";
import type { RouterContext, TopologySnapshot } from "../commands/router-context";
import { arityOk, commandKeys, hasRouterFlag, keyIndexes, lookupCommand, writeOrAdminSubcommand, writesOrAdministers, type CommandSpec } from "../commands/table";
import { error, isError, OK, type Reply } from "../protocol/reply";
import type { WatchedKey } from "../shard/core";
import { infoReply } from "./info";
import { keySlot, SLOTS } from "../util/keyslot";
import { decodeSlotCursor } from "../util/slot-cursor";
import type { Access } from "./auth";
import type { SlotMap } from "./slots";
import { followBlockingRedirect, followRedirects } from "./redirect";
import { isViewed, unwrapViews, viewArgv, viewRetryMs, VIEW_ATTEMPTS } from "./keyspace-view";
import { VIEW } from "../shard/keyspace-view";

/** The shards as the router sees them: one call per batch. */
export interface ShardPool {
  readonly slots: SlotMap;
  /**
   * `asking`: sent on by a shard's ASK (live resharding, src/router/redirect.ts). `resent`: a
   * refused command sent again by the redirect follower — ahead of the shard's queued calls,
   * its refusals left to the follower (src/router/channel.ts); a pool with channels follows
   * the refusals of other calls itself, holding the channel meanwhile, so its replies come
   * back final (routeBatch's own follow then finds nothing).
   */
  exec(shard: number, batch: string[][], asking?: boolean, resent?: boolean): Promise<Reply[]>;
  transaction(shard: number, batch: string[][], watched: WatchedKey[], asking?: boolean): Promise<Reply>;
  /** Live resharding: refetch the slot map (a shard answered MOVED); absent: the map never changes. */
  refreshSlots?(): Promise<void>;
  /** Live resharding: refetch the slot map if older than `maxAgeMs` (before keyspace-wide commands). */
  freshSlots?(maxAgeMs: number): Promise<void>;
  /** Live resharding: set when SHARDS was changed by hand; every shard command answers it. */
  readonly slotRefusal?: string | null;
  watch(shard: number, keys: string[]): Promise<WatchedKey[]>;
  unwatch(shard: number, keys: string[]): Promise<void>;
  /**
   * Runs a blocking command, waiting at most `maxWaitMs` (Infinity: as the command says).
   * `signal` aborted: its client has gone (the pool may stop renewing the wait).
   */
  block(shard: number, argv: string[], token: string, maxWaitMs: number, signal?: AbortSignal, asking?: boolean): Promise<Reply>;
  /** Releases a client parked by `block` (it disconnected, or CLIENT UNBLOCK: then with `reply`). */
  unblock(shard: number, token: string, reply?: Reply): Promise<void>;
  /** Failover: the groups and monitors now (SENTINEL); absent in pools without monitors. */
  topology?(): Promise<TopologySnapshot>;
  /** Replication: a read-only batch served by a replica of the group (falling back to its primary). */
  execReplica?(shard: number, batch: string[][]): Promise<Reply[]>;
  /** Replication: how many replicas acknowledged the group's current offset (WAIT). */
  waitAcks?(shard: number, count: number, timeoutMs: number): Promise<number>;
}

/** How old the slot map may be when a keyspace-wide command is routed (live resharding). */
// Live resharding: 0 — a scale-out can finish within any fixed age, and a keyspace-wide
// command on a stale map would miss the new groups' keys (one coordinator RPC per such command).
const FANOUT_MAP_MAX_AGE_MS = 0;

/** A command as it entered the router, its table entry looked up once (undefined: unknown). */
export interface RoutedCommand {
  readonly argv: string[];
  readonly spec: CommandSpec | undefined;
}

export function resolveCommand(argv: string[]): RoutedCommand {
  return { argv, spec: lookupCommand(argv[0]) };
}

/** Runs a router-side command (connection commands) for the session. */
export type LocalRunner = (spec: CommandSpec, argv: string[]) => Reply | Promise<Reply>;

export interface RouteOptions {
  /** What the caller's token allows. */
  access: Access;
  runLocal: LocalRunner;
  /** Replication: read-only shard batches go to replicas (READONLY, the HTTP opt-in). */
  replicaReads?: boolean;
  /** Replication: told of each shard a write command was sent to (for WAIT). */
  wrote?: (shard: number) => void;
}

/** A command that exists, with as many arguments as its arity allows: its spec, or the error. */
export function checkKnownWithArity({ argv, spec }: RoutedCommand): CommandSpec | Reply {
  if (!spec) return error(errUnknownCommand(argv[0], argv.slice(1)));
  if (!arityOk(spec, argv.length)) return error(errWrongArity(spec.name));
  return spec;
}

/** Checks a command before routing; returns an error reply, or the spec when it may run. */
export function checkCommand(cmd: RoutedCommand, access: Access): CommandSpec | Reply {
  const spec = checkKnownWithArity(cmd);
  if (!isSpec(spec)) return spec;
  if (spec.flags.includes("protected") && !access.debug) return error(ERR_PROTECTED(spec.name));
  if (access.readOnly && (writesOrAdministers(spec, cmd.argv) || hasRouterFlag(spec, "denied-to-readonly-token"))) {
    return error(errNoPerm(writeOrAdminSubcommand(spec, cmd.argv) ?? spec.name));
  }
  return spec;
}

export function isSpec(x: CommandSpec | Reply): x is CommandSpec {
  return x !== null && typeof x === "object" && !Array.isArray(x) && "routing" in x;
}

// --- errors the router answers ---------------------------------------------------------

/** A CommandError (a command refusing its input) as its error reply; anything else is rethrown. */
export function commandErrorReply(e: unknown): Reply {
  if (e instanceof CommandError) return error(e.reply);
  throw e;
}

/** Runs a router-side command's handler against `ctx`. */
export async function runRouterCommand(ctx: RouterContext, spec: CommandSpec, argv: string[]): Promise<Reply> {
  try {
    return await spec.runInRouter!(ctx, argv);
  } catch (e) {
    return commandErrorReply(e);
  }
}

/** What a command answers when the call to its shard failed. */
export function shardUnavailable(shard: number, e: unknown): Reply {
  return error(`ERR shard ${shard} unavailable: ${(e as Error).message}`);
}

/** The single slot all of a command's keys hash to, -1 when keyless, or an error. */
export function commandSlot(spec: CommandSpec, argv: string[]): number | Reply {
  let slot = -1;
  for (const key of commandKeys(spec, argv)) {
    const s = keySlot(key);
    if (slot === -1) slot = s;
    else if (s !== slot) return error(ERR_CROSSSLOT);
  }
  return slot;
}

/** A part of a command sent to one shard: where its reply will be in that shard's replies. */
interface Part {
  shard: number;
  index: number;
  /** For split-values: the positions in the merged reply that this part's values fill. */
  positions?: number[];
}

type Plan =
  | { kind: "reply"; reply: Reply | Promise<Reply> }
  | { kind: "shard"; part: Part }
  | { kind: "merge"; spec: CommandSpec; argv: string[]; parts: Part[]; size: number; viewEpoch?: number };

class BatchBuilder {
  readonly batches: string[][][];
  constructor(shards: number) {
    this.batches = Array.from({ length: shards }, () => []);
  }
  add(shard: number, argv: string[], positions?: number[]): Part {
    const index = this.batches[shard].push(argv) - 1;
    return { shard, index, positions };
  }
}

function planCommand(pool: ShardPool, b: BatchBuilder, spec: CommandSpec, argv: string[], runLocal: LocalRunner): Plan {
  const shards = pool.slots.shardCount;
  switch (spec.routing) {
    case "router":
    case "session":
      return { kind: "reply", reply: runLocal(spec, argv) };
    case "shard": {
      const slot = commandSlot(spec, argv);
      if (typeof slot !== "number") return { kind: "reply", reply: slot };
      const shard = slot < 0 ? 0 : pool.slots.shardOfSlot(slot);
      return { kind: "shard", part: b.add(shard, argv) };
    }
    case "split-sum":
    case "split-values":
    case "split-ok": {
      const idx = keyIndexes(spec, argv);
      const step = spec.keys?.step ?? 1;
      // Arguments that do not form whole key groups (MSET k v k): the command's own error
      // (MSET's and MSETNX's arity check), answered here — sent whole to one shard, keys of
      // other groups would be refused there before the handler could say it.
      if ((argv.length - 1) % step !== 0) return { kind: "reply", reply: error(errWrongArity(spec.name)) };
      const byShard = new Map<number, { argv: string[]; positions: number[] }>();
      idx.forEach((i, n) => {
        const shard = pool.slots.shardOfKey(argv[i]);
        let g = byShard.get(shard);
        if (!g) byShard.set(shard, (g = { argv: [argv[0]], positions: [] }));
        for (let j = 0; j < step; j++) g.argv.push(argv[i + j]);
        g.positions.push(n);
      });
      if (byShard.size === 1) {
        const [shard] = byShard.keys();
        return { kind: "shard", part: b.add(shard, argv) };
      }
      const parts = [...byShard].map(([shard, g]) => b.add(shard, g.argv, g.positions));
      return { kind: "merge", spec, argv, parts, size: idx.length };
    }
    case "fanout-scan": {
      // The cursor walks hash slots (src/engine/hash-slot-index.ts): the call goes to the group
      // serving its slot, which answers the next cursor itself. It is read first, as Redis
      // reads it; the shard then checks the options. Wrapped like DBSIZE while slots may move:
      // a source answers for a migrating slot whole, the keys it moved included.
      let cursor: bigint;
      try {
        cursor = scanCursorOrReply(argv[1]);
      } catch (e) {
        return { kind: "reply", reply: commandErrorReply(e) };
      }
      const shard = pool.slots.shardOfSlot(Math.min(decodeSlotCursor(cursor).slot, SLOTS - 1));
      return { kind: "shard", part: b.add(shard, pool.freshSlots !== undefined ? viewArgv(argv) : argv) };
    }
    default: {
      // Live resharding: DBSIZE / KEYS answered with each group's slot epoch (src/router/keyspace-view.ts).
      const viewed = pool.freshSlots !== undefined && isViewed(spec);
      const sent = viewed ? viewArgv(argv) : argv;
      const parts: Part[] = [];
      for (let s = 0; s < shards; s++) parts.push(b.add(s, sent));
      return viewed ? { kind: "merge", spec, argv, parts, size: 0, viewEpoch: pool.slots.epoch } : { kind: "merge", spec, argv, parts, size: 0 };
    }
  }
}

function mergeParts(plan: Extract<Plan, { kind: "merge" }>, results: Reply[][], shards: number, unwrapped?: Reply[]): Reply {
  const replies = unwrapped ?? plan.parts.map((p) => results[p.shard][p.index]);
  // DEBUG merges per subcommand, errors included (a shard without the key says so).
  if (plan.spec.routing === "fanout-debug") return mergeDebugReplies(plan.argv, replies);
  const failed = replies.find(isError);
  if (failed) return failed;
  switch (plan.spec.routing) {
    case "split-sum":
    case "fanout-sum":
      return replies.reduce<number>((sum, r) => sum + Number(r), 0);
    case "split-ok":
    case "fanout-ok":
      return OK;
    case "split-values": {
      const out: Reply[] = new Array(plan.size).fill(null);
      plan.parts.forEach((p, n) => {
        const values = replies[n] as Reply[];
        p.positions!.forEach((pos, j) => (out[pos] = values[j]));
      });
      return out;
    }
    case "fanout-concat":
      return (replies as Reply[][]).flat(1);
    case "fanout-random": {
      const found = replies.filter((r) => r !== null);
      return found.length ? found[Math.floor(Math.random() * found.length)] : null;
    }
    case "fanout-min":
      return replies.reduce((min, r) => (Number(r) < Number(min) ? r : min));
    case "fanout-first":
      return replies[0];
    case "fanout-and": {
      const first = replies[0];
      // Only SCRIPT EXISTS answers 1/0 per argument; any other array (SCRIPT HELP's lines)
      // is the same in every shard.
      if (!Array.isArray(first) || !first.every((r) => r === 0 || r === 1)) return first;
      return first.map((_, i) => (replies.every((r) => Array.isArray(r) && r[i] === 1) ? 1 : 0));
    }
    case "fanout-info":
      return infoReply(plan.argv, replies as string[]);
    default:
      throw new Error(`no merge for routing ${plan.spec.routing}`);
  }
}

/** Whether every command of a batch is a read. */
function readOnlyBatch(batch: string[][]): boolean {
  // A wrapped DBSIZE / KEYS / SCAN (src/router/keyspace-view.ts) is the command it wraps.
  return batch.every((argv) => lookupCommand(argv[0] === VIEW ? argv[1] : argv[0])?.flags.includes("readonly") === true);
}

/**
 * Whether a READONLY session's batch may go to a replica: every command a read, and none
 * a wrapped DBSIZE / KEYS / SCAN. Those are exact while slots move only from primaries:
 * replicas of different groups lag by different amounts, so a moved key could be counted
 * by a lagging replica of its source and by its target.
 */
function replicaMayServe(batch: string[][]): boolean {
  return readOnlyBatch(batch) && batch.every((argv) => !KEYSPACE_WIDE.has((argv[0] === VIEW ? argv[1] : argv[0]).toLowerCase()));
}

/** The commands whose answer spans every slot of a group (see replicaMayServe). */
const KEYSPACE_WIDE = new Set(["dbsize", "keys", "scan"]);

/** Calls every shard with a batch, in parallel; a failed call fails that shard's commands. */
async function sendBatches(pool: ShardPool, batches: string[][][], opts?: RouteOptions): Promise<Reply[][]> {
  // Live resharding: SHARDS changed by hand (src/router/slot-map-cache.ts).
  const refusal = pool.slotRefusal;
  if (refusal) return batches.map((batch) => batch.map(() => error(refusal)));
  return Promise.all(
    batches.map(async (batch, shard) => {
      if (batch.length === 0) return [];
      try {
        // Replication: a session's reads may go to a replica (READONLY); writes never.
        if (opts?.replicaReads && pool.execReplica && replicaMayServe(batch)) return await pool.execReplica(shard, batch);
        if (opts?.wrote && !readOnlyBatch(batch)) opts.wrote(shard);
        return await pool.exec(shard, batch);
      } catch (e) {
        const reply = shardUnavailable(shard, e);
        return batch.map(() => reply);
      }
    }),
  );
}

/**
 * A DBSIZE / KEYS merged from answers that fit together: asked again (the map fetched again
 * first) while a group answered at a slot epoch newer than the map (src/router/keyspace-view.ts).
 */
async function mergeView(pool: ShardPool, plan: Extract<Plan, { kind: "merge" }>, results: Reply[][], opts: RouteOptions, attempt: number): Promise<Reply> {
  const { replies, newer } = unwrapViews(plan.parts.map((p) => results[p.shard][p.index]), plan.viewEpoch!);
  if (!newer || attempt + 1 >= VIEW_ATTEMPTS) return mergeParts(plan, results, pool.slots.shardCount, replies);
  await new Promise((resolve) => setTimeout(resolve, viewRetryMs(attempt + 1)));
  return (await routeBatch(pool, [{ argv: plan.argv, spec: plan.spec }], opts, attempt + 1))[0];
}

/** Routes a pipeline; replies come back in request order (`attempt`: a DBSIZE / KEYS asked again, see mergeView). */
export async function routeBatch(pool: ShardPool, cmds: RoutedCommand[], opts: RouteOptions, attempt = 0): Promise<Reply[]> {
  // Live resharding: a keyspace-wide command reaches every group that may hold keys.
  if (pool.freshSlots && cmds.some((c) => c.spec?.routing.startsWith("fanout"))) await pool.freshSlots(FANOUT_MAP_MAX_AGE_MS);
  const b = new BatchBuilder(pool.slots.shardCount);
  const plans: Plan[] = cmds.map((cmd) => {
    const checked = checkCommand(cmd, opts.access);
    return isSpec(checked) ? planCommand(pool, b, checked, cmd.argv, opts.runLocal) : { kind: "reply", reply: checked };
  });
  const results = await sendBatches(pool, b.batches, opts);
  // Live resharding: MOVED / ASK are followed here, never returned.
  await followRedirects(pool, b.batches, results);
  const out: Reply[] = [];
  for (const plan of plans) {
    if (plan.kind === "reply") out.push(await plan.reply);
    else if (plan.kind === "shard") out.push(results[plan.part.shard][plan.part.index]);
    else if (plan.viewEpoch !== undefined) out.push(await mergeView(pool, plan, results, opts, attempt));
    else out.push(mergeParts(plan, results, pool.slots.shardCount));
  }
  return out;
}

/**
 * Routes one blocking command (BLPOP, …) to its shard, which may hold the call until the
 * command is served or its timeout (capped at `maxWaitMs`) passes.
 */
export async function routeBlocking(
  pool: ShardPool,
  cmd: RoutedCommand,
  access: Access,
  token: string,
  maxWaitMs: number,
  onShard?: (shard: number | null) => void,
  /** Aborted when the client has gone: the wait is not renewed (see ShardChannel.block). */
  signal?: AbortSignal,
): Promise<Reply> {
  const checked = checkCommand(cmd, access);
  if (!isSpec(checked)) return checked;
  const argv = cmd.argv;
  const slot = commandSlot(checked, argv);
  if (typeof slot !== "number") return slot;
  const shard = slot < 0 ? 0 : pool.slots.shardOfSlot(slot);
  onShard?.(shard);
  let on = shard;
  try {
    const first = await pool.block(shard, argv, token, maxWaitMs, signal);
    // Live resharding: the slot moved (or is moving) while the client was parked.
    return await followBlockingRedirect(pool, first, (to, asking) => {
      onShard?.((on = to));
      return pool.block(to, argv, token, maxWaitMs, signal, asking);
    });
  } catch (e) {
    return shardUnavailable(on, e);
  } finally {
    onShard?.(null);
  }
}
