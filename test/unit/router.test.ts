/**
 * The router's pipeline handling against an in-memory cluster: one call per shard per
 * pipeline, replies in request order, split/merge and fan-out, CROSSSLOT, sessions
 * (AUTH, HELLO, MULTI) and the read-only token.
 */
import { describe, expect, it } from "vitest";
import { Authenticator } from "../../src/router/auth";
import { RespSession } from "../../src/router/session";
import { MemoryPool } from "../support/memory-pool";
import { REDIS_VERSION } from "../../src/version";

function session(pool = new MemoryPool(4), token: string | null = null, grant: "full" | "readonly" | null = null) {
  return new RespSession(pool, new Authenticator({ token, readonlyToken: token ? "ro-" + token : null }), grant);
}

describe("a pipeline", () => {
  it("costs one call per shard, however many commands it holds", async () => {
    const pool = new MemoryPool(4);
    const s = session(pool);
    const cmds = Array.from({ length: 200 }, (_, i) => ["SET", `key:${i}`, String(i)]);
    expect(await s.handle(cmds)).toBe("+OK\r\n".repeat(200));
    expect(pool.calls).toEqual([1, 1, 1, 1]);
    const gets = Array.from({ length: 200 }, (_, i) => ["GET", `key:${i}`]);
    expect(await s.handle(gets)).toBe(gets.map((_, i) => `$${String(i).length}\r\n${i}\r\n`).join(""));
    expect(pool.calls).toEqual([2, 2, 2, 2]);
  });

  it("keeps one call per shard when it mixes split and fanned-out commands", async () => {
    const pool = new MemoryPool(4);
    const s = session(pool);
    const out = await s.handle([["MSET", "a", "1", "b", "2", "c", "3", "d", "4"], ["DBSIZE"], ["MGET", "d", "a", "x"], ["DEL", "a", "b", "x"], ["PING"], ["DBSIZE"]]);
    expect(out).toBe("+OK\r\n:4\r\n*3\r\n$1\r\n4\r\n$1\r\n1\r\n$-1\r\n:2\r\n+PONG\r\n:2\r\n");
    expect(pool.calls).toEqual([1, 1, 1, 1]);
  });

  it("answers unknown commands and wrong arity without calling a shard", async () => {
    const pool = new MemoryPool(2);
    const out = await session(pool).handle([["NOPE", "x"], ["GET"]]);
    expect(out).toBe("-ERR unknown command 'NOPE', with args beginning with: 'x' \r\n-ERR wrong number of arguments for 'get' command\r\n");
    expect(pool.calls).toEqual([0, 0]);
  });
});

describe("split and fanned-out commands", () => {
  it("answers MSET with a dangling key as Redis does, without harming the rest of the pipeline", async () => {
    const s = session(new MemoryPool(4));
    expect(await s.handle([["SET", "a", "1"], ["MSET", "a", "1", "b", "2", "c"], ["GET", "a"], ["DBSIZE"]])).toBe(
      "+OK\r\n-ERR wrong number of arguments for 'mset' command\r\n$1\r\n1\r\n:1\r\n",
    );
  });

  it("reads SCAN's cursor first, as strtoul does, before the shard checks the options", async () => {
    const s = session(new MemoryPool(4));
    expect(await s.handle([["SCAN", "18446744073709551616", "COUNT", "x"], ["SCAN", " 1"], ["SCAN", "0", "COUNT", "x"]])).toBe(
      "-ERR invalid cursor\r\n-ERR invalid cursor\r\n-ERR value is not an integer or out of range\r\n",
    );
    expect(await s.handle([["SCAN", "-1"]])).toMatch(/^\*2\r\n\$\d+\r\n\d+\r\n\*0\r\n$/);
  });

  it("answers SCRIPT HELP with its text, SCRIPT EXISTS with 1 only where every shard holds the script", async () => {
    const s = session(new MemoryPool(3));
    const help = await s.handle([["SCRIPT", "HELP"]]);
    expect(help.startsWith("*17\r\n+SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n")).toBe(true);
    expect(await s.handle([["SCRIPT", "LOAD", "return 1"], ["SCRIPT", "EXISTS", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "0"]])).toBe(
      "$40\r\ne0e1f9fabfc9d4800c877a703b823ac0578ff8db\r\n*2\r\n:1\r\n:0\r\n",
    );
  });

  it("reads INFO's section names as C strings, up to a NUL byte, as the shards do", async () => {
    const s = session(new MemoryPool(4));
    await s.handle([["SET", "a", "1"]]);
    const keyspace = await s.handle([["INFO", "keyspace"]]);
    expect(keyspace).toContain("# Keyspace\r\ndb0:keys=1,");
    expect(await s.handle([["INFO", "KeySpace\x00junk"]])).toBe(keyspace);
  });
});

describe("LASTSAVE", () => {
  it("answers the oldest save time over the shards", async () => {
    const pool = new MemoryPool(3);
    const times = [1_700_000_300, 1_700_000_100, 1_700_000_200];
    pool.shards.forEach((core, i) => {
      core.executor.persistence = { ...core.executor.persistence, lastSave: () => times[i] } as typeof core.executor.persistence;
    });
    expect(await session(pool).handle([["LASTSAVE"]])).toBe(":1700000100\r\n");
  });
});

describe("a session", () => {
  it("requires AUTH when a token is configured, and accepts the token", async () => {
    const s = session(new MemoryPool(1), "secret");
    expect(await s.handle([["GET", "k"], ["AUTH", "wrong"], ["AUTH", "secret"], ["GET", "k"]])).toBe(
      "-NOAUTH Authentication required.\r\n-WRONGPASS invalid username-password pair or user is disabled.\r\n+OK\r\n$-1\r\n",
    );
  });

  it("refuses writes, KEYS, SCAN and publishing to the read-only token", async () => {
    const s = session(new MemoryPool(1), "secret", "readonly");
    expect(await s.handle([["SET", "k", "v"], ["KEYS", "*"], ["GET", "k"], ["PUBLISH", "c", "m"], ["SPUBLISH", "c", "m"]])).toBe(
      "-NOPERM this user has no permissions to run the 'set' command\r\n-NOPERM this user has no permissions to run the 'keys' command\r\n$-1\r\n" +
        "-NOPERM this user has no permissions to run the 'publish' command\r\n-NOPERM this user has no permissions to run the 'spublish' command\r\n",
    );
  });

  it("refuses the read-only token scripts that may write and write or admin subcommands, with Redis's ACL texts", async () => {
    const s = session(new MemoryPool(1), "secret", "readonly");
    const sha = "e0e1f9fabfc9d4800c877a703b823ac0578ff8db";
    expect(
      await s.handle([
        ["EVAL", "return redis.call('set','k','v')", "0"],
        ["EVALSHA", sha, "0"],
        ["FCALL", "f", "0"],
        ["FUNCTION", "FLUSH"],
        ["function", "load", "#!lua name=lib\nredis.register_function('f', function() return redis.call('set','k','v') end)"],
        ["CLIENT", "KILL", "ID", "1"],
        ["CLIENT", "LIST"],
        ["EVAL_RO", "return redis.call('get','k')", "0"],
        ["FUNCTION", "LIST"],
        ["CLIENT", "ID"],
      ]),
    ).toBe(
      "-NOPERM this user has no permissions to run the 'eval' command\r\n" +
        "-NOPERM this user has no permissions to run the 'evalsha' command\r\n" +
        "-NOPERM this user has no permissions to run the 'fcall' command\r\n" +
        "-NOPERM this user has no permissions to run the 'function|flush' command\r\n" +
        "-NOPERM this user has no permissions to run the 'function|load' command\r\n" +
        "-NOPERM this user has no permissions to run the 'client|kill' command\r\n" +
        "-NOPERM this user has no permissions to run the 'client|list' command\r\n" +
        "$-1\r\n*0\r\n:" +
        s.id +
        "\r\n",
    );
  });

  it("refuses SCRIPT FLUSH to the read-only token (it empties the cache every client's EVALSHA needs), not SCRIPT LOAD or EXISTS", async () => {
    const s = session(new MemoryPool(1), "secret", "readonly");
    const sha = "e0e1f9fabfc9d4800c877a703b823ac0578ff8db";
    expect(await s.handle([["SCRIPT", "LOAD", "return 1"], ["script", "flush"], ["SCRIPT", "FLUSH", "ASYNC"], ["SCRIPT", "EXISTS", sha], ["EVALSHA_RO", sha, "0"]])).toBe(
      `$40\r\n${sha}\r\n` +
        "-NOPERM this user has no permissions to run the 'script|flush' command\r\n" +
        "-NOPERM this user has no permissions to run the 'script|flush' command\r\n" +
        "*1\r\n:1\r\n:1\r\n",
    );
  });

  it("RESET returns to the connection's own token (a bridge client never sent AUTH), or to needing AUTH without one", async () => {
    const full = session(new MemoryPool(1), "secret", "full");
    expect(await full.handle([["RESET"], ["SET", "k", "v"], ["GET", "k"]])).toBe("+RESET\r\n+OK\r\n$1\r\nv\r\n");
    const readonly = session(new MemoryPool(1), "secret", "readonly");
    expect(await readonly.handle([["AUTH", "secret"], ["RESET"], ["SET", "k", "v"]])).toBe(
      "+OK\r\n+RESET\r\n-NOPERM this user has no permissions to run the 'set' command\r\n",
    );
    const none = session(new MemoryPool(1), "secret");
    expect(await none.handle([["AUTH", "secret"], ["RESET"], ["GET", "k"]])).toBe("+OK\r\n+RESET\r\n-NOAUTH Authentication required.\r\n");
  });

  it("switches to RESP3 with HELLO 3 for the replies after it", async () => {
    const s = session();
    const out = await s.handle([["GET", "missing"], ["HELLO", "3"], ["GET", "missing"]]);
    expect(out.startsWith("$-1\r\n%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n")).toBe(true);
    expect(out.endsWith("_\r\n")).toBe(true);
  });

  it("answers COMMAND INFO in RESP3 with the sets and flag cases of redis-server 7.0", async () => {
    const out = await session().handle([["HELLO", "3"], ["COMMAND", "INFO", "get"]]);
    // redis-server 7.0.15's bytes for the same request.
    const redis =
      "*1\r\n*10\r\n$3\r\nget\r\n:2\r\n~2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n~3\r\n+@read\r\n+@string\r\n+@fast\r\n~0\r\n" +
      "~1\r\n%3\r\n$5\r\nflags\r\n~2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n%2\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n%1\r\n$5\r\nindex\r\n:1\r\n" +
      "$9\r\nfind_keys\r\n%2\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n%3\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n~0\r\n";
    expect(out.endsWith(redis)).toBe(true);
  });

  it("drops replies after CLIENT REPLY OFF until ON, and the next command's after SKIP, as Redis does", async () => {
    const s = session();
    expect(
      await s.handle([["CLIENT", "REPLY", "OFF"], ["SET", "a", "1"], ["GET", "a"], ["NOPE"], ["CLIENT", "REPLY", "ON"], ["GET", "a"]]),
    ).toBe("+OK\r\n$1\r\n1\r\n");
    expect(await s.handle([["CLIENT", "REPLY", "SKIP"], ["SET", "a", "2"], ["GET", "a"], ["CLIENT", "REPLY", "SKIP"], ["CLIENT", "REPLY", "SKIP"], ["PING", "x"], ["PING", "y"]])).toBe(
      "$1\r\n2\r\n$1\r\ny\r\n",
    );
    // A skipped BLPOP's timeout reply; a bad mode is a syntax error (skipped too after SKIP).
    expect(await s.handle([["CLIENT", "REPLY", "SKIP"], ["BLPOP", "nolist", "0.01"], ["CLIENT", "REPLY", "SKIP"], ["CLIENT", "REPLY", "BAD"], ["CLIENT", "REPLY", "BAD"]])).toBe(
      "-ERR syntax error\r\n",
    );
    expect(await s.handle([["CLIENT", "REPLY", "OFF"], ["CLIENT", "REPLY", "SKIP"], ["PING"], ["RESET"], ["PING"]])).toBe("+RESET\r\n+PONG\r\n");
  });

  it("refuses commands flagged no_multi inside MULTI, discarding the transaction", async () => {
    const s = session();
    expect(await s.handle([["MULTI"], ["SAVE"], ["EXEC"]])).toBe(
      "+OK\r\n-ERR Command not allowed inside a transaction\r\n-EXECABORT Transaction discarded because of previous errors.\r\n",
    );
  });

  it("refuses DEBUG with Redis's error unless the admin token or ENABLE_DEBUG_COMMAND allows it", async () => {
    const auth = new Authenticator({ token: "secret", readonlyToken: null, adminToken: "root", enableDebugCommand: false });
    const full = new RespSession(new MemoryPool(2), auth, "full");
    expect(await full.handle([["DEBUG", "DIGEST"]])).toBe(
      '-ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.\r\n',
    );
    expect(await full.handle([["AUTH", "root"], ["DEBUG", "DIGEST"]])).toBe("+OK\r\n+" + "0".repeat(40) + "\r\n");
    const open = new RespSession(new MemoryPool(2), new Authenticator({ token: null, readonlyToken: null, enableDebugCommand: true }), null);
    expect(await open.handle([["DEBUG", "DIGEST"]])).toBe("+" + "0".repeat(40) + "\r\n");
  });

  it("stops at QUIT", async () => {
    const s = session();
    expect(await s.handle([["QUIT"], ["PING"]])).toBe("+OK\r\n");
    expect(s.closing).toBe(true);
  });
});

describe("WATCH", () => {
  it("runs EXEC when FLUSHALL only removed other keys, and aborts it when the watched key existed", async () => {
    const pool = new MemoryPool(1);
    const a = session(pool);
    const b = session(pool);
    await a.handle([["WATCH", "missing"]]);
    await b.handle([["SET", "other", "1"], ["FLUSHALL"]]);
    expect(await a.handle([["MULTI"], ["PING"], ["EXEC"]])).toBe("+OK\r\n+QUEUED\r\n*1\r\n+PONG\r\n");
    await b.handle([["SET", "present", "1"]]);
    await a.handle([["WATCH", "present"]]);
    await b.handle([["FLUSHALL"]]);
    expect(await a.handle([["MULTI"], ["PING"], ["EXEC"]])).toBe("+OK\r\n+QUEUED\r\n*-1\r\n");
  });

  it("aborts EXEC when a watched key expires after WATCH, but not when it had already expired", async () => {
    let now = 1_000_000;
    const pool = new MemoryPool(1, () => now);
    const a = session(pool);
    await a.handle([["SET", "{w}soon", "1", "PX", "10"], ["SET", "{w}gone", "1", "PX", "5"]]);
    now += 6;
    expect(await a.handle([["WATCH", "{w}soon", "{w}gone"]])).toBe("+OK\r\n");
    now += 10;
    expect(await a.handle([["MULTI"], ["PING"], ["EXEC"]])).toBe("+OK\r\n+QUEUED\r\n*-1\r\n");
    await a.handle([["WATCH", "{w}gone"]]);
    expect(await a.handle([["MULTI"], ["PING"], ["EXEC"]])).toBe("+OK\r\n+QUEUED\r\n*1\r\n+PONG\r\n");
  });
});

describe("session commands in a RESP session", () => {
  it("act at once inside MULTI when they control it (MULTI, EXEC, DISCARD, WATCH, RESET, QUIT)", async () => {
    expect(await session(new MemoryPool(1)).handle([["MULTI"], ["WATCH", "k"], ["DISCARD"], ["DISCARD"], ["EXEC"]])).toBe(
      "+OK\r\n-ERR WATCH inside MULTI is not allowed\r\n+OK\r\n-ERR DISCARD without MULTI\r\n-ERR EXEC without MULTI\r\n",
    );
    expect(await session(new MemoryPool(1)).handle([["MULTI"], ["MULTI"], ["SET", "a", "1"], ["EXEC"]])).toBe(
      "+OK\r\n-ERR MULTI calls can not be nested\r\n+QUEUED\r\n*1\r\n+OK\r\n",
    );
    expect(await session(new MemoryPool(1)).handle([["MULTI"], ["SET", "a", "1"], ["RESET"], ["EXEC"]])).toBe("+OK\r\n+QUEUED\r\n+RESET\r\n-ERR EXEC without MULTI\r\n");
    expect(await session(new MemoryPool(1)).handle([["MULTI"], ["PING"], ["QUIT"], ["PING"]])).toBe("+OK\r\n+QUEUED\r\n+OK\r\n");
  });

  it("are queued inside MULTI otherwise, and change the session when EXEC runs them", async () => {
    const s = session(new MemoryPool(1));
    expect(await s.handle([["MULTI"], ["HELLO", "3"], ["CLIENT", "SETNAME", "n"], ["SELECT", "0"], ["AUTH", "x"], ["EXEC"], ["CLIENT", "GETNAME"]])).toBe(
      "+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*4\r\n" +
        `%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n${REDIS_VERSION}\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:${s.id}\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n` +
        "+OK\r\n+OK\r\n-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n$1\r\nn\r\n",
    );
  });

  it("abort on a refused EXEC as Redis does: transaction and watches discarded, EXECABORT naming the error", async () => {
    const pool = new MemoryPool(1);
    const s = session(pool);
    expect(await s.handle([["WATCH", "k"], ["MULTI"], ["SET", "a", "1"], ["EXEC", "x"], ["EXEC"]])).toBe(
      "+OK\r\n+OK\r\n+QUEUED\r\n-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command\r\n-ERR EXEC without MULTI\r\n",
    );
    // The watch went with it: another client's write no longer fails the next transaction.
    expect(await session(pool).handle([["SET", "k", "v"]])).toBe("+OK\r\n");
    expect(await s.handle([["MULTI"], ["EXEC"]])).toBe("+OK\r\n*0\r\n");
    expect(await session(pool, "secret").handle([["EXEC"], ["EXEC", "x"]])).toBe(
      "-EXECABORT Transaction discarded because of: NOAUTH Authentication required.\r\n" +
        "-EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command\r\n",
    );
  });

  it("refuse MONITOR inside EXEC, as Redis refuses it to a DENY BLOCKING client", async () => {
    expect(await session(new MemoryPool(1)).handle([["MULTI"], ["MONITOR"], ["PING"], ["EXEC"], ["PING"]])).toBe(
      "+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n-ERR MONITOR isn't allowed for DENY BLOCKING client\r\n+PONG\r\n+PONG\r\n",
    );
  });

  it("answer WATCH across slots with CROSSSLOT and UNWATCH with OK", async () => {
    expect(await session(new MemoryPool(1)).handle([["WATCH", "a", "b"], ["UNWATCH"], ["MULTI"], ["WATCH", "x"], ["EXEC"]])).toBe(
      "-CROSSSLOT Keys in request don't hash to the same slot\r\n+OK\r\n+OK\r\n-ERR WATCH inside MULTI is not allowed\r\n*0\r\n",
    );
  });

  it("are allowed to the read-only token, KEYS and SCAN refused even inside MULTI", async () => {
    const s = session(new MemoryPool(1), "t", "readonly");
    expect(await s.handle([["MULTI"], ["KEYS", "*"], ["SCAN", "0"], ["GET", "a"], ["EXEC"], ["SCAN", "0"], ["WATCH", "a"], ["CLIENT", "ID"]])).toBe(
      "+OK\r\n-NOPERM this user has no permissions to run the 'keys' command\r\n-NOPERM this user has no permissions to run the 'scan' command\r\n+QUEUED\r\n" +
        `-EXECABORT Transaction discarded because of previous errors.\r\n-NOPERM this user has no permissions to run the 'scan' command\r\n+OK\r\n:${s.id}\r\n`,
    );
  });

  it("are refused before AUTH unless flagged no_auth, unknown names and bad arity reported as such", async () => {
    const s = session(new MemoryPool(1), "t");
    expect(await s.handle([["MULTI"], ["GET"], ["NOPE"], ["PING"], ["HELLO", "3"], ["CLIENT", "ID"], ["AUTH", "t"], ["MULTI"], ["EXEC"]])).toBe(
      "-NOAUTH Authentication required.\r\n-ERR wrong number of arguments for 'get' command\r\n-ERR unknown command 'NOPE', with args beginning with: \r\n" +
        "-NOAUTH Authentication required.\r\n-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n" +
        "-NOAUTH Authentication required.\r\n+OK\r\n+OK\r\n*0\r\n",
    );
  });

  it("queue UNWATCH inside MULTI and answer it OK in EXEC's reply, as Redis does", async () => {
    expect(await session(new MemoryPool(1)).handle([["MULTI"], ["UNWATCH"], ["EXEC"]])).toBe("+OK\r\n+QUEUED\r\n*1\r\n+OK\r\n");
  });
});

describe("a failed shard call", () => {
  it("answers WATCH and UNWATCH with the same 'shard N unavailable' error as any command", async () => {
    const pool = new MemoryPool(4);
    const s = session(pool);
    expect(await s.handle([["WATCH", "k"]])).toBe("+OK\r\n");
    const shard = pool.slots.shardOfKey("k");
    pool.watch = () => Promise.reject(new Error("down"));
    pool.unwatch = () => Promise.reject(new Error("down"));
    pool.exec = () => Promise.reject(new Error("down"));
    expect(await s.handle([["WATCH", "k"], ["UNWATCH"], ["GET", "k"]])).toBe(
      `-ERR shard ${shard} unavailable: down\r\n-ERR shard ${shard} unavailable: down\r\n-ERR shard ${shard} unavailable: down\r\n`,
    );
  });
});

describe("COMMAND GETKEYS", () => {
  it("answers redis-server 7.0's errors in its order: command, keys, arity, then the arguments", async () => {
    const s = session(new MemoryPool(2));
    const ask = (...argv: string[]) => s.handle([["COMMAND", "GETKEYS", ...argv]]);
    expect(await ask("get")).toBe("-ERR wrong number of arguments for 'command|getkeys' command\r\n");
    expect(await ask("nosuch", "k")).toBe("-ERR Invalid command specified\r\n");
    expect(await ask("object", "foo", "k")).toBe("-ERR Invalid command specified\r\n");
    expect(await ask("object", "help")).toBe("-ERR The command has no key arguments\r\n");
    expect(await ask("object", "encoding", "k")).toBe("*1\r\n$1\r\nk\r\n");
    expect(await ask("time", "x")).toBe("-ERR The command has no key arguments\r\n");
    expect(await ask("set", "k")).toBe("-ERR Invalid number of arguments specified for command\r\n");
    expect(await ask("lmpop", "0", "a", "left")).toBe("-ERR Invalid arguments specified for command\r\n");
    expect(await ask("zunionstore", "d", "-1", "a", "b")).toBe("-ERR Invalid arguments specified for command\r\n");
    expect(await ask("eval", "return 1", "0")).toBe("*0\r\n");
    expect(await ask("eval", "return 1", "3", "a", "b")).toBe("*0\r\n");
    expect(await ask("lmpop", "2", "a", "b", "left")).toBe("*2\r\n$1\r\na\r\n$1\r\nb\r\n");
  });
});
