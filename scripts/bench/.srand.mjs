import net from "node:net";
import { startHotslot } from "/work/main/scripts/bench/targets.mjs";
import { WebSocket } from "ws";
const h = await startHotslot({});
const enc = (a) => `*${a.length}\r\n` + a.map((x) => `$${Buffer.byteLength(x)}\r\n${x}\r\n`).join("");
async function call(argv, expectBytes) {
  const s = net.connect(h.port, "127.0.0.1"); await new Promise((r) => s.on("connect", r));
  let n = 0; const t = Date.now();
  await new Promise((r) => { s.on("data", (d) => { n += d.length; if (n >= expectBytes) r(); }); s.write(enc(argv)); });
  s.destroy(); return Date.now() - t;
}
await call(["SADD", "{b}s", "a", "b", "c"], 4);
let prof = null;
if (process.env.HOTSLOT_INSPECTOR_PORT) {
  const targets = await (await fetch(`http://127.0.0.1:${process.env.HOTSLOT_INSPECTOR_PORT}/json`)).json();
  const ws = new WebSocket(targets[0].webSocketDebuggerUrl); await new Promise((r) => ws.on("open", r));
  let id = 0; const pending = new Map();
  ws.on("message", (d) => { const m = JSON.parse(d); if (m.id && pending.has(m.id)) { pending.get(m.id)(m); pending.delete(m.id); } });
  prof = (method, params = {}) => new Promise((r) => { const i = ++id; pending.set(i, r); ws.send(JSON.stringify({ id: i, method, params })); });
  await prof("Profiler.enable"); await prof("Profiler.setSamplingInterval", { interval: 500 }); await prof("Profiler.start");
}
for (const n of (process.env.NS ?? "100000,300000,999999").split(",")) console.log(n, await call(["SRANDMEMBER", "{b}s", "-" + n], Number(n) * 7 + 8), "ms");
if (prof) {
  const p = (await prof("Profiler.stop")).result.profile;
  const counts = new Map(); for (const s of p.samples) counts.set(s, (counts.get(s) ?? 0) + 1);
  const byId = new Map(p.nodes.map((n) => [n.id, n])); const self = new Map(); let total = 0;
  for (const [nid, c] of counts) { const f = byId.get(nid).callFrame; const k = `${f.functionName || "(anon)"} :${f.lineNumber}`; self.set(k, (self.get(k) ?? 0) + c); total += c; }
  for (const [k, c] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log((100 * c / total).toFixed(1).padStart(5) + "% " + k);
}
await h.stop(); process.exit(0);
