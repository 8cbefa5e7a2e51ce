/**
 * The comparison the scripting reference tests share: each command run by a fresh
 * Executor (one shard, in Node) against redis-server's raw reply bytes for it; one line per
 * command whose reply differs.
 */
import { Executor } from "../../src/commands/execute";
import { Keyspace } from "../../src/engine/keyspace";
import { encodeReply } from "../../src/protocol/resp";
import { bytesToBinary } from "../../src/util/binary";

export function replyMismatches(cases: readonly string[][], theirs: readonly string[], protocol: 2 | 3 = 2): string[] {
  const ex = new Executor(new Keyspace());
  return cases.flatMap((argv, i) => {
    const ours = bytesToBinary(encodeReply(ex.runOne(argv), protocol));
    return ours === theirs[i] ? [] : [`${JSON.stringify(argv).slice(0, 300)}\n  ours:   ${JSON.stringify(ours)}\n  theirs: ${JSON.stringify(theirs[i])}`];
  });
}
