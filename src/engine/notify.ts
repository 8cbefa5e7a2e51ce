/**
 * Keyspace notifications (Redis's notify.c): the `notify-keyspace-events` classes, their
 * parsing and canonical form for CONFIG, and the notifier that turns one event on one key
 * into Redis's messages — `__keyspace@0__:<key>` → `<event>` and `__keyevent@0__:<event>` →
 * `<key>` — filtered by class exactly as notifyKeyspaceEvent filters them.
 *
 * The notifier only produces (channel, message) pairs and hands them to a sink; delivering
 * them to subscribers is the Pub/Sub transport's job. The executor installs the sink while
 * it collects a batch (src/commands/execute.ts), so log replay produces nothing.
 *
 * Order. Redis emits `new` inside dbAdd, just before the command's own event for that key,
 * and `del` right after the event that emptied a collection. Here a collection is created
 * (Keyspace.set) and deleted when emptied (Keyspace.keyWritten) inside the engine, often
 * before the handler has said which event it was; so both are held as pending for their key
 * and released around the next event on that key (`new` before it, `del` after it), and
 * whatever is still pending when the command ends is released then, in the order it arose.
 * With the handlers announcing their events in Redis's order, the stream is Redis's.
 */

// --- classes (server.h's NOTIFY_*; the letters of keyspaceEventsStringToFlags) ------------

export const NOTIFY_KEYSPACE = 1 << 0; // K
export const NOTIFY_KEYEVENT = 1 << 1; // E
export const NOTIFY_GENERIC = 1 << 2; // g
export const NOTIFY_STRING = 1 << 3; // $
export const NOTIFY_LIST = 1 << 4; // l
export const NOTIFY_SET = 1 << 5; // s
export const NOTIFY_HASH = 1 << 6; // h
export const NOTIFY_ZSET = 1 << 7; // z
export const NOTIFY_EXPIRED = 1 << 8; // x
export const NOTIFY_EVICTED = 1 << 9; // e
export const NOTIFY_STREAM = 1 << 10; // t
export const NOTIFY_KEY_MISS = 1 << 11; // m (not part of A, as in Redis)
export const NOTIFY_MODULE = 1 << 13; // d
export const NOTIFY_NEW = 1 << 14; // n (not part of A, as in Redis 7.0)
/** "A": every class but key-miss and new. */
export const NOTIFY_ALL =
  NOTIFY_GENERIC | NOTIFY_STRING | NOTIFY_LIST | NOTIFY_SET | NOTIFY_HASH | NOTIFY_ZSET | NOTIFY_EXPIRED | NOTIFY_EVICTED | NOTIFY_STREAM | NOTIFY_MODULE;

const LETTERS: Record<string, number> = {
  A: NOTIFY_ALL,
  g: NOTIFY_GENERIC,
  $: NOTIFY_STRING,
  l: NOTIFY_LIST,
  s: NOTIFY_SET,
  h: NOTIFY_HASH,
  z: NOTIFY_ZSET,
  x: NOTIFY_EXPIRED,
  e: NOTIFY_EVICTED,
  K: NOTIFY_KEYSPACE,
  E: NOTIFY_KEYEVENT,
  t: NOTIFY_STREAM,
  m: NOTIFY_KEY_MISS,
  d: NOTIFY_MODULE,
  n: NOTIFY_NEW,
};

/** CONFIG SET's complaint for any other character, word for word as redis-server 7.0. */
export const ERR_EVENT_CLASS = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";

/** The flags a `notify-keyspace-events` value names, or null when it has another character. */
export function parseKeyspaceEvents(classes: string): number | null {
  let flags = 0;
  for (const c of classes) {
    const f = Object.hasOwn(LETTERS, c) ? LETTERS[c] : undefined;
    if (f === undefined) return null;
    flags |= f;
  }
  return flags;
}

/**
 * The canonical form CONFIG GET shows (keyspaceEventsFlagsToString): "A" when every class
 * of A is on — which then hides `n`, as Redis 7.0 does — else the class letters; then K, E, m.
 */
export function formatKeyspaceEvents(flags: number): string {
  let out = "";
  if ((flags & NOTIFY_ALL) === NOTIFY_ALL) out += "A";
  else {
    for (const c of "g$lshzxetdn") if (flags & LETTERS[c]) out += c;
  }
  if (flags & NOTIFY_KEYSPACE) out += "K";
  if (flags & NOTIFY_KEYEVENT) out += "E";
  if (flags & NOTIFY_KEY_MISS) out += "m";
  return out;
}

// --- the notifier --------------------------------------------------------------------

/** One Pub/Sub message a keyspace event produces (binary strings, one char per byte). */
export interface Notification {
  readonly channel: string;
  readonly message: string;
}

/** Receives each message as it is produced. */
export type NotificationSink = (channel: string, message: string) => void;

/** What is held back for a key until its next event (see the header). */
const PENDING_NEW = 0;
const PENDING_DEL = 1;

export class KeyspaceNotifier {
  /** Where messages go; null: nobody collects (log replay, tools), so they are dropped. */
  sink: NotificationSink | null = null;
  /** [kind, key] pairs waiting for their key's next event, in the order they arose. */
  private readonly pending: [number, string][] = [];

  /** `settings` is the keyspace's own object (CONFIG SET changes it in place). */
  constructor(private readonly settings: { notifyKeyspaceEvents: number }) {}

  /** True when any class is on: the callers' one check before anything else. */
  get enabled(): boolean {
    return this.settings.notifyKeyspaceEvents !== 0;
  }

  /** Announces `event` of class `type` on `key`, with the key's pending `new` before it and `del` after. */
  notify(type: number, event: string, key: string): void {
    if (this.pending.length !== 0) this.release(PENDING_NEW, key);
    this.publish(type, event, key);
    if (this.pending.length !== 0) this.release(PENDING_DEL, key);
  }

  /** A key was just created (Redis's dbAdd): `new` waits for the key's next event. */
  created(key: string): void {
    if (this.settings.notifyKeyspaceEvents & NOTIFY_NEW) this.pending.push([PENDING_NEW, key]);
  }

  /** A collection emptied by a command was deleted: `del` follows the key's next event. */
  emptied(key: string): void {
    if (this.settings.notifyKeyspaceEvents & NOTIFY_GENERIC) this.pending.push([PENDING_DEL, key]);
  }

  /**
   * Releases `key`'s pending `new` now: for a command whose Redis order has the key's
   * creation before events on other keys (RENAME: new, rename_from, rename_to).
   */
  settle(key: string): void {
    if (this.pending.length !== 0) this.release(PENDING_NEW, key);
  }

  /** The command ended: releases whatever is still pending, in order. */
  endCommand(): void {
    const pending = this.pending.splice(0);
    for (const [kind, key] of pending) {
      if (kind === PENDING_NEW) this.publish(NOTIFY_NEW, "new", key);
      else this.publish(NOTIFY_GENERIC, "del", key);
    }
  }

  /** Publishes (and forgets) the pending entries of `kind` for `key`. */
  private release(kind: number, key: string): void {
    for (let i = 0; i < this.pending.length; i++) {
      const [k, name] = this.pending[i];
      if (k !== kind || name !== key) continue;
      this.pending.splice(i--, 1);
      if (kind === PENDING_NEW) this.publish(NOTIFY_NEW, "new", key);
      else this.publish(NOTIFY_GENERIC, "del", key);
    }
  }

  /** notifyKeyspaceEvent: the class filter, then the keyspace and the keyevent message. */
  private publish(type: number, event: string, key: string): void {
    const flags = this.settings.notifyKeyspaceEvents;
    if ((flags & type) === 0 || this.sink === null) return;
    if (flags & NOTIFY_KEYSPACE) this.sink(`__keyspace@0__:${key}`, event);
    if (flags & NOTIFY_KEYEVENT) this.sink(`__keyevent@0__:${event}`, key);
  }
}
