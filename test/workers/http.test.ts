/**
 * The Upstash REST dialect over HTTP, byte for byte, inside workerd against the router
 * and its shards: the JSON command form, the path form, /pipeline, /multi-exec, tokens,
 * Upstash-Encoding: base64, Upstash-Response-Format: resp2, malformed and oversized
 * bodies, CORS and the sync token. Bodies are compared as the exact text sent back.
 */
import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { READONLY_TOKEN, SHARDS, TOKEN } from "./helpers";
import { SlotMap } from "../../src/router/slots";

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

/** A request to the router with the full token unless `token` says otherwise. */
async function req(path: string, init: RequestInit & { token?: string | null } = {}): Promise<Answer> {
  const { token = TOKEN, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (token !== null && !headers.has("authorization")) headers.set("authorization", `Bearer ${token}`);
  const res = await SELF.fetch(`http://hotslot${path}`, { ...rest, headers });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** POSTs a JSON body (or a raw string) to `path`. */
function post(path: string, body: unknown, headers: Record<string, string> = {}, token: string | null = TOKEN): Promise<Answer> {
  return req(path, { method: "POST", body: typeof body === "string" ? body : JSON.stringify(body), headers, token });
}

const B64 = { "Upstash-Encoding": "base64" };
const RESP2 = { "Upstash-Response-Format": "resp2" };

/** Every byte value 0..255, as bytes and as the binary string base64 encodes. */
const ALL_BYTES = Uint8Array.from({ length: 256 }, (_, i) => i);
const ALL_BYTES_B64 = btoa(String.fromCharCode(...ALL_BYTES));

describe("POST / runs one command sent as a JSON array", () => {
  it("answers PING with {\"result\":\"PONG\"}", async () => {
    const a = await post("/", ["PING"]);
    expect(a.status).toBe(200);
    expect(a.headers.get("content-type")).toBe("application/json");
    expect(a.text).toBe('{"result":"PONG"}');
  });

  it("echoes a UTF-8 string unchanged", async () => {
    expect((await post("/", ["ECHO", "héllo €"])).text).toBe('{"result":"héllo €"}');
  });

  it("passes numbers with their digits as written and booleans as words", async () => {
    expect((await post("/", '["ECHO", 9007199254740993]')).text).toBe('{"result":"9007199254740993"}');
    expect((await post("/", '["ECHO", 1.50]')).text).toBe('{"result":"1.50"}');
    expect((await post("/", '["ECHO", true]')).text).toBe('{"result":"true"}');
  });

  it("sets and gets a value, and reads a missing key as null", async () => {
    expect((await post("/", ["SET", "post:k", "v"])).text).toBe('{"result":"OK"}');
    expect((await post("/", ["GET", "post:k"])).text).toBe('{"result":"v"}');
    expect((await post("/", ["GET", "post:missing"])).text).toBe('{"result":null}');
  });

  it("answers integers as JSON numbers", async () => {
    expect((await post("/", ["INCRBY", "post:n", "41"])).text).toBe('{"result":41}');
    expect((await post("/", ["INCR", "post:n"])).text).toBe('{"result":42}');
  });

  it("writes integers wider than 2^53 with all their digits", async () => {
    await post("/", ["SET", "post:big", "9223372036854775806"]);
    expect((await post("/", ["INCR", "post:big"])).text).toBe('{"result":9223372036854775807}');
  });

  it("answers a command error with HTTP 400 and {\"error\"}", async () => {
    const a = await post("/", ["GET"]);
    expect(a.status).toBe(400);
    expect(a.text).toBe(`{"error":"ERR wrong number of arguments for 'get' command"}`);
    const b = await post("/", ["NOSUCH", "a", "b"]);
    expect(b.status).toBe(400);
    expect(b.json).toEqual({ error: "ERR unknown command 'NOSUCH', with args beginning with: 'a' 'b' " });
    await post("/", ["SET", "post:str", "abc"]);
    expect((await post("/", ["INCR", "post:str"])).json).toEqual({ error: "ERR value is not an integer or out of range" });
  });

  it("answers COMMAND INFO with the nested arrays of RESP2", async () => {
    const { json } = await post("/", ["COMMAND", "INFO", "get"]);
    expect(json.result[0].slice(0, 6)).toEqual(["get", 2, ["readonly", "fast"], 1, 1, 1]);
  });

  it("takes PUT like POST", async () => {
    expect((await req("/", { method: "PUT", body: '["ECHO","put"]' })).text).toBe('{"result":"put"}');
  });
});

describe("the path form: /COMMAND/arg1/arg2…", () => {
  it("runs GET /set/k/v and GET /get/k", async () => {
    expect((await req("/set/path:k/v")).text).toBe('{"result":"OK"}');
    expect((await req("/get/path:k")).text).toBe('{"result":"v"}');
  });

  it("takes a POST body as the last argument, raw", async () => {
    const value = '{"a":[1,2],"b":"x y"}';
    expect((await req("/set/path:json", { method: "POST", body: value })).text).toBe('{"result":"OK"}');
    expect((await req("/get/path:json")).json).toEqual({ result: value });
  });

  it("appends query parameters as arguments: ?EX=100", async () => {
    expect((await req("/set/path:ex/v?EX=100")).text).toBe('{"result":"OK"}');
    expect((await req("/ttl/path:ex")).text).toBe('{"result":100}');
  });

  it("puts a POST body before the query parameters, as Upstash documents", async () => {
    expect((await req("/set/path:bodyex?EX=100", { method: "POST", body: "value" })).text).toBe('{"result":"OK"}');
    expect((await req("/get/path:bodyex")).text).toBe('{"result":"value"}');
    expect((await req("/ttl/path:bodyex")).text).toBe('{"result":100}');
  });

  it("appends a query parameter without a value as one argument: ?NX", async () => {
    await req("/set/path:nx/first");
    expect((await req("/set/path:nx/second?NX")).text).toBe('{"result":null}');
    expect((await req("/get/path:nx")).text).toBe('{"result":"first"}');
  });

  it("percent-decodes segments to bytes: %2F is a slash in a key, %E2%82%AC a euro sign", async () => {
    expect((await req("/set/path%3Aa%2Fb/%E2%82%AC")).text).toBe('{"result":"OK"}');
    expect((await post("/", ["GET", "path:a/b"])).text).toBe('{"result":"€"}');
  });

  it("stores a byte that is not UTF-8 (%FF) as that byte", async () => {
    await req("/set/path:ff/%00%FF");
    expect((await req("/strlen/path:ff")).text).toBe('{"result":2}');
    expect((await req("/get/path:ff", { headers: B64 })).text).toBe('{"result":"AP8="}');
  });

  it("reads ?_token= as the credential, not as an argument", async () => {
    expect((await req(`/echo/hi?_token=${TOKEN}`, { token: null })).text).toBe('{"result":"hi"}');
  });

  it("ignores a trailing slash", async () => {
    expect((await req("/echo/trail/")).text).toBe('{"result":"trail"}');
  });

  it("refuses GET / with no command", async () => {
    const a = await req("/");
    expect(a.status).toBe(400);
    expect(a.json).toEqual({ error: "ERR empty command: give it as the path (/set/key/value) or POST a JSON array to /" });
  });

  it("runs HEAD like GET and sends no body", async () => {
    const a = await req("/set/path:head/h", { method: "HEAD" });
    expect(a.status).toBe(200);
    expect(a.text).toBe("");
    expect((await req("/get/path:head")).text).toBe('{"result":"h"}');
  });

  it("refuses other methods with 405", async () => {
    const a = await req("/get/k", { method: "DELETE" });
    expect(a.status).toBe(405);
    expect(a.headers.get("allow")).toBe("GET, HEAD, POST, PUT, OPTIONS");
    expect(a.json).toEqual({ error: "ERR method not allowed: use GET, HEAD, POST or PUT" });
  });
});

describe("/pipeline answers each command in order", () => {
  it("mixes results and per-item errors, with HTTP 200", async () => {
    const a = await post("/pipeline", [
      ["SET", "pipe:a", "1"],
      ["INCR", "pipe:a"],
      ["GET", "pipe:a"],
      ["GET", "pipe:missing"],
      ["SET", "pipe:s", "str"],
      ["INCR", "pipe:s"],
      ["NOSUCH"],
      ["GET"],
      ["PING"],
      ["MGET", "pipe:a", "pipe:missing", "pipe:s"],
    ]);
    expect(a.status).toBe(200);
    expect(a.text).toBe(
      "[" +
        [
          '{"result":"OK"}',
          '{"result":2}',
          '{"result":"2"}',
          '{"result":null}',
          '{"result":"OK"}',
          '{"error":"ERR value is not an integer or out of range"}',
          `{"error":"ERR unknown command 'NOSUCH', with args beginning with: "}`,
          `{"error":"ERR wrong number of arguments for 'get' command"}`,
          '{"result":"PONG"}',
          '{"result":["2",null,"str"]}',
        ].join(",") +
        "]",
    );
  });

  it("sees its own writes across shards in request order", async () => {
    const keys = Array.from({ length: 12 }, (_, i) => `pipe:order:${i}`);
    const cmds = keys.flatMap((k, i) => [["SET", k, String(i)], ["APPEND", k, "!"], ["GET", k]]);
    const { json } = await post("/pipeline", cmds);
    expect(json).toEqual(keys.flatMap((_, i) => [{ result: "OK" }, { result: String(i).length + 1 }, { result: `${i}!` }]));
  });
});

describe("/multi-exec runs a transaction atomically in one slot", () => {
  it("answers each command, with errors of commands that ran as items", async () => {
    const a = await post("/multi-exec", [
      ["SET", "{tx}a", "1"],
      ["INCR", "{tx}a"],
      ["SET", "{tx}s", "str"],
      ["INCR", "{tx}s"],
      ["PING"],
      ["MGET", "{tx}a", "{tx}s"],
    ]);
    expect(a.status).toBe(200);
    expect(a.text).toBe(
      '[{"result":"OK"},{"result":2},{"result":"OK"},{"error":"ERR value is not an integer or out of range"},{"result":"PONG"},{"result":["2","str"]}]',
    );
  });

  it("refuses keys in different slots with CROSSSLOT, running nothing", async () => {
    const a = await post("/multi-exec", [
      ["SET", "{tx1}cross", "1"],
      ["SET", "{tx2}cross", "2"],
    ]);
    expect(a.status).toBe(400);
    expect(a.text).toBe(`{"error":"CROSSSLOT Keys in request don't hash to the same slot"}`);
    expect((await post("/", ["GET", "{tx1}cross"])).json).toEqual({ result: null });
  });

  it("refuses one command whose keys span slots with CROSSSLOT", async () => {
    const a = await post("/multi-exec", [["MSET", "{tx1}m", "1", "{tx2}m", "2"]]);
    expect(a.status).toBe(400);
    expect(a.json).toEqual({ error: "CROSSSLOT Keys in request don't hash to the same slot" });
  });

  it("discards everything with EXECABORT on an unknown command", async () => {
    const a = await post("/multi-exec", [
      ["SET", "{tx}abort1", "1"],
      ["NOSUCH", "x"],
    ]);
    expect(a.status).toBe(400);
    expect(a.json).toEqual({ error: "EXECABORT Transaction discarded because of: ERR unknown command 'NOSUCH', with args beginning with: 'x' " });
    expect((await post("/", ["GET", "{tx}abort1"])).json).toEqual({ result: null });
  });

  it("discards everything with EXECABORT on a wrong number of arguments", async () => {
    const a = await post("/multi-exec", [
      ["SET", "{tx}abort2", "1"],
      ["GET", "{tx}abort2", "extra"],
    ]);
    expect(a.status).toBe(400);
    expect(a.json).toEqual({ error: "EXECABORT Transaction discarded because of: ERR wrong number of arguments for 'get' command" });
    expect((await post("/", ["GET", "{tx}abort2"])).json).toEqual({ result: null });
  });

  it("refuses a keyspace-wide command, which would see one shard of four", async () => {
    const a = await post("/multi-exec", [["SET", "{tx}x", "1"], ["DBSIZE"]]);
    expect(a.status).toBe(400);
    expect(a.json).toEqual({
      error: "EXECABORT Transaction discarded because of: ERR 'dbsize' spans all shards and cannot run in a transaction when SHARDS > 1",
    });
  });

  it("answers in JSON even when RESP2 is asked for", async () => {
    const a = await post("/multi-exec", [["ECHO", "j"]], RESP2);
    expect(a.headers.get("content-type")).toBe("application/json");
    expect(a.text).toBe('[{"result":"j"}]');
  });
});

describe("tokens", () => {
  it("accepts the token as Authorization: Bearer", async () => {
    expect((await post("/", ["PING"], { Authorization: `Bearer ${TOKEN}` }, null)).status).toBe(200);
  });

  it("accepts the token as ?_token= on POST /", async () => {
    expect((await post(`/?_token=${TOKEN}`, ["PING"], {}, null)).text).toBe('{"result":"PONG"}');
  });

  it("answers a missing token with 401", async () => {
    const a = await post("/", ["PING"], {}, null);
    expect(a.status).toBe(401);
    expect(a.text).toBe('{"error":"WRONGPASS invalid or missing auth token"}');
  });

  it("answers a wrong token, as header or as _token, with 401", async () => {
    const a = await post("/", ["PING"], {}, "wrong");
    expect(a.status).toBe(401);
    expect(a.json).toEqual({ error: "WRONGPASS invalid or missing auth token" });
    const b = await req("/ping?_token=wrong", { token: null });
    expect(b.status).toBe(401);
    const c = await post("/pipeline", [["PING"]], {}, "wrong");
    expect(c.status).toBe(401);
  });

  it("lets the read-only token read", async () => {
    await post("/", ["SET", "ro:k", "v"]);
    expect((await post("/", ["GET", "ro:k"], {}, READONLY_TOKEN)).text).toBe('{"result":"v"}');
    expect((await req("/get/ro:k", { token: READONLY_TOKEN })).text).toBe('{"result":"v"}');
  });

  it("refuses the read-only token SET, KEYS and SCAN with NOPERM", async () => {
    const set = await post("/", ["SET", "ro:k", "changed"], {}, READONLY_TOKEN);
    expect(set.status).toBe(400);
    expect(set.text).toBe(`{"error":"NOPERM this user has no permissions to run the 'set' command"}`);
    expect((await post("/", ["KEYS", "*"], {}, READONLY_TOKEN)).json).toEqual({
      error: "NOPERM this user has no permissions to run the 'keys' command",
    });
    expect((await post("/", ["SCAN", "0"], {}, READONLY_TOKEN)).json).toEqual({
      error: "NOPERM this user has no permissions to run the 'scan' command",
    });
    expect((await post("/", ["GET", "ro:k"])).json).toEqual({ result: "v" });
  });

  it("refuses read-only writes per item in a pipeline, and the whole of a transaction", async () => {
    const p = await post("/pipeline", [["GET", "ro:k"], ["DEL", "ro:k"]], {}, READONLY_TOKEN);
    expect(p.json).toEqual([{ result: "v" }, { error: "NOPERM this user has no permissions to run the 'del' command" }]);
    const t = await post("/multi-exec", [["GET", "ro:k"], ["DEL", "ro:k"]], {}, READONLY_TOKEN);
    expect(t.status).toBe(400);
    expect(t.json).toEqual({ error: "EXECABORT Transaction discarded because of: NOPERM this user has no permissions to run the 'del' command" });
  });
});

describe("Upstash-Encoding: base64", () => {
  it("encodes a bulk string but leaves the status OK as it is", async () => {
    expect((await post("/", ["SET", "b64:k", "bar"], B64)).text).toBe('{"result":"OK"}');
    expect((await post("/", ["GET", "b64:k"], B64)).text).toBe('{"result":"YmFy"}');
  });

  it("encodes other status replies, and a bulk string that reads OK", async () => {
    expect((await post("/", ["PING"], B64)).text).toBe('{"result":"UE9ORw=="}');
    expect((await post("/", ["ECHO", "OK"], B64)).text).toBe('{"result":"T0s="}');
    expect((await post("/", ["TYPE", "b64:k"], B64)).text).toBe('{"result":"c3RyaW5n"}');
  });

  it("encodes each string of an array, leaving nulls", async () => {
    await post("/", ["SET", "{b64}1", "v1"]);
    await post("/", ["SET", "{b64}2", ""]);
    expect((await post("/", ["MGET", "{b64}1", "{b64}missing", "{b64}2"], B64)).text).toBe('{"result":["djE=",null,""]}');
  });

  it("encodes strings nested in arrays, status replies included, and leaves integers", async () => {
    const { json } = await post("/", ["COMMAND", "INFO", "get"], B64);
    expect(json.result[0].slice(0, 6)).toEqual([btoa("get"), 2, [btoa("readonly"), btoa("fast")], 1, 1, 1]);
  });

  it("leaves integers and null untouched", async () => {
    expect((await post("/", ["INCR", "b64:n"], B64)).text).toBe('{"result":1}');
    expect((await post("/", ["GET", "b64:none"], B64)).text).toBe('{"result":null}');
  });

  it("never encodes an error", async () => {
    const a = await post("/", ["GET"], B64);
    expect(a.text).toBe(`{"error":"ERR wrong number of arguments for 'get' command"}`);
  });

  it("encodes each item of a pipeline the same way", async () => {
    const a = await post("/pipeline", [["SET", "b64:p", "x"], ["GET", "b64:p"], ["INCR", "b64:p"], ["EXISTS", "b64:p"]], B64);
    expect(a.text).toBe('[{"result":"OK"},{"result":"eA=="},{"error":"ERR value is not an integer or out of range"},{"result":1}]');
  });
});

describe("binary values", () => {
  it("round-trip all 256 byte values: a raw POST body in, base64 out", async () => {
    expect((await req("/set/bin:all", { method: "POST", body: ALL_BYTES })).text).toBe('{"result":"OK"}');
    expect((await post("/", ["STRLEN", "bin:all"])).text).toBe('{"result":256}');
    expect((await post("/", ["GET", "bin:all"], B64)).json).toEqual({ result: ALL_BYTES_B64 });
    expect((await req("/getrange/bin:all/254/255", { headers: B64 })).json).toEqual({ result: btoa("\xfe\xff") });
  });

  it("come back as UTF-8 text with U+FFFD for invalid bytes without base64", async () => {
    await req("/set/bin:all2", { method: "POST", body: ALL_BYTES });
    expect((await post("/", ["GET", "bin:all2"])).json).toEqual({ result: new TextDecoder().decode(ALL_BYTES) });
  });

  it("come back raw in RESP2", async () => {
    await req("/set/bin:all3", { method: "POST", body: ALL_BYTES });
    const res = await SELF.fetch("http://hotslot/get/bin:all3", { headers: { Authorization: `Bearer ${TOKEN}`, ...RESP2 } });
    const bytes = new Uint8Array(await res.arrayBuffer());
    const head = new TextEncoder().encode("$256\r\n");
    expect(bytes.length).toBe(head.length + 256 + 2);
    expect(bytes.subarray(0, head.length)).toEqual(head);
    expect(bytes.subarray(head.length, head.length + 256)).toEqual(ALL_BYTES);
  });
});

describe("malformed bodies are refused with 400, running nothing", () => {
  it("refuses a body that is not JSON", async () => {
    for (const path of ["/", "/pipeline", "/multi-exec"]) {
      const a = await post(path, '["SET","bad:k"');
      expect(a.status).toBe(400);
      expect(a.text).toBe('{"error":"ERR failed to parse the request body: it is not valid JSON"}');
    }
    expect((await post("/", ["EXISTS", "bad:k"])).json).toEqual({ result: 0 });
  });

  it("refuses JSON that is not valid UTF-8", async () => {
    const body = Uint8Array.from([...new TextEncoder().encode('["ECHO","'), 0xff, ...new TextEncoder().encode('"]')]);
    const a = await req("/", { method: "POST", body });
    expect(a.status).toBe(400);
    expect(a.json).toEqual({ error: "ERR failed to parse the request body: it is not valid JSON" });
  });

  it("refuses an empty body", async () => {
    const a = await post("/", "");
    expect(a.status).toBe(400);
    expect(a.json).toEqual({ error: "ERR failed to parse the request body: it is not valid JSON" });
  });

  it("refuses a command that is not a non-empty array", async () => {
    const expected = { error: 'ERR the request body must be a command as a non-empty JSON array, like ["SET","key","value"]' };
    for (const body of ['{"cmd":"PING"}', '"PING"', "[]", "null", "5"]) {
      const a = await post("/", body);
      expect(a.status).toBe(400);
      expect(a.json).toEqual(expected);
    }
  });

  it("refuses a pipeline or transaction that is not a non-empty array of non-empty arrays", async () => {
    const expected = {
      error: 'ERR the request body must be a non-empty JSON array of commands, each a non-empty JSON array, like [["SET","key","value"],["GET","key"]]',
    };
    for (const path of ["/pipeline", "/multi-exec"]) {
      for (const body of ["[]", '["PING"]', '[["PING"],[]]', '[["PING"],"ECHO"]', '{"0":["PING"]}']) {
        const a = await post(path, body);
        expect(a.status).toBe(400);
        expect(a.json).toEqual(expected);
      }
    }
  });

  it("refuses arguments that are not strings, numbers or booleans", async () => {
    for (const body of ['["ECHO",null]', '["ECHO",{"a":1}]', '["ECHO",["x"]]']) {
      const a = await post("/", body);
      expect(a.status).toBe(400);
      expect(a.json).toEqual({ error: "ERR command arguments must be JSON strings, numbers or booleans" });
    }
    const p = await post("/pipeline", [["SET", "bad:p", "1"], ["ECHO", null]]);
    expect(p.status).toBe(400);
    expect((await post("/", ["EXISTS", "bad:p"])).json).toEqual({ result: 0 });
  });
});

describe("the request size limit (MAX_REQUEST_BYTES)", () => {
  const limit = Number(env.MAX_REQUEST_BYTES);

  it("is configured", () => {
    expect(limit).toBe(10 * 1024 * 1024);
  });

  it("accepts a body of exactly the limit", async () => {
    const overhead = '["ECHO",""]'.length;
    const a = await post("/", JSON.stringify(["ECHO", "x".repeat(limit - overhead)]));
    expect(a.status).toBe(200);
    expect(a.json.result.length).toBe(limit - overhead);
  });

  it("refuses a body one byte over the limit, declared by Content-Length", async () => {
    const a = await req("/set/size:k", { method: "POST", body: "x".repeat(limit + 1) });
    expect(a.status).toBe(400);
    expect(a.text).toBe('{"error":"ERR max request size exceeded"}');
    expect((await post("/", ["EXISTS", "size:k"])).json).toEqual({ result: 0 });
  });

  it("refuses a streamed body without a length once it passes the limit", async () => {
    const chunk = new Uint8Array(1024 * 1024).fill(0x78);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > limit) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const a = await req("/set/size:stream", { method: "POST", body });
    expect(a.status).toBe(400);
    expect(a.json).toEqual({ error: "ERR max request size exceeded" });
    expect((await post("/", ["EXISTS", "size:stream"])).json).toEqual({ result: 0 });
  });

  it("checks the token before the size, whichever side reads the body", async () => {
    const a = await req("/set/size:noauth", { token: null, method: "POST", body: "x".repeat(limit + 1) });
    expect(a.status).toBe(401);
  });

  it("ignores a client's copy of the Worker's too-large marker", async () => {
    const a = await req("/set/size:marker", { method: "POST", body: "small", headers: { "hotslot-body-too-large": "1" } });
    expect(a.status).toBe(200);
    expect((await post("/", ["GET", "size:marker"])).json).toEqual({ result: "small" });
  });
});

describe("CORS", () => {
  const CLIENT_HEADERS = [
    "authorization",
    "content-type",
    "upstash-encoding",
    "upstash-sync-token",
    "upstash-telemetry-platform",
    "upstash-telemetry-runtime",
    "upstash-telemetry-sdk",
  ];

  it("answers a preflight for the headers @upstash/redis sends, without a token", async () => {
    const a = await req("/pipeline", {
      method: "OPTIONS",
      token: null,
      headers: { Origin: "https://app.example", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": CLIENT_HEADERS.join(",") },
    });
    expect(a.status).toBe(204);
    expect(a.headers.get("access-control-allow-origin")).toBe("*");
    expect(a.headers.get("access-control-allow-methods")).toBe("GET, HEAD, POST, PUT, OPTIONS");
    const allowed = a.headers.get("access-control-allow-headers")!.split(",").map((h) => h.trim().toLowerCase());
    for (const h of CLIENT_HEADERS) expect(allowed).toContain(h);
  });

  it("names the client's headers in a preflight that asks for none", async () => {
    const a = await req("/", { method: "OPTIONS", token: null, headers: { Origin: "https://app.example" } });
    const allowed = a.headers.get("access-control-allow-headers")!.split(",").map((h) => h.trim());
    for (const h of [...CLIENT_HEADERS, "upstash-response-format", "upstash-telemetry-retry"]) expect(allowed).toContain(h);
  });

  it("lets any origin read answers and their sync token, errors included", async () => {
    for (const a of [await post("/", ["PING"]), await post("/", ["PING"], {}, null), await post("/", "nope")]) {
      expect(a.headers.get("access-control-allow-origin")).toBe("*");
      expect(a.headers.get("access-control-expose-headers")).toBe("upstash-sync-token");
    }
  });
});

describe("upstash-sync-token", () => {
  /** The token as group → offset. */
  const offsets = (t: string | null) => new Map((t ?? "").split(",").filter(Boolean).map((p) => p.split(":").map(Number) as [number, number]));

  it("comes back on every answer, carrying the offset each write reached in its group, increasing", async () => {
    const a = await post("/", ["PING"]);
    const b = await post("/", ["SET", "sync:k", "v"], { "upstash-sync-token": a.headers.get("upstash-sync-token")! });
    const c = await post("/", ["SET", "sync:k", "w"], { "upstash-sync-token": b.headers.get("upstash-sync-token")! });
    const d = await post("/", ["GET"], { "upstash-sync-token": c.headers.get("upstash-sync-token")! });
    const tokens = [a, b, c, d].map((x) => x.headers.get("upstash-sync-token"));
    for (const t of tokens) expect(t).toMatch(/^(\d+:\d+(,\d+:\d+)*)?$/);
    const group = SlotMap.contiguous(SHARDS).shardOfKey("sync:k");
    expect([...offsets(tokens[1]).keys()]).toEqual([group]);
    expect(offsets(tokens[2]).get(group)).toBeGreaterThan(offsets(tokens[1]).get(group)!);
    expect(tokens[3]).toBe(tokens[2]);
  });

  it("is never lower than the one the client sent, per group; unreadable parts are ignored", async () => {
    const sent = "0:99999999999,3:5,x:1,2:-4";
    const a = await post("/", ["SET", "sync:k", "v"], { "upstash-sync-token": sent });
    const back = offsets(a.headers.get("upstash-sync-token"));
    expect(back.get(0)).toBe(99999999999);
    expect(back.get(3)).toBeGreaterThanOrEqual(5);
    expect(back.has(2)).toBe(false);
  });
});

describe("Upstash-Response-Format: resp2", () => {
  it("answers raw RESP2 bytes as application/octet-stream", async () => {
    const a = await req("/set/resp2:k/v", { headers: RESP2 });
    expect(a.status).toBe(200);
    expect(a.headers.get("content-type")).toBe("application/octet-stream");
    expect(a.text).toBe("+OK\r\n");
    expect((await post("/", ["GET", "resp2:k"], RESP2)).text).toBe("$1\r\nv\r\n");
    expect((await post("/", ["MGET", "resp2:k", "resp2:none"], RESP2)).text).toBe("*2\r\n$1\r\nv\r\n$-1\r\n");
  });

  it("answers an error as a RESP2 error with HTTP 400", async () => {
    const a = await post("/", ["GET"], RESP2);
    expect(a.status).toBe(400);
    expect(a.text).toBe("-ERR wrong number of arguments for 'get' command\r\n");
  });

  it("answers a pipeline as its replies one after another", async () => {
    expect((await post("/pipeline", [["PING"], ["INCR", "resp2:n"], ["GET"]], RESP2)).text).toBe(
      "+PONG\r\n:1\r\n-ERR wrong number of arguments for 'get' command\r\n",
    );
  });

  it("refuses formats other than json and resp2, and resp2 with base64", async () => {
    const a = await post("/", ["PING"], { "Upstash-Response-Format": "xml" });
    expect(a.status).toBe(400);
    expect(a.json).toEqual({ error: "ERR Upstash-Response-Format must be json or resp2" });
    const b = await post("/", ["PING"], { ...RESP2, ...B64 });
    expect(b.status).toBe(400);
    expect(b.json).toEqual({ error: "ERR Upstash-Encoding: base64 cannot be combined with Upstash-Response-Format: resp2" });
  });
});
