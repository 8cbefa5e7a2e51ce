/**
 * DUMP and RESTORE (Redis 7.0's cluster.c): a key's value as an RDB-serialized payload
 * (src/engine/rdb/), and back. Payloads interoperate with redis-server both ways.
 *
 * RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]: checks
 * in Redis's order (options, BUSYKEY, TTL, payload footer, payload body) and writes only
 * when all pass. A relative TTL is logged as absolute (the command rewritten with the
 * expiry time and ABSTTL, as Redis propagates it), so replay is deterministic. IDLETIME
 * (LRU policies) or FREQ (LFU policies) sets the restored key's access clock, as Redis's
 * objectSetLRUOrLFU does (src/engine/access-clock.ts).
 */
import { NOTIFY_GENERIC } from "../engine/notify";
import { RdbTooLarge, type DecodeBounds } from "../engine/rdb/bounds";
import { RdbCorrupt } from "../engine/rdb/bytes";
import { restoredAccess } from "../engine/access-clock";
import { createDumpPayload, parseDumpPayload, verifyDumpPayload } from "../engine/rdb/dump";
import { RdbUnsupported } from "../engine/rdb/object";
import { fromRdbValue, toRdbValue } from "../engine/rdb/values";
import { memoryLimit } from "../engine/settings";
import { OK, type Reply } from "../protocol/reply";
import { binaryToBytes, bytesToBinary } from "../util/binary";
import type { ExecContext } from "./context";
import { CommandError, ERR_OOM, ERR_STRING_TOO_LONG, ERR_SYNTAX } from "./errors";
import { int64OrReply, isOption } from "./args";
import { defineCommand, readsOneKey, writesOneKey } from "./table";

const ERR_BUSYKEY = "BUSYKEY Target key name already exists.";
const ERR_BAD_PAYLOAD = "ERR DUMP payload version or checksum are wrong";
const ERR_BAD_DATA = "ERR Bad data format";

// --- DUMP --------------------------------------------------------------------------

defineCommand({
  name: "dump",
  arity: 2,
  ...readsOneKey(),
  group: "keyspace",
  run: (ctx, argv) => {
    const v = ctx.db.get(argv[1]);
    if (v === undefined) return null;
    return bytesToBinary(createDumpPayload(toRdbValue(v, ctx.db.settings), ctx.db.settings));
  },
});

// --- RESTORE -----------------------------------------------------------------------

interface RestoreOptions {
  replace: boolean;
  absttl: boolean;
  /** IDLETIME seconds, or null. */
  idle: number | null;
  /** FREQ counter, or null. */
  freq: number | null;
}

/** restoreCommand's option loop: IDLETIME and FREQ exclude each other (syntax error). */
function parseRestoreOptions(argv: string[]): RestoreOptions {
  const opts: RestoreOptions = { replace: false, absttl: false, idle: null, freq: null };
  for (let j = 4; j < argv.length; j++) {
    const more = argv.length - j - 1;
    const a = argv[j];
    if (isOption(a, "replace")) {
      opts.replace = true;
    } else if (isOption(a, "absttl")) {
      opts.absttl = true;
    } else if (isOption(a, "idletime") && more >= 1 && opts.freq === null) {
      const idle = int64OrReply(argv[j + 1]);
      if (idle < 0n) throw new CommandError("ERR Invalid IDLETIME value, must be >= 0");
      opts.idle = Number(idle);
      j++;
    } else if (isOption(a, "freq") && more >= 1 && opts.idle === null) {
      const f = int64OrReply(argv[j + 1]);
      if (f < 0n || f > 255n) throw new CommandError("ERR Invalid FREQ value, must be >= 0 and <= 255");
      opts.freq = Number(f);
      j++;
    } else {
      throw new CommandError(ERR_SYNTAX);
    }
  }
  return opts;
}

/**
 * What decoding a payload may allocate: no string longer than MAX_VALUE_BYTES (as SET),
 * and no more in all than the shard has room for — its memory limit (never above the
 * platform's bound, src/engine/settings.ts), less what it holds when it cannot evict
 * (but for the value REPLACE frees). The payload is whole, so a count it cannot hold is
 * corruption.
 */
function restoreBounds(ctx: ExecContext, key: string, replace: boolean): DecodeBounds {
  const db = ctx.db;
  const limit = memoryLimit(db.settings);
  const held = db.usedMemory - (replace ? (db.memoryUsage(key) ?? 0) : 0);
  const room = db.settings.maxmemoryPolicy === "noeviction" ? Math.max(0, limit - held) : limit;
  return { maxStringBytes: ctx.limits.maxValueBytes, maxObjectBytes: room, complete: true };
}

function restore(ctx: ExecContext, argv: string[]): Reply {
  const db = ctx.db;
  const key = argv[1];
  const opts = parseRestoreOptions(argv);
  if (!opts.replace && db.has(key)) throw new CommandError(ERR_BUSYKEY);
  let ttl = int64OrReply(argv[2]);
  if (ttl < 0n) throw new CommandError("ERR Invalid TTL value, must be >= 0");

  const payload = binaryToBytes(argv[3]);
  if (!verifyDumpPayload(payload)) throw new CommandError(ERR_BAD_PAYLOAD);
  let value;
  try {
    value = fromRdbValue(parseDumpPayload(payload, db.settings, restoreBounds(ctx, key, opts.replace)), db.settings);
  } catch (e) {
    if (e instanceof RdbCorrupt) throw new CommandError(ERR_BAD_DATA);
    // Declared sizes over the bounds: refused before anything is allocated.
    if (e instanceof RdbTooLarge) throw new CommandError(e.limit === "string" ? ERR_STRING_TOO_LONG : ERR_OOM);
    if (e instanceof RdbUnsupported) throw new CommandError(`${ERR_BAD_DATA}: ${e.message}`);
    throw e;
  }

  const deleted = opts.replace && db.delete(key);
  if (ttl !== 0n && !opts.absttl) {
    // As Redis's signed 64-bit `ttl += now`: an overflow wraps negative (already expired).
    ttl = BigInt.asIntN(64, ttl + BigInt(ctx.now));
  }
  // An expiry already past: nothing is created (the key is gone, logged as DEL if it
  // existed). While replaying the log Redis creates the key anyway, as it loads.
  if (ttl !== 0n && ttl <= BigInt(ctx.now) && db.expireOnRead) {
    if (deleted) {
      db.notify(NOTIFY_GENERIC, "del", key);
      ctx.propagate(["DEL", key]);
    }
    return OK;
  }
  db.set(key, value);
  const access = restoredAccess(ctx.now, db.settings, opts.freq, opts.idle);
  if (access !== null) db.setAccess(key, access);
  if (ttl !== 0n) {
    db.setExpire(key, Number(ttl));
    if (!opts.absttl) {
      const logged = argv.slice();
      logged[2] = ttl.toString();
      logged.push("ABSTTL");
      ctx.propagate(logged);
    }
  }
  db.notify(NOTIFY_GENERIC, "restore", key);
  return OK;
}

defineCommand({
  name: "restore",
  arity: -4,
  ...writesOneKey("denyoom"),
  group: "keyspace",
  acl: ["dangerous"],
  run: restore,
});
