/**
 * What a shard-side handler sees: the keyspace, the command's time, the limits, and the
 * way to say what is logged. By default a command that changed the keyspace (bumped
 * `db.dirty`) is logged as sent; a handler whose effect is random or time-relative calls
 * `propagate` with the deterministic form instead (EXPIRE → PEXPIREAT, SET EX → SET PXAT,
 * INCRBYFLOAT → SET), once per effect, as Redis's alsoPropagate.
 */
import type { Keyspace } from "../engine/keyspace";
import type { Reply } from "../protocol/reply";

export interface Limits {
  /** Largest string value a command may create (SETRANGE, APPEND, SET). */
  readonly maxValueBytes: number;
}

export interface ExecContext {
  readonly db: Keyspace;
  /** Milliseconds since the epoch, fixed for the whole command (Redis caches it too). */
  readonly now: number;
  readonly limits: Limits;
  /** Log `argv` for this command instead of the command as sent. */
  propagate(argv: string[]): void;
  /**
   * True when a blocking command (BLPOP, …) may block: it then throws WouldBlock when
   * there is nothing to serve. False inside MULTI and over HTTP pipelines, where blocking
   * commands act as their non-blocking forms and reply with their timeout reply at once.
   */
  readonly mayBlock: boolean;
}

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
