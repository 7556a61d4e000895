import { decodeEventBytes, type EventFields } from '../pipeline/decode-event.js';
import type { MetricEvent, Rejected } from '../pipeline/types.js';
import type { KafkaSourceRef } from './source-ref.js';

export type { EventFields } from '../pipeline/decode-event.js';
export { MAX_STREAM_ID_BYTES, MAX_VALUE, quote } from '../pipeline/decode-event.js';

export interface DecodeOptions {
  fields: EventFields;
  /** Largest accepted distance between an event's own timestamp and its broker timestamp; 0 turns the check off. */
  maxTimestampSkewMs: number;
}

export type Decoded = MetricEvent<KafkaSourceRef> | { rejected: Rejected<KafkaSourceRef> };

/**
 * One Kafka message → one event, or a rejection with its reason. Never throws. The message key
 * stands in for an absent stream field, the broker timestamp for an absent timestamp and bounds the
 * event's own (the rules themselves are `decodeEventBytes`, shared with the file replay).
 */
export function decodeEvent(ref: KafkaSourceRef, { fields, maxTimestampSkewMs }: DecodeOptions, receivedAt = Date.now()): Decoded {
  const d = decodeEventBytes(ref.value, fields, {
    key: ref.key === null ? null : ref.key.toString('utf8'),
    timestamp: ref.timestamp,
    maxSkewMs: maxTimestampSkewMs,
  });
  if ('reason' in d) return { rejected: { reason: d.reason, detail: d.detail, stream: d.stream, source: ref } };
  return { stream: d.stream, ts: d.ts, values: d.values, source: ref, receivedAt };
}
