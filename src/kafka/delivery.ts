import type { Message, Producer, TopicMessages } from 'kafkajs';
import type { Alert, Rejected } from '../pipeline/types.js';
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
 * Sends a batch's alerts and dead letters in one request and resolves once every in-sync replica
 * has them (the producer is idempotent, so retries do not duplicate).
 */
export async function deliver(
  producer: Producer,
  topics: { alerts: string; deadLetter: string },
  alerts: readonly Alert[],
  rejected: readonly Rejected<KafkaSourceRef>[],
): Promise<void> {
  const topicMessages: TopicMessages[] = [];
  if (alerts.length > 0) topicMessages.push({ topic: topics.alerts, messages: alerts.map(alertMessage) });
  if (rejected.length > 0) topicMessages.push({ topic: topics.deadLetter, messages: rejected.map(deadLetterMessage) });
  if (topicMessages.length === 0) return;
  await producer.sendBatch({ topicMessages, acks: -1 });
}
