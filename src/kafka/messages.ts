import type { Message } from 'kafkajs';
import type { StreamSnapshot } from '../pipeline/types.js';
import { encodeSnapshot } from '../pipeline/snapshot-codec.js';

export { alertMessage, deadLetterMessage } from './delivery.js';

/**
 * A stream's state record in the changelog: key = stream id (what compaction keeps one of), value =
 * its snapshot (MessagePack, `encodeSnapshot`) or null (a tombstone: the stream was dropped). It goes to the changelog
 * partition numbered like the stream's input partition, so restoring an input partition reads one
 * changelog partition; the header tells input topics apart when there are several.
 */
export function changelogMessage(stream: string, snapshot: StreamSnapshot | null, input: { topic: string; partition: number }): Message {
  return {
    key: stream,
    value: snapshot === null ? null : encodeSnapshot(snapshot),
    partition: input.partition,
    headers: { [CHANGELOG_TOPIC_HEADER]: input.topic },
  };
}

export const CHANGELOG_TOPIC_HEADER = 'anomalyd-input-topic';
