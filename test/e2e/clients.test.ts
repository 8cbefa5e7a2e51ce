/**
 * Real Redis clients against Hotslot through the TCP bridge: redis-cli (plain, -x, --pipe),
 * redis-benchmark, ioredis and node-redis (RESP2 and RESP3 handshakes), authentication over
 * the bridge (NOAUTH / AUTH / WRONGPASS / read-only NOPERM), and data surviving a restart of
 * the Worker on the same storage. Where a reply is byte-for-byte comparable, the real
 * redis-server started by the globalSetup is asked the same and must answer the same.
 *
 * The Worker and redis-server are shared with other e2e files: every key here starts with
 * a per-run prefix.
 */
import { Cluster, Redis } from "ioredis";
import { createClient, createCluster, RESP_TYPES } from "redis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startBridge, type Bridge } from "../../scripts/bridge.mjs";
import { RawRedis, encodeCommand, redisBenchmark, redisCli } from "./setup/tools";
import { makePersistDir, removeDir, startHotslotWorker, TEST_TOKEN } from "./setup/worker";

const bridgePort = inject("bridgePort");
const redisPort = inject("redisPort");
const hotslotUrl = inject("hotslotUrl");
const token = inject("token");
const readonlyToken = inject("readonlyToken");

/** Keys of this run: shared servers, so never collide with other files or runs. */
const P = `e2e:clients:${process.pid}:${Date.now().toString(36)}:`;

/** Every byte value 0..255 once. */
const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

const bridges: Bridge[] = [];
async function bridgeWith(tokenForBridge: string | null): Promise<Bridge> {
  const b = await startBridge({ port: 0, url: hotslotUrl, token: tokenForBridge, log: null });
  bridges.push(b);
  return b;
}
afterAll(async () => {
  await Promise.all(bridges.map((b) => b.close()));
});

describe("redis-cli through the bridge", () => {
  it("answers PING and ECHO", async () => {
    expect((await redisCli(bridgePort, ["PING"])).stdout.toString()).toBe("PONG\n");
    expect((await redisCli(bridgePort, ["ECHO", "hello world"])).stdout.toString()).toBe("hello world\n");
  });

  it("prints the same as redis-server for PING, ECHO and an unknown command", async () => {
    for (const args of [["PING"], ["PING", "a b"], ["ECHO", "\u00e9\u00e8"], ["NOSUCHCOMMAND", "x"]]) {
      const ours = await redisCli(bridgePort, ["--no-raw", ...args]);
      const theirs = await redisCli(redisPort, ["--no-raw", ...args]);
      expect(ours.stdout.toString("latin1")).toBe(theirs.stdout.toString("latin1"));
    }
  });

  it("stores a value holding every byte 0–255 from stdin (-x) and reads it back raw", async () => {
    const key = `${P}cli:bytes`;
    expect((await redisCli(bridgePort, ["-x", "SET", key], ALL_BYTES)).stdout.toString()).toBe("OK\n");
    const got = await redisCli(bridgePort, ["--raw", "GET", key]);
    expect(got.stdout.equals(Buffer.concat([ALL_BYTES, Buffer.from("\n")]))).toBe(true);
  });

  it("shows a binary value escaped exactly as redis-server does", async () => {
    const key = `${P}cli:escaped`;
    const value = Buffer.concat([ALL_BYTES, Buffer.from(' "quoted" \\ end')]);
    await redisCli(bridgePort, ["-x", "SET", key], value);
    await redisCli(redisPort, ["-x", "SET", key], value);
    const ours = await redisCli(bridgePort, ["--no-raw", "GET", key]);
    const theirs = await redisCli(redisPort, ["--no-raw", "GET", key]);
    expect(ours.stdout.toString("latin1")).toBe(theirs.stdout.toString("latin1"));
    await redisCli(redisPort, ["DEL", key]);
  });

  it("mass-inserts 1,500 commands with --pipe and every write is readable afterwards", async () => {
    const n = 1200;
    const cmds: Buffer[] = [];
    for (let i = 0; i < n; i++) cmds.push(encodeCommand(["SET", `${P}mass:${i}`, `value-${i}`]));
    for (let i = 0; i < 300; i++) cmds.push(encodeCommand(["INCR", `${P}mass:counter`]));
    const res = await redisCli(bridgePort, ["--pipe"], Buffer.concat(cmds));
    expect(res.code).toBe(0);
    expect(res.stdout.toString()).toMatch(/errors: 0, replies: 1500\n$/);

    const keys = Array.from({ length: n }, (_, i) => `${P}mass:${i}`);
    const conn = await RawRedis.connect(bridgePort);
    try {
      const expected = `*${n}\r\n` + keys.map((_, i) => `$${`value-${i}`.length}\r\nvalue-${i}\r\n`).join("");
      expect(await conn.call("MGET", ...keys)).toBe(expected);
      expect(await conn.call("GET", `${P}mass:counter`)).toBe("$3\r\n300\r\n");
    } finally {
      conn.close();
    }
  });

  it("reports a --pipe command's error exactly as with redis-server", async () => {
    const input = Buffer.concat([encodeCommand(["SET", `${P}pipe:text`, "abc"]), encodeCommand(["INCR", `${P}pipe:text`]), encodeCommand(["PING"])]);
    const ours = await redisCli(bridgePort, ["--pipe"], input);
    const theirs = await redisCli(redisPort, ["--pipe"], input);
    await redisCli(redisPort, ["DEL", `${P}pipe:text`]);
    expect(ours.stderr).toBe("ERR value is not an integer or out of range\n");
    expect(ours.stdout.toString()).toMatch(/errors: 1, replies: 3\n$/);
    expect([ours.stdout.toString(), ours.stderr, ours.code]).toEqual([theirs.stdout.toString(), theirs.stderr, theirs.code]);
  });
});

describe("redis-benchmark through the bridge", () => {
  it("runs PING (inline and multibulk) 1,000 times without errors", async () => {
    const res = await redisBenchmark(bridgePort, ["-t", "ping", "-n", "1000", "-q"]);
    expect(res.code).toBe(0);
    const out = res.stdout.toString();
    expect(out).toMatch(/PING_INLINE: [\d.]+ requests per second/);
    expect(out).toMatch(/PING_MBULK: [\d.]+ requests per second/);
    expect(out + res.stderr).not.toMatch(/error/i);
  });

  it("runs pipelined SET and GET (-P 16) without errors", async () => {
    const res = await redisBenchmark(bridgePort, ["-t", "set,get", "-n", "1000", "-P", "16", "-q"]);
    expect(res.code).toBe(0);
    const out = res.stdout.toString();
    expect(out).toMatch(/SET: [\d.]+ requests per second/);
    expect(out).toMatch(/GET: [\d.]+ requests per second/);
    expect(out + res.stderr).not.toMatch(/error/i);
    // redis-benchmark's only key (no -r): remove it from the shared keyspace.
    await redisCli(bridgePort, ["DEL", "key:__rand_int__"]);
  });
});

describe("ioredis through the bridge", () => {
  for (const protocol of [3, 2] as const) {
    describe(`speaking RESP${protocol}`, () => {
      let client: Redis;
      beforeAll(async () => {
        client = new Redis({ host: "127.0.0.1", port: bridgePort, protocol, lazyConnect: true, maxRetriesPerRequest: 0 });
        await client.connect();
      });
      afterAll(async () => {
        await client.quit();
      });

      it("connects (handshake and ready check) and answers PING", async () => {
        expect(await client.ping()).toBe("PONG");
      });

      it("runs a pipeline of 1,000 commands and returns the replies in order", async () => {
        const pipeline = client.pipeline();
        for (let i = 0; i < 500; i++) {
          pipeline.set(`${P}io${protocol}:${i}`, `v${i}`);
          pipeline.get(`${P}io${protocol}:${i}`);
        }
        const results = await pipeline.exec();
        const expected: [null, string][] = [];
        for (let i = 0; i < 500; i++) expected.push([null, "OK"], [null, `v${i}`]);
        expect(results).toEqual(expected);
      });

      it("round-trips a key and a value holding every byte 0–255", async () => {
        const key = Buffer.concat([Buffer.from(`${P}io${protocol}:bin:`), ALL_BYTES]);
        const value = Buffer.from(ALL_BYTES).reverse();
        expect(await client.set(key, value)).toBe("OK");
        expect((await client.getBuffer(key))!.equals(value)).toBe(true);
      });

      it("splits MSET and MGET over shards and counts DEL", async () => {
        const keys = Array.from({ length: 20 }, (_, i) => `${P}io${protocol}:m:${i}`);
        expect(await client.mset(Object.fromEntries(keys.map((k, i) => [k, String(i)])))).toBe("OK");
        expect(await client.mget(...keys, `${P}io${protocol}:m:missing`)).toEqual([...keys.map((_, i) => String(i)), null]);
        expect(await client.del(...keys.slice(0, 5), `${P}io${protocol}:m:missing`)).toBe(5);
        expect(await client.mget(keys[0], keys[5])).toEqual([null, "5"]);
      });

      it("increments with INCR and reports Redis's error for a non-integer", async () => {
        const key = `${P}io${protocol}:counter`;
        expect(await client.incr(key)).toBe(1);
        expect(await client.incr(key)).toBe(2);
        await client.set(`${P}io${protocol}:text`, "abc");
        await expect(client.incr(`${P}io${protocol}:text`)).rejects.toThrow("ERR value is not an integer or out of range");
      });
    });
  }
});

describe("cluster-mode clients through a bridge on any port", () => {
  // CLUSTER SLOTS announces the address the client dialled (127.0.0.1 and the bridge's port),
  // so a cluster client sends every slot there; ioredis's Cluster skips a NULL endpoint.
  it("ioredis Cluster maps every slot to the bridge and runs commands over all shards", async () => {
    const b = await bridgeWith(token);
    const cluster = new Cluster([{ host: "127.0.0.1", port: b.port }], { lazyConnect: true, enableReadyCheck: true, redisOptions: { maxRetriesPerRequest: 0 } });
    try {
      await cluster.connect();
      const keys = Array.from({ length: 20 }, (_, i) => `${P}cl:io:${i}`);
      for (const [i, k] of keys.entries()) expect(await cluster.set(k, String(i))).toBe("OK");
      expect(await Promise.all(keys.map((k) => cluster.get(k)))).toEqual(keys.map((_, i) => String(i)));
      expect(cluster.nodes("master").map((n) => `${n.options.host}:${n.options.port}`)).toEqual([`127.0.0.1:${b.port}`]);
    } finally {
      await cluster.quit();
    }
  });

  it("node-redis createCluster reaches the bridge on a port other than 6379", async () => {
    const b = await bridgeWith(token);
    expect(b.port).not.toBe(6379);
    const cluster = createCluster({ rootNodes: [{ url: `redis://127.0.0.1:${b.port}` }] });
    await cluster.connect();
    try {
      for (let i = 0; i < 10; i++) await cluster.set(`${P}cl:nr:${i}`, String(i));
      for (let i = 0; i < 10; i++) expect(await cluster.get(`${P}cl:nr:${i}`)).toBe(String(i));
    } finally {
      await cluster.close();
    }
  });
});

describe("node-redis through the bridge", () => {
  it("completes its RESP3 handshake (HELLO 3, CLIENT SETINFO) and runs commands", async () => {
    const client = createClient({ socket: { host: "127.0.0.1", port: bridgePort, reconnectStrategy: false }, RESP: 3 });
    client.on("error", () => {});
    await client.connect();
    try {
      const hello = (await client.sendCommand(["HELLO", "3"])) as Record<string, unknown>;
      expect(hello.proto).toBe(3);
      expect(await client.set(`${P}nr3:k`, "v")).toBe("OK");
      expect(await client.get(`${P}nr3:k`)).toBe("v");
      expect(await client.incr(`${P}nr3:n`)).toBe(1);
      expect(await client.mGet([`${P}nr3:k`, `${P}nr3:none`])).toEqual(["v", null]);
      expect(await client.del([`${P}nr3:k`, `${P}nr3:n`])).toBe(2);
    } finally {
      client.destroy();
    }
  });

  it("gets a RESP3 script's Lua booleans as true and false, as from redis-server", async () => {
    const script = "redis.setresp(3); return {true, false}";
    const answers: unknown[] = [];
    for (const port of [bridgePort, redisPort]) {
      const client = createClient({ socket: { host: "127.0.0.1", port, reconnectStrategy: false }, RESP: 3 });
      client.on("error", () => {});
      await client.connect();
      try {
        answers.push(await client.eval(script, { keys: [] }));
      } finally {
        client.destroy();
      }
    }
    expect(answers).toEqual([
      [true, false],
      [true, false],
    ]);
  });

  it("works over RESP2, with binary values as Buffers", async () => {
    const client = createClient({ socket: { host: "127.0.0.1", port: bridgePort, reconnectStrategy: false }, RESP: 2 });
    client.on("error", () => {});
    await client.connect();
    try {
      expect(await client.ping()).toBe("PONG");
      expect(await client.set(`${P}nr2:bin`, ALL_BYTES)).toBe("OK");
      const got: unknown = await client.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer }).get(`${P}nr2:bin`);
      expect(Buffer.isBuffer(got)).toBe(true);
      expect((got as Buffer).equals(ALL_BYTES)).toBe(true);
      expect(await client.mSet({ [`${P}nr2:a`]: "1", [`${P}nr2:b`]: "2" })).toBe("OK");
      expect(await client.mGet([`${P}nr2:a`, `${P}nr2:b`])).toEqual(["1", "2"]);
    } finally {
      client.destroy();
    }
  });

  it("authenticates with a password through a bridge without a token", async () => {
    const open = await bridgeWith(null);
    const client = createClient({ socket: { host: "127.0.0.1", port: open.port, reconnectStrategy: false }, password: token });
    client.on("error", () => {});
    await client.connect();
    try {
      expect(await client.set(`${P}nr:auth`, "yes")).toBe("OK");
      expect(await client.get(`${P}nr:auth`)).toBe("yes");
    } finally {
      client.destroy();
    }
  });
});

describe("authentication through the bridge", () => {
  it("refuses commands with NOAUTH until AUTH with the token, when the bridge has no token", async () => {
    const open = await bridgeWith(null);
    const c = await RawRedis.connect(open.port);
    try {
      expect(await c.call("PING")).toBe("-NOAUTH Authentication required.\r\n");
      expect(await c.call("GET", `${P}auth:k`)).toBe("-NOAUTH Authentication required.\r\n");
      expect(await c.call("AUTH", token)).toBe("+OK\r\n");
      expect(await c.call("PING")).toBe("+PONG\r\n");
      expect(await c.call("SET", `${P}auth:k`, "v")).toBe("+OK\r\n");
    } finally {
      c.close();
    }
  });

  it("answers WRONGPASS to a bad password and stays unauthenticated", async () => {
    const open = await bridgeWith(null);
    const c = await RawRedis.connect(open.port);
    try {
      expect(await c.call("AUTH", "not-the-token")).toBe("-WRONGPASS invalid username-password pair or user is disabled.\r\n");
      expect(await c.call("AUTH", "default", "not-the-token")).toBe("-WRONGPASS invalid username-password pair or user is disabled.\r\n");
      expect(await c.call("PING")).toBe("-NOAUTH Authentication required.\r\n");
    } finally {
      c.close();
    }
  });

  it("lets redis-cli -a authenticate through a bridge without a token", async () => {
    const open = await bridgeWith(null);
    expect((await redisCli(open.port, ["PING"])).stdout.toString()).toBe("NOAUTH Authentication required.\n\n");
    expect((await redisCli(open.port, ["-a", token, "--no-auth-warning", "PING"])).stdout.toString()).toBe("PONG\n");
  });

  it("refuses writes with NOPERM to the read-only token, and allows reads", async () => {
    const ro = await bridgeWith(readonlyToken);
    const c = await RawRedis.connect(ro.port);
    try {
      expect(await c.call("SET", `${P}ro:k`, "v")).toBe("-NOPERM this user has no permissions to run the 'set' command\r\n");
      expect(await c.call("INCR", `${P}ro:n`)).toBe("-NOPERM this user has no permissions to run the 'incr' command\r\n");
      expect(await c.call("GET", `${P}ro:k`)).toBe("$-1\r\n");
      expect(await c.call("PING")).toBe("+PONG\r\n");
    } finally {
      c.close();
    }
  });

  it("gives the read-only grant to AUTH with the read-only token", async () => {
    const open = await bridgeWith(null);
    const c = await RawRedis.connect(open.port);
    try {
      expect(await c.call("AUTH", readonlyToken)).toBe("+OK\r\n");
      expect(await c.call("SET", `${P}ro2:k`, "v")).toBe("-NOPERM this user has no permissions to run the 'set' command\r\n");
      expect(await c.call("GET", `${P}ro2:k`)).toBe("$-1\r\n");
    } finally {
      c.close();
    }
  });

  it("closes the connection with an error when the bridge's token is refused", async () => {
    const bad = await bridgeWith("wrong-token");
    const c = await RawRedis.connect(bad.port);
    try {
      const [reply] = await c.read(1);
      expect(reply).toBe(`-ERR Hotslot bridge: could not open ${bad.url}: the token was refused (401 Unauthorized)\r\n`);
      await c.closed;
    } finally {
      c.close();
    }
  });
});

describe("a Worker restarted on the same storage", () => {
  it("still has every acknowledged write", async () => {
    const dir = await makePersistDir();
    try {
      const keys = Array.from({ length: 40 }, (_, i) => `restart:${i}`);
      const binKey = Buffer.concat([Buffer.from("restart:bin:"), ALL_BYTES]);

      let worker = await startHotslotWorker({ persistDir: dir });
      let bridge = await startBridge({ port: 0, url: worker.url, token: TEST_TOKEN, log: null });
      let client = new Redis({ host: "127.0.0.1", port: bridge.port, lazyConnect: true, maxRetriesPerRequest: 0 });
      await client.connect();
      const pipeline = client.pipeline();
      keys.forEach((k, i) => pipeline.set(k, `value-${i}`));
      pipeline.set(binKey, ALL_BYTES);
      for (let i = 0; i < 7; i++) pipeline.incr("restart:counter");
      pipeline.del(keys[0]);
      await pipeline.exec();
      client.disconnect();
      await bridge.close();
      await worker.stop();

      worker = await startHotslotWorker({ persistDir: dir });
      bridge = await startBridge({ port: 0, url: worker.url, token: TEST_TOKEN, log: null });
      client = new Redis({ host: "127.0.0.1", port: bridge.port, lazyConnect: true, maxRetriesPerRequest: 0 });
      await client.connect();
      try {
        expect(await client.mget(...keys)).toEqual([null, ...keys.slice(1).map((_, i) => `value-${i + 1}`)]);
        expect((await client.getBuffer(binKey))!.equals(ALL_BYTES)).toBe(true);
        expect(await client.get("restart:counter")).toBe("7");
      } finally {
        client.disconnect();
        await bridge.close();
        await worker.stop();
      }
    } finally {
      await removeDir(dir);
    }
  }, 180_000); // two Worker start-ups: slow on a loaded machine
});
