/**
 * JSON request bodies are checked on their text before JSON.parse builds anything: a body
 * of the wrong shape (empty commands, nested arrays, objects) or with more commands or
 * arguments than the limits is refused without being parsed, and well-formed bodies parse
 * as before (numbers as written, escapes inside strings not mistaken for structure).
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  checkRequestShape,
  commandFromJson,
  ERR_BAD_ARGUMENT,
  ERR_BAD_JSON,
  ERR_NOT_COMMAND,
  ERR_NOT_PIPELINE,
  errTooManyArgs,
  errTooManyCommands,
  pipelineFromJson,
} from "../../src/protocol/json";

const LIMITS = { maxCommands: 1000, maxArgs: 10_000 };

afterEach(() => vi.restoreAllMocks());

describe("checkRequestShape", () => {
  it("refuses a 10 MB body of empty arrays without parsing it", () => {
    const parse = vi.spyOn(JSON, "parse");
    const body = "[" + "[],".repeat(3_500_000) + "[]]";
    expect(body.length).toBeGreaterThan(10_000_000);
    expect(() => pipelineFromJson(body, LIMITS)).toThrow(ERR_NOT_PIPELINE);
    expect(() => commandFromJson(body, LIMITS)).toThrow(ERR_BAD_ARGUMENT);
    expect(parse).not.toHaveBeenCalled();
  });

  it("refuses more commands than maxCommands before parsing", () => {
    const parse = vi.spyOn(JSON, "parse");
    const body = JSON.stringify(Array.from({ length: 1001 }, () => ["PING"]));
    expect(() => pipelineFromJson(body, LIMITS)).toThrow(errTooManyCommands(1000));
    expect(parse).not.toHaveBeenCalled();
  });

  it("refuses more arguments than maxArgs, counted over the whole body", () => {
    const parse = vi.spyOn(JSON, "parse");
    expect(() => commandFromJson(JSON.stringify(Array(10_001).fill(0)), LIMITS)).toThrow(errTooManyArgs(10_000));
    const pipeline = JSON.stringify(Array.from({ length: 500 }, () => Array(21).fill("x")));
    expect(() => pipelineFromJson(pipeline, LIMITS)).toThrow(errTooManyArgs(10_000));
    expect(parse).not.toHaveBeenCalled();
    expect(commandFromJson(JSON.stringify(Array(10_000).fill(0)), LIMITS)).toHaveLength(10_000);
  });

  it("refuses the wrong shapes with the errors the parsed checks give", () => {
    const shapes: [string, "command" | "pipeline", string][] = [
      ["[]", "command", ERR_NOT_COMMAND],
      ['{"cmd":"PING"}', "command", ERR_NOT_COMMAND],
      ['["SET",["k"]]', "command", ERR_BAD_ARGUMENT],
      ['["SET",{"k":1}]', "command", ERR_BAD_ARGUMENT],
      ["[]", "pipeline", ERR_NOT_PIPELINE],
      ['["PING"]', "pipeline", ERR_NOT_PIPELINE],
      ['[["PING"],[]]', "pipeline", ERR_NOT_PIPELINE],
      ['[["PING"],"ECHO"]', "pipeline", ERR_NOT_PIPELINE],
      ['{"0":["PING"]}', "pipeline", ERR_NOT_PIPELINE],
      ['[["SET",[1]]]', "pipeline", ERR_BAD_ARGUMENT],
    ];
    for (const [body, kind, message] of shapes) expect(() => checkRequestShape(body, kind, LIMITS), body).toThrow(message);
  });

  it("leaves syntax to JSON.parse, but tells a body cut short from one of the wrong shape", () => {
    for (const body of ["", "nope", '  "PING"', "5", '["SET","k"] ,']) {
      if (body.endsWith(",")) expect(() => checkRequestShape(body, "command", LIMITS)).toThrow(ERR_BAD_JSON);
      else expect(() => checkRequestShape(body, "command", LIMITS)).not.toThrow();
    }
    for (const kind of ["command", "pipeline"] as const) {
      for (const body of ['["SET","bad:k"', '{"a":', '[["PING"],[]', '[["PING"]] x']) expect(() => checkRequestShape(body, kind, LIMITS), body).toThrow(ERR_BAD_JSON);
    }
    expect(() => commandFromJson("[1,,2]", LIMITS)).toThrow(ERR_BAD_JSON);
  });

  it("does not take brackets, commas or escaped quotes inside strings for structure", () => {
    expect(commandFromJson(String.raw`["SET","[[],{}","a\"],[\\",1.50,true]`, { maxCommands: 1, maxArgs: 5 })).toEqual(["SET", "[[],{}", 'a"],[\\', "1.50", "true"]);
    expect(pipelineFromJson(String.raw`[ ["ECHO", "],[" ] , ["ECHO","\\"] ]`, { maxCommands: 2, maxArgs: 4 })).toEqual([
      ["ECHO", "],["],
      ["ECHO", "\\"],
    ]);
  });

  it("tells whether a body holds a number, so bodies without one parse without a reviver", () => {
    expect(checkRequestShape('["SET","k:1","-2","1e3"]', "command", LIMITS)).toBe(false);
    expect(checkRequestShape('["SET","k",true]', "command", LIMITS)).toBe(false);
    expect(checkRequestShape('["SET","k",-1]', "command", LIMITS)).toBe(true);
    expect(checkRequestShape('[["PING"],["INCRBY","k",7]]', "pipeline", LIMITS)).toBe(true);
    // Numbers keep their source text either way; strings with digits are untouched.
    expect(commandFromJson('["SET","k:9007199254740993",9007199254740993,1.50,-0]', LIMITS)).toEqual(["SET", "k:9007199254740993", "9007199254740993", "1.50", "-0"]);
    expect(pipelineFromJson('[["ECHO","1.50"],["ECHO",1.50]]', LIMITS)).toEqual([
      ["ECHO", "1.50"],
      ["ECHO", "1.50"],
    ]);
  });
});
