import { describe, expect, it } from "vitest";
import { RequestDecoder, encodeReply } from "../../src/protocol/resp";
import { binaryToBytes, bytesToBinary } from "../../src/util/binary";

describe("smoke", () => {
  it("decodes a command and encodes a reply", () => {
    const d = new RequestDecoder();
    d.push(binaryToBytes("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"));
    expect(d.drain()).toEqual([["GET", "k"]]);
    expect(bytesToBinary(encodeReply("v"))).toBe("$1\r\nv\r\n");
  });
});
