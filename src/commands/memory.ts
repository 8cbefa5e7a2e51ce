/**
 * MEMORY (Redis 7.0's object.c memoryCommand): USAGE, the bytes one key costs; STATS, a
 * minimal version of Redis's report; DOCTOR, MALLOC-STATS, PURGE and HELP. Sizes come
 * from the keyspace's accounting (src/engine/memory.ts), not from an allocator: USAGE
 * counts a key's name, value, TTL and index entries with the measured constants, exactly
 * (SAMPLES is accepted and validated, but nothing needs sampling: collections keep a
 * running count). The key-less subcommands describe the shard the router sends them to.
 */
import { double, map, OK, simple, verbatim, type Reply } from "../protocol/reply";
import { cstr } from "../util/binary";
import { isOption, isSubcommand, parseIntegerArg } from "./args";
import type { ExecContext } from "./context";
import { CommandError, ERR_SYNTAX, errUnknownSubcommand, errWrongArity } from "./errors";
import { defineCommand } from "./table";

const HELP = [
  "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "DOCTOR",
  "    Return memory problems reports.",
  "MALLOC-STATS",
  "    Return internal statistics report from the memory allocator.",
  "PURGE",
  "    Attempt to purge dirty pages for reclamation by the allocator.",
  "STATS",
  "    Return information about the memory usage of the server.",
  "USAGE <key> [SAMPLES <count>]",
  "    Return memory in bytes used by <key> and its value. Nested values are",
  "    sampled up to <count> times (default: 5, 0 means sample all).",
  "HELP",
  "    Prints this help.",
];

/** Redis's doctor gives up below 5 MB allocated; above, it has nothing to report here. */
const DOCTOR_EMPTY =
  "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.";
const DOCTOR_OK = "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.";

/** MEMORY USAGE key [SAMPLES count]: options are checked before the key is looked up. */
function usage(ctx: ExecContext, argv: string[]): Reply {
  for (let j = 3; j < argv.length; j++) {
    if (isOption(argv[j], "samples") && j + 1 < argv.length) {
      if (parseIntegerArg(argv[j + 1]) < 0) throw new CommandError(ERR_SYNTAX);
      j++;
    } else {
      throw new CommandError(ERR_SYNTAX);
    }
  }
  return ctx.db.memoryUsage(argv[2]) ?? null;
}

/** The fields of Redis's MEMORY STATS that mean something for an accounted keyspace. */
function stats(ctx: ExecContext): Reply {
  const used = ctx.db.usedMemory;
  const keys = ctx.db.size;
  return map([
    "peak.allocated", ctx.db.peakMemory,
    "total.allocated", used,
    "startup.allocated", 0,
    "overhead.total", 0,
    "keys.count", keys,
    "keys.bytes-per-key", keys ? Math.floor(used / keys) : 0,
    "dataset.bytes", used,
    "dataset.percentage", double(used ? 100 : 0),
    "peak.percentage", double(ctx.db.peakMemory ? (used * 100) / ctx.db.peakMemory : 0),
  ]);
}

function expectArity(argv: string[], n: number, name: string): void {
  if (argv.length !== n) throw new CommandError(errWrongArity(`memory|${name}`));
}

defineCommand({
  name: "memory",
  arity: -2,
  flags: [],
  group: "server",
  // Only MEMORY USAGE <key> names a key.
  getKeys: (argv) => (argv.length >= 3 && isSubcommand(argv[1], "usage") ? [2] : []),
  routing: "shard",
  subcommands: ["doctor", "help", "malloc-stats", "purge", "stats", "usage"],
  run(ctx, argv) {
    const sub = argv[1];
    if (isSubcommand(sub, "usage")) {
      if (argv.length < 3) throw new CommandError(errWrongArity("memory|usage"));
      return usage(ctx, argv);
    }
    if (isSubcommand(sub, "stats")) {
      expectArity(argv, 2, "stats");
      return stats(ctx);
    }
    if (isSubcommand(sub, "doctor")) {
      expectArity(argv, 2, "doctor");
      // A verbatim string, as Redis's (RESP3 `=`; a bulk string in RESP2).
      return verbatim(ctx.db.usedMemory < 5 * 1024 * 1024 ? DOCTOR_EMPTY : DOCTOR_OK);
    }
    if (isSubcommand(sub, "malloc-stats")) {
      expectArity(argv, 2, "malloc-stats");
      return "Stats not supported for the current allocator";
    }
    if (isSubcommand(sub, "purge")) {
      expectArity(argv, 2, "purge");
      return OK;
    }
    if (isSubcommand(sub, "help")) {
      expectArity(argv, 2, "help");
      return HELP.map(simple);
    }
    throw new CommandError(errUnknownSubcommand(cstr(sub), "memory"));
  },
});
