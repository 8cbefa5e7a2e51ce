process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false"; process.env.WRANGLER_SEND_METRICS = "false";
process.env.X_LOCAL_OBSERVABILITY = "false"; process.env.WRANGLER_LOG = "warn";
const { unstable_startWorker } = await import("wrangler");
const { startBridge } = await import("./scripts/bridge.mjs");
const w = await unstable_startWorker({
  config: "wrangler.toml",
  bindings: { SHARDS: { type: "plain_text", value: "4" }, HOTSLOT_TOKEN: { type: "secret_text", value: "tt" } },
  dev: { server: { hostname: "127.0.0.1", port: 0 }, inspector: false, persist: "/tmp/hs/persist", watch: false },
});
await w.ready;
const url = (await w.url).href;
const b = await startBridge({ port: 0, url, token: "tt" });
const b2 = await startBridge({ port: 0, url, token: null });
const b3 = await startBridge({ port: 0, url, token: "bad" });
console.log(url, b.port, b2.port, b3.port);
const { execSync } = await import("node:child_process");
const sh = (c) => { try { console.log("$", c, "\n" + execSync(c, { encoding: "utf8" })); } catch (e) { console.log("FAIL", c, e.stdout, e.stderr); } };
sh(`redis-cli -p ${b.port} ping`);
sh(`redis-cli -p ${b.port} echo hello`);
sh(`redis-cli -p ${b.port} hello 3`);
sh(`redis-cli -3 -p ${b.port} ping`);
sh(`redis-cli -p ${b2.port} ping`);
sh(`redis-cli -p ${b2.port} -a tt --no-auth-warning ping`);
sh(`redis-cli -p ${b3.port} ping`);
sh(`redis-benchmark -p ${b.port} -t ping -n 1000 -q`);
sh(`(for i in $(seq 1 2000); do printf '*2\\r\\n$4\\r\\nECHO\\r\\n$3\\r\\nabc\\r\\n'; done) | redis-cli -p ${b.port} --pipe`);
sh(`printf 'PING\\r\\nPING\\r\\n' | timeout 5 nc -N 127.0.0.1 ${b.port} ; echo rc=$?`);
await b.close(); await b2.close(); await b3.close();
await w.dispose();
