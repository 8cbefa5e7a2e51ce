/**
 * OBJECT (Redis 7.0's object.c). ENCODING: the internal representation Redis would use
 * for a key's value, by Redis's own size thresholds, so tools and tests that inspect
 * encodings see what they would see on Redis. Collections report their own (each type
 * file knows its encoding); strings follow tryObjectEncoding. FREQ and IDLETIME: the
 * key's LFU counter or LRU idle time (src/engine/eviction.ts), each only under the
 * matching kind of maxmemory-policy. REFCOUNT: values are never shared here, except that
 * the answer for Redis's shared small integers is theirs. HELP.
 *
 * None of them counts as an access to the key (Redis looks it up with LOOKUP_NOTOUCH).
 */
import { idleMs, isLfu, lfuDecrAndReturn } from "../engine/eviction";
import type { Value } from "../engine/keyspace";
import type { EngineSettings } from "../engine/settings";
import { simple } from "../protocol/reply";
import { cstr } from "../util/binary";
import { parseInt64 } from "../util/numbers";
import { isSubcommand } from "./args";
import { CommandError, errUnknownSubcommand, errWrongArity } from "./errors";
import { defineCommand } from "./table";

/** Longest string Redis keeps as "embstr" (OBJ_ENCODING_EMBSTR_SIZE_LIMIT). */
const EMBSTR_SIZE_LIMIT = 44;

/**
 * A string's encoding as tryObjectEncoding leaves it after SET: "int" when it is an
 * integer string2l accepts (at most 20 bytes, canonical, within 64 bits), "embstr" up to
 * 44 bytes, else "raw". Strings carry no history here, so values Redis builds in place
 * (APPEND, SETRANGE give "raw"; INCRBYFLOAT gives "embstr") report what SET would give.
 */
function stringEncoding(s: string): string {
  if (s.length <= 20 && parseInt64(s) !== null) return "int";
  return s.length <= EMBSTR_SIZE_LIMIT ? "embstr" : "raw";
}

export function encodingOf(v: Value, settings: EngineSettings): string {
  return typeof v === "string" ? stringEncoding(v) : v.encoding(settings);
}

const HELP = [
  "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
  "ENCODING <key>",
  "    Return the kind of internal representation used in order to store the value",
  "    associated with a <key>.",
  "FREQ <key>",
  "    Return the access frequency index of the <key>. The returned integer is",
  "    proportional to the logarithm of the recent access frequency of the key.",
  "IDLETIME <key>",
  "    Return the idle time of the <key>, that is the approximated number of",
  "    seconds elapsed since the last access to the key.",
  "REFCOUNT <key>",
  "    Return the number of references of the value associated with the specified",
  "    <key>.",
  "HELP",
  "    Prints this help.",
];

const ERR_LFU_SELECTED =
  "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";
const ERR_LFU_NOT_SELECTED =
  "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.";

const KEYED = ["encoding", "freq", "idletime", "refcount"];

/** OBJ_SHARED_REFCOUNT: what REFCOUNT says of a shared object. */
const SHARED_REFCOUNT = 2147483647;

/**
 * Redis shares one object for each integer 0..9999 (OBJ_SHARED_INTEGERS) that SET and
 * friends store, unless maxmemory is set with an LRU or LFU policy (each key then needs
 * its own access clock). REFCOUNT reports such a value as shared.
 */
function isSharedInteger(v: string, settings: EngineSettings): boolean {
  if (v.length > 4 || !/^(0|[1-9]\d*)$/.test(v)) return false;
  const policy = settings.maxmemoryPolicy;
  return settings.maxmemory === 0 || !(policy.endsWith("-lru") || policy.endsWith("-lfu"));
}

defineCommand({
  name: "object",
  arity: -2,
  flags: [],
  group: "keyspace",
  // ENCODING, FREQ, IDLETIME and REFCOUNT name a key; HELP does not.
  getKeys: (argv) => (argv.length === 3 && KEYED.some((name) => isSubcommand(argv[1], name)) ? [2] : []),
  routing: "shard",
  subcommands: ["encoding", "freq", "help", "idletime", "refcount"],
  run(ctx, argv) {
    const sub = argv[1];
    if (isSubcommand(sub, "encoding")) {
      if (argv.length !== 3) throw new CommandError(errWrongArity("object|encoding"));
      // Not an access (Redis looks the key up with LOOKUP_NOTOUCH).
      const v = ctx.db.peek(argv[2]);
      return v === undefined ? null : encodingOf(v, ctx.db.settings);
    }
    if (isSubcommand(sub, "freq") || isSubcommand(sub, "idletime") || isSubcommand(sub, "refcount")) {
      const name = sub.toLowerCase();
      if (argv.length !== 3) throw new CommandError(errWrongArity(`object|${name}`));
      const v = ctx.db.peek(argv[2]);
      if (v === undefined) return null;
      if (name === "refcount") return typeof v === "string" && isSharedInteger(v, ctx.db.settings) ? SHARED_REFCOUNT : 1;
      const access = ctx.db.accessOf(argv[2])!;
      const lfu = isLfu(ctx.db.settings.maxmemoryPolicy);
      if (name === "idletime") {
        if (lfu) throw new CommandError(ERR_LFU_SELECTED);
        return Math.floor(idleMs(access, ctx.now) / 1000);
      }
      if (!lfu) throw new CommandError(ERR_LFU_NOT_SELECTED);
      return lfuDecrAndReturn(access, ctx.now, ctx.db.settings.lfuDecayTime);
    }
    if (isSubcommand(sub, "help")) {
      if (argv.length !== 2) throw new CommandError(errWrongArity("object|help"));
      return HELP.map(simple);
    }
    throw new CommandError(errUnknownSubcommand(cstr(sub), "object"));
  },
});
