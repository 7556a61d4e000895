import { decodeEventBytes, type EventFields } from '../pipeline/decode-event.js';
import type { MetricEvent, Rejected } from '../pipeline/types.js';
import type { KafkaSourceRef } from './source-ref.js';

export type { EventFields } from '../pipeline/decode-event.js';

export type Decoded = MetricEvent<KafkaSourceRef> | { rejected: Rejected<KafkaSourceRef> };

/**
 * One Kafka message → one event, or a rejection with its reason. Never throws.
 * The message key stands in for an absent stream field, the broker timestamp for an absent timestamp
 * (the rules themselves are `decodeEventBytes`, shared with the file replay).
 */
export function decodeEvent(ref: KafkaSourceRef, fields: EventFields, receivedAt = Date.now()): Decoded {
  const d = decodeEventBytes(ref.value, fields, { key: ref.key === null ? null : ref.key.toString('utf8'), timestamp: ref.timestamp });
  if ('reason' in d) return { rejected: { reason: d.reason, detail: d.detail, stream: d.stream, source: ref } };
  return { ...d, source: ref, receivedAt };
}
