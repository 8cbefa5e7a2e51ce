/**
 * SCAN's MATCH and TYPE filters, applied to the keys a step took (so a call may return none
 * but a live cursor, as in Redis) — by the shard answering a SCAN, and by a migration target
 * answering its part of a page (src/shard/keyspace-view.ts).
 */
import { typeOf, type Keyspace } from "../engine/keyspace";
import { boundedMatcher } from "./work-bound";

export function scanFilter(ctx: { readonly db: Keyspace }, keys: string[], pattern: string | null, type: string | null): string[] {
  if (pattern === null && type === null) return keys;
  const matches = pattern === null ? null : boundedMatcher(pattern);
  const out: string[] = [];
  for (const key of keys) {
    if (matches !== null && !matches(key)) continue;
    if (type !== null) {
      const v = ctx.db.peek(key);
      if (v === undefined || typeOf(v) !== type) continue;
    }
    out.push(key);
  }
  return out;
}
