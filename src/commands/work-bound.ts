/**
 * Bounded work: no single command may hold a shard past the Durable Object's CPU limit per
 * event (30 s by default; a command should take well under a second). Most commands do work
 * proportional to what they read or reply, which the memory limit and the reply bounds
 * (src/commands/reply-budget.ts) already bound. The few whose work grows faster — a key
 * repeated a million times in ZUNION/ZINTER/ZDIFF, SORT's n·log n comparisons with BY and
 * GET lookups — estimate it before they start and are refused past MAX_COMMAND_WORK with
 * `ERR <command> would take too long: …`.
 */
import { globMatch, GlobBudget, GlobTooCostly } from "../engine/glob";
import { CommandError } from "./errors";

/** Element visits (a lookup, a comparison, an insert) one command may make: well under a second. */
export const MAX_COMMAND_WORK = 20_000_000;

export function errTooMuchWork(name: string, work: number): string {
  return `ERR ${name.toUpperCase()} would take too long: about ${work} steps (the limit is ${MAX_COMMAND_WORK})`;
}

/** Throws when `work` (estimated element visits) is over MAX_COMMAND_WORK. */
export function boundWork(name: string, work: number): void {
  if (work > MAX_COMMAND_WORK) throw new CommandError(errTooMuchWork(name, Math.ceil(work)));
}

/**
 * Steps (bytes tried against a pattern) one command's glob matching may take, about a
 * second: KEYS over a million keys with an ordinary pattern takes a few tens of millions; a
 * pathological pattern over long strings would take far more.
 */
export const MAX_GLOB_STEPS = 50_000_000;

export const ERR_PATTERN_TOO_COSTLY = `ERR pattern matching would take too long (more than ${MAX_GLOB_STEPS} steps): use a simpler or shorter pattern`;

/** A matcher for one command's pattern (KEYS, SCAN, SSCAN, …), its work bounded by MAX_GLOB_STEPS. */
export function boundedMatcher(pattern: string, nocase = false): (s: string) => boolean {
  const budget = new GlobBudget(MAX_GLOB_STEPS);
  return (s) => {
    try {
      return globMatch(pattern, s, nocase, budget);
    } catch (e) {
      if (e instanceof GlobTooCostly) throw new CommandError(ERR_PATTERN_TOO_COSTLY);
      throw e;
    }
  };
}
