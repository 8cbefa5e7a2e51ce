/**
 * Differential test for Redis 7 functions (src/commands/functions.ts): FUNCTION LOAD /
 * LIST / DELETE / FLUSH / STATS / KILL / HELP, FCALL and FCALL_RO sent to Hotslot's
 * Executor in Node and to a real redis-server 7.0 started here, replies compared as raw
 * bytes in RESP2 and RESP3, errors included (metadata, register_function's checks, compile
 * and load-time errors, runtime errors with "script: <name>, on @user_function:N.").
 * LIST is asked only of a library of one function: redis-server lists libraries and
 * their functions in its dicts' order.
 * FUNCTION DUMP's payload is Hotslot's own, so DUMP/RESTORE are checked in the unit test;
 * here only RESTORE's argument errors.
 */
import { describe, expect, it } from "vitest";
import { useReferenceRedis } from "../support/reference-redis";
import { replyMismatches } from "../support/script-differential";

const lib = (name: string, body: string) => `#!lua name=${name}\n${body}`;

const MYLIB = lib(
  "mylib",
  `redis.register_function('f1', function(keys, args) return {keys[1], args[1], #keys, #args} end)
redis.register_function{function_name='f2', callback=function(keys, args) return redis.call('get', keys[1]) end, flags={'no-writes'}, description='reads'}
redis.register_function{function_name='w', callback=function(keys, args) return redis.call('set', keys[1], args[1]) end}
local function boom() error('boom') end
redis.register_function('e1', function() return boom() end)
redis.register_function('e3', function() return x end)
redis.register_function('e5', function() return redis.error_reply('MY err') end)
redis.register_function('e6', function(keys) return redis.call('lpush', keys[1], 'x') end)
redis.register_function('e7', function(keys) return redis.pcall('lpush', keys[1], 'x') end)
redis.register_function('lib', function() return {type(cjson), bit.band(7, 3), redis.REDIS_VERSION_NUM > 0} end)`,
);

const CASES: string[][] = [
  ["FUNCTION", "LIST"],
  ["FUNCTION", "STATS"],
  ["FUNCTION", "LOAD", lib("one", "redis.register_function{function_name='f0', callback=function() return 0 end, flags={'allow-stale', 'no-writes'}, description='the one'}")],
  ["FUNCTION", "LIST"],
  ["FUNCTION", "LOAD", MYLIB],
  ["FUNCTION", "LOAD", MYLIB],
  ["FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "ON*"],
  ["FUNCTION", "LIST", "LIBRARYNAME", "one", "WITHCODE"],
  ["FUNCTION", "LIST", "LIBRARYNAME", "nomatch"],
  ["FUNCTION", "LIST", "LIBRARYNAME"],
  ["FUNCTION", "LIST", "bogus"],
  ["FUNCTION", "LIST", "WITHCODE", "WITHCODE"],
  ["FUNCTION", "LIST", "LIBRARYNAME", "a", "LIBRARYNAME", "b"],
  ["FUNCTION", "STATS"],
  ["SET", "{t}s", "v"],
  ["FCALL", "f1", "1", "{t}k", "a"],
  ["FCALL", "F1", "0"],
  ["FCALL", "f2", "1", "{t}s"],
  ["FCALL_RO", "f2", "1", "{t}s"],
  ["FCALL_RO", "f1", "0"],
  ["FCALL", "w", "1", "{t}w", "val"],
  ["FCALL_RO", "w", "1", "{t}w", "val"],
  ["FCALL", "e1", "0"],
  ["FCALL", "e3", "0"],
  ["FCALL", "e5", "0"],
  ["FCALL", "e6", "1", "{t}s"],
  ["FCALL", "e7", "1", "{t}s"],
  ["FCALL", "lib", "0"],
  ["FCALL", "nope", "0"],
  ["FCALL", "nope", "x"],
  ["FCALL", "f1", "x"],
  ["FCALL", "f1", "-1"],
  ["FCALL", "f1", "5", "a"],
  ["FCALL", "f1"],
  ["FCALL"],
  ["FUNCTION", "LOAD", "return 1"],
  ["FUNCTION", "LOAD", "#!lua"],
  ["FUNCTION", "LOAD", "#!lua\nreturn 1"],
  ["FUNCTION", "LOAD", "#!lua name=x foo=bar\nreturn 1"],
  ["FUNCTION", "LOAD", "#!lua name=a name=b\nreturn 1"],
  ["FUNCTION", "LOAD", "#!lua name=\nreturn 1"],
  ["FUNCTION", "LOAD", "#!lua name=a-b\nreturn 1"],
  ["FUNCTION", "LOAD", "#!js name=x\nreturn 1"],
  ["FUNCTION", "LOAD", lib("x", "return 1")],
  ["FUNCTION", "LOAD", lib("x", "return +")],
  ["FUNCTION", "LOAD", lib("x", "redis.register_function('f1', function() return 1 end)")],
  ["FUNCTION", "LOAD", lib("x", "redis.register_function('a b', function() return 1 end)")],
  ["FUNCTION", "LOAD", lib("x", "redis.register_function('', function() return 1 end)")],
  ["FUNCTION", "LOAD", lib("x", "redis.register_function('g', 1)")],
  ["FUNCTION", "LOAD", lib("x", "redis.register_function({}, function() end)")],
  ["FUNCTION", "LOAD", lib("x", "redis.register_function('g', function() end) redis.register_function('G', function() end)")],
  ["FUNCTION", "LOAD", lib("x", "redis.register_function()")],
  ["FUNCTION", "LOAD", lib("x", "redis.register_function(1, 2, 3)")],
  ["FUNCTION", "LOAD", lib("x", "redis.register_function('g')")],
  ["FUNCTION", "LOAD", lib("x", "redis.register_function{function_name='g', callback=function() end, flags={'bogus'}}")],
  ["FUNCTION", "LOAD", lib("x", "redis.register_function{function_name='g', callback=function() end, flags='no-writes'}")],
  ["FUNCTION", "LOAD", lib("x", "redis.register_function{function_name='g', callback=function() end, flags={1}}")],
  ["FUNCTION", "LOAD", lib("x", "redis.register_function{function_name='g', callback=function() end, bad=1}")],
  ["FUNCTION", "LOAD", lib("x", "redis.register_function{function_name='g', callback=1}")],
  ["FUNCTION", "LOAD", lib("x", "redis.register_function{function_name={}, callback=function() end}")],
  ["FUNCTION", "LOAD", lib("x", "redis.register_function{function_name='g', callback=function() end, description={}}")],
  ["FUNCTION", "LOAD", lib("x", "redis.register_function{callback=function() end}")],
  ["FUNCTION", "LOAD", lib("x", "redis.register_function{function_name='g'}")],
  ["FUNCTION", "LOAD", lib("x", "redis.register_function{[1]='g'}")],
  ["FUNCTION", "LOAD", lib("x", "redis.call('set', 'a', 'b')")],
  ["FUNCTION", "LOAD", lib("x", "error('oops')")],
  ["FUNCTION", "LOAD", lib("x", "y = 1")],
  ["FUNCTION", "LOAD", lib("x", "local k = KEYS")],
  ["FUNCTION", "LOAD", lib("x", "redis.x = 1")],
  ["FUNCTION", "LOAD", lib("x", "redis.log(redis.LOG_WARNING, 'loading', redis.REDIS_VERSION) redis.register_function('lg', function() return 1 end)")],
  ["FUNCTION", "LOAD", lib("lib2", "redis.register_function{function_name='n5', callback=function() return 5 end, description=5, flags={'no-writes', 'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys'}}")],
  ["FUNCTION", "LIST", "LIBRARYNAME", "lib2"],
  ["FCALL_RO", "n5", "0"],
  ["FUNCTION", "LOAD", "REPLACE", lib("lib2", "redis.register_function('f1', function() return 1 end)")],
  ["FUNCTION", "LOAD", "REPLACE", lib("lib2", "redis.register_function('n6', function() return 6 end)")],
  ["FCALL", "n5", "0"],
  ["FCALL", "n6", "0"],
  ["FUNCTION", "LOAD", "REPLACE"],
  ["FUNCTION", "LOAD", "REPLACE", "x", "y"],
  ["FUNCTION", "LOAD", "bogus", "#!lua name=q"],
  ["FUNCTION", "LOAD"],
  ["FUNCTION", "STATS"],
  ["FUNCTION", "DELETE", "nope"],
  ["FUNCTION", "DELETE", "LIB2"],
  ["FCALL", "n6", "0"],
  ["FUNCTION", "DELETE"],
  ["FUNCTION", "DELETE", "a", "b"],
  ["FUNCTION", "RESTORE"],
  ["FUNCTION", "RESTORE", "x", "BAD"],
  ["FUNCTION", "RESTORE", "x", "APPEND", "y"],
  ["FUNCTION", "RESTORE", "x"],
  ["FUNCTION", "KILL"],
  ["FUNCTION", "STATS", "x"],
  ["FUNCTION", "DUMP", "x"],
  ["FUNCTION", "HELP"],
  ["FUNCTION", "foo"],
  ["FUNCTION", "FLUSH", "bad"],
  ["FUNCTION", "FLUSH", "SYNC", "x"],
  ["FUNCTION", "FLUSH", "ASYNC"],
  ["FUNCTION", "LIST"],
  ["FCALL", "f1", "0"],
  ["FUNCTION", "FLUSH"],
];

const reference = useReferenceRedis();

async function mismatches(protocol: 2 | 3): Promise<string[]> {
  return replyMismatches(CASES, protocol === 3 ? await reference.resp3(CASES) : await reference.pipeline(CASES), protocol);
}

describe("functions against redis-server 7.0", () => {
  it("replies byte for byte as redis-server does (RESP2)", async () => {
    expect(await mismatches(2)).toEqual([]);
  });
  it("replies byte for byte as redis-server does (RESP3)", async () => {
    expect(await mismatches(3)).toEqual([]);
  });
});
