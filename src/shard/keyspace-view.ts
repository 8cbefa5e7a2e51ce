/**
 * Exact DBSIZE, KEYS and SCAN while slots move (issue 13): the shard's half.
 *
 * The router asks every group for DBSIZE / KEYS; during a move a key of a migrating slot is
 * on the source (not moved yet) or on the target (moved, or created there through ASK), and
 * a batch moves keys from one to the other between the two answers. Each group's answer is
 * therefore made to cover whole slots at one moment:
 *   - the target leaves out its keys of importing slots (SlotMigration.hideImporting);
 *   - the source answers for its migrating slots whole: its own keys plus the target's keys
 *     of those slots, asked while it holds itself exclusively — batches run only inside the
 *     source's exclusive section, so none is half done while it asks (`addMovedKeys`);
 *   - a slot config change (a chunk's mark, finish, release) can still fall between two
 *     groups' answers: each answer carries the slot epoch its group answered at, and the
 *     router asks again when one is newer than the slot map it fanned out by
 *     (src/router/keyspace-view.ts says why that is enough).
 * The router sends such a command wrapped, `[VIEW, ...argv]` (its private dialect: no client
 * can send it, the router's command table does not know it); the shard runs the inner
 * command as usual and answers `[epoch, reply]` (an error — a refusal the router follows,
 * a failure — unwrapped).
 *
 * SCAN walks hash slots in order, one group's page at a time (Keyspace.scanHashSlots), so a
 * page covers whole slots (or a slot from one position to the next) and needs no epoch: the
 * only page that must reach another group is one of a slot its source is migrating, which
 * that page holds alone. The source completes it here, as DBSIZE, with the target's keys of
 * the slot (or all of them, when the target owns the slot already and the router's map had
 * not caught up), and cuts it by position when it is too large for one page.
 */
import { boundedMatcher } from "../commands/work-bound";
import { error, isError, type Reply } from "../protocol/reply";
import { SLOTS } from "../util/keyslot";
import { slotPage, slotPosition, slotTake } from "../engine/hash-slot-index";
import type { Keyspace } from "../engine/keyspace";
import { decodeSlotCursor, encodeSlotCursor } from "../util/slot-cursor";
import { parseScanOptions, scanCursorOrReply } from "../commands/args";
import { scanFilter } from "../commands/scan-filter";
import { withTimeout } from "../util/async";
import type { ShardOp, ShardResult } from "./core";
import { IMPORTING, MIGRATING, OWNED, type SlotState } from "./slot-state";

/**
 * Longest a call's DBSIZE / KEYS wait for the targets, all of them together: the source holds
 * itself exclusively meanwhile (its clients wait; past 30 s the platform resets the object).
 */
const MOVED_KEYS_BUDGET_MS = 5000;

/** The router's wrapper of a keyspace-wide command whose answer must carry the slot epoch. */
export const VIEW = "\u0000keyspace-view";

/** The target's keys of slots it imports from one source (count, the keys when asked, and where a SCAN page ends). */
export interface ImportedKeys {
  readonly count: number;
  readonly keys: string[] | null;
  /** SCAN: the position in the slot the target's page stopped before (0: it took the rest). */
  readonly next?: number;
}

/**
 * What a source asks its target for: DBSIZE a count, KEYS the keys (by pattern), SCAN one
 * page of a slot from `position` (by position, as Keyspace.scanHashSlots pages a slot, then
 * filtered by pattern and type). A SCAN page also lists the slot when the target owns it
 * already: a SCAN page is one group's answer, routed by a map that may predate the chunk's
 * finish (the source is still migrating until its release), and every key has moved by
 * then. (DBSIZE / KEYS count an owned slot in the target's own answer, so never here.)
 */
export type MovedKeysQuery =
  | { readonly kind: "count" }
  | { readonly kind: "keys"; readonly pattern: string }
  | { readonly kind: "scan"; readonly position: number; readonly count: number; readonly pattern: string | null; readonly type: string | null };

/** Asks group `group`'s primary for its keys of `slots` imported from this shard's group. */
export type AskTarget = (group: number, slots: number[], query: MovedKeysQuery) => Promise<ImportedKeys>;

/** The wrapped commands of one `Shard.run` call: where they are, and the epoch they were answered at. */
export class CallViews {
  /** [op index, command index, command name] of each wrapped command. */
  private readonly at: Array<[number, number, string]> = [];
  epoch = 0;

  /** The call's ops with the wrappers taken off; null when none is wrapped (the ops stand as they are). */
  static unwrap(ops: ShardOp[]): { ops: ShardOp[]; views: CallViews } | null {
    // Every call passes here: a plain scan, no allocation unless the router wrapped something.
    if (!hasWrapped(ops)) return null;
    let views: CallViews | null = null;
    const out = ops.map((op, i) => {
      if (op.kind !== "exec" || !op.batch.some((argv) => argv[0] === VIEW)) return op;
      views ??= new CallViews();
      const batch = op.batch.map((argv, j) => {
        if (argv[0] !== VIEW) return argv;
        views!.at.push([i, j, (argv[1] ?? "").toLowerCase()]);
        return argv.slice(1);
      });
      return { ...op, batch };
    });
    return { ops: out, views: views! };
  }

  /** Whether the call holds a DBSIZE, KEYS or SCAN the source may have to complete with the target's keys. */
  get countsKeys(): boolean {
    return this.at.some(([, , name]) => name === "dbsize" || name === "keys" || name === "scan");
  }

  /**
   * Source: adds to each DBSIZE / KEYS reply the targets' keys of this shard's migrating
   * slots, and to a SCAN page of a migrating slot the target's page of it (call inside the
   * exclusive section the replies were computed in). A target that cannot be asked fails
   * the reply: an answer missing the moved keys would not be exact.
   */
  async addMovedKeys(state: SlotState, ops: ShardOp[], results: ShardResult[], ask: AskTarget): Promise<void> {
    const byTarget = migratingByTarget(state);
    if (byTarget.size === 0) return;
    // Each target asked once per call and pattern, all within one budget: a target that
    // cannot be reached holds the source for MOVED_KEYS_BUDGET_MS at most, however many
    // DBSIZE / KEYS the call holds.
    const deadline = Date.now() + MOVED_KEYS_BUDGET_MS;
    const asked = new Map<string, Promise<ImportedKeys>>();
    const askOnce = (group: number, slots: number[], query: MovedKeysQuery): Promise<ImportedKeys> => {
      const key = JSON.stringify([group, slots.length === 1 ? slots[0] : -1, query]);
      let answer = asked.get(key);
      if (answer === undefined) asked.set(key, (answer = withTimeout(ask(group, slots, query), Math.max(0, deadline - Date.now()), `group ${group}`)));
      return answer;
    };
    for (const [i, j, name] of this.at) {
      const replies = results[i] as Reply[];
      const reply = replies[j];
      if (isError(reply)) continue;
      const argv = (ops[i] as Extract<ShardOp, { kind: "exec" }>).batch[j];
      try {
        if (name === "scan") {
          replies[j] = await completeScanPage(state, argv, reply as [string, string[]], askOnce);
          continue;
        }
        if (name !== "dbsize" && name !== "keys") continue;
        for (const [group, slots] of byTarget) {
          const moved = await askOnce(group, slots, name === "keys" ? { kind: "keys", pattern: argv[1] } : { kind: "count" });
          if (name === "dbsize") replies[j] = Number(replies[j]) + moved.count;
          else replies[j] = [...(replies[j] as Reply[]), ...(moved.keys ?? [])];
        }
      } catch (e) {
        replies[j] = error(`ERR ${name.toUpperCase()} could not ${name === "scan" ? "list" : "count"} keys already moved: ${(e as Error).message}`);
      }
    }
  }

  /** Wraps each DBSIZE / KEYS answer as `[epoch, reply]` (errors stay bare: refusals are followed, failures shown; SCAN needs no epoch). */
  wrap(results: ShardResult[]): void {
    for (const [i, j, name] of this.at) {
      if (name === "scan") continue;
      const replies = results[i] as Reply[] | null;
      if (!Array.isArray(replies)) continue;
      if (!isError(replies[j])) replies[j] = [this.epoch, replies[j]];
    }
  }
}

/**
 * A SCAN page the source answered for its migrating slot (Keyspace.scanHashSlots: that slot
 * alone, by position from the cursor's), completed with the target's page of the same slot
 * from the same position: each side took every key of its own up to where it stopped, so
 * the merged page is every key of the slot, on either side, up to the nearer of the two stops.
 */
async function completeScanPage(state: SlotState, argv: string[], own: [string, string[]], ask: AskTarget): Promise<Reply> {
  const { slot, position } = decodeSlotCursor(scanCursorOrReply(argv[1]));
  if (slot >= SLOTS || state.state[slot] !== MIGRATING) return own;
  const { count, pattern, type } = parseScanOptions(argv, 2, true);
  const moved = await ask(state.peer[slot], [slot], { kind: "scan", position, count, pattern, type });
  const ownStop = decodeSlotCursor(BigInt(own[0]));
  const ownNext = ownStop.slot === slot ? ownStop.position : 0;
  const movedNext = moved.next ?? 0;
  const cut = ownNext === 0 ? movedNext : movedNext === 0 ? ownNext : Math.min(ownNext, movedNext);
  const below = (key: string) => cut === 0 || slotPosition(key) < cut;
  const keys = [...own[1].filter(below), ...(moved.keys ?? []).filter(below)];
  return [cut === 0 ? encodeSlotCursor(slot + 1, 0) : encodeSlotCursor(slot, cut), keys];
}

function hasWrapped(ops: ShardOp[]): boolean {
  for (const op of ops) {
    if (op.kind !== "exec") continue;
    for (const argv of op.batch) if (argv[0] === VIEW) return true;
  }
  return false;
}

/** This shard's migrating slots by target group. */
function migratingByTarget(state: SlotState): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (let s = 0; s < SLOTS; s++) {
    if (state.state[s] !== MIGRATING) continue;
    const group = state.peer[s];
    const slots = out.get(group);
    if (slots === undefined) out.set(group, [s]);
    else slots.push(s);
  }
  return out;
}

/**
 * Target: its keys of `slots` that it imports from group `from` — the ones it leaves out of
 * its own DBSIZE / KEYS — counted as DBSIZE counts (expired, not yet deleted, included), and
 * listed as KEYS lists (matching the pattern, expired ones left out); or its SCAN page of
 * one such slot (or one it owns already, see MovedKeysQuery).
 */
export function importedKeys(state: SlotState, db: Keyspace, from: number, slots: number[], query: MovedKeysQuery): ImportedKeys {
  db.now = Date.now();
  const mine = (s: number) => (state.state[s] === IMPORTING && state.peer[s] === from) || (query.kind === "scan" && state.state[s] === OWNED);
  if (query.kind === "scan") {
    const slot = slots[0];
    if (!mine(slot)) return { count: 0, keys: [], next: 0 };
    const page = slotPage(db.keysInHashSlot(slot), query.position, slotTake(query.count, db.countInHashSlot(slot)));
    const live = page.keys.filter((key) => !(db.expireOnRead && db.isExpired(key)));
    return { count: page.keys.length, keys: scanFilter({ db }, live, query.pattern, query.type), next: page.next };
  }
  const pattern = query.kind === "keys" ? query.pattern : null;
  const matches = pattern === null || pattern === "*" ? null : boundedMatcher(pattern);
  let count = 0;
  const keys: string[] | null = query.kind === "keys" ? [] : null;
  for (const s of slots) {
    if (!mine(s)) continue;
    for (const key of db.keysInHashSlot(s)) {
      count++;
      if (keys === null || (matches !== null && !matches(key))) continue;
      if (!(db.expireOnRead && db.isExpired(key))) keys.push(key);
    }
  }
  return { count, keys };
}
