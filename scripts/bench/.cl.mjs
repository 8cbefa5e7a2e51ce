import { startHotslot } from "/work/main/scripts/bench/targets.mjs";
import { Cluster } from "ioredis";
import net from "node:net";
const h = await startHotslot({});
const s = net.connect(h.port, "127.0.0.1"); let out = "";
s.on("data", (d) => (out += d)); s.write("*2\r\n$7\r\nCLUSTER\r\n$5\r\nSLOTS\r\n");
await new Promise((r) => setTimeout(r, 500)); console.log(JSON.stringify(out.slice(0, 300))); s.destroy();
const cluster = new Cluster([{ host: "127.0.0.1", port: h.port }], { lazyConnect: true, redisOptions: { maxRetriesPerRequest: 0 } });
cluster.on("error", (e) => console.log("error", e.message, e.lastNodeError?.message));
try { await cluster.connect(); console.log("connected", await cluster.set("a", "1")); } catch (e) { console.log("fail", e.message, e.lastNodeError?.message); }
cluster.disconnect(); await h.stop(); process.exit(0);
