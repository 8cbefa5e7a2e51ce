/**
 * SENTINEL commands and the failover admin endpoints in the default workers project
 * (SENTINELS=0: no monitors, no fault injection): shapes, errors, and fault injection refused.
 */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { cmd, http } from "./helpers";

const ADMIN = { Authorization: "Bearer test-admin-token" };

describe("SENTINEL without monitors", () => {
  it("MASTERS lists every group at epoch 0; REPLICAS its replicas; GET-MASTER-ADDR-BY-NAME its primary", async () => {
    const masters = (await cmd("SENTINEL", "MASTERS")) as string[][];
    expect(masters.map((m) => m[1])).toEqual(["group-0", "group-1", "group-2", "group-3"]);
    const m1 = masters[1];
    const field = (name: string) => m1[m1.indexOf(name) + 1];
    expect(field("ip")).toBe("shard-1");
    expect(field("config-epoch")).toBe("0");
    expect(field("quorum")).toBe("2");
    expect(field("flags")).toBe("master");
    expect(await cmd("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "group-2")).toEqual(["shard-2", "0"]);
    expect(await cmd("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "nope")).toBe(null);
    const replicas = (await cmd("SENTINEL", "SLAVES", "group-0")) as string[][];
    expect(replicas.map((r) => r[1])).toEqual(["shard-0-r1"]);
  });

  it("CKQUORUM answers NOQUORUM with no usable monitors; errors match redis-sentinel", async () => {
    await expect(cmd("SENTINEL", "CKQUORUM", "group-0")).rejects.toThrow("NOQUORUM 0 usable Sentinels. Not enough available Sentinels to reach the specified quorum for this master");
    await expect(cmd("SENTINEL", "CKQUORUM", "nope")).rejects.toThrow("ERR No such master with that name");
    await expect(cmd("SENTINEL", "FOO")).rejects.toThrow("ERR unknown subcommand 'FOO'. Try SENTINEL HELP.");
    await expect(cmd("SENTINEL", "REPLICAS")).rejects.toThrow("ERR wrong number of arguments for 'sentinel|replicas' command");
  });

  it("is refused to the read-only token (admin command)", async () => {
    const { json } = await http(["SENTINEL", "MASTERS"], "/", { Authorization: "Bearer test-readonly-token" });
    expect(json.error).toMatch(/^NOPERM/);
  });
});

describe("failover admin endpoints", () => {
  it("GET /admin/topology describes the groups; fault injection is refused unless FAULT_INJECTION=yes", async () => {
    const res = await SELF.fetch("http://hotslot/admin/topology", { headers: ADMIN });
    const t = (await res.json()) as any;
    expect(t.groups.length).toBe(4);
    expect(t.groups[0]).toMatchObject({ group: 0, epoch: 0, primary: "shard-0" });
    expect(t.monitors).toEqual([]);
    const f = await SELF.fetch("http://hotslot/admin/faults", { method: "POST", headers: ADMIN, body: JSON.stringify({ target: "shard-0", fault: { mode: "down" } }) });
    expect(f.status).toBe(403);
    expect(((await f.json()) as any).error).toMatch(/fault injection is disabled/);
    const fo = await SELF.fetch("http://hotslot/admin/failover/0", { method: "POST", headers: ADMIN });
    expect(fo.status).toBe(503);
    // Without the admin token: refused.
    expect((await SELF.fetch("http://hotslot/admin/topology", { headers: { Authorization: "Bearer test-token" } })).status).toBe(401);
  });
});
