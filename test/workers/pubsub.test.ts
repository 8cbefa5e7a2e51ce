/**
 * Pub/Sub inside workerd: subscribers on separate router requests (each WebSocket is its
 * own request, as different isolates would be) receive what any protocol publishes, in
 * order; counts, unsubscribe, subscribed-mode rules, ghost cleanup when a subscriber goes,
 * Server-Sent Events, and keyspace notifications (including expiry by the alarm).
 */
import { env, runDurableObjectAlarm, runInDurableObject, SELF } from "cloudflare:test";
import { GHOST_MS, type PubSubHub } from "../../src/pubsub/hub";
import { durableHubs, HubClient } from "../../src/pubsub/hubs";
import { hubName, hubOfChannel } from "../../src/pubsub/placement";
import { describe, expect, it } from "vitest";
import { cmd, READONLY_TOKEN, TOKEN } from "./helpers";

/** A raw RESP WebSocket gathering everything it receives as one binary string. */
async function stream() {
  const res = await SELF.fetch("http://hotslot/", { headers: { Upgrade: "websocket", Authorization: `Bearer ${TOKEN}` } });
  const ws = res.webSocket!;
  ws.accept();
  let got = "";
  // Frames may arrive as Blobs: read them in arrival order.
  let chain: Promise<void> = Promise.resolve();
  ws.addEventListener("message", (e) => {
    const data = e.data as ArrayBuffer | string | Blob;
    chain = chain.then(async () => {
      const bytes =
        data instanceof ArrayBuffer ? new Uint8Array(data) : typeof data === "string" ? new TextEncoder().encode(data) : new Uint8Array(await data.arrayBuffer());
      for (const b of bytes) got += String.fromCharCode(b);
    });
  });
  const self = {
    get text() {
      return got;
    },
    take() {
      const t = got;
      got = "";
      return t;
    },
    send(...argvs: string[][]) {
      ws.send(argvs.map((argv) => `*${argv.length}\r\n` + argv.map((a) => `$${a.length}\r\n${a}\r\n`).join("")).join(""));
    },
    async until(pred: (text: string) => boolean, ms = 3000): Promise<string> {
      const end = Date.now() + ms;
      while (!pred(got)) {
        if (Date.now() > end) throw new Error(`timed out; got ${JSON.stringify(got)}`);
        await new Promise((r) => setTimeout(r, 5));
      }
      return self.take();
    },
    async call(...argvs: string[][]): Promise<string> {
      self.take();
      self.send(...argvs);
      return self.until((t) => t.length > 0 && t.endsWith("\r\n") && complete(t, argvs.length));
    },
    close: () => ws.close(),
  };
  return self;
}

/** True when `text` holds at least `n` whole top-level RESP values (a rough reader for tests). */
function complete(text: string, n: number): boolean {
  let i = 0;
  const one = (): boolean => {
    if (i >= text.length) return false;
    const type = text[i];
    const eol = text.indexOf("\r\n", i);
    if (eol < 0) return false;
    const head = text.slice(i + 1, eol);
    i = eol + 2;
    if (type === "$") {
      const len = Number(head);
      if (len < 0) return true;
      if (text.length < i + len + 2) return false;
      i += len + 2;
      return true;
    }
    if (type === "*" || type === ">") {
      for (let k = 0; k < Number(head); k++) if (!one()) return false;
      return true;
    }
    return true;
  };
  for (let k = 0; k < n; k++) if (!one()) return false;
  return true;
}

const msg = (ch: string, m: string) => `*3\r\n$7\r\nmessage\r\n$${ch.length}\r\n${ch}\r\n$${m.length}\r\n${m}\r\n`;
const sub = (verb: string, ch: string, n: number) => `*3\r\n$${verb.length}\r\n${verb}\r\n$${ch.length}\r\n${ch}\r\n:${n}\r\n`;

describe("SUBSCRIBE / PUBLISH across router requests", () => {
  it("delivers one publisher's messages to every subscriber, in order, and counts receivers", async () => {
    const a = await stream();
    const b = await stream();
    expect(await a.call(["SUBSCRIBE", "news", "sport"])).toBe(sub("subscribe", "news", 1) + sub("subscribe", "sport", 2));
    expect(await b.call(["SUBSCRIBE", "news"])).toBe(sub("subscribe", "news", 1));
    const p = await stream();
    const replies = await p.call(...Array.from({ length: 50 }, (_, i) => ["PUBLISH", "news", `m${i}`]));
    expect(replies).toBe(":2\r\n".repeat(50));
    const expected = Array.from({ length: 50 }, (_, i) => msg("news", `m${i}`)).join("");
    expect(await a.until((t) => t.length >= expected.length)).toBe(expected);
    expect(await b.until((t) => t.length >= expected.length)).toBe(expected);
    // Over HTTP too, in the JSON form and the path form.
    expect(await cmd("PUBLISH", "sport", "goal")).toBe(1);
    expect(await a.until((t) => t.length >= msg("sport", "goal").length)).toBe(msg("sport", "goal"));
    const res = await SELF.fetch("http://hotslot/publish/sport/again", { method: "POST", headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(await res.json()).toEqual({ result: 1 });
    expect(await a.until((t) => t.length >= msg("sport", "again").length)).toBe(msg("sport", "again"));
    a.close();
    b.close();
    p.close();
  });

  it("patterns see every hub's channels; NUMSUB, NUMPAT, CHANNELS merge the hubs", async () => {
    const s = await stream();
    await s.call(["PSUBSCRIBE", "pat.*"]);
    const s2 = await stream();
    await s2.call(["PSUBSCRIBE", "pat.*", "other*"]);
    const chans = ["pat.a", "pat.b", "pat.c", "pat.d", "pat.e", "pat.f"];
    for (const c of chans) expect(await cmd("PUBLISH", c, "x")).toBe(2);
    const want = chans.map((c) => `*4\r\n$8\r\npmessage\r\n$5\r\npat.*\r\n$5\r\n${c}\r\n$1\r\nx\r\n`).join("");
    expect(await s.until((t) => t.length >= want.length)).toBe(want);
    expect(await cmd("PUBSUB", "NUMPAT")).toBe(2);
    const c1 = await stream();
    await c1.call(["SUBSCRIBE", "cnt1", "cnt2", "cnt3"]);
    const c2 = await stream();
    await c2.call(["SUBSCRIBE", "cnt2"]);
    expect(await cmd("PUBSUB", "NUMSUB", "cnt1", "cnt2", "nobody")).toEqual(["cnt1", 1, "cnt2", 2, "nobody", 0]);
    expect((await cmd("PUBSUB", "CHANNELS", "cnt*")).sort()).toEqual(["cnt1", "cnt2", "cnt3"]);
    // Unsubscribing one channel: counts follow.
    expect(await c1.call(["UNSUBSCRIBE", "cnt1"])).toBe(sub("unsubscribe", "cnt1", 2));
    expect(await cmd("PUBSUB", "NUMSUB", "cnt1")).toEqual(["cnt1", 0]);
    for (const c of [s, s2, c1, c2]) c.close();
  });

  it("shard channels are a namespace of their own", async () => {
    const s = await stream();
    expect(await s.call(["SSUBSCRIBE", "orders"])).toBe(sub("ssubscribe", "orders", 1));
    expect(await cmd("PUBLISH", "orders", "x")).toBe(0);
    expect(await cmd("SPUBLISH", "orders", "y")).toBe(1);
    expect(await s.until((t) => t.length > 0)).toBe("*3\r\n$8\r\nsmessage\r\n$6\r\norders\r\n$1\r\ny\r\n");
    expect(await cmd("PUBSUB", "SHARDNUMSUB", "orders")).toEqual(["orders", 1]);
    expect(await cmd("PUBSUB", "SHARDCHANNELS")).toContain("orders");
    s.close();
  });

  it("RESP2 subscribed mode allows only the pubsub commands, PING answers as Redis", async () => {
    const s = await stream();
    await s.call(["SUBSCRIBE", "modech"]);
    expect(await s.call(["GET", "x"])).toBe("-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n");
    expect(await s.call(["PUBSUB", "NUMSUB"])).toBe(
      "-ERR Can't execute 'pubsub|numsub': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n",
    );
    expect(await s.call(["PING"])).toBe("*2\r\n$4\r\npong\r\n$0\r\n\r\n");
    expect(await s.call(["PING", "hi"])).toBe("*2\r\n$4\r\npong\r\n$2\r\nhi\r\n");
    expect(await s.call(["UNSUBSCRIBE"])).toBe(sub("unsubscribe", "modech", 0));
    expect(await s.call(["UNSUBSCRIBE"])).toBe("*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n");
    expect(await s.call(["PING"])).toBe("+PONG\r\n");
    await s.call(["SUBSCRIBE", "modech"]);
    expect(await s.call(["RESET"])).toBe("+RESET\r\n");
    // RESET leaves subscribed mode (and, with tokens configured, the session must AUTH again).
    expect(await s.call(["AUTH", TOKEN])).toBe("+OK\r\n");
    expect(await s.call(["GET", "nokey-reset"])).toBe("$-1\r\n");
    expect(await cmd("PUBSUB", "NUMSUB", "modech")).toEqual(["modech", 0]);
    s.close();
  });

  it("RESP3 pushes interleave with ordinary replies", async () => {
    const s = await stream();
    await s.call(["HELLO", "3"]);
    expect(await s.call(["SUBSCRIBE", "r3"])).toBe(">3\r\n$9\r\nsubscribe\r\n$2\r\nr3\r\n:1\r\n");
    expect(await s.call(["GET", "nokey-r3"])).toBe("_\r\n");
    expect(await cmd("PUBLISH", "r3", "hey")).toBe(1);
    expect(await s.until((t) => t.length > 0)).toBe(">3\r\n$7\r\nmessage\r\n$2\r\nr3\r\n$3\r\nhey\r\n");
    expect(await s.call(["PING"])).toBe("+PONG\r\n");
    s.close();
  });

  it("a closed subscriber is no longer counted (no ghosts)", async () => {
    const s = await stream();
    await s.call(["SUBSCRIBE", "ghost"]);
    expect(await cmd("PUBLISH", "ghost", "1")).toBe(1);
    s.close();
    const end = Date.now() + 5000;
    let n = 1;
    while (Date.now() < end && (n = await cmd("PUBLISH", "ghost", "2")) !== 0) await new Promise((r) => setTimeout(r, 20));
    expect(n).toBe(0);
    expect(await cmd("PUBSUB", "NUMSUB", "ghost")).toEqual(["ghost", 0]);
  });

  it("CLIENT LIST shows type pubsub and the counts", async () => {
    const s = await stream();
    await s.call(["CLIENT", "SETNAME", "subscriber-x"]);
    await s.call(["SUBSCRIBE", "cl1", "cl2"]);
    await s.call(["PSUBSCRIBE", "cl*"]);
    const other = await stream();
    const list = await other.call(["CLIENT", "LIST", "TYPE", "pubsub"]);
    expect(list).toMatch(/name=subscriber-x .*flags=P .*sub=2 psub=1 ssub=0/);
    s.close();
    other.close();
  });
});

describe("Server-Sent Events", () => {
  it("GET /subscribe streams Upstash's event format and ends when the client goes", async () => {
    const ctrl = new AbortController();
    const res = await SELF.fetch("http://hotslot/subscribe/sse-ch", { headers: { Authorization: `Bearer ${TOKEN}` }, signal: ctrl.signal });
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    let text = "";
    const readUntil = async (s: string) => {
      while (!text.includes(s)) text += dec.decode((await reader.read()).value);
    };
    await readUntil("data: subscribe,sse-ch,1\n\n");
    expect(await cmd("PUBLISH", "sse-ch", "héllo")).toBe(1);
    await readUntil("data: message,sse-ch,héllo\n\n");
    const p = await SELF.fetch("http://hotslot/psubscribe/sse-*", { headers: { Authorization: `Bearer ${TOKEN}` } });
    const pr = p.body!.getReader();
    let ptext = "";
    while (!ptext.includes("psubscribe")) ptext += dec.decode((await pr.read()).value);
    expect(ptext).toBe("data: psubscribe,sse-*,1\n\n");
    expect(await cmd("PUBLISH", "sse-ch", "two")).toBe(2);
    while (!ptext.includes("two")) ptext += dec.decode((await pr.read()).value);
    expect(ptext).toContain("data: pmessage,sse-*,sse-ch,two\n\n");
    await pr.cancel();
    await reader.cancel();
    const end = Date.now() + 5000;
    let n = 2;
    while (Date.now() < end && (n = await cmd("PUBLISH", "sse-ch", "x")) !== 0) await new Promise((r) => setTimeout(r, 20));
    expect(n).toBe(0);
  });
});

describe("keyspace notifications", () => {
  it("a shard's events reach subscribers, per family, and expiry by the alarm", async () => {
    const s = await stream();
    await s.call(["PSUBSCRIBE", "__keyevent@0__:*"]);
    await cmd("CONFIG", "SET", "notify-keyspace-events", "KEA");
    try {
      await cmd("SET", "kn:str", "v");
      await cmd("LPUSH", "kn:list", "a");
      await cmd("SADD", "kn:set", "a");
      await cmd("HSET", "kn:hash", "f", "v");
      await cmd("ZADD", "kn:zset", "1", "a");
      await cmd("DEL", "kn:str");
      await cmd("SET", "kn:ttl", "v", "PX", "50");
      const ev = (e: string, k: string) => `*4\r\n$8\r\npmessage\r\n$16\r\n__keyevent@0__:*\r\n$${15 + e.length}\r\n__keyevent@0__:${e}\r\n$${k.length}\r\n${k}\r\n`;
      const want = [ev("set", "kn:str"), ev("lpush", "kn:list"), ev("sadd", "kn:set"), ev("hset", "kn:hash"), ev("zadd", "kn:zset"), ev("del", "kn:str"), ev("set", "kn:ttl"), ev("expire", "kn:ttl")];
      const got = await s.until((t) => want.every((w) => t.includes(w)) && t.includes(ev("expired", "kn:ttl")), 10_000);
      // One shard's events arrive in its commit order; across shards order is not defined.
      expect(got.indexOf(ev("set", "kn:ttl"))).toBeLessThan(got.indexOf(ev("expired", "kn:ttl")));
    } finally {
      await cmd("CONFIG", "SET", "notify-keyspace-events", "");
      s.close();
    }
  });
});

describe("ghost subscribers", () => {
  it("a hub closes a socket whose router went silent (no heartbeat) at its next sweep", async () => {
    // A subscriber socket straight to the hub that never sends a heartbeat: as a router
    // isolate that died without closing its sockets would look.
    const channel = "ghost-silent";
    const hubs = new HubClient(durableHubs(env.HUB!, 4));
    const hub = hubOfChannel(channel, 4);
    const stub = env.HUB!.get(env.HUB!.idFromName(hubName(hub)));
    const res = await stub.fetch("http://hub/subscribe", { headers: { Upgrade: "websocket" } });
    const ws = res.webSocket!;
    ws.accept();
    const acked = new Promise((r) => ws.addEventListener("message", r));
    ws.send(JSON.stringify({ id: 1, op: "sub", kind: "channel", names: [channel] }));
    await acked;
    expect(await hubs.numsub("channel", [channel])).toEqual([1]);
    // A sweep before GHOST_MS has passed keeps it.
    await runDurableObjectAlarm(stub);
    expect(await hubs.numsub("channel", [channel])).toEqual([1]);
    // Pretend it was opened longer ago than GHOST_MS: the next sweep closes it.
    await runInDurableObject(stub, (hubObject: PubSubHub) => {
      const opened = (hubObject as unknown as { opened: Map<WebSocket, number> }).opened;
      for (const w of opened.keys()) opened.set(w, Date.now() - GHOST_MS - 1000);
    });
    await runDurableObjectAlarm(stub);
    expect(await hubs.numsub("channel", [channel])).toEqual([0]);
    expect(await cmd("PUBLISH", channel, "x")).toBe(0);
  });
});

describe("MONITOR", () => {
  it("streams every command of every connection and HTTP request, formatted as Redis", async () => {
    const m = await stream();
    expect(await m.call(["MONITOR"])).toBe("+OK\r\n");
    const c = await stream();
    await c.call(["SET", "mon:key", "a b\n\x01"]);
    await cmd("GET", "mon:key");
    const got = await m.until((t) => t.includes('"GET" "mon:key"'));
    expect(got).toMatch(/^\+\d+\.\d{6} \[0 0\.0\.0\.0:\d+\] "SET" "mon:key" "a b\\n\\x01"\r\n/m);
    expect(got).toMatch(/\+\d+\.\d{6} \[0 http\] "GET" "mon:key"\r\n/);
    // Admin commands and AUTH are not shown, as Redis hides them.
    await c.call(["AUTH", TOKEN]);
    await c.call(["CONFIG", "GET", "maxmemory"]);
    await c.call(["PING"]);
    const after = await m.until((t) => t.includes('"PING"'));
    expect(after).not.toContain("AUTH");
    expect(after).not.toContain("CONFIG");
    m.close();
    c.close();
  });

  it("refuses a monitoring connection what reads or writes the keyspace, as Redis refuses a replica", async () => {
    const m = await stream();
    expect(await m.call(["MONITOR"])).toBe("+OK\r\n");
    // (Its own commands' MONITOR lines may follow a reply.)
    const refused = /^-ERR Replica can't interact with the keyspace\r\n/;
    for (const argv of [["SET", "mon:r", "1"], ["GET", "mon:r"], ["DBSIZE"], ["KEYS", "*"], ["EVAL", "return 1", "0"], ["PUBLISH", "c", "m"], ["OBJECT", "FREQ", "mon:r"], ["FUNCTION", "FLUSH"]]) {
      expect(await m.call(argv), argv.join(" ")).toMatch(refused);
    }
    // Unknown commands and bad arity first, as Redis; the rest runs.
    expect(await m.call(["GET"])).toMatch(/^-ERR wrong number of arguments for 'get' command\r\n/);
    expect(await m.call(["ECHO", "x"])).toMatch(/^\$1\r\nx\r\n/);
    expect(await m.call(["CONFIG", "GET", "maxmemory"])).toMatch(/^\*2\r\n\$9\r\nmaxmemory\r\n/);
    expect(await cmd("EXISTS", "mon:r")).toBe(0);
    // RESET ends monitoring: the keyspace is reachable again.
    expect(await m.call(["RESET"])).toMatch(/^\+RESET\r\n/);
    m.close();
  });

  it("GET /monitor streams the lines as events; a read-only token is refused", async () => {
    const refused = await SELF.fetch("http://hotslot/monitor", { headers: { Authorization: `Bearer ${READONLY_TOKEN}` } });
    expect(refused.status).toBe(403);
    const res = await SELF.fetch("http://hotslot/monitor", { headers: { Authorization: `Bearer ${TOKEN}` } });
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    let text = "";
    while (!text.includes("data: OK\n\n")) text += dec.decode((await reader.read()).value);
    await cmd("SET", "mon:sse", "1");
    while (!text.includes('"SET" "mon:sse" "1"')) text += dec.decode((await reader.read()).value);
    expect(text).toMatch(/data: \d+\.\d{6} \[0 http\] "SET" "mon:sse" "1"\n\n/);
    await reader.cancel();
  });
});

describe("client-output-buffer-limit", () => {
  it("CONFIG GET/SET as Redis 7.0, with its errors", async () => {
    expect(await cmd("CONFIG", "GET", "client-output-buffer-limit")).toEqual([
      "client-output-buffer-limit",
      "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
    ]);
    await expect(cmd("CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb")).rejects.toThrow(
      "ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - Wrong number of arguments in buffer limit configuration.",
    );
    await expect(cmd("CONFIG", "SET", "client-output-buffer-limit", "foo 1 1 1")).rejects.toThrow("Invalid client class specified in buffer limit configuration.");
    await expect(cmd("CONFIG", "SET", "client-output-buffer-limit", "pubsub x 0 0")).rejects.toThrow("Error in hard, soft or soft_seconds setting in buffer limit configuration.");
  });

  it("a subscriber whose unsent output passes the pubsub hard limit is disconnected; others are not", async () => {
    await cmd("CONFIG", "SET", "client-output-buffer-limit", "pubsub 4kb 0 0");
    try {
      expect((await cmd("CONFIG", "GET", "client-output-buffer-limit"))[1]).toBe("normal 0 0 0 slave 268435456 67108864 60 pubsub 4096 0 0");
      // A subscriber that is blocked (BLPOP via another path is not allowed while subscribed in
      // RESP2, so RESP3): pushes queue behind the blocked reply and pass the limit.
      const slow = await stream();
      await slow.call(["HELLO", "3"]);
      await slow.call(["SUBSCRIBE", "limit-ch"]);
      const fine = await stream();
      await fine.call(["SUBSCRIBE", "limit-ch"]);
      await new Promise((r) => setTimeout(r, 50)); // the limit is read when the connection subscribes
      slow.send(["BLPOP", "limit-nokey", "0"]);
      await new Promise((r) => setTimeout(r, 50));
      const big = "x".repeat(1000);
      for (let i = 0; i < 10; i++) await cmd("PUBLISH", "limit-ch", big);
      await fine.until((t) => (t.match(/message/g) ?? []).length >= 10);
      const end = Date.now() + 3000;
      let n = 2;
      while (Date.now() < end && (n = await cmd("PUBLISH", "limit-ch", "x")) !== 1) await new Promise((r) => setTimeout(r, 20));
      expect(n, slow.text.slice(0, 200)).toBe(1);
      fine.close();
    } finally {
      await cmd("CONFIG", "SET", "client-output-buffer-limit", "pubsub 32mb 8mb 60");
    }
  });
});

describe("CLIENT KILL TYPE pubsub", () => {
  it("closes the subscribers, and their subscriptions go with them", async () => {
    const s = await stream();
    await s.call(["SUBSCRIBE", "kill-ch"]);
    const other = await stream();
    expect(await other.call(["CLIENT", "KILL", "TYPE", "pubsub"])).toMatch(/^:[1-9]\d*\r\n$/);
    // The killed connection closes at its next event: the next message.
    await cmd("PUBLISH", "kill-ch", "x");
    const end = Date.now() + 3000;
    let n = 1;
    while (Date.now() < end && (n = await cmd("PUBLISH", "kill-ch", "y")) !== 0) await new Promise((r) => setTimeout(r, 20));
    expect(n).toBe(0);
    other.close();
  });
});
