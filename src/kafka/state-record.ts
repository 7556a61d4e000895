import { Packr } from 'msgpackr';
import type { StreamSnapshot } from '../pipeline/types.js';

/**
 * The value of a stream's record in the state changelog: MessagePack of `{ input, state }`, the
 * input topic the stream's events come from and its snapshot, with typed arrays kept as typed
 * arrays (msgpackr's extension types, so a float is its exact bytes and NaN stays NaN).
 *
 * A record is written for every stream a delivered batch touched, so its cost is paid per event
 * under load: JSON spent most of the encoding time on the profiles' floats and about twice the
 * bytes, and a header naming the input topic doubled kafkajs' work per record (docs/PERFORMANCE.md).
 */
const packr = new Packr({ moreTypes: true, useRecords: false });

const JSON_OPEN_BRACE = 0x7b;

export interface StateRecord {
  /** The input topic of the stream (changelog partition p holds the streams of input partition p of every input topic). */
  input: string;
  state: StreamSnapshot;
}

export function encodeStateRecord(input: string, state: StreamSnapshot): Buffer {
  return packr.pack({ input, state } satisfies StateRecord);
}

/**
 * Reads a record of this release, or one of an earlier release: the snapshot alone as JSON (typed
 * arrays as number arrays, NaN as null), its input topic in the `headerTopic` header.
 */
export function decodeStateRecord(bytes: Buffer, headerTopic: string | undefined): StateRecord {
  if (headerTopic !== undefined && bytes[0] === JSON_OPEN_BRACE) return { input: headerTopic, state: JSON.parse(bytes.toString('utf8')) as StreamSnapshot };
  return packr.unpack(bytes) as StateRecord;
}

/** A state holder's snapshot as a restore after a restart sees it (for tests of the round trip). */
export function throughWire<T>(snapshot: T): T {
  return packr.unpack(packr.pack(snapshot)) as T;
}
