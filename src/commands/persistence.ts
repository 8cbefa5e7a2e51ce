/**
 * Persistence commands: SAVE, BGSAVE, BGREWRITEAOF and LASTSAVE (Redis 7.0's rdb.c and
 * aof.c), carried out by the shard's persistence (ctx.persistence, src/shard/persistence.ts).
 * In Hotslot a snapshot is both Redis's RDB save and its AOF rewrite: it is written to the
 * shard's storage and compacts the log. The router sends each to every shard.
 */
import { OK, simple } from "../protocol/reply";
import { CommandError, ERR_SYNTAX } from "./errors";
import { isOption } from "./args";
import { defineCommand } from "./table";

defineCommand({
  name: "save",
  arity: 1,
  flags: ["admin", "noscript", "no_multi"],
  group: "server",
  routing: "fanout-ok",
  run: (ctx) => {
    ctx.persistence.save();
    return OK;
  },
});

defineCommand({
  name: "bgsave",
  arity: -1,
  flags: ["admin", "noscript"],
  group: "server",
  routing: "fanout-first",
  run: (ctx, argv) => {
    let schedule = false;
    if (argv.length > 1) {
      if (argv.length === 2 && isOption(argv[1], "schedule")) schedule = true;
      else throw new CommandError(ERR_SYNTAX);
    }
    return simple(ctx.persistence.background("bgsave", schedule));
  },
});

defineCommand({
  name: "bgrewriteaof",
  arity: 1,
  flags: ["admin", "noscript"],
  group: "server",
  routing: "fanout-first",
  run: (ctx) => simple(ctx.persistence.background("bgrewriteaof", false)),
});

defineCommand({
  name: "lastsave",
  arity: 1,
  flags: ["loading", "stale", "fast"],
  group: "server",
  acl: ["admin", "dangerous"],
  routing: "fanout-min",
  run: (ctx) => ctx.persistence.lastSave(),
});
