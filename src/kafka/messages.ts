import type { Message } from 'kafkajs';
import type { StreamSnapshot } from '../pipeline/types.js';
import { encodeStateRecord } from './state-record.js';

export { alertMessage, deadLetterMessage } from './delivery.js';

/**
 * A stream's state record in the changelog: key = stream id (what compaction keeps one of), value =
 * its input topic and snapshot (`encodeStateRecord`), or null (a tombstone: the stream was dropped).
 * It goes to the changelog partition numbered like the stream's input partition, so restoring an
 * input partition reads one changelog partition.
 */
export function changelogMessage(stream: string, snapshot: StreamSnapshot | null, input: { topic: string; partition: number }): Message {
  return { key: stream, value: snapshot === null ? null : encodeStateRecord(input.topic, snapshot), partition: input.partition };
}

/** Where records of earlier releases named their input topic (their value was the snapshot alone, as JSON). */
export const CHANGELOG_TOPIC_HEADER = 'anomalyd-input-topic';
