import { Packr } from 'msgpackr';
import type { StreamSnapshot } from './types.js';

/**
 * The wire form of a stream's state record: MessagePack, with typed arrays kept as typed arrays
 * (msgpackr's extension types, so a float is its exact bytes and NaN stays NaN). A snapshot is
 * written for every stream a delivered batch touched, so its cost is paid per event under load;
 * JSON spent three times the bytes and most of the encoding time on the profiles' floats.
 */
const packr = new Packr({ moreTypes: true, useRecords: false });

const JSON_OPEN_BRACE = 0x7b;

export function encodeSnapshot(snapshot: StreamSnapshot): Buffer {
  return packr.pack(snapshot);
}

/** Reads a record of either form: MessagePack, or JSON as the changelog held before (typed arrays as number arrays, NaN as null). */
export function decodeSnapshot(bytes: Buffer): StreamSnapshot {
  // A MessagePack map begins with 0x80–0x8f, 0xde or 0xdf: never with '{'.
  if (bytes[0] === JSON_OPEN_BRACE) return JSON.parse(bytes.toString('utf8')) as StreamSnapshot;
  return packr.unpack(bytes) as StreamSnapshot;
}

/** A state holder's snapshot as a restore after a restart would see it (for tests of the round trip). */
export function throughWire<T>(snapshot: T): T {
  return packr.unpack(packr.pack(snapshot)) as T;
}
