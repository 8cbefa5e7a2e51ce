/**
 * SCAN stays exact while slots move (issue 13: "a key is never lost, never duplicated (visible
 * twice in KEYS/SCAN/DBSIZE)"): black-box, through the router. A reshard is driven one step
 * at a time through the coordinator's `step` (as test/workers/reshard-exact-counts.test.ts
 * does), out and back (4 → 5 → 4, so the group count changes under a scan in both
 * directions), while several SCAN iterations with different COUNT, MATCH and TYPE advance by
 * one call after every step and while racing it. Nothing is written meanwhile, so every key
 * is present for the whole of every scan: Redis's guarantee then says each completed scan
 * returns it, and the says exactly once — also, tested last, for a slot with more
 * keys than COUNT, paged inside by a position that every group holding it reads the same,
 * moving between two of its pages. The cursor is opaque here: never decoded.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { admin } from "./failover-helpers";
import { cmd } from "./helpers";

function coordinator(): { step(): Promise<boolean> } {
  const ns = env.COORDINATOR!;
  return ns.get(ns.idFromName("slot-map")) as unknown as { step(): Promise<boolean> };
}

/** The slot map as GET /admin/topology shows it: epoch, group count, [first, last, group] ranges. */
interface MapState {
  epoch: number;
  groups: number;
  ranges: Array<[number, number, number]>;
}

async function mapState(): Promise<MapState> {
  const { slots } = (await admin("GET", "/admin/topology")).json;
  return { epoch: slots.epoch, groups: slots.groups, ranges: slots.ranges };
}

function ownerOfSlot(state: MapState, slot: number): number {
  const range = state.ranges.find(([first, last]) => first <= slot && slot <= last);
  if (!range) throw new Error(`slot ${slot} is in no range of ${JSON.stringify(state.ranges)}`);
  return range[2];
}

/** A few names out of a list, for failure messages. */
function sample(keys: string[]): string {
  return keys.length === 0 ? "" : `${keys.length}: ${keys.slice(0, 8).join(", ")}${keys.length > 8 ? ", …" : ""}`;
}

/** What a completed scan got wrong: missing, duplicated and unexpected keys (empty strings when right). */
function scanErrors(seen: Map<string, number>, expected: readonly string[]): { missing: string; duplicated: string; unexpected: string } {
  const want = new Set(expected);
  return {
    missing: sample(expected.filter((k) => !seen.has(k))),
    duplicated: sample([...seen].filter(([, n]) => n > 1).map(([k, n]) => `${k}×${n}`)),
    unexpected: sample([...seen.keys()].filter((k) => !want.has(k))),
  };
}

/**
 * One SCAN iteration after another with the same options: `advance` makes one call; when the
 * cursor comes back to "0" the iteration is complete, `check`ed and a new one starts. The
 * `history` index (the number of coordinator steps done so far) is noted when an iteration
 * starts and when it completes, so a test can tell which steps a scan spanned.
 */
class Scanner {
  private cursor = "0";
  private seen = new Map<string, number>();
  private calls = 0;
  private startedAt = 0;
  readonly completed: Array<{ from: number; to: number; calls: number }> = [];

  constructor(
    readonly label: string,
    private readonly options: string[],
    readonly expected: readonly string[],
    private readonly check: (seen: Map<string, number>, expected: readonly string[], when: string) => void,
    private readonly stepsDone: () => number,
  ) {}

  async advance(): Promise<boolean> {
    if (this.calls === 0) this.startedAt = this.stepsDone();
    const [next, keys] = (await cmd("SCAN", this.cursor, ...this.options)) as [string, string[]];
    this.calls++;
    if (this.calls > 10_000) throw new Error(`${this.label}: no end after ${this.calls} calls (cursor ${next})`);
    for (const k of keys) this.seen.set(k, (this.seen.get(k) ?? 0) + 1);
    this.cursor = next;
    if (next !== "0") return false;
    const to = this.stepsDone();
    this.check(this.seen, this.expected, `${this.label}, scan #${this.completed.length + 1} over steps ${this.startedAt}..${to} (${this.calls} calls)`);
    this.completed.push({ from: this.startedAt, to, calls: this.calls });
    this.seen = new Map();
    this.calls = 0;
    return true;
  }

  /**
   * Starts an iteration and advances it until it has returned some of `slotKeys` (the keys of
   * one slot) but not all: the cursor then points inside that slot.
   */
  async holdInside(slotKeys: readonly string[]): Promise<void> {
    expect(this.calls, `${this.label}: an iteration is already in progress`).toBe(0);
    for (;;) {
      expect(await this.advance(), `${this.label}: completed before reaching the slot`).toBe(false);
      const got = slotKeys.filter((k) => this.seen.has(k)).length;
      expect(got, `${this.label}: one page returned all ${slotKeys.length} keys of a slot, more than COUNT`).toBeLessThan(slotKeys.length);
      if (got > 0) return;
    }
  }

  /** Runs the iteration in progress to its end (no step in between). */
  async finish(): Promise<void> {
    if (this.calls === 0) return;
    while (!(await this.advance()));
  }
}

/** Every expected key exactly once: the strict guarantee (every key present all along). */
function exactlyOnce(seen: Map<string, number>, expected: readonly string[], when: string): void {
  expect(scanErrors(seen, expected), `SCAN ${when}`).toEqual({ missing: "", duplicated: "", unexpected: "" });
}

/**
 * Starts a reshard to `shards` with small batches and a long pause (the coordinator's alarm
 * then leaves the batches to `step`), and steps it to the end: every scanner advances twice
 * racing each step and once after it; `history` gets the map as it stands after each step.
 */
async function stepReshard(shards: number, scanners: Scanner[], history: MapState[]): Promise<number> {
  const start = await admin("POST", "/admin/reshard", { shards, batchKeys: 4, pauseMs: 60_000 });
  expect(start.status, JSON.stringify(start.json)).toBe(202);
  const advanceAll = () => Promise.all(scanners.map((s) => s.advance()));
  let steps = 0;
  for (;;) {
    const [more] = await Promise.all([coordinator().step(), advanceAll().then(advanceAll)]);
    steps++;
    history.push(await mapState());
    await advanceAll();
    if (!more) break;
    if (steps > 5000) throw new Error("reshard did not finish");
  }
  expect((await admin("GET", "/admin/topology")).json.slots.job).toBeNull();
  expect(history[history.length - 1].groups, `groups after the reshard to ${shards}`).toBe(shards);
  return steps;
}

/**
 * Brings the map to `groups` groups with no job running, stepping whatever runs to its end
 * first: a test that failed halfway leaves its reshard behind, and the next starts from here.
 */
async function settleAt(groups: number): Promise<void> {
  while (await coordinator().step());
  if ((await mapState()).groups === groups) return;
  expect((await admin("POST", "/admin/reshard", { shards: groups, batchKeys: 1000, pauseMs: 60_000 })).status).toBe(202);
  while (await coordinator().step());
  expect((await mapState()).groups).toBe(groups);
}

/** `count` keys `${prefix}${i}`, written with MSET. */
async function loadStrings(prefix: string, count: number): Promise<string[]> {
  const keys = Array.from({ length: count }, (_, i) => `${prefix}${i}`);
  for (let i = 0; i < keys.length; i += 50) await cmd("MSET", ...keys.slice(i, i + 50).flatMap((k) => [k, "v"]));
  return keys;
}

describe("SCAN while slots move", () => {
  // Plain keys over every slot range (a few slots get two or three by chance); five tags with
  // 8 keys in one slot each: {a} stays with group 3, and {b}, {k}, {l}, {m} move (from groups
  // 0..3 → 4) when a contiguous 4-group map goes to 5; a few hashes so that TYPE string filters
  // something out. Every slot holds at most 8 keys, fewer than any COUNT below (a slot with
  // more keys than COUNT is paged inside: the last test).
  async function loadKeyspace(): Promise<{ all: string[]; strings: string[]; tagB: string[] }> {
    await cmd("FLUSHALL");
    await settleAt(4);
    const strings = await loadStrings("k:", 600);
    const tagged = new Map<string, string[]>();
    for (const tag of ["{a}", "{b}", "{k}", "{l}", "{m}"]) {
      tagged.set(tag, await loadStrings(`${tag}:`, 8));
      strings.push(...tagged.get(tag)!);
    }
    const hashes = Array.from({ length: 20 }, (_, i) => `h:${i}`);
    for (const h of hashes) await cmd("HSET", h, "f", "v");
    return { all: [...strings, ...hashes], strings, tagB: tagged.get("{b}")! };
  }

  function scannersOver(keys: { all: string[]; strings: string[]; tagB: string[] }, stepsDone: () => number): Scanner[] {
    return [
      new Scanner("COUNT 10", ["COUNT", "10"], keys.all, exactlyOnce, stepsDone),
      new Scanner("COUNT 50", ["COUNT", "50"], keys.all, exactlyOnce, stepsDone),
      new Scanner("COUNT 1000", ["COUNT", "1000"], keys.all, exactlyOnce, stepsDone),
      new Scanner("MATCH {b}:* COUNT 20", ["MATCH", "{b}:*", "COUNT", "20"], keys.tagB, exactlyOnce, stepsDone),
      new Scanner("TYPE string COUNT 30", ["TYPE", "string", "COUNT", "30"], keys.strings, exactlyOnce, stepsDone),
    ];
  }

  it("returns every key exactly once with no slot moving (the scan loop itself)", async () => {
    const keys = await loadKeyspace();
    const scanners = scannersOver(keys, () => 0);
    for (const s of scanners) {
      while (!(await s.advance()));
      while (!(await s.advance()));
      expect(s.completed.length).toBe(2);
    }
    // COUNT 10 over ~660 keys takes many calls; COUNT 1000 only a few.
    expect(scanners[0].completed[0].calls).toBeGreaterThan(20);
  }, 60_000);

  it("returns every key exactly once from each scan racing every step of 4 → 5 → 4", async () => {
    const keys = await loadKeyspace();
    const history: MapState[] = [await mapState()];
    expect(history[0].groups).toBe(4);
    const scanners = scannersOver(keys, () => history.length - 1);
    const out = await stepReshard(5, scanners, history);
    const back = await stepReshard(4, scanners, history);
    for (const s of scanners) await s.finish();
    expect(out + back).toBeGreaterThan(40);

    const scans = scanners.flatMap((s) => s.completed.map((c) => ({ ...c, label: s.label })));
    expect(scans.length, "scans completed").toBeGreaterThan(30);
    for (const s of scanners) expect(s.completed.length, `${s.label} scans completed`).toBeGreaterThanOrEqual(3);
    // Scans that spanned slots changing hands (the map's epoch moved under them), and scans
    // under which the group count changed each way.
    const seenStates = (c: { from: number; to: number }) => history.slice(c.from, c.to + 1);
    const epochsMoved = scans.filter((c) => new Set(seenStates(c).map((m) => m.epoch)).size > 1);
    expect(epochsMoved.length, "scans spanning a slot handover").toBeGreaterThan(5);
    expect(scans.filter((c) => c.to - c.from > 5).length, "scans spanning more than 5 steps").toBeGreaterThan(5);
    const spansGroups = (c: { from: number; to: number }, before: number, after: number) => {
      const states = seenStates(c);
      return states.some((m, i) => m.groups === before && states.slice(i).some((n) => n.groups === after));
    };
    expect(scans.filter((c) => spansGroups(c, 4, 5)).map((c) => c.label), "scans spanning 4 → 5 groups").not.toEqual([]);
    expect(scans.filter((c) => spansGroups(c, 5, 4)).map((c) => c.label), "scans spanning 5 → 4 groups").not.toEqual([]);
    await cmd("FLUSHALL");
  }, 120_000);

  it("returns every key of a slot with more keys than COUNT exactly once while that slot moves between its pages", async () => {
    await cmd("FLUSHALL");
    await settleAt(4);
    // {big} hashes to slot 6392: in the half of a contiguous 4-group map's group 1 that a
    // 4 → 8 reshard hands to a new group (asserted below from the topology, not assumed).
    const big = await loadStrings("{big}:", 200);
    const plain = await loadStrings("p:", 100);
    const bigSlot = Number(await cmd("CLUSTER", "KEYSLOT", "{big}"));
    const history: MapState[] = [await mapState()];
    expect(history[0].groups).toBe(4);
    const stepsDone = () => history.length - 1;
    // Scans advancing with every step (racing it and after it), and scans held inside the big
    // slot (some of its keys returned, not all) for a whole reshard: the slot moves, every one
    // of its keys with it, between two of their pages.
    const racing = [
      new Scanner("COUNT 10", ["COUNT", "10"], [...big, ...plain], exactlyOnce, stepsDone),
      new Scanner("MATCH {big}:* COUNT 10", ["MATCH", "{big}:*", "COUNT", "10"], big, exactlyOnce, stepsDone),
      new Scanner("COUNT 7", ["COUNT", "7"], [...big, ...plain], exactlyOnce, stepsDone),
    ];
    const held = (when: string) => [
      new Scanner(`COUNT 10 held ${when}`, ["COUNT", "10"], [...big, ...plain], exactlyOnce, stepsDone),
      new Scanner(`MATCH {big}:* COUNT 10 held ${when}`, ["MATCH", "{big}:*", "COUNT", "10"], big, exactlyOnce, stepsDone),
    ];
    const heldOut = held("over 4 → 8");
    for (const s of heldOut) await s.holdInside(big);
    await stepReshard(8, racing, history);
    const movedOut = history.findIndex((m) => ownerOfSlot(m, bigSlot) !== ownerOfSlot(history[0], bigSlot));
    expect(movedOut, `slot ${bigSlot} never changed owner in 4 → 8`).toBeGreaterThan(0);
    for (const s of heldOut) await s.finish();

    const outSteps = history.length - 1;
    const heldBack = held("over 8 → 4");
    for (const s of heldBack) await s.holdInside(big);
    await stepReshard(4, racing, history);
    const movedBack = history.findIndex((m, i) => i > outSteps && ownerOfSlot(m, bigSlot) !== ownerOfSlot(history[outSteps], bigSlot));
    expect(movedBack, `slot ${bigSlot} never changed owner in 8 → 4`).toBeGreaterThan(0);
    for (const s of [...heldBack, ...racing]) await s.finish();

    for (const s of [...heldOut, ...heldBack]) expect(s.completed.length, `${s.label} completed`).toBe(1);
    const scans = racing.flatMap((s) => s.completed);
    expect(scans.length, "racing scans completed").toBeGreaterThan(10);
    // Some racing scans were in progress when the big slot changed hands (each way).
    expect(scans.filter((c) => c.from < movedOut && movedOut <= c.to).length, "scans spanning the slot's move out").toBeGreaterThan(0);
    expect(scans.filter((c) => c.from < movedBack && movedBack <= c.to).length, "scans spanning the slot's move back").toBeGreaterThan(0);
    await cmd("FLUSHALL");
  }, 120_000);
});
