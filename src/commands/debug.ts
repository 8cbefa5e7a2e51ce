/**
 * DEBUG (Redis 7.0's debug.c), the subcommands that make sense here: RELOAD, DIGEST,
 * DIGEST-VALUE, OBJECT, SLEEP, SET-ACTIVE-EXPIRE and HELP. Refused with Redis's error
 * unless the deployment enables it (ENABLE_DEBUG_COMMAND=yes, as Redis's
 * enable-debug-command).
 *
 * The router sends DEBUG to every shard and merges with `mergeDebugReplies`: DIGEST
 * combines the shards' digests into the cluster's (src/engine/digest.ts), DIGEST-VALUE
 * xors each key's answer (only its owner's is not zeros), OBJECT takes the owner's
 * answer, and the rest reply OK once every shard has done it (RELOAD reloads each shard).
 */
import { datasetDigest, digestHex, hexDigest, mergeDatasetDigests, valueDigest, zeroDigest } from "../engine/digest";
import { idleMs } from "../engine/eviction";
import type { ListValue } from "../engine/list";
import { ByteWriter } from "../engine/rdb/bytes";
import { encodeListpack } from "../engine/rdb/listpack";
import { quicklistNodes, writeObjectBody } from "../engine/rdb/object";
import { toRdbValue } from "../engine/rdb/values";
import { isError, OK, simple, type Reply } from "../protocol/reply";
import { cstr } from "../util/binary";
import { isOption } from "./args";
import type { ExecContext } from "./context";
import { CommandError, ERR_NO_SUCH_KEY } from "./errors";
import { encodingOf } from "./object";
import { defineCommand } from "./table";

const HELP = [
  "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "DIGEST",
  "    Output a hex signature representing the current DB content.",
  "DIGEST-VALUE <key> [<key> ...]",
  "    Output a hex signature of the values of all the specified keys.",
  "OBJECT <key>",
  "    Show low level info about the `key` and associated value.",
  "RELOAD [option ...]",
  "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
  "    * MERGE: Merge the content of the RDB instead of flushing the current data.",
  "    * NOFLUSH: Do not empty the current database before loading the RDB.",
  "    * NOSAVE: the database will be loaded from an existing RDB file.",
  "SET-ACTIVE-EXPIRE <0|1>",
  "    Setting it to 0 disables expiring keys in background when they are not accessed (otherwise the Redis behavior). Setting it to 1 reenables back the default.",
  "SLEEP <seconds>",
  "    Stop the server for <seconds>. Decimals allowed.",
  "HELP",
  "    Print this help.",
];

function unknown(sub: string): CommandError {
  return new CommandError(`ERR unknown subcommand or wrong number of arguments for '${cstr(sub).slice(0, 128)}'. Try DEBUG HELP.`);
}

/** C's atof: the longest leading decimal number, 0 when there is none. */
function atof(s: string): number {
  const m = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(s);
  return m ? Number(m[0]) : 0;
}

/** C's atoi. */
function atoi(s: string): number {
  const m = /^\s*[+-]?\d+/.exec(s);
  return m ? Number(m[0]) : 0;
}

/** A stable stand-in for the object's address, so the reply has Redis's shape. */
function address(key: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return `0x7f${(h >>> 0).toString(16).padStart(8, "0")}`;
}

/** DEBUG OBJECT's line, as debug.c prints it. */
function objectLine(ctx: ExecContext, key: string): string {
  const db = ctx.db;
  const saved = db.expireOnRead;
  db.expireOnRead = false; // debug.c looks the key up without expiring it
  const v = db.peek(key);
  db.expireOnRead = saved;
  if (v === undefined) throw new CommandError(ERR_NO_SUCH_KEY);
  const settings = db.settings;
  const w = new ByteWriter();
  const rdb = toRdbValue(v, settings);
  writeObjectBody(w, rdb, settings);
  const access = db.accessOf(key) ?? 0;
  let line =
    `Value at:${address(key)} refcount:1 encoding:${encodingOf(v, settings)} serializedlength:${w.length} ` +
    `lru:${access} lru_seconds_idle:${Math.floor(idleMs(access, ctx.now) / 1000)}`;
  if (typeof v !== "string" && v.type === "list") {
    const items = [...(v as ListValue).values()];
    const nodes = quicklistNodes(items, settings.listMaxListpackSize);
    const bytes = nodes.reduce((n, node) => n + encodeListpack(node).length, 0);
    line +=
      ` ql_nodes:${nodes.length} ql_avg_node:${(items.length / Math.max(1, nodes.length)).toFixed(2)}` +
      ` ql_listpack_max:${settings.listMaxListpackSize} ql_compressed:${settings.listCompressDepth !== 0 ? 1 : 0}` +
      ` ql_uncompressed_size:${bytes}`;
  }
  return line;
}

defineCommand({
  name: "debug",
  arity: -2,
  // Protected: the router refuses it unless the admin token or ENABLE_DEBUG_COMMAND allows it.
  flags: ["admin", "noscript", "loading", "stale", "protected"],
  group: "server",
  routing: "fanout-debug",
  subcommands: ["digest", "digest-value", "object", "reload", "set-active-expire", "sleep", "help"],
  run: (ctx, argv) => {
    const sub = argv[1];
    const n = argv.length;
    if (isOption(sub, "help") && n === 2) return HELP.map(simple);
    if (isOption(sub, "reload")) {
      for (let i = 2; i < n; i++) {
        if (!["merge", "noflush", "nosave"].some((o) => isOption(argv[i], o))) {
          throw new CommandError("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.");
        }
      }
      // Whatever the options, reloading brings back exactly what is held: one database,
      // its snapshot and log always current.
      ctx.persistence.reload();
      return OK;
    }
    if (isOption(sub, "digest") && n === 2) return simple(digestHex(datasetDigest(ctx.db)));
    if (isOption(sub, "digest-value") && n >= 2) return argv.slice(2).map((k) => simple(digestHex(valueDigest(ctx.db, k))));
    if (isOption(sub, "object") && n === 3) return simple(objectLine(ctx, argv[2]));
    if (isOption(sub, "sleep") && n === 3) {
      ctx.debug.sleep(Math.max(0, atof(argv[2])) * 1000);
      return OK;
    }
    if (isOption(sub, "set-active-expire") && n === 3) {
      ctx.debug.setActiveExpire(atoi(argv[2]) !== 0);
      return OK;
    }
    throw unknown(sub);
  },
});

/** The router's merge of DEBUG's replies from every shard (see the header). */
export function mergeDebugReplies(argv: string[], replies: Reply[]): Reply {
  const failed = replies.find(isError);
  const sub = argv[1] ?? "";
  if (isOption(sub, "object")) return replies.find((r) => !isError(r)) ?? failed ?? null;
  if (failed) return failed;
  const text = (r: Reply) => (r !== null && typeof r === "object" && !Array.isArray(r) && r.kind === "simple" ? r.value : null);
  if (isOption(sub, "digest") && argv.length === 2) {
    return simple(mergeDatasetDigests(replies.map((r) => text(r) ?? "")));
  }
  if (isOption(sub, "digest-value") && replies.every(Array.isArray)) {
    const lists = replies as Reply[][];
    return lists[0].map((_, i) => {
      const d = zeroDigest();
      for (const list of lists) {
        const h = hexDigest(text(list[i]) ?? "");
        for (let j = 0; j < 20; j++) d[j] ^= h[j];
      }
      return simple(digestHex(d));
    });
  }
  return replies[0];
}
