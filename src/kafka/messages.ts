import type { Message } from 'kafkajs';
import type { Alert, Rejected, StreamSnapshot } from '../pipeline/types.js';
import type { KafkaSourceRef } from './source-ref.js';

export function alertMessage(alert: Alert): Message {
  return {
    key: alert.stream,
    value: JSON.stringify(alert),
    headers: { 'anomalyd-alert-state': alert.state, 'anomalyd-alert-id': alert.alertId },
  };
}

/** The original bytes, untouched, with the reason and the origin in headers. */
export function deadLetterMessage(r: Rejected<KafkaSourceRef>): Message {
  const headers: Record<string, string> = { 'anomalyd-reason': r.reason, 'anomalyd-detail': r.detail };
  if (r.stream !== undefined) headers['anomalyd-stream'] = r.stream;
  if (r.source) {
    headers['anomalyd-source-topic'] = r.source.topic;
    headers['anomalyd-source-partition'] = String(r.source.partition);
    headers['anomalyd-source-offset'] = r.source.offset;
  }
  return { key: r.source?.key ?? null, value: r.source?.value ?? null, headers };
}

/**
 * A stream's state record in the changelog: key = stream id (what compaction keeps one of), value =
 * its snapshot as JSON or null (a tombstone: the stream was dropped). It goes to the changelog
 * partition numbered like the stream's input partition, so restoring an input partition reads one
 * changelog partition; the header tells input topics apart when there are several.
 */
export function changelogMessage(stream: string, snapshot: StreamSnapshot | null, input: { topic: string; partition: number }): Message {
  return {
    key: stream,
    value: snapshot === null ? null : JSON.stringify(snapshot),
    partition: input.partition,
    headers: { [CHANGELOG_TOPIC_HEADER]: input.topic },
  };
}

export const CHANGELOG_TOPIC_HEADER = 'anomalyd-input-topic';
