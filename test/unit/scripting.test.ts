// EVAL / EVALSHA / SCRIPT in one shard's executor: the redis API, conversions, errors in
// redis-server 7.0's words, effects (the script's writes, never the script), the step budget.
import { describe, expect, it } from "vitest";
import { Executor } from "../../src/commands/execute";
import { error, simple, type Reply } from "../../src/protocol/reply";
import { encodeRepliesBinary } from "../../src/protocol/resp";
import { engine } from "../support/engine";
import { SCAN_AWAY, SCAN_SERVE } from "../../src/engine/keyspace";
import { keySlot } from "../../src/util/keyslot";
import { SCRIPT_OUT_OF_MEMORY } from "../../src/scripting/memory-budget";
import { ERR_ROUTER_COMMAND_FROM_SCRIPT } from "../../src/commands/errors";

const sha = (body: string) => {
  const e = engine();
  return e.run("SCRIPT", "LOAD", body) as string;
};

describe("EVAL", () => {
  it("converts Lua values to replies as Redis does", () => {
    const e = engine();
    expect(e.run("EVAL", "return {1, 'a', {2, false, 3}, true, 3.99, nil, 5}", "0")).toEqual([1, "a", [2, null, 3], 1, 3]);
    expect(e.run("EVAL", "return {ok='FINE'}", "0")).toEqual(simple("FINE"));
    expect(e.run("EVAL", "return redis.error_reply('My bad')", "0")).toEqual(error("My bad"));
    expect(e.run("EVAL", "return -3.7", "0")).toBe(-3);
    expect(e.run("EVAL", "return 2^63", "0")).toBe(-9223372036854775808n);
    expect(e.run("EVAL", "return false", "0")).toBe(null);
  });

  it("returns big numbers and verbatim strings as RESP3 sends them, bulk strings in RESP2", () => {
    const e = engine();
    const big = e.run("EVAL", "return {big_number='12x'}", "0") as Reply;
    expect(encodeRepliesBinary([big], 3)).toBe("(12x\r\n");
    expect(encodeRepliesBinary([big], 2)).toBe("$3\r\n12x\r\n");
    const text = e.run("EVAL", "return {verbatim_string={format='txt',string='hi'}}", "0") as Reply;
    expect(encodeRepliesBinary([text], 3)).toBe("=6\r\ntxt:hi\r\n");
    expect(encodeRepliesBinary([text], 2)).toBe("$2\r\nhi\r\n");
    // Without both fields it is an ordinary table: an (empty) array.
    expect(e.run("EVAL", "return {verbatim_string={format='txt'}}", "0")).toEqual([]);
  });

  it("passes KEYS and ARGV and calls commands", () => {
    const e = engine();
    expect(e.run("EVAL", "redis.call('set', KEYS[1], ARGV[1]); return redis.call('get', KEYS[1])", "1", "k", "v")).toBe("v");
    expect(e.run("EVAL", "return redis.call('incrby', KEYS[1], 2.0)", "1", "n")).toBe(2);
    expect(e.run("EVAL", "return redis.call('get', 'missing')", "0")).toBe(null);
    expect(e.run("EVAL", "return type(redis.call('get', 'missing'))", "0")).toBe("boolean");
    expect(e.run("EVAL", "return tostring(10/2) .. ' ' .. unpack({7}) .. ' ' .. table.getn({1,2})", "0")).toBe("5 7 2");
  });

  it("answers errors in redis-server's words", () => {
    const e = engine();
    const s = (body: string) => sha(body);
    expect(e.run("EVAL", "return x", "0")).toEqual(error(`ERR user_script:1: Script attempted to access nonexistent global variable 'x' script: ${s("return x")}, on @user_script:1.`));
    expect(e.run("EVAL", "x=1", "0")).toEqual(error(`ERR user_script:1: Attempt to modify a readonly table script: ${s("x=1")}, on @user_script:1.`));
    expect(e.run("EVAL", "return 1 +", "0")).toEqual(error("ERR Error compiling script (new function): user_script:1: unexpected symbol near '<eof>'"));
    expect(e.run("EVAL", "return redis.call('nosuch')", "0")).toEqual(error(`ERR Unknown Redis command called from script script: ${s("return redis.call('nosuch')")}, on @user_script:1.`));
    expect(e.run("EVAL", "return redis.pcall('incr','a','b')", "0")).toEqual(error("ERR Wrong number of args calling Redis command from script"));
    expect(e.run("EVAL", "return redis.call('eval','return 1', 0)", "0")).toEqual(error(`ERR This Redis command is not allowed from script script: ${s("return redis.call('eval','return 1', 0)")}, on @user_script:1.`));
    expect(e.run("EVAL", "return 1", "-1")).toEqual(error("ERR Number of keys can't be negative"));
    expect(e.run("EVAL", "return 1", "2", "a")).toEqual(error("ERR Number of keys can't be greater than number of args"));
    expect(e.run("EVAL", "return 1", "x")).toEqual(error("ERR value is not an integer or out of range"));
    expect(e.run("EVALSHA", "abc", "0")).toEqual(error("NOSCRIPT No matching script. Please use EVAL."));
    expect(e.run("EVAL", "#!lua flags=bogus\nreturn 1", "0")).toEqual(error("ERR Unexpected flag in script shebang: bogus"));
    expect(e.run("EVAL", "#!js\nreturn 1", "0")).toEqual(error("ERR Unexpected engine in script shebang: #!js"));
    expect(e.run("EVAL", "#!lua flags=allow-key-locking\nreturn 1", "0")).toBe(1);
  });

  it("refuses writes in EVAL_RO and no-writes scripts", () => {
    const e = engine();
    const body = "return redis.call('set','a','1')";
    expect(e.run("EVAL_RO", body, "1", "a")).toEqual(error(`ERR Write commands are not allowed from read-only scripts. script: ${sha(body)}, on @user_script:1.`));
    const flagged = "#!lua flags=no-writes\n" + body;
    expect(e.run("EVAL", flagged, "1", "a")).toEqual(error(`ERR Write commands are not allowed from read-only scripts. script: ${sha(flagged)}, on @user_script:2.`));
  });

  it("logs the script's effects and the cached body, never the script", () => {
    const e = engine();
    const body = "redis.call('set', KEYS[1], 'v', 'EX', 10); redis.call('incr', 'n'); return 1";
    expect(e.logged("EVAL", body, "1", "k")).toEqual([["SCRIPT", "LOAD", body], ["SET", "k", "v", "PXAT", String(1_700_000_010_000)], ["incr", "n"]]);
    expect(e.logged("EVALSHA", sha(body), "1", "k")).toEqual([["SET", "k", "v", "PXAT", String(1_700_000_010_000)], ["incr", "n"]]);
    expect(e.logged("EVAL", "return redis.call('get', 'k')", "0")).toEqual([["SCRIPT", "LOAD", "return redis.call('get', 'k')"]]);
  });

  it("replays from its effects alone: the cache and the data", () => {
    const e = engine();
    const body = "return redis.call('incr', KEYS[1])";
    const effects = e.ex.run([["EVAL", body, "1", "c"], ["EVAL", body, "1", "c"]]).effects;
    const copy = engine();
    for (const effect of effects) copy.ex.replay(effect);
    expect(copy.run("GET", "c")).toBe("2");
    expect(copy.run("EVALSHA", sha(body), "1", "c")).toBe(3);
  });

  it("caches EVAL'd scripts for EVALSHA and SCRIPT EXISTS; SCRIPT FLUSH forgets them", () => {
    const e = engine();
    expect(e.run("EVAL", "return 7", "0")).toBe(7);
    expect(e.run("EVALSHA", sha("return 7").toUpperCase(), "0")).toBe(7);
    expect(e.run("SCRIPT", "EXISTS", sha("return 7"), "abc")).toEqual([1, 0]);
    expect(e.run("SCRIPT", "FLUSH", "bad")).toEqual(error("ERR SCRIPT FLUSH only support SYNC|ASYNC option"));
    expect(e.logged("SCRIPT", "FLUSH", "ASYNC")).toEqual([["SCRIPT", "FLUSH"]]);
    expect(e.run("EVALSHA", sha("return 7"), "0")).toEqual(error("NOSCRIPT No matching script. Please use EVAL."));
    expect(e.run("SCRIPT", "KILL")).toEqual(error("NOTBUSY No scripts in execution right now."));
    expect(e.run("SCRIPT", "LOAD", "return +")).toEqual(error("ERR Error compiling script (new function): user_script:1: unexpected symbol near '+'"));
    expect(e.run("SCRIPT", "foo")).toEqual(error("ERR unknown subcommand 'foo'. Try SCRIPT HELP."));
  });

  it("stops a runaway script with an error, and the shard keeps serving", () => {
    const e = engine();
    expect(e.run("CONFIG", "SET", "lua-time-limit", "20")).toEqual(simple("OK"));
    expect(e.run("EVAL", "redis.call('set','before','1') while true do end", "0")).toEqual(
      error("ERR Script killed: it ran past busy-reply-threshold (lua-time-limit), counted in Lua instructions"),
    );
    expect(e.run("EVAL", "while true do pcall(function() while true do end end) end", "0")).toEqual(
      error("ERR Script killed: it ran past busy-reply-threshold (lua-time-limit), counted in Lua instructions"),
    );
    expect(e.run("GET", "before")).toBe("1");
    expect(e.run("EVAL", "return 1", "0")).toBe(1);
  });

  it("bounds the memory a script allocates: killed, the shard keeps serving, pcall cannot swallow it", () => {
    const e = engine();
    const oom = error(SCRIPT_OUT_OF_MEMORY);
    // Doubling a string: 64 MB is passed after ~26 concatenations.
    expect(e.run("EVAL", "redis.call('set','before','1') local s = 'x' while true do s = s .. s end", "0")).toEqual(oom);
    // A table growing without end (each slot is charged).
    expect(e.run("EVAL", "local t = {} local i = 0 while true do i = i + 1 t[i] = i end", "0")).toEqual(oom);
    // string.rep of 1 GB is refused before it allocates.
    expect(e.run("EVAL", "return #string.rep('x', 1024 * 1024 * 1024)", "0")).toEqual(oom);
    // A library buffer growing inside one call (gsub's result).
    expect(e.run("EVAL", "local s = string.rep('x', 1024 * 1024) return #string.gsub(s, 'x', s)", "0")).toEqual(oom);
    // pcall inside the script does not catch the kill.
    expect(e.run("EVAL", "while true do pcall(function() local s = 'x' while true do s = s .. s end end) end", "0")).toEqual(oom);
    expect(e.run("GET", "before")).toBe("1");
    // Big but bounded work still runs: 1 MB strings, a 100k-slot table.
    expect(e.run("EVAL", "local t = {} for i = 1, 100000 do t[i] = i end return #string.rep('ab', 512 * 1024) + #t", "0")).toBe(1024 * 1024 + 100000);
    expect(e.run("EVAL", "return 1", "0")).toBe(1);
  });

  it("refuses router commands from scripts: Redis's noscript error where Redis has it, else Hotslot's own", () => {
    const e = engine();
    for (const call of ["'multi'", "'client', 'id'", "'auth', 'x'", "'hello'", "'config', 'get', 'maxmemory'"]) {
      expect(e.run("EVAL", `return redis.pcall(${call})`, "0")).toEqual(error("ERR This Redis command is not allowed from script"));
    }
    expect(e.run("EVAL", "return redis.pcall('select', '0')", "0")).toEqual(error(ERR_ROUTER_COMMAND_FROM_SCRIPT));
    expect(e.run("EVAL", "return redis.pcall('nosuch')", "0")).toEqual(error("ERR Unknown Redis command called from script"));
    expect(e.run("EVAL", "return redis.pcall('select')", "0")).toEqual(error("ERR Wrong number of args calling Redis command from script"));
  });

  it("refuses SCRIPT and FUNCTION subcommands from scripts but HELP, as Redis flags them noscript (a read-only script cannot FUNCTION FLUSH)", () => {
    const e = engine();
    const lib = "#!lua name=lib\nredis.register_function('f', function() return 1 end)";
    expect(e.run("FUNCTION", "LOAD", lib)).toBe("lib");
    const notAllowed = error("ERR This Redis command is not allowed from script");
    for (const call of ["'function', 'flush'", "'FUNCTION', 'DELETE', 'lib'", "'function', 'load', 'x'", "'function', 'list'", "'function', 'stats'", "'function', 'dump'", "'function', 'kill'"]) {
      expect(e.run("EVAL_RO", `return redis.pcall(${call})`, "0")).toEqual(notAllowed);
      expect(e.run("EVAL", `return redis.pcall(${call})`, "0")).toEqual(notAllowed);
    }
    for (const call of ["'script', 'flush'", "'SCRIPT', 'load', 'return 1'", "'script', 'exists', 'x'", "'script', 'kill'"]) {
      expect(e.run("EVAL_RO", `return redis.pcall(${call})`, "0")).toEqual(notAllowed);
      expect(e.run("EVAL", `return redis.pcall(${call})`, "0")).toEqual(notAllowed);
    }
    expect(e.run("FCALL", "f", "0")).toBe(1);
    expect((e.run("EVAL", "return redis.call('function', 'help')", "0") as Reply[])[0]).toEqual(simple("FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"));
    expect((e.run("EVAL", "return redis.call('script', 'help')", "0") as Reply[])[0]).toEqual(simple("SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"));
  });

  it("refuses keys of slots the shard does not own", () => {
    const db = engine().db;
    const ex = new Executor(db);
    ex.slotOwner = { shard: 0, epoch: 0, owns: (slot) => slot < 8192, scanRole: (slot) => (slot < 8192 ? SCAN_SERVE : SCAN_AWAY) };
    // "a" hashes to 15495, "b" to 3300, "c" to 7365.
    expect(ex.runOne(["EVAL", "return redis.pcall('get', 'a')", "0"])).toEqual(error("ERR Script attempted to access a non local key in a cluster node"));
    expect(ex.runOne(["EVAL", "return redis.pcall('set', 'c', 1)", "1", "b"])).toEqual(simple("OK"));
    expect(ex.runOne(["EVAL", "#!lua\nreturn redis.pcall('set', 'c', 1)", "1", "b"])).toEqual(error("ERR Script attempted to access keys that do not hash to the same slot"));
  });

  it("SCAN from a script walks this shard's own keys, passing over slots served elsewhere (no internal redirect leaks)", () => {
    const db = engine().db;
    const ex = new Executor(db);
    // This shard serves slots 8192..16383 only ("a" hashes to 15495; "b" 3300 and "c" 7365 are elsewhere).
    ex.slotOwner = { shard: 1, epoch: 3, owns: (slot) => slot >= 8192, scanRole: (slot) => (slot >= 8192 ? SCAN_SERVE : SCAN_AWAY) };
    const mine = ["a", "{a}1", "{a}2", "x"].filter((k) => keySlot(k) >= 8192);
    for (const k of mine) ex.runOne(["SET", k, "1"]);
    const loop = "local c = '0' local keys = {} repeat local r = redis.call('SCAN', c, 'COUNT', '2') c = r[1] for _, k in ipairs(r[2]) do keys[#keys + 1] = k end until c == '0' return keys";
    expect((ex.runOne(["EVAL", loop, "0"]) as string[]).sort()).toEqual([...mine].sort());
    // The same SCAN from a client is routed: slot 0 is another group's.
    expect(ex.runOne(["SCAN", "0"])).toEqual(error("MOVED 0 3"));
  });
});
