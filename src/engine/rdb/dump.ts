/**
 * DUMP payloads (Redis's createDumpPayload / verifyDumpPayload in cluster.c): the object
 * type byte, the serialized object, then a footer of the RDB version (2 bytes, little
 * endian) and the CRC-64 of everything before it (8 bytes, little endian).
 */
import { UNBOUNDED, type DecodeBounds } from "./bounds";
import { ByteReader, ByteWriter, RdbCorrupt, RdbTruncated } from "./bytes";
import { crc64, crc64Bytes, crc64Matches } from "./crc64";
import { isObjectType, RDB_VERSION, readObject, writeObject, type EncodingSettings, type RdbValue } from "./object";

/** The DUMP payload of a value. */
export function createDumpPayload(v: RdbValue, settings: EncodingSettings): Uint8Array {
  const w = new ByteWriter(64);
  writeObject(w, v, settings);
  w.u16le(RDB_VERSION);
  w.bytes(crc64Bytes(crc64(w.view())));
  return w.toBytes();
}

/**
 * True when the payload has a footer with an RDB version this server reads (at most
 * 10) and a matching checksum, as verifyDumpPayload decides.
 */
export function verifyDumpPayload(p: Uint8Array): boolean {
  if (p.length < 10) return false;
  const footer = p.length - 10;
  const version = p[footer] | (p[footer + 1] << 8);
  if (version > RDB_VERSION) return false;
  return crc64Matches(crc64(p, 0, p.length - 8), p, p.length - 8);
}

/**
 * The value in a verified payload. Throws RdbCorrupt when the object cannot be read
 * (RESTORE's "Bad data format"), RdbUnsupported for types Hotslot does not hold, and
 * RdbTooLarge when a declared size is over `bounds` (checked before allocating; the
 * payload is whole, so `bounds.complete` should be true). As in Redis, bytes between the
 * object and the footer are ignored.
 */
export function parseDumpPayload(p: Uint8Array, settings: EncodingSettings, bounds: DecodeBounds = UNBOUNDED): RdbValue {
  const r = new ByteReader(p, 0, p.length - 10);
  try {
    const type = r.byte();
    if (!isObjectType(type)) throw new RdbCorrupt(`not an object type: ${type}`);
    return readObject(r, type, settings, bounds);
  } catch (e) {
    if (e instanceof RdbTruncated) throw new RdbCorrupt("truncated payload");
    throw e;
  }
}
