/**
 * Value helpers for commands that duplicate a value (COPY). Strings are immutable JS
 * strings, so a copy can share them; collections change in place, so a copy must be a
 * deep copy, which each collection class provides.
 */
import type { Value } from "./keyspace";

/** A copy of `v` that is safe to store under another key. */
export function copyValue(v: Value): Value {
  return typeof v === "string" ? v : v.clone();
}
