/**
 * How the differential tests judge set and sorted-set replies that are Redis's own choice:
 * a random draw (SRANDMEMBER, ZRANDMEMBER, SPOP), a hash table's order (SMEMBERS and the set
 * algebra), a hash table's SCAN. Shared by the engine-level test
 * (test/reference/differential-sets-zsets.test.ts, which reads the state from Hotslot's
 * keyspace) and the full-stack one (test/e2e/datatypes.test.ts, which reads it over the
 * wire); each passes what it read.
 */
import { parseReply, type Resp } from "./resp-wire";

/** The bulk texts of an array reply, or null when it is not an array of bulk strings. */
export function bulks(r: Resp): string[] | null {
  if (r.type !== "*" || r.items === null) return null;
  const out: string[] = [];
  for (const i of r.items) {
    if (i.type !== "$" || i.text === null) return null;
    out.push(i.text);
  }
  return out;
}

/** Whether two lists hold the same elements, in any order. */
export function sameSorted(x: string[] | null, y: string[] | null): boolean {
  if (x === null || y === null || x.length !== y.length) return false;
  const a = [...x].sort();
  const b = [...y].sort();
  return a.every((v, i) => v === b[i]);
}

/**
 * Whether `raw`, a reply to SRANDMEMBER / ZRANDMEMBER / SPOP `argv`, is a valid draw from
 * `held` (the members just before it ran): the right number of members, all held, distinct
 * unless the count is negative (SRANDMEMBER / ZRANDMEMBER only), each with its own score
 * (`scoreOf`, as the reply prints it) when WITHSCORES asked for them.
 */
export function isValidDraw(argv: string[], raw: string, held: readonly string[], scoreOf: (member: string) => string | undefined, pop: boolean): boolean {
  const r = parseReply(raw);
  const heldSet = new Set(held);
  if (argv.length === 2) {
    if (r.type !== "$") return false;
    return held.length === 0 ? r.text === null : r.text !== null && heldSet.has(r.text);
  }
  const n = Number(argv[2]);
  const scored = argv.length === 4;
  const list = bulks(r);
  if (list === null) return false;
  const picked: string[] = [];
  for (let i = 0; i < list.length; i += scored ? 2 : 1) {
    picked.push(list[i]);
    if (scored) {
      const score = scoreOf(list[i]);
      if (score === undefined || list[i + 1] !== score) return false;
    }
  }
  if (!picked.every((m) => heldSet.has(m))) return false;
  if (held.length === 0) return picked.length === 0;
  if (n < 0 && !pop) return picked.length === -n;
  return picked.length === Math.min(n, held.length) && new Set(picked).size === picked.length;
}

/**
 * True when a random read or SPOP asks for at least the whole collection (`size` members,
 * 0 when there is none), so the reply is deterministic: ZRANDMEMBER lists it highest score
 * first; SRANDMEMBER and SPOP of an intset list it in numeric order.
 */
export function isWholeDraw(argv: string[], size: number, intset: boolean): boolean {
  if (argv.length < 3 || !/^[0-9]+$/.test(argv[2]) || size === 0) return false;
  const n = Number(argv[2]);
  return n >= size && n > 1 && (argv[0].toLowerCase() === "zrandmember" || intset);
}

/**
 * Two replies to SSCAN / ZSCAN `argv` of a hash-table collection: a scan from cursor 0 to
 * the end holds the same elements (member/score pairs for ZSCAN) in any order; an unfinished
 * one only the right shape (the cursors are each server's own).
 */
export function sameHashTableScan(argv: string[], a: Resp, b: Resp): boolean {
  if (a.type !== "*" || b.type !== "*" || a.items?.length !== 2 || b.items?.length !== 2) return false;
  const [ca, ea] = a.items;
  const [cb, eb] = b.items;
  if (ca.type !== "$" || cb.type !== "$") return false;
  const x = bulks(ea);
  const y = bulks(eb);
  if (x === null || y === null) return false;
  if (argv[2] === "0" && ca.text === "0" && cb.text === "0") {
    if (argv[0].toLowerCase() === "sscan") return sameSorted(x, y);
    const pairs = (l: string[]) => l.flatMap((m, i) => (i % 2 === 0 ? [JSON.stringify([m, l[i + 1]])] : []));
    return sameSorted(pairs(x), pairs(y));
  }
  return true;
}
