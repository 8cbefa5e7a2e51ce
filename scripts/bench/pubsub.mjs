/**
 * Pub/Sub (issue 12): one publisher, 1 / 100 / 1,000 subscribers of one channel, on
 * redis-server and on Hotslot (subscribers and publisher are TCP connections through the
 * bridge, so each subscriber is a router session holding a socket to the channel's hub).
 *
 * - throughput: the publisher sends MESSAGES[n] PUBLISHes pipelined (100 per write, 4 writes
 *   in flight); measured from the first write until every subscriber has every message:
 *   messages/s published and deliveries/s (messages × subscribers).
 * - latency: LATENCY_SAMPLES single PUBLISHes, one every 5 ms; each message carries its send
 *   time and every subscriber notes when it arrives: p50 / p99 over all deliveries.
 */
import net from "node:net";
import { fixed, int, percentile, ratio, sleep, table } from "./format.mjs";
import { encodeCommands, RespClient } from "./resp.mjs";

const SUBSCRIBERS = [1, 100, 1000];
const MESSAGES = { 1: 5000, 100: 1000, 1000: 200 };
const LATENCY_SAMPLES = 200;
const CHANNEL = "bench:pubsub";

/** A raw subscriber: counts messages on CHANNEL and records each one's latency. */
class Subscriber {
  buf = "";
  count = 0;
  latencies = [];
  constructor(socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on("data", (d) => this.onData(d.toString("latin1")));
  }
  static connect(port) {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host: "127.0.0.1" });
      s.once("connect", () => resolve(new Subscriber(s)));
      s.once("error", reject);
    });
  }
  async subscribe() {
    this.socket.write(encodeCommands([["SUBSCRIBE", CHANNEL]]));
    while (!this.buf.includes(":1\r\n")) await sleep(2);
    this.buf = "";
  }
  onData(text) {
    this.buf += text;
    const re = /\*3\r\n\$7\r\nmessage\r\n\$\d+\r\n[^\r]*\r\n\$\d+\r\n([^\r]*)\r\n/y;
    let at = 0;
    for (;;) {
      re.lastIndex = at;
      const m = re.exec(this.buf);
      if (!m) break;
      at = re.lastIndex;
      this.count++;
      const sent = Number(m[1].split(":")[0]);
      if (m[1].endsWith(":t")) this.latencies.push(performance.now() - sent);
    }
    this.buf = this.buf.slice(at);
  }
  close() {
    this.socket.destroy();
  }
}

async function until(pred, ms) {
  const end = performance.now() + ms;
  while (!pred()) {
    if (performance.now() > end) return false;
    await sleep(2);
  }
  return true;
}

async function measure(port, n) {
  const subs = [];
  for (let i = 0; i < n; i += 50) {
    const batch = await Promise.all(Array.from({ length: Math.min(50, n - i) }, () => Subscriber.connect(port)));
    await Promise.all(batch.map((s) => s.subscribe()));
    subs.push(...batch);
  }
  const pub = await RespClient.connect(port);
  try {
    const total = MESSAGES[n];
    const start = performance.now();
    await pub.load(total, (i) => ["PUBLISH", CHANNEL, `${performance.now()}:${i}`], { batch: 100, window: 4 });
    const complete = await until(() => subs.every((s) => s.count >= total), 120_000);
    const seconds = (performance.now() - start) / 1000;
    const delivered = subs.reduce((a, s) => a + s.count, 0);
    // Latency: one message at a time.
    for (const s of subs) s.count = 0;
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      await pub.command("PUBLISH", CHANNEL, `${performance.now()}:t`);
      await sleep(5);
    }
    await until(() => subs.every((s) => s.count >= LATENCY_SAMPLES), 30_000);
    const lat = subs.flatMap((s) => s.latencies);
    return { complete, rate: total / seconds, deliveries: delivered / seconds, p50: percentile(lat, 50), p99: percentile(lat, 99) };
  } finally {
    pub.close();
    for (const s of subs) s.close();
    await sleep(200);
  }
}

export async function pubsub({ redisPort, hotslot, log }) {
  log("### Pub/Sub: one publisher, one channel\n");
  log(`Throughput: PUBLISH pipelined (100 per write, 4 in flight) until every subscriber has every message; latency: ${LATENCY_SAMPLES} single PUBLISHes 5 ms apart, publish → receive over all deliveries.\n`);
  const rows = [];
  for (const n of SUBSCRIBERS) {
    const r = await measure(redisPort, n);
    const h = await measure(hotslot.port, n);
    rows.push([
      `${int(n)} (${int(MESSAGES[n])} msgs)`,
      `${int(r.rate)} / ${int(h.rate)}${h.complete ? "" : " (incomplete)"}`,
      ratio(h.rate, r.rate),
      `${int(r.deliveries)} / ${int(h.deliveries)}`,
      `${fixed(r.p50, 2)} / ${fixed(h.p50, 2)}`,
      `${fixed(r.p99, 2)} / ${fixed(h.p99, 2)}`,
    ]);
  }
  log(table(["subscribers", "messages/s redis / hotslot", "ratio", "deliveries/s redis / hotslot", "p50 ms redis / hotslot", "p99 ms redis / hotslot"], rows));
  log("");
}
