/**
 * What a shard-side handler sees: the keyspace, the command's time, the limits, and the
 * way to say what is logged. By default a command that changed the keyspace (bumped
 * `db.dirty`) is logged as sent; a handler whose effect is random or time-relative calls
 * `propagate` with the deterministic form instead (EXPIRE → PEXPIREAT, SET EX → SET PXAT,
 * INCRBYFLOAT → SET), once per effect, as Redis's alsoPropagate. A handler that throws
 * after changing data is logged as the state it left its keys in (src/commands/execute.ts).
 *
 * Keyspace notifications: a handler announces each event with `ctx.db.notify(class, event,
 * key)` (src/engine/notify.ts), once per event and in Redis's order, after the change
 * (the keyspace adds `new`, `del` of an emptied collection, `expired`, `hexpired` and
 * `evicted` itself). The seam to Pub/Sub: `Executor.collect` (and `run`) hands over the
 * batch's `notifications` — (channel, message) pairs, `__keyspace@0__:<key>` → event and
 * `__keyevent@0__:<event>` → key — next to its effects; the shard passes them to the Pub/Sub
 * transport after the batch. They are never logged, and log replay produces none.
 */
import type { Keyspace, ScanRole } from "../engine/keyspace";
import type { Reply } from "../protocol/reply";
import type { ReplyBudget } from "./reply-budget";

export interface Limits {
  /** Largest string value a command may create (SETRANGE, APPEND, SET). */
  readonly maxValueBytes: number;
  /** Most elements one reply may hold (MAX_REPLY_ELEMENTS; default DEFAULT_MAX_REPLY_ELEMENTS). */
  readonly maxReplyElements?: number;
  /** Most payload bytes one reply, or one batch's replies, may hold (MAX_REPLY_BYTES). */
  readonly maxReplyBytes?: number;
}

/** Which shard an executor is, and which slots it owns (a shard's; null: every slot). */
export interface SlotOwner {
  readonly shard: number;
  /** The slot config's epoch (what a MOVED refusal carries). */
  readonly epoch: number;
  owns(slot: number): boolean;
  /** How SCAN in hash-slot order treats `slot` here (src/engine/keyspace.ts). */
  scanRole(slot: number): ScanRole;
}

export interface ExecContext {
  readonly db: Keyspace;
  /** Milliseconds since the epoch, fixed for the whole command (Redis caches it too). */
  readonly now: number;
  readonly limits: Limits;
  /**
   * What this command's reply may still hold (src/commands/reply-budget.ts): a handler
   * charges the elements and bytes it is about to produce, before building them, and the
   * budget throws `ERR reply too large` past MAX_REPLY_ELEMENTS / MAX_REPLY_BYTES.
   */
  readonly replyBudget: ReplyBudget;
  /** Log `argv` for this command instead of the command as sent. */
  propagate(argv: string[]): void;
  /**
   * True when a blocking command (BLPOP, …) may block: it then throws WouldBlock when
   * there is nothing to serve. False inside MULTI and over HTTP pipelines, where blocking
   * commands act as their non-blocking forms and reply with their timeout reply at once.
   */
  readonly mayBlock: boolean;
  /** The shard's snapshots and log, for SAVE, BGSAVE, LASTSAVE, INFO persistence, DEBUG RELOAD. */
  readonly persistence: Persistence;
  /** The shard's side of DEBUG SLEEP and DEBUG SET-ACTIVE-EXPIRE. */
  readonly debug: DebugControl;
  /** The shard's replication role, for INFO replication and ROLE (src/shard/replication.ts). */
  readonly replication: ReplicationView;
  /** Which slots this shard serves (null: a plain keyspace, every slot): SCAN walks hash slots by it. */
  readonly slotOwner: SlotOwner | null;
  /** True while the command runs for a script (redis.call): SCAN then walks this shard's own keys. */
  readonly inScript: boolean;
  /**
   * Runs a command a script calls (redis.call, src/commands/scripting.ts) with Redis's
   * checks for script calls; its effects are logged as its own, in the script's batch.
   */
  callFromScript(argv: string[], rules: ScriptCallRules): Reply;
}

/** What a running script may do (its shebang flags, EVAL_RO), for each command it calls. */
export interface ScriptCallRules {
  /** EVAL_RO / EVALSHA_RO or `no-writes`: write commands are refused. */
  readonly readOnly: boolean;
  /** `allow-oom`: denyoom commands run even when memory was over the limit. */
  readonly allowOom: boolean;
  /** `allow-cross-slot-keys` (and every script without a shebang, as in Redis). */
  readonly allowCrossSlot: boolean;
  /** The slot the script's keys hash to so far (-1: none yet); updated as keys are seen. */
  slot: number;
}

/** What DEBUG asks of the shard beyond its keyspace (acting after the current batch). */
export interface DebugControl {
  /** DEBUG SLEEP: hold every request for `ms` after this batch, as Redis blocks. */
  sleep(ms: number): void;
  /** DEBUG SET-ACTIVE-EXPIRE: turn the alarm's expiry of keys off or on. */
  setActiveExpire(on: boolean): void;
}

/** Without a shard around: nothing to hold, no alarm to stop. */
/** What INFO replication and ROLE read of the shard's replication (src/shard/replication.ts). */
export interface ReplicationView {
  /** INFO's "# Replication" section, header first. */
  infoSection(): string[];
  /** ROLE's reply. */
  role(): Reply;
}

/** A shard outside any replication group: a master with no replicas, as a lone redis-server. */
export const STANDALONE: ReplicationView = {
  infoSection: () => [
    "# Replication",
    "role:master",
    "connected_slaves:0",
    "master_failover_state:no-failover",
    "master_replid:0000000000000000000000000000000000000000",
    "master_replid2:0000000000000000000000000000000000000000",
    "master_repl_offset:0",
    "second_repl_offset:-1",
    "repl_backlog_active:0",
    "repl_backlog_size:1048576",
    "repl_backlog_first_byte_offset:0",
    "repl_backlog_histlen:0",
  ],
  role: () => ["master", 0, []],
};

export const NO_SHARD: DebugControl = {
  sleep() {},
  setActiveExpire() {},
};

/**
 * What a shard's persistence offers commands. The shard implements it
 * (src/shard/persistence.ts); a plain Executor (unit tests, tools) has MEMORY_ONLY. A
 * snapshot is taken between batches, when the log holds every effect before it, so SAVE,
 * BGSAVE and RELOAD requested by a command act right after the command's batch, before
 * its replies leave.
 */
export interface Persistence {
  /** SAVE: a snapshot of the whole keyspace at once (requests wait, as Redis's SAVE blocks). */
  save(): void;
  /**
   * BGSAVE / BGREWRITEAOF: a snapshot taken in slices between requests; with `schedule`,
   * queued behind one under way. Returns the status reply text; throws CommandError.
   */
  background(kind: "bgsave" | "bgrewriteaof", schedule: boolean): string;
  /** LASTSAVE: Unix time in seconds of the last successful snapshot. */
  lastSave(): number;
  /** INFO's "# Persistence" section, header first. */
  info(): string[];
  /** DEBUG RELOAD: snapshot, drop the keyspace from memory, load it back from storage. */
  reload(): void;
}

/** No storage at all: nothing is saved, and nothing needs to be. */
export const MEMORY_ONLY: Persistence = {
  save() {},
  background: (kind) => (kind === "bgsave" ? "Background saving started" : "Background append only file rewriting started"),
  lastSave: () => STARTED_AT,
  info: () => ["# Persistence", "loading:0", "async_loading:0", "rdb_changes_since_last_save:0", "rdb_bgsave_in_progress:0", `rdb_last_save_time:${STARTED_AT}`, "rdb_last_bgsave_status:ok", "aof_enabled:0"],
  reload() {},
};
const STARTED_AT = Math.floor(Date.now() / 1000);

/**
 * Thrown by a blocking command that has nothing to serve yet. The shard parks the client
 * on `keys` and runs the command again when one of them changes, or replies
 * `timeoutReply` after `timeoutMs` (0 = wait for ever).
 */
export class WouldBlock {
  constructor(
    readonly keys: string[],
    readonly timeoutMs: number,
    readonly timeoutReply: Reply,
  ) {}
}

/**
 * A blocking command with nothing to serve: blocks on `keys` (throws WouldBlock) where
 * it may, or replies `timeoutReply` at once (inside MULTI, in HTTP pipelines).
 */
export function blockOrReply(ctx: ExecContext, keys: string[], timeoutMs: number, timeoutReply: Reply): Reply {
  if (ctx.mayBlock) throw new WouldBlock(keys, timeoutMs, timeoutReply);
  return timeoutReply;
}
