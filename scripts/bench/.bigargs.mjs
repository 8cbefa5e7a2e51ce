import { startHotslot } from "/work/main/scripts/bench/targets.mjs";
const h = await startHotslot(JSON.parse(process.argv[2] ?? "{}"));
const post = async (body) => { const t = Date.now(); const r = await fetch(h.url + "/", { method: "POST", headers: { authorization: `Bearer ${h.token}` }, body: JSON.stringify(body) }); const txt = await r.text(); return [Date.now() - t, txt.slice(0, 80)]; };
for (const n of (process.env.NS ?? "100000,200000,400000").split(",").map(Number)) {
  const keys = Array.from({ length: n }, (_, i) => `k:${i}`);
  const tagged = Array.from({ length: n }, (_, i) => `{t}:${i}`);
  console.log(n, "EXISTS spread", ...(await post(["EXISTS", ...keys])));
  console.log(n, "EXISTS one slot", ...(await post(["EXISTS", ...tagged])));
  console.log(n, "DEL spread", ...(await post(["DEL", ...keys])));
  console.log(n, "UNKNOWN", ...(await post(["NOSUCH", ...keys])));
}
await h.stop(); process.exit(0);
