/**
 * What the unit tests of the command modules share: the error replies many commands send,
 * written out in redis-server 7.0's words (not imported from src, so a changed text in src
 * fails the tests), and an engine to drive — a Keyspace, an Executor over it whose clock the
 * test holds, and shorthands to run one command and to see what it logged.
 */
import type { Limits } from "../../src/commands/context";
import { Executor } from "../../src/commands/execute";
import { Keyspace } from "../../src/engine/keyspace";
import { error, type Reply } from "../../src/protocol/reply";

/** The time every engine starts at (ms since the epoch). */
export const T0 = 1_700_000_000_000;

export const WRONGTYPE = error("WRONGTYPE Operation against a key holding the wrong kind of value");
export const NOT_INTEGER = error("ERR value is not an integer or out of range");
export const NOT_FLOAT = error("ERR value is not a valid float");
export const NOT_POSITIVE = error("ERR value is out of range, must be positive");
export const SYNTAX = error("ERR syntax error");
export const OVERFLOW = error("ERR increment or decrement would overflow");
export const INVALID_CURSOR = error("ERR invalid cursor");
/** SRANDMEMBER, ZRANDMEMBER and HRANDFIELD refuse LONG_MIN as a count. */
export const COUNT_RANGE = error("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807");
/** The wrong-arity error of command `name` (lowercase, as Redis prints it). */
export const arity = (name: string) => error(`ERR wrong number of arguments for '${name}' command`);

export interface Engine {
  db: Keyspace;
  ex: Executor;
  /** The executor's clock: starts at T0, moves only when the test sets `now`. */
  clock: { now: number };
  /** Runs one command; its reply. */
  run(...argv: string[]): Reply;
  /** Runs one command; what it logged. */
  logged(...argv: string[]): string[][];
  /** OBJECT ENCODING of `key`. */
  encoding(key: string): Reply;
}

/** A fresh, empty keyspace and an executor over it (default limits unless given). */
export function engine(limits?: Limits): Engine {
  const clock = { now: T0 };
  const db = new Keyspace();
  const ex = new Executor(db, limits, () => clock.now);
  return {
    db,
    ex,
    clock,
    run: (...argv) => ex.runOne(argv),
    logged: (...argv) => ex.run([argv]).effects,
    encoding: (key) => ex.runOne(["OBJECT", "ENCODING", key]),
  };
}
