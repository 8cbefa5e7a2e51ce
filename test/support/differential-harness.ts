/**
 * The engine-level differential tests' harness, shared by every family's test in
 * test/reference/: Hotslot's side (an Executor in Node whose replies are RESP bytes), the
 * checks of a family's declarations against the reference server's own (COMMAND INFO,
 * COMMAND DOCS, COMMAND GETKEYS), and the runner that sends a seeded sequence to both sides
 * chunk by chunk and judges each reply. The reference server is test/support/reference-redis.ts;
 * the comparison rules and the generic generators are test/support/differential.ts.
 */
import { expect } from "vitest";
import { docsOf } from "../../src/commands/docs";
import { Executor } from "../../src/commands/execute";
import { lookupCommand } from "../../src/commands/table";
import { Keyspace } from "../../src/engine/keyspace";
import { error, type Reply } from "../../src/protocol/reply";
import { encodeReply } from "../../src/protocol/resp";
import { bytesToBinary } from "../../src/util/binary";
import type { Side } from "./differential";
import { parseReply, type Resp } from "./resp-wire";

/** What the checks below need of the reference server. */
interface Reference {
  call(...argv: string[]): Promise<string>;
  pipeline(cmds: readonly (readonly string[])[]): Promise<string[]>;
}

// --- Hotslot's side ------------------------------------------------------------------------

/** Runs one command on Hotslot's executor; its reply as RESP bytes (a binary string). */
export function hotslotReply(ex: Executor, argv: readonly string[], protocol: 2 | 3 = 2): string {
  return bytesToBinary(encodeReply(ex.runOne([...argv]), protocol));
}

/** Hotslot's executor over a fresh keyspace, with the real clock (as Redis has), as a `Side`. */
export class EngineSide implements Side {
  private db = new Keyspace();
  private ex = new Executor(this.db, undefined, () => Date.now());

  reset(): void {
    this.db = new Keyspace();
    this.ex = new Executor(this.db, undefined, () => Date.now());
  }

  async send(cmds: readonly (readonly string[])[]): Promise<string[]> {
    return cmds.map((argv) => {
      let reply: Reply;
      try {
        reply = this.ex.runOne([...argv]);
      } catch (e) {
        // A handler that throws is a bug; show it as a reply no Redis would send.
        reply = error(`(Hotslot threw) ${(e as Error).stack ?? e}`);
      }
      return bytesToBinary(encodeReply(reply, 2));
    });
  }
}

// --- declarations against the server's ---------------------------------------------------

const items = (r: Resp): Resp[] => (r.type === "*" ? (r.items ?? []) : []);
const text = (r: Resp): string => (r.type === "*" ? "" : (r.text ?? ""));

/**
 * Expects each command's declaration to be what the server's COMMAND INFO says: arity,
 * flags (movablekeys is derived from getKeys, not declared), first/last/step keys, ACL
 * categories in the server's order.
 */
export async function expectSameCommandInfo(redis: Reference, names: readonly string[]): Promise<void> {
  const rows = items(parseReply(await redis.call("COMMAND", "INFO", ...names)));
  expect(rows).toHaveLength(names.length);
  for (const row of rows) {
    const [name, arity, flags, first, last, step, categories] = items(row);
    const n = text(name);
    const spec = lookupCommand(n)!;
    const list = (r: Resp) => items(r).map(text);
    expect(spec.arity, n).toBe(Number(text(arity)));
    expect([...spec.flags].sort(), n).toEqual(list(flags).filter((f) => f !== "movablekeys").sort());
    const keys = spec.keys ?? { first: 0, last: 0, step: 0 };
    expect([keys.first, keys.last, keys.step], n).toEqual([first, last, step].map((r) => Number(text(r))));
    expect(spec.categories.map((c) => "@" + c), n).toEqual(list(categories));
    expect(spec.getKeys !== undefined, n).toBe(list(flags).includes("movablekeys"));
  }
}

/** Expects each command's summary, since and complexity to be what COMMAND DOCS prints. */
export async function expectSameCommandDocs(redis: Reference, names: readonly string[]): Promise<void> {
  for (const name of names) {
    const doc = items(items(parseReply(await redis.call("COMMAND", "DOCS", name)))[1]);
    const field = (f: string) => {
      const i = doc.findIndex((r) => r.type !== "*" && r.text === f);
      return i < 0 ? undefined : text(doc[i + 1]);
    };
    const mine = docsOf(name)!;
    expect([mine.summary, mine.since, mine.complexity], name).toEqual([field("summary"), field("since"), field("complexity")]);
  }
}

/** Expects Hotslot to find the keys COMMAND GETKEYS finds in each command line. */
export async function expectSameKeys(redis: Reference, cases: readonly string[][]): Promise<void> {
  for (const argv of cases) {
    const theirs = items(parseReply(await redis.call("COMMAND", "GETKEYS", ...argv))).map(text);
    const spec = lookupCommand(argv[0].toLowerCase())!;
    const ours = spec.getKeys ? spec.getKeys(argv).map((i) => argv[i]) : argv.slice(spec.keys!.first, spec.keys!.last + 1);
    expect(ours, argv.join(" ")).toEqual(theirs);
  }
}

// --- running a sequence in chunks ----------------------------------------------------------

/**
 * The length of chunk number `chunkNo` of seed `seed`'s run, between 1 and `max`: a fixed
 * function of both, so a failing run repeats with the same chunking.
 */
export function seededChunkLength(seed: number, chunkNo: number, max: number): number {
  return 1 + ((seed * 7919 + chunkNo * 104729) % max);
}

export interface ChunkedRun<S, M> {
  steps: readonly S[];
  argv(step: S): string[];
  /** The most steps chunk number `chunkNo`, starting at step `from`, may hold. */
  chunkLength(chunkNo: number, from: number): number;
  redis: Reference;
  /**
   * Before each chunk: true when its first step must reach neither side (Redis's own
   * behaviour is undefined there); it is then skipped, the callee having done what stands
   * in for it.
   */
  withhold?(first: S): Promise<boolean>;
  /** Runs one step on Hotslot and judges its reply against Redis's; a mismatch ends the run. */
  judge(step: S, index: number, theirs: string): M | null | Promise<M | null>;
}

/**
 * Sends the steps to Redis chunk by chunk as pipelines, then runs each chunk's steps on
 * Hotslot one at a time and judges them. Returns the first mismatch (later ones would
 * mostly echo it), or null.
 */
export async function runInChunks<S, M>(o: ChunkedRun<S, M>): Promise<M | null> {
  for (let i = 0, c = 0; i < o.steps.length; c++) {
    if (o.withhold !== undefined && (await o.withhold(o.steps[i]))) {
      i++;
      continue;
    }
    const chunk = o.steps.slice(i, i + o.chunkLength(c, i));
    const theirs = await o.redis.pipeline(chunk.map((s) => o.argv(s)));
    for (let j = 0; j < chunk.length; j++) {
      const mismatch = await o.judge(chunk[j], i + j, theirs[j]);
      if (mismatch !== null) return mismatch;
    }
    i += chunk.length;
  }
  return null;
}
