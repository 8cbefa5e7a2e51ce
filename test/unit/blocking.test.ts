/**
 * Blocking list commands across connections of an in-memory cluster: a client blocked on
 * BLPOP is woken by another connection's push, blocked clients are served in arrival order,
 * timeouts reply nil, MULTI never blocks, and what is logged is the non-blocking form.
 */
import { describe, expect, it } from "vitest";
import { Authenticator } from "../../src/router/auth";
import { RespSession } from "../../src/router/session";
import { MemoryPool } from "../support/memory-pool";
import { timeoutOrReply } from "../../src/commands/args";

const auth = new Authenticator({ token: null, readonlyToken: null });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function cluster() {
  const pool = new MemoryPool(2);
  return { pool, connect: () => new RespSession(pool, auth, null) };
}

/** Settles within a tick or stays pending: returns "pending" when not yet resolved. */
async function state<T>(p: Promise<T>): Promise<T | "pending"> {
  return Promise.race([p, sleep(5).then(() => "pending" as const)]);
}

describe("BLPOP", () => {
  it("pops at once when the list has elements, and logs LPOP", async () => {
    const { pool, connect } = cluster();
    const c = connect();
    await c.handle([["RPUSH", "{q}l", "a", "b"]]);
    expect(await c.handle([["BLPOP", "{q}missing", "{q}l", "0"]])).toBe("*2\r\n$4\r\n{q}l\r\n$1\r\na\r\n");
    expect(pool.logs.flat()).toContainEqual(["LPOP", "{q}l"]);
    expect(pool.logs.flat().some((e) => e[0] === "BLPOP")).toBe(false);
  });

  it("blocks until another connection pushes, then replies with the key and element", async () => {
    const { pool, connect } = cluster();
    const waiter = connect();
    const pusher = connect();
    const reply = waiter.handle([["BLPOP", "{q}jobs", "0"]]);
    expect(await state(reply)).toBe("pending");
    expect(await pusher.handle([["LPUSH", "{q}jobs", "job-1"]])).toBe(":1\r\n");
    expect(await reply).toBe("*2\r\n$7\r\n{q}jobs\r\n$5\r\njob-1\r\n");
    expect(await pusher.handle([["EXISTS", "{q}jobs"]])).toBe(":0\r\n");
    const log = pool.logs.flat();
    expect(log.slice(-2)).toEqual([["LPUSH", "{q}jobs", "job-1"], ["LPOP", "{q}jobs"]]);
  });

  it("serves blocked clients in the order they blocked", async () => {
    const { connect } = cluster();
    const first = connect().handle([["BRPOP", "{q}l", "0"]]);
    await sleep(1);
    const second = connect().handle([["BRPOP", "{q}l", "{q}other", "0"]]);
    await sleep(1);
    await connect().handle([["RPUSH", "{q}l", "x", "y"]]);
    expect(await first).toBe("*2\r\n$4\r\n{q}l\r\n$1\r\ny\r\n");
    expect(await second).toBe("*2\r\n$4\r\n{q}l\r\n$1\r\nx\r\n");
  });

  it("gives each pushed element to one waiter, and the rest stay in the list", async () => {
    const { connect } = cluster();
    const waiter = connect().handle([["BLPOP", "{q}l", "0"]]);
    await sleep(1);
    const c = connect();
    expect(await c.handle([["RPUSH", "{q}l", "a", "b", "c"], ["LRANGE", "{q}l", "0", "-1"]])).toBe(":3\r\n*2\r\n$1\r\nb\r\n$1\r\nc\r\n");
    expect(await waiter).toBe("*2\r\n$4\r\n{q}l\r\n$1\r\na\r\n");
  });

  it("replies with a null array when the timeout passes", async () => {
    const { connect } = cluster();
    const started = Date.now();
    expect(await connect().handle([["BLPOP", "{q}none", "0.05"]])).toBe("*-1\r\n");
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
  });

  it("does not block inside MULTI: it replies as on timeout", async () => {
    const { connect } = cluster();
    expect(await connect().handle([["MULTI"], ["BLPOP", "{q}none", "0"], ["EXEC"]])).toBe("+OK\r\n+QUEUED\r\n*1\r\n*-1\r\n");
  });

  it("does not see elements pushed and popped within one transaction", async () => {
    const { connect } = cluster();
    const waiter = connect().handle([["BLPOP", "{q}l", "0"]]);
    await sleep(1);
    const c = connect();
    await c.handle([["MULTI"], ["LPUSH", "{q}l", "a"], ["LPOP", "{q}l"], ["EXEC"]]);
    expect(await state(waiter)).toBe("pending");
    await c.handle([["LPUSH", "{q}l", "b"]]);
    expect(await waiter).toBe("*2\r\n$4\r\n{q}l\r\n$1\r\nb\r\n");
  });

  it("checks the timeout and the key's type before blocking", async () => {
    const { connect } = cluster();
    const c = connect();
    await c.handle([["SET", "{q}s", "x"]]);
    expect(await c.handle([["BLPOP", "{q}l", "abc"], ["BLPOP", "{q}l", "-1"], ["BLPOP", "{q}s", "0"]])).toBe(
      "-ERR timeout is not a float or out of range\r\n-ERR timeout is negative\r\n-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
    );
  });

  it("releases a blocked client that disconnects without taking data", async () => {
    const { connect } = cluster();
    const gone = connect();
    const reply = gone.handle([["BLPOP", "{q}l", "0"]]);
    await sleep(1);
    await gone.close();
    await reply;
    const c = connect();
    await c.handle([["RPUSH", "{q}l", "kept"]]);
    expect(await c.handle([["LRANGE", "{q}l", "0", "-1"]])).toBe("*1\r\n$4\r\nkept\r\n");
  });

  it("refuses keys in different slots with CROSSSLOT", async () => {
    const { connect } = cluster();
    expect(await connect().handle([["BLPOP", "a", "b", "0"]])).toBe("-CROSSSLOT Keys in request don't hash to the same slot\r\n");
  });
});

describe("BLMOVE, BRPOPLPUSH and BLMPOP", () => {
  it("BLMOVE waits for the source, moves the element, and logs LMOVE", async () => {
    const { pool, connect } = cluster();
    const waiter = connect().handle([["BLMOVE", "{q}src", "{q}dst", "LEFT", "RIGHT", "0"]]);
    await sleep(1);
    const c = connect();
    await c.handle([["RPUSH", "{q}src", "v"]]);
    expect(await waiter).toBe("$1\r\nv\r\n");
    expect(await c.handle([["LRANGE", "{q}dst", "0", "-1"], ["EXISTS", "{q}src"]])).toBe("*1\r\n$1\r\nv\r\n:0\r\n");
    expect(pool.logs.flat()).toContainEqual(["LMOVE", "{q}src", "{q}dst", "LEFT", "RIGHT"]);
  });

  it("a move into a list another client waits on wakes that client too", async () => {
    const { connect } = cluster();
    const mover = connect().handle([["BRPOPLPUSH", "{q}a", "{q}b", "0"]]);
    await sleep(1);
    const popper = connect().handle([["BLPOP", "{q}b", "0"]]);
    await sleep(1);
    await connect().handle([["LPUSH", "{q}a", "x"]]);
    expect(await mover).toBe("$1\r\nx\r\n");
    expect(await popper).toBe("*2\r\n$4\r\n{q}b\r\n$1\r\nx\r\n");
  });

  it("BLMOVE times out with a null bulk string", async () => {
    const { connect } = cluster();
    expect(await connect().handle([["BLMOVE", "{q}src", "{q}dst", "LEFT", "LEFT", "0.01"]])).toBe("$-1\r\n");
  });

  it("BLMPOP pops up to COUNT from the first non-empty list, waiting if all are empty", async () => {
    const { pool, connect } = cluster();
    const waiter = connect().handle([["BLMPOP", "0", "2", "{q}x", "{q}y", "RIGHT", "COUNT", "5"]]);
    await sleep(1);
    await connect().handle([["RPUSH", "{q}y", "1", "2", "3"]]);
    expect(await waiter).toBe("*2\r\n$4\r\n{q}y\r\n*3\r\n$1\r\n3\r\n$1\r\n2\r\n$1\r\n1\r\n");
    expect(pool.logs.flat()).toContainEqual(["RPOP", "{q}y", "3"]);
  });
});

describe("BZPOPMIN, BZPOPMAX and BZMPOP", () => {
  it("BZPOPMIN pops at once when it can, replying key, member and score", async () => {
    const { pool, connect } = cluster();
    const c = connect();
    await c.handle([["ZADD", "{z}s", "1", "a", "2", "b"]]);
    expect(await c.handle([["BZPOPMIN", "{z}s", "0"], ["BZPOPMAX", "{z}s", "0"]])).toBe(
      "*3\r\n$4\r\n{z}s\r\n$1\r\na\r\n$1\r\n1\r\n*3\r\n$4\r\n{z}s\r\n$1\r\nb\r\n$1\r\n2\r\n",
    );
    expect(pool.logs.flat()).toEqual(expect.arrayContaining([["ZPOPMIN", "{z}s"], ["ZPOPMAX", "{z}s"]]));
  });

  it("BZPOPMAX waits for a ZADD from another connection, and replies a double in RESP3", async () => {
    const { connect } = cluster();
    const waiter = connect();
    await waiter.handle([["HELLO", "3"]]);
    const reply = waiter.handle([["BZPOPMAX", "{z}none", "{z}s", "0"]]);
    await sleep(1);
    await connect().handle([["ZADD", "{z}s", "1.5", "m", "0.5", "n"]]);
    expect(await reply).toBe("*3\r\n$4\r\n{z}s\r\n$1\r\nm\r\n,1.5\r\n");
  });

  it("BZMPOP waits, then pops up to COUNT members, logged as ZPOPMIN key n", async () => {
    const { pool, connect } = cluster();
    const reply = connect().handle([["BZMPOP", "0", "1", "{z}q", "MIN", "COUNT", "2"]]);
    await sleep(1);
    await connect().handle([["ZADD", "{z}q", "3", "c", "1", "a", "2", "b"]]);
    expect(await reply).toBe("*2\r\n$4\r\n{z}q\r\n*2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n");
    expect(pool.logs.flat()).toContainEqual(["ZPOPMIN", "{z}q", "2"]);
  });

  it("round a positive timeout too small to print up to 1 ms, as Redis's ceill does", async () => {
    expect(timeoutOrReply("1e-400")).toBe(1);
    expect(timeoutOrReply("1e-18")).toBe(1);
    expect(timeoutOrReply("0.0001")).toBe(1);
    expect(timeoutOrReply("1.5")).toBe(1500);
    expect(timeoutOrReply("0")).toBe(0);
    expect(timeoutOrReply("-1e-400")).toBe(0);
    const { connect } = cluster();
    expect(await connect().handle([["BLPOP", "{q}none", "1e-400"]])).toBe("*-1\r\n");
  });

  it("time out with a null array, and refuse a bad timeout", async () => {
    const { connect } = cluster();
    expect(await connect().handle([["BZPOPMIN", "{z}none", "0.01"], ["BZMPOP", "x", "1", "{z}none", "MIN"]])).toBe(
      "*-1\r\n-ERR timeout is not a float or out of range\r\n",
    );
  });
});

describe("the log", () => {
  it("records each effect once, whatever mix of batches, transactions and blocking pops runs", async () => {
    const { pool, connect } = cluster();
    const c = connect();
    await c.handle([["INCR", "{l}x"]]);
    await c.handle([["MULTI"], ["INCR", "{l}x"], ["EXEC"]]);
    await c.handle([["RPUSH", "{l}q", "a"]]);
    await c.handle([["BLPOP", "{l}q", "0"]]);
    await c.handle([["MULTI"], ["INCR", "{l}x"], ["EXEC"]]);
    expect(pool.logs.flat()).toEqual([["INCR", "{l}x"], ["INCR", "{l}x"], ["RPUSH", "{l}q", "a"], ["LPOP", "{l}q"], ["INCR", "{l}x"]]);
  });
});

describe("a pipeline with a blocking command", () => {
  it("sends the replies before it at once, without waiting for it", async () => {
    const { connect } = cluster();
    const c = connect();
    const sent: string[] = [];
    const done = c.handle([["SET", "{p}a", "1"], ["BLPOP", "{p}q", "0"]], (out) => sent.push(out));
    await sleep(5);
    expect(sent).toEqual(["+OK\r\n"]);
    await connect().handle([["RPUSH", "{p}q", "x"]]);
    expect(await done).toBe("*2\r\n$4\r\n{p}q\r\n$1\r\nx\r\n");
  });
});
