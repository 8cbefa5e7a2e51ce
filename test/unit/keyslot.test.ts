/**
 * Hash slots equal Redis Cluster's: CRC16-XMODEM of the key, or of its hash tag, & 16383.
 * Expected values were read from `CLUSTER KEYSLOT` on a redis-server 7.0 in cluster mode.
 */
import { describe, expect, it } from "vitest";
import { crc16, keySlot } from "../../src/util/keyslot";
import { SlotMap } from "../../src/router/slots";

describe("keySlot", () => {
  it("equals Redis Cluster's slot for plain keys", () => {
    expect(keySlot("foo")).toBe(12182);
    expect(keySlot("bar")).toBe(5061);
    expect(keySlot("hello")).toBe(866);
    expect(keySlot("123456789")).toBe(12739);
    expect(keySlot("Hotslot")).toBe(4734);
    expect(keySlot("")).toBe(0);
    expect(keySlot("\x00\xff\r\n")).toBe(6261);
  });

  it("hashes only the first non-empty {tag}", () => {
    expect(keySlot("{user1000}.following")).toBe(3443);
    expect(keySlot("{user1000}.followers")).toBe(3443);
    expect(keySlot("foo{bar}{zap}")).toBe(5061);
    expect(keySlot("foo{}{bar}")).toBe(8363);
    expect(keySlot("foo{{bar}}zap")).toBe(4015);
    expect(keySlot("{}")).toBe(15257);
    expect(keySlot("a{b")).toBe(13340);
  });

  it("uses CRC16-XMODEM (check value 0x31C3)", () => {
    expect(crc16("123456789")).toBe(0x31c3);
  });
});

describe("SlotMap", () => {
  it("splits the 16384 slots into contiguous ranges, one per shard", () => {
    expect(SlotMap.contiguous(4).ranges()).toEqual([
      [0, 4095, 0],
      [4096, 8191, 1],
      [8192, 12287, 2],
      [12288, 16383, 3],
    ]);
    expect(SlotMap.contiguous(1).ranges()).toEqual([[0, 16383, 0]]);
    expect(SlotMap.contiguous(3).shardOfKey("foo")).toBe(2);
  });
});
