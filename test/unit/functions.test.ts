// FUNCTION / FCALL in one shard's executor: DUMP/RESTORE with Hotslot's payload and its
// policies, what is logged (library changes as FUNCTION LOAD REPLACE / DELETE / FLUSH, an
// FCALL as the writes it made), isolation from SCRIPT FLUSH, and atomic failures.
// Reply/error texts are compared with redis-server in test/reference/differential-functions.test.ts.
import { describe, expect, it } from "vitest";
import { error, OK } from "../../src/protocol/reply";
import { engine } from "../support/engine";

const lib = (name: string, body: string) => `#!lua name=${name}\n${body}`;
const COUNTER = lib("counter", "redis.register_function('bump', function(keys, args) return redis.call('incrby', keys[1], args[1]) end)");
const ECHO = lib("echo", "redis.register_function{function_name='echo', callback=function(keys, args) return args[1] end, flags={'no-writes'}}");

describe("FCALL", () => {
  it("runs a registered function with its keys and args, writes included", () => {
    const e = engine();
    expect(e.run("FUNCTION", "LOAD", COUNTER)).toBe("counter");
    expect(e.run("FCALL", "bump", "1", "n", "5")).toBe(5);
    expect(e.run("FCALL", "BUMP", "1", "n", "2")).toBe(7);
    expect(e.run("GET", "n")).toBe("7");
    expect(e.run("FCALL_RO", "bump", "1", "n", "1")).toEqual(error("ERR Can not execute a script with write flag using *_ro command."));
  });

  it("logs the writes a function made, never the FCALL", () => {
    const e = engine();
    e.run("FUNCTION", "LOAD", COUNTER);
    expect(e.logged("FCALL", "bump", "1", "n", "3")).toEqual([["incrby", "n", "3"]]);
    e.run("FUNCTION", "LOAD", ECHO);
    expect(e.logged("FCALL_RO", "echo", "0", "hi")).toEqual([]);
  });

  it("is not affected by SCRIPT FLUSH (functions have their own VM)", () => {
    const e = engine();
    e.run("FUNCTION", "LOAD", ECHO);
    e.run("SCRIPT", "FLUSH");
    expect(e.run("FCALL", "echo", "0", "still")).toBe("still");
  });
});

describe("FUNCTION", () => {
  it("logs library changes in a form that replays idempotently", () => {
    const e = engine();
    expect(e.logged("FUNCTION", "LOAD", COUNTER)).toEqual([["FUNCTION", "LOAD", "REPLACE", COUNTER]]);
    expect(e.logged("FUNCTION", "LOAD", COUNTER)).toEqual([]);
    expect(e.logged("FUNCTION", "DELETE", "counter")).toEqual([["FUNCTION", "DELETE", "counter"]]);
    expect(e.logged("FUNCTION", "FLUSH")).toEqual([]);
    e.run("FUNCTION", "LOAD", ECHO);
    expect(e.logged("FUNCTION", "FLUSH")).toEqual([["FUNCTION", "FLUSH"]]);
    expect(e.run("FCALL", "echo", "0", "x")).toEqual(error("ERR Function not found"));
  });

  it("keeps the old library when REPLACE fails, and frees its functions when it succeeds", () => {
    const e = engine();
    e.run("FUNCTION", "LOAD", COUNTER);
    const broken = lib("counter", "redis.register_function('other', function() return 1 end) error('x')");
    expect(e.run("FUNCTION", "LOAD", "REPLACE", broken)).toEqual(
      error("ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'error'"),
    );
    expect(e.run("FCALL", "bump", "1", "n", "1")).toBe(1);
    expect(e.run("FUNCTION", "LOAD", "REPLACE", lib("counter", "redis.register_function('bump2', function() return 2 end)"))).toBe("counter");
    expect(e.run("FCALL", "bump", "1", "n", "1")).toEqual(error("ERR Function not found"));
    expect(e.run("FCALL", "bump2", "0")).toBe(2);
  });

  it("DUMP and RESTORE round-trip the libraries with the FLUSH, APPEND and REPLACE policies", () => {
    const e = engine();
    e.run("FUNCTION", "LOAD", COUNTER);
    e.run("FUNCTION", "LOAD", ECHO);
    const payload = e.run("FUNCTION", "DUMP") as string;
    expect(payload.startsWith("HSFN\x01")).toBe(true);

    const other = engine();
    expect(other.run("FUNCTION", "RESTORE", payload)).toEqual(OK);
    expect(other.run("FCALL", "echo", "0", "back")).toBe("back");
    expect(other.run("FUNCTION", "RESTORE", payload)).toEqual(error("ERR Library counter already exists"));
    expect(other.run("FUNCTION", "RESTORE", payload, "REPLACE")).toEqual(OK);

    const third = engine();
    third.run("FUNCTION", "LOAD", lib("mine", "redis.register_function('echo', function() return 'mine' end)"));
    expect(third.run("FUNCTION", "RESTORE", payload, "REPLACE")).toEqual(error("ERR Function echo already exists"));
    expect(third.run("FCALL", "echo", "0")).toBe("mine");
    expect(third.run("FCALL", "bump", "1", "n", "1")).toEqual(error("ERR Function not found"));
    expect(third.logged("FUNCTION", "RESTORE", payload, "FLUSH")).toEqual([
      ["FUNCTION", "FLUSH"],
      ["FUNCTION", "LOAD", "REPLACE", COUNTER],
      ["FUNCTION", "LOAD", "REPLACE", ECHO],
    ]);
    expect(third.run("FCALL", "echo", "0", "theirs")).toBe("theirs");
    expect((third.run("FUNCTION", "STATS") as { entries: unknown[] }).entries[3]).toEqual({
      kind: "map",
      entries: ["LUA", { kind: "map", entries: ["libraries_count", 2, "functions_count", 2] }],
    });
  });

  it("refuses a damaged or foreign payload", () => {
    const e = engine();
    e.run("FUNCTION", "LOAD", ECHO);
    const payload = e.run("FUNCTION", "DUMP") as string;
    const bad = error("ERR DUMP payload version or checksum are wrong");
    expect(e.run("FUNCTION", "RESTORE", payload.slice(0, -1) + (payload.endsWith("0") ? "1" : "0"), "FLUSH")).toEqual(bad);
    expect(e.run("FUNCTION", "RESTORE", "\xf5\xc3@\xb4@", "FLUSH")).toEqual(bad);
    expect(e.run("FCALL", "echo", "0", "kept")).toBe("kept");
  });
});
