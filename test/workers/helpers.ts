/**
 * Test helpers inside workerd: Upstash-style HTTP calls and RESP WebSocket sessions
 * against the router (SELF), and stubs of the shard Durable Objects behind it. A RESP
 * frame of commands is answered by one frame of replies, so `send` resolves with the
 * next frame.
 */
import { env, SELF } from "cloudflare:test";
import { afterAll, beforeAll } from "vitest";
import { shardName } from "../../src/router/pool";
import { SlotMap } from "../../src/router/slots";

/** The tokens the workers project configures (vitest.config.mts bindings). */
export const TOKEN = "test-token";
export const READONLY_TOKEN = "test-readonly-token";
/** The shard count the workers project configures (vitest.config.mts bindings: SHARDS). */
export const SHARDS = 4;

/** The stub of shard `i`'s Durable Object: the same object the router sends shard i's commands to. */
export function shardStub(i: number): DurableObjectStub {
  return env.SHARD.get(env.SHARD.idFromName(shardName(i))) as unknown as DurableObjectStub;
}

/** The stub of the shard whose slot range holds `key`'s slot. */
export function shardStubOfKey(key: string): DurableObjectStub {
  return shardStub(SlotMap.contiguous(SHARDS).shardOfKey(key));
}

/** One key in each shard: `${prefix}${i}` for the first i hashing to each shard, by shard. */
export function keyPerShard(prefix: string): string[] {
  const slots = SlotMap.contiguous(SHARDS);
  const keys: string[] = [];
  for (let i = 0, found = 0; found < SHARDS; i++) {
    const key = `${prefix}${i}`;
    if (keys[slots.shardOfKey(key)] === undefined) {
      keys[slots.shardOfKey(key)] = key;
      found++;
    }
  }
  return keys;
}

/**
 * POSTs `body` (JSON-encoded unless a string) to `path`, with the full token unless
 * `headers` carries its own Authorization. Returns the status and the parsed JSON body.
 */
export async function http(body: unknown, path = "/", headers: Record<string, string> = {}): Promise<{ status: number; json: any }> {
  const hasAuth = Object.keys(headers).some((h) => h.toLowerCase() === "authorization");
  const res = await SELF.fetch(`http://hotslot${path}`, {
    method: "POST",
    body: typeof body === "string" ? body : JSON.stringify(body),
    headers: hasAuth ? headers : { Authorization: `Bearer ${TOKEN}`, ...headers },
  });
  return { status: res.status, json: await res.json() };
}

/** One Redis command over HTTP → its result (throws the error text on errors). */
export async function cmd(...argv: (string | number)[]): Promise<any> {
  const { json } = await http(argv);
  if ("error" in json) throw new Error(json.error);
  return json.result;
}

export interface RespConnection {
  /** Sends raw RESP (string is treated as binary: one char per byte) and returns the reply frame. */
  send(raw: string): Promise<string>;
  /** Sends commands as multibulk and returns the reply frame. */
  call(...cmds: string[][]): Promise<string>;
  close(): void;
  closed: Promise<void>;
}

function toBinary(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

/**
 * Opens a RESP WebSocket session, authenticated with `token` (the full token by default;
 * null for a session that must AUTH itself).
 */
export async function connect(query = "", token: string | null = TOKEN): Promise<RespConnection> {
  const headers: Record<string, string> = { Upgrade: "websocket" };
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  const res = await SELF.fetch(`http://hotslot/${query}`, { headers });
  const ws = res.webSocket;
  if (!ws) throw new Error(`no websocket: ${res.status}`);
  ws.accept();
  const frames: string[] = [];
  const waiters: ((s: string) => void)[] = [];
  let onClosed!: () => void;
  const closed = new Promise<void>((r) => (onClosed = r));
  const deliver = (text: string) => {
    const w = waiters.shift();
    if (w) w(text);
    else frames.push(text);
  };
  ws.addEventListener("message", (e) => {
    if (e.data instanceof ArrayBuffer) deliver(toBinary(new Uint8Array(e.data)));
    else if (typeof e.data === "string") deliver(toBinary(new TextEncoder().encode(e.data)));
    else void (e.data as Blob).arrayBuffer().then((b) => deliver(toBinary(new Uint8Array(b))));
  });
  ws.addEventListener("close", () => onClosed());
  const next = () => new Promise<string>((resolve) => {
    const f = frames.shift();
    if (f !== undefined) resolve(f);
    else waiters.push(resolve);
  });
  const send = (raw: string) => {
    const bytes = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    ws.send(bytes);
    return next();
  };
  return {
    send,
    call: (...cmds) => send(cmds.map((argv) => `*${argv.length}\r\n` + argv.map((a) => `$${a.length}\r\n${a}\r\n`).join("")).join("")),
    close: () => ws.close(),
    closed,
  };
}

/**
 * For the enclosing describe: the global fetch sends http://hotslot… to the Worker (SELF), so
 * client libraries that call fetch (@upstash/redis) reach it.
 */
export function routeFetchToWorker(): void {
  const realFetch = globalThis.fetch;
  beforeAll(() => {
    globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = input instanceof Request ? input.url : String(input);
      if (!url.startsWith("http://hotslot")) return realFetch(input, init);
      return SELF.fetch(url, { method: init?.method, headers: new Headers(init?.headers), body: init?.body });
    }) as typeof fetch;
  });
  afterAll(() => {
    globalThis.fetch = realFetch;
  });
}
