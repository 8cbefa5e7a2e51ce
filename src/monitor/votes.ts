/**
 * A monitor's leader votes: at most one per group per epoch, recorded durably before the
 * answer leaves (the store is the monitor's SQLite; the output gate holds the reply until the
 * write is durable), so a restarted monitor never votes twice in one epoch. Only the highest
 * epoch voted in is kept: a request for a lower epoch is refused, one for the same epoch is
 * granted only to the candidate already chosen.
 */

export interface VoteRecord {
  readonly epoch: number;
  readonly candidate: string;
}

/** Durable storage of the last vote per group (synchronous: SQLite in the object, a Map in tests). */
export interface VoteStore {
  lastVote(group: number): VoteRecord | null;
  recordVote(group: number, vote: VoteRecord): void;
}

export interface VoteReply {
  readonly granted: boolean;
  /** The candidate this voter chose in `epoch` (itself or another), or null if it refused the epoch. */
  readonly votedFor: string | null;
  /** The highest epoch this voter has voted in for the group. */
  readonly epoch: number;
}

export class VoteLedger {
  constructor(private readonly store: VoteStore) {}

  /** The highest epoch voted in for `group` (0: never). */
  highestEpoch(group: number): number {
    return this.store.lastVote(group)?.epoch ?? 0;
  }

  /**
   * `candidate` asks for this voter's vote in `epoch`. `configEpoch` is the newest topology
   * epoch the voter knows for the group: an election at or below it is over already.
   */
  vote(group: number, epoch: number, candidate: string, configEpoch: number): VoteReply {
    const last = this.store.lastVote(group);
    if (epoch <= configEpoch || (last !== null && epoch < last.epoch)) {
      return { granted: false, votedFor: null, epoch: Math.max(last?.epoch ?? 0, configEpoch) };
    }
    if (last !== null && epoch === last.epoch) {
      return { granted: last.candidate === candidate, votedFor: last.candidate, epoch };
    }
    this.store.recordVote(group, { epoch, candidate });
    return { granted: true, votedFor: candidate, epoch };
  }
}

/** A VoteStore in memory (tests). */
export class MemoryVoteStore implements VoteStore {
  readonly votes = new Map<number, VoteRecord>();
  lastVote(group: number): VoteRecord | null {
    return this.votes.get(group) ?? null;
  }
  recordVote(group: number, vote: VoteRecord): void {
    this.votes.set(group, vote);
  }
}
