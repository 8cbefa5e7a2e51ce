/**
 * The command table as a newcomer reads it: every command declared with its name written
 * out (so `grep 'name: "zunionstore"'` finds it), every command documented in
 * src/commands/docs.ts and nothing documented that is not declared, and the router's
 * rules (session, MULTI, read-only token) read from the declarations.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import "../../src/commands/index";
import { COMMAND_DOCS, docsOf } from "../../src/commands/docs";
import { allCommands, hasRouterFlag, lookupCommand } from "../../src/commands/table";

const COMMANDS_DIR = path.join(__dirname, "../../src/commands");
const sources = readdirSync(COMMANDS_DIR)
  .filter((f) => f.endsWith(".ts"))
  .map((f) => readFileSync(path.join(COMMANDS_DIR, f), "utf8"))
  .join("\n");

describe("the command table", () => {
  it("declares every command with its name written out", () => {
    for (const spec of allCommands()) expect(sources, spec.name).toContain(`name: "${spec.name}"`);
  });

  it("documents every command in docs.ts, and only declared commands", () => {
    const undocumented = [...allCommands()].filter((c) => !docsOf(c.name)).map((c) => c.name);
    expect(undocumented).toEqual([]);
    const undeclared = Object.keys(COMMAND_DOCS).filter((name) => !lookupCommand(name));
    expect(undeclared).toEqual([]);
  });

  it("routes the commands that read or change the session as `session`", () => {
    const session = [...allCommands()].filter((c) => c.routing === "session").map((c) => c.name);
    expect(session.sort()).toEqual([
      "auth", "client", "discard", "exec", "hello", "monitor", "multi", "psubscribe", "punsubscribe", "quit", "readonly", "readwrite", "reset", "select",
      "ssubscribe", "subscribe", "sunsubscribe", "unsubscribe", "unwatch", "wait", "waitaof", "watch",
    ]);
  });

  it("allows only (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PING, QUIT and RESET in RESP2 subscribed mode, as Redis", () => {
    const allowed = [...allCommands()].filter((c) => hasRouterFlag(c, "allowed-when-subscribed")).map((c) => c.name);
    expect(allowed.sort()).toEqual(["ping", "psubscribe", "punsubscribe", "quit", "reset", "ssubscribe", "subscribe", "sunsubscribe", "unsubscribe"]);
  });

  it("lets EXEC, DISCARD, MULTI, WATCH, QUIT and RESET act at once inside MULTI, as Redis's processCommand", () => {
    const immediate = [...allCommands()].filter((c) => hasRouterFlag(c, "runs-in-multi")).map((c) => c.name);
    expect(immediate.sort()).toEqual(["discard", "exec", "multi", "quit", "reset", "watch"]);
  });

  it("marks as may-replicate the scripts that may write (their _RO forms refuse writes) and publishing, as Redis's MAY_REPLICATE", () => {
    const runners = [...allCommands()].filter((c) => hasRouterFlag(c, "may-replicate")).map((c) => c.name);
    expect(runners.sort()).toEqual(["eval", "evalsha", "fcall", "publish", "spublish"]);
  });

  it("refuses KEYS and SCAN to the read-only token although they are reads", () => {
    const denied = [...allCommands()].filter((c) => hasRouterFlag(c, "denied-to-readonly-token")).map((c) => c.name);
    expect(denied.sort()).toEqual(["keys", "scan"]);
  });
});
