/**
 * Which sections INFO's arguments ask for, shared by the shard's INFO (src/commands/server.ts,
 * the sections a shard writes) and the router's (src/router/info.ts, which adds its own and
 * merges the shards'), so both read the arguments the same way. Pure: no commands here.
 */
import { cstr } from "../util/binary";

/** INFO's default sections, in the order INFO prints them (Redis 7.0). */
export const DEFAULT_INFO_SECTIONS: readonly string[] = [
  "server",
  "clients",
  "memory",
  "persistence",
  "stats",
  "replication",
  "cpu",
  "modules",
  "errorstats",
  "cluster",
  "keyspace",
];

/**
 * The section names INFO's arguments ask for, as Redis 7.0's genInfoSectionDict reads them:
 * none or "default" means the default sections, "all"/"everything" every one ("all"), any
 * other word a section name, compared lowercased and, as C strings are, only up to a NUL.
 */
export function wantedInfoSections(args: readonly string[]): ReadonlySet<string> | "all" {
  const words = args.map((a) => cstr(a).toLowerCase());
  if (words.length === 0 || words.includes("default")) return new Set(DEFAULT_INFO_SECTIONS);
  if (words.includes("all") || words.includes("everything")) return "all";
  return new Set(words);
}
