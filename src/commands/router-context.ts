/**
 * What a router-side handler (connection commands) sees: the connection's session and
 * the few router services those commands need. The router implements it; the command
 * modules only read and write through it, so they never touch Workers APIs.
 */
import type { Reply } from "../protocol/reply";

export interface Session {
  /** Unique per router isolate, increasing, like CLIENT ID. */
  readonly id: number;
  resp: 2 | 3;
  name: string | null;
  /** True once the connection may run commands (AUTH done, or no auth configured). */
  authenticated: boolean;
  /** Set by QUIT: the connection closes after this reply. */
  closing: boolean;
}

export interface RouterContext {
  readonly session: Session;
  /** Milliseconds since the epoch. */
  readonly now: number;
  /** Checks a password (and user, default "default"); on success marks the session. */
  authenticate(user: string, password: string): "ok" | "wrongpass" | "nopass";
  /** Forgets MULTI, WATCH and auth-independent state, as RESET does. */
  resetSession(): void;
  /** The number of primary shards. */
  readonly shardCount: number;
  /**
   * The connection's MULTI/EXEC and WATCH state, which the RESP session keeps; null over
   * HTTP, where a request holds no connection (transactions go to /multi-exec).
   */
  readonly transactions: TransactionControl | null;
}

/** MULTI, EXEC, DISCARD, WATCH and UNWATCH as the RESP session performs them. */
export interface TransactionControl {
  multi(): Reply;
  exec(): Promise<Reply>;
  discard(): Promise<Reply>;
  watch(keys: string[]): Promise<Reply>;
  unwatch(): Promise<Reply>;
}
