/**
 * The crash test's shadow of the dataset (test/e2e/crash.test.ts): what every key must
 * hold after a kill, and the check of what the restarted shards hold against it.
 *
 * - `Op`: one unit of work (a command, or MULTI…EXEC); `apply` carries it out on the
 *   shadow exactly as the shard does and returns the exact replies it must get.
 * - `readDataset`: every key the shards hold, its value and exact expiry, in the shadow's form.
 * - `check`: per key, the shadow's entry, or that entry with a prefix of the key's in-doubt
 *   commands applied; a MULTI/EXEC in doubt happened for all its keys or for none.
 */
import { parseReply, type Resp } from "../../support/resp-wire";
import type { WsRespConnection } from "./ws-resp";

/** The Worker's clock and ours are the same host clock; this covers scheduling slop. */
const TTL_TOLERANCE_MS = 2000;

export const OK = "+OK\r\n";
const QUEUED = "+QUEUED\r\n";
const NIL = "$-1\r\n";
const int = (n: number) => `:${n}\r\n`;
const bulk = (s: string) => `$${s.length}\r\n${s}\r\n`;

// --- the model -------------------------------------------------------------------------

export type Value =
  | { type: "string"; s: string }
  | { type: "list"; l: string[] }
  | { type: "hash"; h: Map<string, string> }
  | { type: "set"; m: Set<string> }
  | { type: "zset"; z: Map<string, number> };

/** A key's value and its expiry: null (none) or the window [lo, hi] it must fall in (ms). */
export interface Entry {
  v: Value;
  exp: [number, number] | null;
}

export type Db = Map<string, Entry>;

function cloneValue(v: Value): Value {
  switch (v.type) {
    case "string":
      return { type: "string", s: v.s };
    case "list":
      return { type: "list", l: [...v.l] };
    case "hash":
      return { type: "hash", h: new Map(v.h) };
    case "set":
      return { type: "set", m: new Set(v.m) };
    case "zset":
      return { type: "zset", z: new Map(v.z) };
  }
}

const cloneEntry = (e: Entry | undefined): Entry | undefined => (e ? { v: cloneValue(e.v), exp: e.exp && [e.exp[0], e.exp[1]] } : undefined);

function sameMap<V>(a: Map<string, V>, b: Map<string, V>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (!b.has(k) || b.get(k) !== v) return false;
  return true;
}

function sameValue(a: Value, b: Value): boolean {
  if (a.type !== b.type) return false;
  switch (a.type) {
    case "string":
      return a.s === (b as typeof a).s;
    case "list": {
      const l = (b as typeof a).l;
      return a.l.length === l.length && a.l.every((x, i) => x === l[i]);
    }
    case "hash":
      return sameMap(a.h, (b as typeof a).h);
    case "set": {
      const m = (b as typeof a).m;
      return a.m.size === m.size && [...a.m].every((x) => m.has(x));
    }
    case "zset":
      return sameMap(a.z, (b as typeof a).z);
  }
}

/** Whether an observed entry (exp is an exact instant) is what `expected` allows. */
function matches(expected: Entry | undefined, observed: Entry | undefined): boolean {
  if (!expected || !observed) return expected === observed;
  if (!sameValue(expected.v, observed.v)) return false;
  if (expected.exp === null || observed.exp === null) return expected.exp === observed.exp;
  return observed.exp[0] >= expected.exp[0] - TTL_TOLERANCE_MS && observed.exp[0] <= expected.exp[1] + TTL_TOLERANCE_MS;
}

function describeEntry(e: Entry | undefined): string {
  if (!e) return "(absent)";
  const v = e.v;
  const short = (s: string) => JSON.stringify(s.length > 24 ? `${s.slice(0, 24)}…(${s.length} bytes)` : s);
  let text: string;
  switch (v.type) {
    case "string":
      text = `string ${short(v.s)}`;
      break;
    case "list":
      text = `list[${v.l.length}] ${v.l.slice(-3).map(short).join(",")}`;
      break;
    case "hash":
      text = `hash{${[...v.h].map(([f, x]) => `${f}=${short(x)}`).join(",")}}`;
      break;
    case "set":
      text = `set{${[...v.m].sort().join(",")}}`;
      break;
    case "zset":
      text = `zset{${[...v.z].map(([m, s]) => `${m}:${s}`).join(",")}}`;
      break;
  }
  return `${text}${e.exp ? ` expiring in [${e.exp[0]}, ${e.exp[1]}]` : ""}`;
}

/** When a command may have run: [sent, replied] for an acknowledged one, [sent, kill] in doubt. */
export type Window = [number, number];

/**
 * One unit of work: a command, or MULTI…EXEC. `apply` changes the shadow as the command
 * changes the shard and returns the exact replies it must get (one per argv sent).
 */
export interface Op {
  conn: number;
  label: string;
  keys: string[];
  argvs: string[][];
  atomic: boolean;
  apply(db: Db, w: Window): string[];
  sentAt: number;
}

/** The commands this file uses, as the shadow carries them out (single-key unless said). */
const shadowCommands: Record<string, (db: Db, w: Window, args: string[]) => string> = {
  SET(db, w, [k, v, ex, secs]) {
    db.set(k, { v: { type: "string", s: v }, exp: ex ? [w[0] + Number(secs) * 1000, w[1] + Number(secs) * 1000] : null });
    return OK;
  },
  APPEND(db, _w, [k, v]) {
    const e = db.get(k);
    if (!e) db.set(k, { v: { type: "string", s: v }, exp: null });
    else if (e.v.type === "string") e.v.s += v;
    return int((db.get(k)!.v as { s: string }).s.length);
  },
  INCRBY(db, _w, [k, d]) {
    const e = db.get(k);
    const n = (e ? Number((e.v as { s: string }).s) : 0) + Number(d);
    if (e) (e.v as { s: string }).s = String(n);
    else db.set(k, { v: { type: "string", s: String(n) }, exp: null });
    return int(n);
  },
  MSET(db, _w, args) {
    for (let i = 0; i < args.length; i += 2) db.set(args[i], { v: { type: "string", s: args[i + 1] }, exp: null });
    return OK;
  },
  DEL(db, _w, keys) {
    let n = 0;
    for (const k of keys) if (db.delete(k)) n++;
    return int(n);
  },
  RPUSH(db, _w, [k, ...vs]) {
    let e = db.get(k);
    if (!e) db.set(k, (e = { v: { type: "list", l: [] }, exp: null }));
    const l = (e.v as { l: string[] }).l;
    l.push(...vs);
    return int(l.length);
  },
  LTRIM(db, _w, [k, start]) {
    // Only `LTRIM k -N -1` (keep the last N).
    const e = db.get(k);
    if (e) {
      const v = e.v as { l: string[] };
      v.l = v.l.slice(Number(start));
      if (v.l.length === 0) db.delete(k);
    }
    return OK;
  },
  LPOP(db, _w, [k]) {
    const e = db.get(k);
    if (!e) return NIL;
    const l = (e.v as { l: string[] }).l;
    const x = l.shift()!;
    if (l.length === 0) db.delete(k);
    return bulk(x);
  },
  HSET(db, _w, [k, ...fv]) {
    let e = db.get(k);
    if (!e) db.set(k, (e = { v: { type: "hash", h: new Map() }, exp: null }));
    const h = (e.v as { h: Map<string, string> }).h;
    let added = 0;
    for (let i = 0; i < fv.length; i += 2) {
      if (!h.has(fv[i])) added++;
      h.set(fv[i], fv[i + 1]);
    }
    return int(added);
  },
  HINCRBY(db, _w, [k, f, d]) {
    let e = db.get(k);
    if (!e) db.set(k, (e = { v: { type: "hash", h: new Map() }, exp: null }));
    const h = (e.v as { h: Map<string, string> }).h;
    const n = Number(h.get(f) ?? 0) + Number(d);
    h.set(f, String(n));
    return int(n);
  },
  HDEL(db, _w, [k, ...fs]) {
    const e = db.get(k);
    if (!e) return int(0);
    const h = (e.v as { h: Map<string, string> }).h;
    let n = 0;
    for (const f of fs) if (h.delete(f)) n++;
    if (h.size === 0) db.delete(k);
    return int(n);
  },
  SADD(db, _w, [k, ...ms]) {
    let e = db.get(k);
    if (!e) db.set(k, (e = { v: { type: "set", m: new Set() }, exp: null }));
    const set = (e.v as { m: Set<string> }).m;
    let n = 0;
    for (const m of ms) if (!set.has(m)) (set.add(m), n++);
    return int(n);
  },
  SREM(db, _w, [k, ...ms]) {
    const e = db.get(k);
    if (!e) return int(0);
    const set = (e.v as { m: Set<string> }).m;
    let n = 0;
    for (const m of ms) if (set.delete(m)) n++;
    if (set.size === 0) db.delete(k);
    return int(n);
  },
  ZADD(db, _w, [k, score, m]) {
    let e = db.get(k);
    if (!e) db.set(k, (e = { v: { type: "zset", z: new Map() }, exp: null }));
    const z = (e.v as { z: Map<string, number> }).z;
    const added = z.has(m) ? 0 : 1;
    z.set(m, Number(score));
    return int(added);
  },
  ZINCRBY(db, _w, [k, inc, m]) {
    let e = db.get(k);
    if (!e) db.set(k, (e = { v: { type: "zset", z: new Map() }, exp: null }));
    const z = (e.v as { z: Map<string, number> }).z;
    const n = (z.get(m) ?? 0) + Number(inc);
    z.set(m, n);
    return bulk(String(n));
  },
  ZREM(db, _w, [k, m]) {
    const e = db.get(k);
    if (!e) return int(0);
    const z = (e.v as { z: Map<string, number> }).z;
    const n = z.delete(m) ? 1 : 0;
    if (z.size === 0) db.delete(k);
    return int(n);
  },
  PEXPIRE(db, w, [k, ms]) {
    const e = db.get(k);
    if (!e) return int(0);
    e.exp = [w[0] + Number(ms), w[1] + Number(ms)];
    return int(1);
  },
  PERSIST(db, _w, [k]) {
    const e = db.get(k);
    if (!e || e.exp === null) return int(0);
    e.exp = null;
    return int(1);
  },
};

export function command(conn: number, argv: string[], keys: string[]): Op {
  const [name, ...args] = argv;
  return {
    conn,
    label: name,
    keys,
    argvs: [argv],
    atomic: false,
    apply: (db, w) => [shadowCommands[name](db, w, args)],
    sentAt: 0,
  };
}

export function transaction(conn: number, argvs: string[][]): Op {
  return {
    conn,
    label: "MULTI/EXEC",
    keys: [...new Set(argvs.map((a) => a[1]))],
    argvs: [["MULTI"], ...argvs, ["EXEC"]],
    atomic: true,
    apply(db, w) {
      const replies = argvs.map(([name, ...args]) => shadowCommands[name](db, w, args));
      return [OK, ...argvs.map(() => QUEUED), `*${replies.length}\r\n${replies.join("")}`];
    },
    sentAt: 0,
  };
}

// --- reading the dataset back -----------------------------------------------------------------

async function pipelineAll(conn: WsRespConnection, argvs: string[][]): Promise<Resp[]> {
  const out: Resp[] = [];
  for (let i = 0; i < argvs.length; i += 500) {
    const chunk = argvs.slice(i, i + 500);
    const replies: string[] = new Array(chunk.length).fill("");
    await conn.send(chunk, (j, r) => (replies[j] = r));
    if (replies.some((r) => r === "")) throw new Error("connection closed while reading the dataset back");
    out.push(...replies.map(parseReply));
  }
  return out;
}

/** The texts of an array reply's bulk strings (throws on any other reply). */
function bulkTexts(r: Resp, what: string): string[] {
  const texts = r.type === "*" && r.items !== null ? r.items.map((x) => (x.type === "$" ? x.text : null)) : null;
  if (texts === null || texts.some((t) => t === null)) throw new Error(`${what}: ${JSON.stringify(r.raw.slice(0, 200))}`);
  return texts as string[];
}

/** Every key, its value and its exact expiry, as the shadow represents them. */
export async function readDataset(conn: WsRespConnection): Promise<Db> {
  return readKeys(conn, bulkTexts(parseReply(await conn.call("KEYS", "*")), "KEYS *"), false);
}

/**
 * The given keys, their values and exact expiries (point reads, as a client sees them);
 * with `skipAbsent`, a key that does not exist is left out, else it is an error.
 */
export async function readKeys(conn: WsRespConnection, keys: string[], skipAbsent: boolean): Promise<Db> {
  if (skipAbsent) {
    const exists = await pipelineAll(conn, keys.map((k) => ["EXISTS", k]));
    keys = keys.filter((_, i) => exists[i].type === ":" && exists[i].text === "1");
  }
  const meta = await pipelineAll(conn, keys.flatMap((k) => [["TYPE", k], ["PEXPIRETIME", k]]));
  const types = keys.map((k, i) => {
    const r = meta[2 * i];
    if (r.type === "+") return r.text;
    throw new Error(`TYPE ${JSON.stringify(k)}: ${JSON.stringify(r.raw)}`);
  });
  const reads: string[][] = keys.map((k, i) => {
    const type = types[i];
    switch (type) {
      case "string":
        return ["GET", k];
      case "list":
        return ["LRANGE", k, "0", "-1"];
      case "hash":
        return ["HGETALL", k];
      case "set":
        return ["SMEMBERS", k];
      case "zset":
        return ["ZRANGE", k, "0", "-1", "WITHSCORES"];
      default:
        throw new Error(`key ${JSON.stringify(k)} has type ${JSON.stringify(type)}`);
    }
  });
  const values = await pipelineAll(conn, reads);
  const db: Db = new Map();
  keys.forEach((k, i) => {
    const expiry = meta[2 * i + 1];
    if (expiry.type !== ":") throw new Error(`PEXPIRETIME ${JSON.stringify(k)}: ${JSON.stringify(expiry.raw)}`);
    const at = Number(expiry.text);
    const raw = values[i];
    const what = `reading ${JSON.stringify(k)}`;
    const pairs = (xs: string[]) => Array.from({ length: xs.length / 2 }, (_, j) => [xs[2 * j], xs[2 * j + 1]] as const);
    let v: Value;
    switch (types[i]) {
      case "string":
        if (raw.type !== "$" || raw.text === null) throw new Error(`${what}: ${JSON.stringify(raw.raw.slice(0, 200))}`);
        v = { type: "string", s: raw.text };
        break;
      case "list":
        v = { type: "list", l: bulkTexts(raw, what) };
        break;
      case "hash":
        v = { type: "hash", h: new Map(pairs(bulkTexts(raw, what))) };
        break;
      case "set":
        v = { type: "set", m: new Set(bulkTexts(raw, what)) };
        break;
      default:
        v = { type: "zset", z: new Map(pairs(bulkTexts(raw, what)).map(([m, s]) => [m, Number(s)])) };
    }
    db.set(k, { v, exp: at === -1 ? null : [at, at] });
  });
  return db;
}

/**
 * Compares what the shards hold with the shadow. For each key: the shadow's entry, or that
 * entry with a prefix of the key's in-doubt commands applied. A MULTI/EXEC in doubt must
 * have happened for all its keys or for none. Returns the problems found (none: passed)
 * and how many keys show in-doubt commands that did happen.
 */
export function check(shadow: Db, observed: Db, inDoubt: Op[], killAt: number): { problems: string[]; appliedKeys: number } {
  const problems: string[] = [];
  let appliedKeys = 0;
  const perKey = new Map<string, Op[]>();
  for (const op of inDoubt) for (const k of op.keys) perKey.set(k, [...(perKey.get(k) ?? []), op]);
  /** For each atomic op in doubt: per key, whether it can have happened / not happened. */
  const txVerdicts = new Map<Op, { yes: boolean; no: boolean }[]>();

  const keys = new Set([...shadow.keys(), ...observed.keys(), ...perKey.keys()]);
  for (const key of keys) {
    const ops = perKey.get(key) ?? [];
    const found = observed.get(key);
    // candidates[j]: the key after its first j in-doubt commands.
    const candidates: (Entry | undefined)[] = [cloneEntry(shadow.get(key))];
    for (const op of ops) {
      const scratch: Db = new Map();
      const before = cloneEntry(candidates[candidates.length - 1]);
      if (before) scratch.set(key, before);
      op.apply(scratch, [op.sentAt, killAt]);
      candidates.push(scratch.get(key));
    }
    const fits = candidates.map((c) => matches(c, found));
    if (!fits.some(Boolean)) {
      const doubt = ops.length ? ` or that after some of its ${ops.length} in-doubt commands (${ops.map((o) => o.label).join(", ")})` : "";
      problems.push(`${JSON.stringify(key)}: expected ${describeEntry(candidates[0])}${doubt}; found ${describeEntry(found)}`);
      continue;
    }
    if (!fits[0]) appliedKeys++;
    ops.forEach((op, j) => {
      if (!op.atomic) return;
      // The transaction happened iff more than j of the key's in-doubt commands did.
      const verdict = { yes: fits.some((f, n) => f && n > j), no: fits.some((f, n) => f && n <= j) };
      txVerdicts.set(op, [...(txVerdicts.get(op) ?? []), verdict]);
    });
  }
  for (const [op, verdicts] of txVerdicts) {
    if (!verdicts.every((v) => v.yes) && !verdicts.every((v) => v.no)) {
      problems.push(`MULTI/EXEC on ${op.keys.join(", ")} happened for some of its keys only`);
    }
  }
  return { problems, appliedKeys };
}

/**
 * Applies an acknowledged op to the shadow and records (up to 10) replies that are not what
 * the shadow answers: each one is a failure of the test.
 */
export function acknowledgeOp(shadow: Db, op: Op, replies: string[], ackAt: number, mismatches: string[]): void {
  const expected = op.apply(shadow, [op.sentAt, ackAt]);
  for (let i = 0; i < replies.length; i++) {
    if (replies[i] !== expected[i] && mismatches.length < 10) {
      mismatches.push(`${op.argvs[i].slice(0, 2).join(" ")} replied ${JSON.stringify(replies[i].slice(0, 120))}, expected ${JSON.stringify(expected[i].slice(0, 80))}`);
    }
  }
}

/** Makes every shard compact often — when its log reaches 20% of the last snapshot, from 128 KB of data on — so kills land in snapshots. */
export async function compactOften(conn: WsRespConnection): Promise<void> {
  for (const [name, value] of [["auto-aof-rewrite-percentage", "20"], ["auto-aof-rewrite-min-size", "128kb"]]) {
    const reply = await conn.call("CONFIG", "SET", name, value);
    if (reply !== OK) throw new Error(`CONFIG SET ${name}: ${reply}`);
  }
}

