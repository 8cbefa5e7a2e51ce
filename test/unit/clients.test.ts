/**
 * The router's client registry through the CLIENT command and INFO clients, on an
 * in-memory cluster: every RESP session is listed (Redis 7.0's CLIENT LIST line format),
 * blocked clients are counted and can be released by CLIENT UNBLOCK (timeout reply, or
 * the UNBLOCKED error), CLIENT KILL closes other connections or the caller after its
 * reply, and argument errors are redis-server 7.0's words.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Authenticator } from "../../src/router/auth";
import { RespSession } from "../../src/router/session";
import { MemoryPool } from "../support/memory-pool";

const auth = new Authenticator({ token: null, readonlyToken: null });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const open: RespSession[] = [];
const pool = new MemoryPool(2);
function connect(): RespSession {
  const s = new RespSession(pool, auth, null);
  open.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

/** A bulk or verbatim reply's text. */
function bulkText(resp: string): string {
  const m = /^\$(\d+)\r\n/.exec(resp);
  if (!m) throw new Error(`not a bulk reply: ${JSON.stringify(resp)}`);
  return resp.slice(m[0].length, m[0].length + Number(m[1]));
}

function infoField(text: string, field: string): number {
  const m = new RegExp(`^${field}:(\\d+)`, "m").exec(text);
  if (!m) throw new Error(`no ${field} in INFO`);
  return Number(m[1]);
}

/** CLIENT LIST's fields, in redis-server 7.0's order. */
const FIELDS = [
  "id", "addr", "laddr", "fd", "name", "age", "idle", "flags", "db", "sub", "psub", "ssub", "multi", "qbuf",
  "qbuf-free", "argv-mem", "multi-mem", "rbs", "rbp", "obl", "oll", "omem", "tot-mem", "events", "cmd", "user",
  "redir", "resp",
];

function parseLine(line: string): Record<string, string> {
  return Object.fromEntries(line.split(" ").map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]));
}

describe("CLIENT LIST and CLIENT INFO", () => {
  it("list every connection of the isolate with Redis 7.0's fields in order", async () => {
    const a = connect();
    const b = connect();
    await b.handle([["CLIENT", "SETNAME", "worker-b"], ["HELLO", "3"]]);
    const text = bulkText(await a.handle([["CLIENT", "LIST"]]));
    expect(text.endsWith("\n")).toBe(true);
    const lines = text.trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line.split(" ").map((kv) => kv.split("=")[0])).toEqual(FIELDS);
    const [la, lb] = lines.map(parseLine);
    expect(la).toMatchObject({ id: String(a.id), name: "", flags: "N", db: "0", multi: "-1", cmd: "client|list", user: "default", resp: "2" });
    expect(lb).toMatchObject({ id: String(b.id), name: "worker-b", cmd: "hello", resp: "3" });
    expect(la.addr).not.toBe(lb.addr);
  });

  it("filters by ID and by TYPE, and refuses what Redis refuses", async () => {
    const a = connect();
    const b = connect();
    const byId = bulkText(await a.handle([["CLIENT", "LIST", "ID", String(b.id), "999999"]]));
    expect(byId.trimEnd().split("\n").map((l) => parseLine(l).id)).toEqual([String(b.id)]);
    expect(bulkText(await a.handle([["CLIENT", "LIST", "TYPE", "pubsub"]]))).toBe("");
    expect(bulkText(await a.handle([["CLIENT", "LIST", "TYPE", "normal"]])).trimEnd().split("\n")).toHaveLength(2);
    expect(await a.handle([["CLIENT", "LIST", "TYPE", "foo"]])).toBe("-ERR Unknown client type 'foo'\r\n");
    expect(await a.handle([["CLIENT", "LIST", "ID", "abc"]])).toBe("-ERR Invalid client ID\r\n");
    expect(await a.handle([["CLIENT", "LIST", "ID"]])).toBe("-ERR syntax error\r\n");
    expect(await a.handle([["CLIENT", "LIST", "TYPE", "normal", "ID", "1"]])).toBe("-ERR syntax error\r\n");
  });

  it("shows MULTI (flag x, queued count) and the caller's own line in CLIENT INFO", async () => {
    const a = connect();
    await a.handle([["MULTI"], ["SET", "k", "v"], ["GET", "k"]]);
    const line = parseLine(bulkText(await connect().handle([["CLIENT", "LIST", "ID", String(a.id)]])).trimEnd());
    expect(line.flags).toBe("x");
    expect(line.multi).toBe("2");
    const info = bulkText(await connect().handle([["CLIENT", "INFO"]]));
    expect(info.endsWith("\n")).toBe(true);
    expect(parseLine(info.trimEnd())).toMatchObject({ cmd: "client|info", flags: "N" });
  });

  it("drops a connection from the list when it closes", async () => {
    const a = connect();
    const b = connect();
    await b.close();
    expect(bulkText(await a.handle([["CLIENT", "LIST", "ID", String(b.id)]]))).toBe("");
  });
});

describe("INFO clients", () => {
  it("counts connected and blocked clients", async () => {
    const a = connect();
    const before = bulkText(await a.handle([["INFO", "clients"]]));
    const connected = infoField(before, "connected_clients");
    expect(infoField(before, "blocked_clients")).toBe(0);
    const waiter = connect();
    const reply = waiter.handle([["BLPOP", "{c}q", "0"]]);
    await sleep(5);
    const during = bulkText(await a.handle([["INFO", "clients"]]));
    expect(infoField(during, "connected_clients")).toBe(connected + 1);
    expect(infoField(during, "blocked_clients")).toBe(1);
    const listed = parseLine(bulkText(await a.handle([["CLIENT", "LIST", "ID", String(waiter.id)]])).trimEnd());
    expect(listed).toMatchObject({ flags: "b", cmd: "blpop" });
    await a.handle([["RPUSH", "{c}q", "x"]]);
    expect(await reply).toBe("*2\r\n$4\r\n{c}q\r\n$1\r\nx\r\n");
    expect(infoField(bulkText(await a.handle([["INFO", "clients"]])), "blocked_clients")).toBe(0);
  });
});

describe("CLIENT UNBLOCK", () => {
  it("gives a blocked client its timeout reply, and the list keeps its elements", async () => {
    const a = connect();
    const waiter = connect();
    const reply = waiter.handle([["BLPOP", "{c}u1", "0"]]);
    await sleep(5);
    expect(await a.handle([["CLIENT", "UNBLOCK", String(waiter.id)]])).toBe(":1\r\n");
    expect(await reply).toBe("*-1\r\n");
    expect(await a.handle([["CLIENT", "UNBLOCK", String(waiter.id)]])).toBe(":0\r\n");
    // The released client is no longer parked: a push stays in the list.
    await a.handle([["RPUSH", "{c}u1", "x"]]);
    expect(await a.handle([["LLEN", "{c}u1"]])).toBe(":1\r\n");
  });

  it("gives the UNBLOCKED error with ERROR", async () => {
    const a = connect();
    const waiter = connect();
    const reply = waiter.handle([["BRPOP", "{c}u2", "100"]]);
    await sleep(5);
    expect(await a.handle([["CLIENT", "UNBLOCK", String(waiter.id), "error"]])).toBe(":1\r\n");
    expect(await reply).toBe("-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n");
  });

  it("answers 0 for a client that is not blocked, and Redis's errors for bad arguments", async () => {
    const a = connect();
    expect(await a.handle([["CLIENT", "UNBLOCK", "999999"]])).toBe(":0\r\n");
    expect(await a.handle([["CLIENT", "UNBLOCK", String(a.id)]])).toBe(":0\r\n");
    expect(await a.handle([["CLIENT", "UNBLOCK", "abc"]])).toBe("-ERR value is not an integer or out of range\r\n");
    expect(await a.handle([["CLIENT", "UNBLOCK", "abc", "foo"]])).toBe("-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR\r\n");
    expect(await a.handle([["CLIENT", "UNBLOCK", "1", "error", "x"]])).toBe(
      "-ERR unknown subcommand or wrong number of arguments for 'unblock'. Try CLIENT HELP.\r\n",
    );
    expect(await a.handle([["CLIENT", "UNBLOCK"]])).toBe("-ERR wrong number of arguments for 'client|unblock' command\r\n");
  });
});

describe("CLIENT KILL", () => {
  it("closes another connection by ID, releasing its blocked command", async () => {
    const a = connect();
    const victim = connect();
    const reply = victim.handle([["BLPOP", "{c}k", "0"]]);
    await sleep(5);
    expect(await a.handle([["CLIENT", "KILL", "ID", String(victim.id)]])).toBe(":1\r\n");
    expect(victim.killed).toBe(true);
    expect(victim.closing).toBe(true);
    await reply;
    expect(infoField(bulkText(await a.handle([["INFO", "clients"]])), "blocked_clients")).toBe(0);
    expect(bulkText(await a.handle([["CLIENT", "LIST", "ID", String(victim.id)]]))).toBe("");
    // Nothing is left parked on the shard: a push stays in the list.
    await a.handle([["RPUSH", "{c}k", "x"]]);
    expect(await a.handle([["LLEN", "{c}k"]])).toBe(":1\r\n");
  });

  it("kills by address in the old form, answering OK", async () => {
    const a = connect();
    const victim = connect();
    const addr = parseLine(bulkText(await a.handle([["CLIENT", "LIST", "ID", String(victim.id)]])).trimEnd()).addr;
    expect(await a.handle([["CLIENT", "KILL", addr]])).toBe("+OK\r\n");
    expect(victim.killed).toBe(true);
    expect(await a.handle([["CLIENT", "KILL", "1.2.3.4:5"]])).toBe("-ERR No such client\r\n");
  });

  it("skips the caller by default; SKIPME no closes it after its reply", async () => {
    const a = connect();
    expect(await a.handle([["CLIENT", "KILL", "ID", String(a.id)]])).toBe(":0\r\n");
    expect(a.closing).toBe(false);
    expect(await a.handle([["CLIENT", "KILL", "ID", String(a.id), "SKIPME", "no"], ["PING"]])).toBe(":1\r\n");
    expect(a.closing).toBe(true);
  });

  it("answers Redis 7.0's replies and errors for its filters", async () => {
    const a = connect();
    expect(await a.handle([["CLIENT", "KILL", "ID", "999999"]])).toBe(":0\r\n");
    expect(await a.handle([["CLIENT", "KILL", "ADDR", "1.1.1.1:1"]])).toBe(":0\r\n");
    expect(await a.handle([["CLIENT", "KILL", "TYPE", "pubsub"]])).toBe(":0\r\n");
    expect(await a.handle([["CLIENT", "KILL", "ID", "abc"]])).toBe("-ERR client-id should be greater than 0\r\n");
    expect(await a.handle([["CLIENT", "KILL", "ID", "0"]])).toBe("-ERR client-id should be greater than 0\r\n");
    expect(await a.handle([["CLIENT", "KILL", "TYPE", "foo"]])).toBe("-ERR Unknown client type 'foo'\r\n");
    expect(await a.handle([["CLIENT", "KILL", "USER", "nobody"]])).toBe("-ERR No such user 'nobody'\r\n");
    expect(await a.handle([["CLIENT", "KILL", "ID", "5", "SKIPME", "maybe"]])).toBe("-ERR syntax error\r\n");
    expect(await a.handle([["CLIENT", "KILL", "ID", "5", "ID"]])).toBe("-ERR syntax error\r\n");
    expect(await a.handle([["CLIENT", "KILL", "MAXAGE", "5"]])).toBe("-ERR syntax error\r\n");
    expect(await a.handle([["CLIENT", "KILL"]])).toBe("-ERR wrong number of arguments for 'client|kill' command\r\n");
  });
});

describe("CLIENT REPLY", () => {
  it("answers OK for ON and a syntax error for a mode Redis does not know", async () => {
    const a = connect();
    expect(await a.handle([["CLIENT", "REPLY", "on"]])).toBe("+OK\r\n");
    expect(await a.handle([["CLIENT", "REPLY", "FOO"]])).toBe("-ERR syntax error\r\n");
    expect(await a.handle([["CLIENT", "REPLY"]])).toBe("-ERR wrong number of arguments for 'client|reply' command\r\n");
  });
});
