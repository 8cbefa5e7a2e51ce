/**
 * Keyspace notifications against a real redis-server 7.0: the same seeded command
 * sequences (the differential generators of every command family) run on a redis-server
 * with notify-keyspace-events set, watched by a PSUBSCRIBE '__key*__:*' connection, and by
 * Hotslot's Executor in Node; the (channel, message) pairs each command produced are
 * compared byte for byte and in order, command by command. A marker PUBLISHed after each
 * command on the reference splits its stream per command (Redis writes a command's
 * notifications to the subscriber before the marker that follows it).
 *
 * Commands whose effect depends on chance (SPOP, SRANDMEMBER, RANDOMKEY, …) are left out
 * so both sides keep the same keyspace. NOTIFY_SEEDS / NOTIFY_STEPS explore further.
 */
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Executor } from "../../src/commands/execute";
import { Keyspace } from "../../src/engine/keyspace";
import { seedList } from "../support/differential";
import { generateBitmapSteps, bitmapSetupSteps } from "../support/gen-bitmaps";
import { generateGeoSteps } from "../support/gen-geo";
import { generateHllSteps, hllSetupSteps } from "../support/gen-hyperloglog";
import { generateLhSteps } from "../support/gen-lists-hashes";
import { generateSzSteps } from "../support/gen-sets-zsets";
import { generateSteps, TAGGED_KEYS } from "../support/gen-strings-keys";
import { encodePipeline, frameReply, parseReply, printable, printableCommand, type Resp } from "../support/resp-wire";
import { startReferenceRedis, type ReferenceRedis } from "../support/reference-redis";

const SEEDS = seedList(process.env.NOTIFY_SEEDS ?? "1-6");
const STEPS = Number(process.env.NOTIFY_STEPS ?? 300);
const MARK = "hotslot-notify-mark";

/** Left out: their effect depends on chance (or on the server, not the keyspace). */
const NONDETERMINISTIC = new Set(["spop", "srandmember", "zrandmember", "hrandfield", "randomkey", "debug", "object", "pfdebug", "pfselftest", "flushall", "flushdb", "swapdb", "select", "move", "wait"]);

let reference: ReferenceRedis;
let subscriber: Subscriber;

beforeAll(async () => {
  reference = await startReferenceRedis();
  subscriber = await Subscriber.connect(reference.port);
});

afterAll(async () => {
  subscriber?.close();
  await reference?.stop();
});

type Pair = [channel: string, message: string];

/** A PSUBSCRIBEd connection gathering pmessages; `untilMarks(n)` splits them per marker. */
class Subscriber {
  private buf = "";
  private readonly got: (Pair | "mark")[] = [];
  private waiter: (() => void) | null = null;
  private subscribed = 0;

  async untilSubscribed(n: number): Promise<void> {
    while (this.subscribed < n) await new Promise((r) => setTimeout(r, 10));
  }

  private constructor(private readonly socket: net.Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.buf += chunk.toString("latin1");
      let pos = 0;
      for (let end = frameReply(this.buf, pos); end >= 0; end = frameReply(this.buf, pos)) {
        const r = parseReply(this.buf.slice(pos, end)) as Resp & { items?: Resp[] };
        pos = end;
        const items = (r.items ?? []).map((i) => (i.type === "*" ? "" : (i.text ?? "")));
        if (items[0] === "psubscribe") this.subscribed++;
        if (items[0] === "pmessage") this.got.push(items[2] === MARK ? "mark" : [items[2], items[3]]);
      }
      this.buf = this.buf.slice(pos);
      this.waiter?.();
    });
  }

  static async connect(port: number): Promise<Subscriber> {
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect({ port, host: "127.0.0.1" }, () => resolve(s));
      s.once("error", reject);
    });
    const sub = new Subscriber(socket);
    // The marker has a pattern of its own: it splits the stream per command.
    socket.write(encodePipeline([["PSUBSCRIBE", "__key*__:*", MARK]]));
    await sub.untilSubscribed(2);
    return sub;
  }

  /** The pairs before each of the next `n` markers. */
  async untilMarks(n: number): Promise<Pair[][]> {
    const deadline = Date.now() + 10_000;
    while (this.got.filter((x) => x === "mark").length < n) {
      if (Date.now() > deadline) throw new Error("notifications: markers did not arrive");
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        setTimeout(resolve, 50);
      });
    }
    const out: Pair[][] = [[]];
    let marks = 0;
    while (marks < n) {
      const x = this.got.shift()!;
      if (x === "mark") {
        marks++;
        if (marks < n) out.push([]);
      } else out[out.length - 1].push(x);
    }
    return out;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Pairs compared so far per family (a run that compared nothing proves nothing). */
let compared = 0;
const eventsSeen = new Set<string>();

/** Runs `steps` on both sides with `flags`; the first command whose notifications differ, or null. */
async function compare(flags: string, steps: string[][]): Promise<string | null> {
  const client = reference.client;
  await client.call("FLUSHALL");
  await client.call("CONFIG", "SET", "notify-keyspace-events", flags);
  const db = new Keyspace();
  const ex = new Executor(db);
  ex.run([["CONFIG", "SET", "notify-keyspace-events", flags]]);
  const kept = steps.filter((argv) => !NONDETERMINISTIC.has(argv[0].toLowerCase()));
  const pipeline = kept.flatMap((argv) => [argv, ["PUBLISH", MARK, "x"]]);
  await client.pipeline(pipeline);
  const theirs = await subscriber.untilMarks(kept.length);
  for (let i = 0; i < kept.length; i++) {
    const ours = ex.run([kept[i]]).notifications.map((n): Pair => [n.channel, n.message]);
    const fmt = (ps: Pair[]) => ps.map(([c, m]) => `${printable(c)} ${printable(m)}`).join(" | ");
    compared += theirs[i].length;
    for (const [c, m] of theirs[i]) eventsSeen.add(c.startsWith("__keyspace") ? m : c.slice("__keyevent@0__:".length));
    if (fmt(ours) !== fmt(theirs[i])) {
      const before = kept.slice(Math.max(0, i - 5), i).map(printableCommand).join("\n  ");
      return `after\n  ${before}\n${printableCommand(kept[i])}\n  hotslot: ${fmt(ours)}\n  redis:   ${fmt(theirs[i])}`;
    }
  }
  return null;
}

const FLAG_SETS = ["KEA", "KEAn", "Kg$n", "Elshz", "Exe"];

const FAMILIES: [string, (seed: number) => string[][]][] = [
  ["strings and keys", (seed) => generateSteps(seed, STEPS, { families: ["strings", "keys", "ttl", "types"], keyPool: TAGGED_KEYS }).map((s) => s.argv)],
  ["lists and hashes", (seed) => generateLhSteps(seed, STEPS, ["lists", "hashes"]).map((s) => s.argv)],
  ["sets and sorted sets", (seed) => generateSzSteps(seed, STEPS, ["sets", "zsets"]).map((s) => s.argv)],
  ["bitmaps", (seed) => [...bitmapSetupSteps(), ...generateBitmapSteps(seed, STEPS)].map((s) => s.argv)],
  ["HyperLogLog", (seed) => [...hllSetupSteps(), ...generateHllSteps(seed, STEPS)]],
  ["geo", (seed) => generateGeoSteps(seed, STEPS)],
  // The multi-key and STORE forms the generators reach rarely, in a fixed script.
  [
    "moves and stores",
    () => [
      ["RPUSH", "{k}l", "c", "a", "b"],
      ["SORT", "{k}l", "ALPHA", "STORE", "{k}sorted"],
      ["SORT", "{k}none", "STORE", "{k}sorted"],
      ["RPOPLPUSH", "{k}l", "{k}l2"],
      ["LMOVE", "{k}l", "{k}l2", "LEFT", "RIGHT"],
      ["LMOVE", "{k}l", "{k}l", "LEFT", "RIGHT"],
      ["LMPOP", "2", "{k}none", "{k}l", "RIGHT", "COUNT", "5"],
      ["SADD", "{k}s", "m"],
      ["SMOVE", "{k}s", "{k}s2", "m"],
      ["SMOVE", "{k}s2", "{k}s2", "m"],
      ["ZADD", "{k}z", "1", "a", "2", "b"],
      ["ZRANGESTORE", "{k}zr", "{k}z", "0", "-1"],
      ["ZRANGESTORE", "{k}zr", "{k}z", "5", "9"],
      ["ZMPOP", "1", "{k}z", "MIN", "COUNT", "9"],
      ["SET", "{k}a", "x"],
      ["BITOP", "OR", "{k}b", "{k}a"],
      ["BITOP", "AND", "{k}b", "{k}none"],
      ["BITFIELD", "{k}bf", "SET", "u8", "0", "1", "INCRBY", "u8", "0", "0"],
      ["PFADD", "{k}h1", "a"],
      ["PFMERGE", "{k}h2", "{k}h1"],
      ["GETEX", "{k}a", "PX", "100000"],
      ["GETEX", "{k}a", "PERSIST"],
      ["GETEX", "{k}a", "PXAT", "1"],
      ["SET", "{k}a", "x", "EX", "100", "GET"],
      ["GETDEL", "{k}a"],
      ["MSET", "{k}a", "1", "{k}c", "2"],
      ["RENAME", "{k}a", "{k}c"],
      ["RENAMENX", "{k}c", "{k}d"],
      ["COPY", "{k}d", "{k}e"],
      ["COPY", "{k}d", "{k}e", "REPLACE"],
      ["EXPIRE", "{k}e", "100"],
      ["PERSIST", "{k}e"],
      ["PEXPIREAT", "{k}e", "1"],
      ["DEL", "{k}d", "{k}none", "{k}c"],
      ["HSET", "{k}hh", "f", "v"],
      ["HSETNX", "{k}hh", "f", "v"],
      ["HDEL", "{k}hh", "f"],
      ["SINTERSTORE", "{k}si", "{k}none"],
    ],
  ],
];

describe("keyspace notifications match redis-server 7.0", () => {
  for (const [family, gen] of FAMILIES) {
    it(`${family}: every command's (channel, message) pairs, in order`, async () => {
      compared = 0;
      eventsSeen.clear();
      for (const seed of SEEDS) {
        const flags = FLAG_SETS[seed % FLAG_SETS.length];
        const diff = await compare(flags, gen(seed));
        expect(diff, `seed ${seed}, notify-keyspace-events ${flags}`).toBeNull();
      }
      expect(compared).toBeGreaterThan(100);
      console.log(`${family}: ${compared} pairs; events ${[...eventsSeen].sort().join(" ")}`);
    }, 120_000);
  }
});
