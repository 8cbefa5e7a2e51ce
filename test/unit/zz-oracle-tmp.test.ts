import net from "node:net";
import { it, expect } from "vitest";
import { Executor } from "../../src/commands/execute";
import { Keyspace } from "../../src/engine/keyspace";
import type { Reply } from "../../src/protocol/reply";

function send(cmds: string[][]): Promise<unknown[]> {
  return new Promise((resolve) => {
    let out = "";
    for (const c of cmds) { out += `*${c.length}\r\n`; for (const a of c) out += `$${Buffer.byteLength(a, "latin1")}\r\n${a}\r\n`; }
    const s = net.connect(7801, "127.0.0.1", () => s.write(Buffer.from(out, "latin1")));
    let buf = "";
    s.on("data", (d) => {
      buf += d.toString("latin1");
      const res: unknown[] = []; let pos = 0;
      function parse(): unknown {
        const i = buf.indexOf("\r\n", pos); if (i < 0) throw 0;
        const t = buf[pos]; const line = buf.slice(pos + 1, i); pos = i + 2;
        if (t === "$") { const n = +line; if (n < 0) return null; if (buf.length < pos + n + 2) throw 0; const v = buf.slice(pos, pos + n); pos += n + 2; return v; }
        if (t === "*") { const n = +line; if (n < 0) return null; const a = []; for (let k = 0; k < n; k++) a.push(parse()); return a; }
        if (t === ":") return Number(line);
        if (t === "-") return { error: line };
        return { simple: line };
      }
      try { while (res.length < cmds.length) res.push(parse()); } catch { return; }
      s.end(); resolve(res);
    });
  });
}
function norm(r: Reply): unknown {
  if (r === null || typeof r === "string" || typeof r === "number") return r;
  if (typeof r === "bigint") return Number(r);
  if (Array.isArray(r)) return r.map(norm);
  if (r.kind === "map") return r.entries.map(norm);
  if (r.kind === "error") return { error: r.message };
  if (r.kind === "simple") return { simple: r.value };
  return r;
}
it("matches redis for random commands", async () => {
  const keys = ["a", "b", "c", "n", "f"];
  const pick = <T,>(xs: T[]) => xs[Math.floor(Math.random() * xs.length)];
  const vals = ["", "1", "-5", "abc", "9223372036854775806", "-9223372036854775807", "1.5", " 2", "01", "10", "x y", "3.3e2", "inf"];
  const nums = ["1", "-1", "0", "100", "9223372036854775807", "-9223372036854775808", "abc", "1.5", "", "01", "-0", "100000", "3"];
  const gen = (): string[] => {
    const k = pick(keys);
    switch (Math.floor(Math.random() * 22)) {
      case 0: return ["GET", k];
      case 1: { const o: string[] = ["SET", k, pick(vals)]; const n = Math.floor(Math.random() * 4); for (let i = 0; i < n; i++) { const opt = pick(["NX", "XX", "GET", "KEEPTTL", "EX", "PX", "EXAT", "PXAT", "get", "nx", "FOO"]); o.push(opt); if (/^(EX|PX|EXAT|PXAT)$/.test(opt) && Math.random() < 0.9) o.push(pick(["1000", "0", "-1", "abc", "1", "9999999999999", "9223372036854775"])); } return o; }
      case 2: return ["SETNX", k, pick(vals)];
      case 3: return [pick(["SETEX", "PSETEX"]), k, pick(["1000", "0", "-3", "x", "100000"]), pick(vals)];
      case 4: return ["MGET", ...keys.slice(0, 1 + Math.floor(Math.random() * 5))];
      case 5: { const o = [pick(["MSET", "MSETNX"])]; const n = 1 + Math.floor(Math.random() * 3); for (let i = 0; i < n; i++) o.push(pick(keys), pick(vals)); if (Math.random() < 0.1) o.pop(); return o; }
      case 6: return ["GETSET", k, pick(vals)];
      case 7: return ["GETDEL", k];
      case 8: { const o = ["GETEX", k]; const n = Math.floor(Math.random() * 3); for (let i = 0; i < n; i++) { const opt = pick(["EX", "PX", "EXAT", "PXAT", "PERSIST", "NX", "KEEPTTL"]); o.push(opt); if (/^(EX|PX|EXAT|PXAT)$/.test(opt) && Math.random() < 0.9) o.push(pick(["1000", "0", "1", "abc", "9999999999999"])); } return o; }
      case 9: return ["APPEND", k, pick(vals)];
      case 10: return ["STRLEN", k];
      case 11: return ["INCR", k];
      case 12: return ["DECR", k];
      case 13: return ["INCRBY", k, pick(nums)];
      case 14: return ["DECRBY", k, pick(nums)];
      case 15: return ["INCRBYFLOAT", k, pick([...nums, "0.1", "-2.5e3", "1e308", "nan", "0x1p-3"])];
      case 16: return [pick(["GETRANGE", "SUBSTR"]), k, pick(nums.concat(["-3", "-100", "5"])), pick(nums.concat(["-3", "-100", "5"]))];
      case 17: return ["SETRANGE", k, pick(["0", "1", "5", "-1", "x", "3"]), pick(vals)];
      case 18: return ["LCS", k, pick(keys), ...pick([[], ["LEN"], ["IDX"], ["IDX", "WITHMATCHLEN"], ["LEN", "IDX"], ["FOO"]])];
      case 19: return ["LPUSH", k, "x"];
      case 20: return ["DEL", k];
      default: return ["GET", k];
    }
  };
  const cmds: string[][] = [["FLUSHALL"]];
  for (let i = 0; i < 20000; i++) cmds.push(gen());
  const theirs = await send(cmds);
  const db = new Keyspace();
  const ex = new Executor(db);
  const mine = cmds.map((c) => {
    if (c[0] === "FLUSHALL") return { simple: "OK" };
    if (c[0] === "LPUSH") { const had = db.get(c[1]); if (had !== undefined && typeof had === "string") return { error: "WRONGTYPE Operation against a key holding the wrong kind of value" }; if (had === undefined) { db.set(c[1], { type: "list", n: 1 } as any); return 1; } (had as any).n++; return (had as any).n; }
    if (c[0] === "DEL") return db.get(c[1]) !== undefined && db.delete(c[1]) ? 1 : 0;
    return norm(ex.runOne(c));
  });
  let bad = 0;
  for (let i = 0; i < cmds.length; i++) if (JSON.stringify(mine[i]) !== JSON.stringify(theirs[i])) { if (bad++ < 10) console.log(i, JSON.stringify(cmds[i]), JSON.stringify(theirs[i]), JSON.stringify(mine[i])); }
  expect(bad).toBe(0);
});
