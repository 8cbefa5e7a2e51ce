/**
 * Differential test for scripting: the same scripts, keys and arguments sent to Hotslot's
 * Executor in Node and to a real redis-server 7.0 started here; every reply compared as raw
 * RESP2 bytes — conversions both ways, the redis API, the 5.1 shims, and error replies
 * (compile errors, runtime errors with their "script: <sha>, on @user_script:N." suffix,
 * errors of commands called from scripts, numkeys, NOSCRIPT, shebang flags, SCRIPT).
 * Left out, because fengari's Lua 5.3 differs from Redis's 5.1 there (src/scripting/README.md):
 * integer overflow past 2^31, `..` of integral floats, %d of non-integral floats (cjson and bit: scripting-libs.test.ts);
 * and commands the router answers itself (PING, ECHO, …), which a script cannot call here.
 */
import { describe, expect, it } from "vitest";
import { useReferenceRedis } from "../support/reference-redis";
import { replyMismatches } from "../support/script-differential";

const CASES: string[][] = [
  ["EVAL", "return {1, 'a', {2, false, 3}, true, 3.99, nil, 5}", "0"],
  ["EVAL", "return {ok='FINE'}", "0"],
  ["EVAL", "return {big_number='123'}", "0"],
  ["EVAL", "return {big_number='12x'}", "0"],
  ["EVAL", "return {verbatim_string={format='txt',string='hi'}}", "0"],
  ["EVAL", "return {verbatim_string={format='txt'}}", "0"],
  ["EVAL", "return {err='bad thing'}", "0"],
  ["EVAL", "return redis.status_reply('X')", "0"],
  ["EVAL", "return redis.error_reply('My bad')", "0"],
  ["EVAL", "return -3.7", "0"],
  ["EVAL", "return 2^63", "0"],
  ["EVAL", "return 7/2", "0"],
  ["EVAL", "return tostring(7/2)", "0"],
  ["EVAL", "return tostring(10/2)", "0"],
  ["EVAL", "return tostring(2^53)", "0"],
  ["EVAL", "return tostring(0.1)", "0"],
  ["EVAL", "return false", "0"],
  ["EVAL", "return nil", "0"],
  ["EVAL", "return {KEYS[1], KEYS[2], ARGV[1], ARGV[2], #KEYS, #ARGV}", "2", "{t}a", "{t}b", "x", "y"],
  ["EVAL", "redis.call('set', KEYS[1], ARGV[1]); return redis.call('get', KEYS[1])", "1", "{t}k", "v\x00\xff"],
  ["EVAL", "return redis.call('incrby', KEYS[1], 2.0)", "1", "{t}n"],
  ["EVAL", "return redis.call('incrbyfloat', KEYS[1], 1.5)", "1", "{t}f"],
  ["EVAL", "return redis.call('get', '{t}missing')", "0"],
  ["EVAL", "return {redis.call('ping'), redis.call('ping', 'hi'), redis.call('echo', 'e\x00')}", "0"],
  ["EVAL", "return redis.pcall('ping', 'a', 'b')", "0"],
  ["EVAL", "return #redis.call('time')", "0"],
  ["EVAL", "return type(redis.call('get', '{t}missing'))", "0"],
  ["EVAL", "redis.call('rpush', '{t}l', 'a', 'b', 'c'); return redis.call('lrange', '{t}l', 0, -1)", "0"],
  ["EVAL", "redis.call('hset', '{t}h', 'f', 'v'); return redis.call('hgetall', '{t}h')", "0"],
  ["EVAL", "redis.call('zadd', '{t}z', 1.5, 'm'); return redis.call('zrange', '{t}z', 0, -1, 'withscores')", "0"],
  ["EVAL", "redis.setresp(3); return redis.call('zscore', '{t}z', 'm')", "0"],
  ["EVAL", "return redis.pcall('lpush', '{t}k', 'x')", "0"],
  ["EVAL", "return redis.call('lpush', '{t}k', 'x')", "0"],
  ["EVAL", "return redis.pcall('incr', 'a', 'b')", "0"],
  ["EVAL", "return redis.call('incr', 'a', 'b')", "0"],
  ["EVAL", "return redis.call('nosuch')", "0"],
  ["EVAL", "return redis.call()", "0"],
  ["EVAL", "return redis.call({})", "0"],
  ["EVAL", "return redis.call('eval', 'return 1', 0)", "0"],
  // SCRIPT's and FUNCTION's subcommands are noscript (HELP excepted), read-only scripts included.
  ["EVAL", "return redis.call('script', 'flush')", "0"],
  ["EVAL_RO", "return redis.pcall('script', 'load', 'return 1')", "0"],
  ["EVAL_RO", "return redis.call('function', 'flush')", "0"],
  ["EVAL", "return redis.pcall('function', 'delete', 'nolib')", "0"],
  ["EVAL", "return redis.call('function', 'list')", "0"],
  ["EVAL", "return redis.call('script', 'help')", "0"],
  ["EVAL", "return redis.call('function', 'help')", "0"],
  ["EVAL", "return x", "0"],
  ["EVAL", "x = 1", "0"],
  ["EVAL", "return print", "0"],
  ["EVAL", "error('boom')", "0"],
  ["EVAL", "error({err='MY boom'})", "0"],
  ["EVAL", "local t = nil\nreturn t.x", "0"],
  ["EVAL", "local t = {}\nreturn t.a.b", "0"],
  ["EVAL", "return nil + 1", "0"],
  ["EVAL", "local s = 'x'\nreturn s + 1", "0"],
  ["EVAL", "return 1 +", "0"],
  ["EVAL", "return redis.setresp(4)", "0"],
  ["EVAL", "return redis.sha1hex('abc')", "0"],
  ["EVAL", "return redis.log(redis.LOG_WARNING, 'hi')", "0"],
  ["EVAL", "return unpack({1, 2})", "0"],
  ["EVAL", "return table.getn({1, 2, 3})", "0"],
  ["EVAL", "return math.mod(7, 3)", "0"],
  ["EVAL", "return loadstring('return 41 + 1')()", "0"],
  ["EVAL", "return string.format('%d %s %5.2f', 3, 'x', 2.5)", "0"],
  ["EVAL", "return 1", "-1"],
  ["EVAL", "return 1", "2", "a"],
  ["EVAL", "return 1", "x"],
  ["EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", "0"],
  ["EVAL", "#!lua flags=bogus\nreturn 1", "0"],
  ["EVAL", "#!js\nreturn 1", "0"],
  ["EVAL", "#!lua name=x\nreturn 1", "0"],
  ["EVAL", "#!lua flags=no-writes\nreturn redis.call('set', '{t}a', '1')", "1", "{t}a"],
  ["EVAL", "#!lua\nreturn redis.call('get', KEYS[1])", "1", "{t}k"],
  ["EVAL_RO", "return redis.call('set', '{t}a', '1')", "1", "{t}a"],
  ["EVAL_RO", "return redis.call('get', '{t}k')", "1", "{t}k"],
  ["SCRIPT", "LOAD", "return 'loaded'"],
  ["EVALSHA", "a5c8a1f9a4b3dd1e6c4d47d1ca7eb4b6ad5c5d0f", "0"],
  ["SCRIPT", "EXISTS", "a5c8a1f9a4b3dd1e6c4d47d1ca7eb4b6ad5c5d0f", "ffffffffffffffffffffffffffffffffffffffff"],
  ["SCRIPT", "LOAD", "return +"],
  ["SCRIPT", "FLUSH", "bad"],
  ["SCRIPT", "KILL"],
  ["SCRIPT", "foo"],
  ["SCRIPT", "LOAD"],
  ["SCRIPT", "FLUSH", "SYNC"],
  ["SCRIPT", "EXISTS", "a5c8a1f9a4b3dd1e6c4d47d1ca7eb4b6ad5c5d0f"],
];

/**
 * A script's Lua booleans after redis.setresp(3): Redis replies them with addReplyBool, so a
 * RESP3 caller gets #t/#f and a RESP2 caller :1/:0 (on RESP2 true is 1 and false null).
 * Compared in both protocols.
 */
const BOOLEAN_CASES: string[][] = [
  ["EVAL", "redis.setresp(3); return true", "0"],
  ["EVAL", "redis.setresp(3); return false", "0"],
  ["EVAL", "redis.setresp(3); return {true, false, 1}", "0"],
  ["EVAL", "redis.setresp(3); return {map={a=true}}", "0"],
  ["EVAL", "redis.setresp(3); redis.setresp(2); return {true, false}", "0"],
  ["EVAL", "return {true, false}", "0"],
];

const reference = useReferenceRedis();

describe("scripting against redis-server 7.0", () => {
  it("replies byte for byte as redis-server does", async () => {
    const mismatches = replyMismatches(CASES, await reference.pipeline(CASES));
    expect(mismatches).toEqual([]);
  });

  it("replies a RESP3 script's booleans as redis-server does, to RESP2 and RESP3 callers", async () => {
    expect(replyMismatches(BOOLEAN_CASES, await reference.pipeline(BOOLEAN_CASES), 2)).toEqual([]);
    expect(replyMismatches(BOOLEAN_CASES, await reference.resp3(BOOLEAN_CASES), 3)).toEqual([]);
  });
});
