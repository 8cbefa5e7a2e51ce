/**
 * Redis 7 functions inside workerd, through the router: one FUNCTION LOAD reaches every
 * shard, FCALL runs where its keys live, and the libraries survive every shard restarting,
 * from the log (FUNCTION LOAD REPLACE was logged) and from a snapshot's AUX fields; a
 * FUNCTION DELETE is replayed too.
 */
import { evictAllDurableObjects } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { cmd, http, keyPerShard } from "./helpers";

const COUNTER = "#!lua name=counter\nredis.register_function('bump', function(keys, args) return redis.call('incr', keys[1]) end)";
const SCRATCH = "#!lua name=scratch\nredis.register_function('scratch', function() return 'x' end)";

describe("functions", () => {
  it("run in every shard after one FUNCTION LOAD, and after every shard restarts", async () => {
    expect(await cmd("FUNCTION", "LOAD", COUNTER)).toBe("counter");
    expect(await cmd("FUNCTION", "LOAD", SCRATCH)).toBe("scratch");
    const keys = keyPerShard("fn-");
    for (const key of keys) expect(await cmd("FCALL", "bump", 1, key)).toBe(1);
    expect(await cmd("FUNCTION", "DELETE", "scratch")).toBe("OK");

    await evictAllDurableObjects(); // rebuilt from the log
    for (const key of keys) expect(await cmd("FCALL", "bump", 1, key)).toBe(2);
    for (const key of keys) expect((await http(["FCALL", "scratch", 1, key])).json).toEqual({ error: "ERR Function not found" });

    expect(await cmd("SAVE")).toBe("OK");
    await evictAllDurableObjects(); // rebuilt from the snapshot's AUX fields
    for (const key of keys) expect(await cmd("FCALL", "bump", 1, key)).toBe(3);
    expect((await http(["FCALL_RO", "bump", 1, keys[0]])).json).toEqual({ error: "ERR Can not execute a script with write flag using *_ro command." });
    expect(await cmd("FUNCTION", "FLUSH")).toBe("OK");
    for (const key of keys) expect((await http(["FCALL", "bump", 1, key])).json).toEqual({ error: "ERR Function not found" });
  });
});
