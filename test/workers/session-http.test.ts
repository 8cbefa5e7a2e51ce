/**
 * The session commands (HELLO, AUTH, RESET, QUIT, SELECT, CLIENT, MULTI, EXEC, DISCARD,
 * WATCH, UNWATCH) over HTTP, where a request has no connection to keep a session on:
 * each answers as pinned here, alone, in a pipeline (one session per request), and
 * inside /multi-exec; and the read-only token's refusals. Answers are the exact bodies.
 */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { REDIS_VERSION } from "../../src/version";
import { READONLY_TOKEN, TOKEN } from "./helpers";

/** `status body` of a POST to the router. */
async function post(path: string, body: unknown, token = TOKEN): Promise<string> {
  const res = await SELF.fetch(`http://hotslot${path}`, { method: "POST", body: JSON.stringify(body), headers: { authorization: `Bearer ${token}` } });
  return `${res.status} ${await res.text()}`;
}

const SESSION_COMMANDS = [
  ["HELLO"], ["HELLO", "3"], ["HELLO", "2", "SETNAME", "x"], ["AUTH", "wrong"], ["AUTH", TOKEN], ["AUTH", "a", "b", "c"],
  ["RESET"], ["QUIT"], ["SELECT", "0"], ["SELECT", "1"], ["CLIENT", "ID"], ["CLIENT", "GETNAME"], ["CLIENT", "SETNAME", "x"],
  ["CLIENT", "INFO"], ["MULTI"], ["EXEC"], ["DISCARD"], ["WATCH", "k"], ["UNWATCH"], ["MULTI", "x"], ["WATCH"],
];

describe("session commands over HTTP", () => {
  it("answer alone as a fresh session would, transactions pointing to /multi-exec", async () => {
    const got: string[] = [];
    for (const argv of SESSION_COMMANDS) got.push(`${JSON.stringify(argv)} => ${await post("/", argv)}`);
    expect(got).toEqual([
    `["HELLO"] => 200 {"result":["server","redis","version","${REDIS_VERSION}","proto",2,"id",0,"mode","standalone","role","master","modules",[]]}`,
    `["HELLO","3"] => 200 {"result":["server","redis","version","${REDIS_VERSION}","proto",3,"id",0,"mode","standalone","role","master","modules",[]]}`,
    `["HELLO","2","SETNAME","x"] => 200 {"result":["server","redis","version","${REDIS_VERSION}","proto",2,"id",0,"mode","standalone","role","master","modules",[]]}`,
    `["AUTH","wrong"] => 400 {"error":"WRONGPASS invalid username-password pair or user is disabled."}`,
    `["AUTH","${TOKEN}"] => 200 {"result":"OK"}`,
    `["AUTH","a","b","c"] => 400 {"error":"ERR syntax error"}`,
    `["RESET"] => 200 {"result":"RESET"}`,
    `["QUIT"] => 200 {"result":"OK"}`,
    `["SELECT","0"] => 200 {"result":"OK"}`,
    `["SELECT","1"] => 400 {"error":"ERR DB index is out of range"}`,
    `["CLIENT","ID"] => 200 {"result":0}`,
    `["CLIENT","GETNAME"] => 200 {"result":null}`,
    `["CLIENT","SETNAME","x"] => 200 {"result":"OK"}`,
    `["CLIENT","INFO"] => 200 {"result":"id=0 addr=127.0.0.1:0 laddr=127.0.0.1:0 fd=0 name= db=0 resp=2 cmd=client|info\\n"}`,
    `["MULTI"] => 400 {"error":"ERR MULTI is only available on a RESP connection (WebSocket or TCP); over HTTP use /multi-exec"}`,
    `["EXEC"] => 400 {"error":"ERR EXEC is only available on a RESP connection (WebSocket or TCP); over HTTP use /multi-exec"}`,
    `["DISCARD"] => 400 {"error":"ERR DISCARD is only available on a RESP connection (WebSocket or TCP); over HTTP use /multi-exec"}`,
    `["WATCH","k"] => 400 {"error":"ERR WATCH is only available on a RESP connection (WebSocket or TCP); over HTTP use /multi-exec"}`,
    `["UNWATCH"] => 400 {"error":"ERR UNWATCH is only available on a RESP connection (WebSocket or TCP); over HTTP use /multi-exec"}`,
    `["MULTI","x"] => 400 {"error":"ERR wrong number of arguments for 'multi' command"}`,
    `["WATCH"] => 400 {"error":"ERR wrong number of arguments for 'watch' command"}`,
    ]);
  });

  it("share one session per /pipeline request", async () => {
    expect(await post("/pipeline", SESSION_COMMANDS)).toBe(
`200 [{"result":["server","redis","version","${REDIS_VERSION}","proto",2,"id",0,"mode","standalone","role","master","modules",[]]},{"result":["server","redis","version","${REDIS_VERSION}","proto",3,"id",0,"mode","standalone","role","master","modules",[]]},{"result":["server","redis","version","${REDIS_VERSION}","proto",2,"id",0,"mode","standalone","role","master","modules",[]]},{"error":"WRONGPASS invalid username-password pair or user is disabled."},{"result":"OK"},{"error":"ERR syntax error"},{"result":"RESET"},{"result":"OK"},{"result":"OK"},{"error":"ERR DB index is out of range"},{"result":0},{"result":"x"},{"result":"OK"},{"result":"id=0 addr=127.0.0.1:0 laddr=127.0.0.1:0 fd=0 name=x db=0 resp=2 cmd=client|info\\n"},{"error":"ERR MULTI is only available on a RESP connection (WebSocket or TCP); over HTTP use /multi-exec"},{"error":"ERR EXEC is only available on a RESP connection (WebSocket or TCP); over HTTP use /multi-exec"},{"error":"ERR DISCARD is only available on a RESP connection (WebSocket or TCP); over HTTP use /multi-exec"},{"error":"ERR WATCH is only available on a RESP connection (WebSocket or TCP); over HTTP use /multi-exec"},{"error":"ERR UNWATCH is only available on a RESP connection (WebSocket or TCP); over HTTP use /multi-exec"},{"error":"ERR wrong number of arguments for 'multi' command"},{"error":"ERR wrong number of arguments for 'watch' command"}]`);
  });

  it("run inside /multi-exec as queued commands, MULTI and the others refused there too", async () => {
    const got: string[] = [];
    for (const argv of SESSION_COMMANDS) got.push(`${JSON.stringify(argv)} => ${await post("/multi-exec", [["SET", "{k}a", "1"], argv])}`);
    expect(got).toEqual([
    `["HELLO"] => 200 [{"result":"OK"},{"result":["server","redis","version","${REDIS_VERSION}","proto",2,"id",0,"mode","standalone","role","master","modules",[]]}]`,
    `["HELLO","3"] => 200 [{"result":"OK"},{"result":["server","redis","version","${REDIS_VERSION}","proto",3,"id",0,"mode","standalone","role","master","modules",[]]}]`,
    `["HELLO","2","SETNAME","x"] => 200 [{"result":"OK"},{"result":["server","redis","version","${REDIS_VERSION}","proto",2,"id",0,"mode","standalone","role","master","modules",[]]}]`,
    `["AUTH","wrong"] => 200 [{"result":"OK"},{"error":"WRONGPASS invalid username-password pair or user is disabled."}]`,
    `["AUTH","${TOKEN}"] => 200 [{"result":"OK"},{"result":"OK"}]`,
    `["AUTH","a","b","c"] => 200 [{"result":"OK"},{"error":"ERR syntax error"}]`,
    `["RESET"] => 200 [{"result":"OK"},{"result":"RESET"}]`,
    `["QUIT"] => 200 [{"result":"OK"},{"result":"OK"}]`,
    `["SELECT","0"] => 200 [{"result":"OK"},{"result":"OK"}]`,
    `["SELECT","1"] => 200 [{"result":"OK"},{"error":"ERR DB index is out of range"}]`,
    `["CLIENT","ID"] => 200 [{"result":"OK"},{"result":0}]`,
    `["CLIENT","GETNAME"] => 200 [{"result":"OK"},{"result":null}]`,
    `["CLIENT","SETNAME","x"] => 200 [{"result":"OK"},{"result":"OK"}]`,
    `["CLIENT","INFO"] => 200 [{"result":"OK"},{"result":"id=0 addr=127.0.0.1:0 laddr=127.0.0.1:0 fd=0 name= db=0 resp=2 cmd=client|info\\n"}]`,
    `["MULTI"] => 200 [{"result":"OK"},{"error":"ERR MULTI is only available on a RESP connection (WebSocket or TCP); over HTTP use /multi-exec"}]`,
    `["EXEC"] => 200 [{"result":"OK"},{"error":"ERR EXEC is only available on a RESP connection (WebSocket or TCP); over HTTP use /multi-exec"}]`,
    `["DISCARD"] => 200 [{"result":"OK"},{"error":"ERR DISCARD is only available on a RESP connection (WebSocket or TCP); over HTTP use /multi-exec"}]`,
    `["WATCH","k"] => 200 [{"result":"OK"},{"error":"ERR WATCH is only available on a RESP connection (WebSocket or TCP); over HTTP use /multi-exec"}]`,
    `["UNWATCH"] => 200 [{"result":"OK"},{"error":"ERR UNWATCH is only available on a RESP connection (WebSocket or TCP); over HTTP use /multi-exec"}]`,
    `["MULTI","x"] => 400 {"error":"EXECABORT Transaction discarded because of: ERR wrong number of arguments for 'multi' command"}`,
    `["WATCH"] => 400 {"error":"EXECABORT Transaction discarded because of: ERR wrong number of arguments for 'watch' command"}`,
    ]);
  });

  it("are not refused to the read-only token, which KEYS and SCAN are", async () => {
    const got: string[] = [];
    for (const argv of [["KEYS", "*"], ["SCAN", "0"], ["GET", "k"], ["MULTI"], ["WATCH", "k"], ["CLIENT", "ID"], ["UNWATCH"]]) {
      got.push(`${JSON.stringify(argv)} => ${await post("/", argv, READONLY_TOKEN)}`);
    }
    expect(got).toEqual([
    `["KEYS","*"] => 400 {"error":"NOPERM this user has no permissions to run the 'keys' command"}`,
    `["SCAN","0"] => 400 {"error":"NOPERM this user has no permissions to run the 'scan' command"}`,
    `["GET","k"] => 200 {"result":null}`,
    `["MULTI"] => 400 {"error":"ERR MULTI is only available on a RESP connection (WebSocket or TCP); over HTTP use /multi-exec"}`,
    `["WATCH","k"] => 400 {"error":"ERR WATCH is only available on a RESP connection (WebSocket or TCP); over HTTP use /multi-exec"}`,
    `["CLIENT","ID"] => 200 {"result":0}`,
    `["UNWATCH"] => 400 {"error":"ERR UNWATCH is only available on a RESP connection (WebSocket or TCP); over HTTP use /multi-exec"}`,
    ]);
  });
});
