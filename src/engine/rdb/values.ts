/**
 * The bridge between the engine's values and RdbValue: what a key holds, as the RDB codec
 * writes it (with the encoding Redis would use), and back. Collections are read and built
 * only through each type's public API (src/engine/list.ts, hash.ts, set.ts, zset.ts).
 */
import { HashValue } from "../hash";
import type { Value } from "../keyspace";
import { ListValue } from "../list";
import { RedisSet } from "../set";
import type { EngineSettings } from "../settings";
import { SortedSet } from "../zset";
import type { RdbValue } from "./object";

/** The RDB form of a value. */
export function toRdbValue(v: Value, settings: EngineSettings): RdbValue {
  if (typeof v === "string") return { type: "string", value: v };
  switch (v.type) {
    case "list":
      return { type: "list", items: [...(v as ListValue).values()] };
    case "hash": {
      const h = v as HashValue;
      return { type: "hash", entries: [...h.entries()], listpack: h.isListpack };
    }
    case "set": {
      const s = v as RedisSet;
      return { type: "set", members: s.members(), intset: s.encoding(settings) === "intset" };
    }
    case "zset": {
      const z = v as SortedSet;
      const entries: [string, number][] = [];
      z.forEachInRange({ from: 0, to: z.size - 1 }, false, (m, score) => entries.push([m, score]));
      return { type: "zset", entries, listpack: z.isListpack };
    }
  }
}

/**
 * A new engine value holding what `v` holds. Each collection is built as its commands
 * would build it, so it takes the encoding Redis gives a loaded value (the thresholds
 * in `settings` decide, as in rdbLoadObject).
 */
export function fromRdbValue(v: RdbValue, settings: EngineSettings): Value {
  switch (v.type) {
    case "string":
      return v.value;
    case "list":
      return new ListValue(v.items);
    case "hash": {
      // A packed payload stays packed whatever its value lengths (only its size is
      // checked when loading); anything else converts as HSET would.
      const s = v.listpack ? { ...settings, hashMaxListpackValue: Number.MAX_SAFE_INTEGER } : settings;
      const h = new HashValue();
      for (const [f, val] of v.entries) h.set(f, val, s);
      return h;
    }
    case "set": {
      const s = RedisSet.empty();
      for (const m of v.members) s.add(m, settings);
      return s;
    }
    case "zset":
      return SortedSet.fromSorted(
        v.entries.map((e) => e[0]),
        v.entries.map((e) => e[1]),
        v.listpack ? { ...settings, zsetMaxListpackValue: Number.MAX_SAFE_INTEGER } : settings,
      );
  }
}
