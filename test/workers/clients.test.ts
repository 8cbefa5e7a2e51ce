/**
 * The client registry in workerd, over real WebSockets and shard Durable Objects: INFO
 * clients counts a session parked on BLPOP, CLIENT UNBLOCK ... ERROR releases it through
 * the shard with the UNBLOCKED error, and CLIENT KILL closes another connection.
 */
import { describe, expect, it } from "vitest";
import { connect } from "./helpers";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function blockedClients(info: string): number {
  return Number(/blocked_clients:(\d+)/.exec(info)![1]);
}

describe("clients over WebSocket", () => {
  it("closes a blocked connection at CLIENT KILL, releasing its command unanswered", async () => {
    const admin = await connect();
    const victim = await connect();
    const id = /:(\d+)/.exec(await victim.call(["CLIENT", "ID"]))![1];
    let answered = false;
    void victim.call(["BLPOP", "clients:wk:kq", "0"]).then(() => (answered = true));
    await sleep(50);
    expect(await admin.call(["CLIENT", "KILL", "ID", id])).toBe(":1\r\n");
    await victim.closed;
    expect(answered).toBe(false);
    expect(await admin.call(["RPUSH", "clients:wk:kq", "x"], ["LLEN", "clients:wk:kq"])).toBe(":1\r\n:1\r\n");
    admin.close();
  });

  it("counts a blocked client and unblocks it with the UNBLOCKED error through its shard", async () => {
    const admin = await connect();
    const waiter = await connect();
    const id = /:(\d+)/.exec(await waiter.call(["CLIENT", "ID"]))![1];
    const reply = waiter.call(["BLPOP", "clients:wk:q", "0"]);
    let info = "";
    for (let i = 0; i < 50 && blockedClients(info || "blocked_clients:0") === 0; i++) {
      await sleep(10);
      info = await admin.call(["INFO", "clients"]);
    }
    expect(blockedClients(info)).toBe(1);
    expect(await admin.call(["CLIENT", "UNBLOCK", id, "ERROR"])).toBe(":1\r\n");
    expect(await reply).toBe("-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n");
    expect(blockedClients(await admin.call(["INFO", "clients"]))).toBe(0);
    // Nothing stays parked on the shard: a push stays in the list.
    expect(await admin.call(["RPUSH", "clients:wk:q", "x"], ["LLEN", "clients:wk:q"])).toBe(":1\r\n:1\r\n");
    admin.close();
    waiter.close();
  });

  it("unlists a connection at CLIENT KILL ID and closes it at once", async () => {
    const admin = await connect();
    const victim = await connect();
    const id = /:(\d+)/.exec(await victim.call(["CLIENT", "ID"]))![1];
    expect(await admin.call(["CLIENT", "KILL", "ID", id])).toBe(":1\r\n");
    expect(await admin.call(["CLIENT", "LIST", "ID", id])).toBe("$0\r\n\r\n");
    // Closed at once, though it sends nothing more (in a gateway, the killer's event may close it).
    await victim.closed;
    expect(await admin.call(["EXISTS", "clients:wk:killed"])).toBe(":0\r\n");
    admin.close();
  });

  it("closes a subscriber at CLIENT KILL at once: a PUBLISH after it reaches nobody", async () => {
    const admin = await connect();
    const victim = await connect();
    const id = /:(\d+)/.exec(await victim.call(["CLIENT", "ID"]))![1];
    expect(await victim.call(["SUBSCRIBE", "clients:wk:ch"])).toContain("subscribe");
    expect(await admin.call(["CLIENT", "KILL", "ID", id])).toBe(":1\r\n");
    await victim.closed;
    expect(await admin.call(["PUBLISH", "clients:wk:ch", "x"])).toBe(":0\r\n");
    admin.close();
  });
});
