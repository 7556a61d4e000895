import type { MetricEvent, Rejected } from '../pipeline/types.js';
import type { KafkaSourceRef } from './source-ref.js';

export interface EventFields {
  stream: string;
  timestamp: string;
  value: string;
  values: string;
}

export type Decoded = MetricEvent<KafkaSourceRef> | { rejected: Rejected<KafkaSourceRef> };

/**
 * One Kafka message → one event, or a rejection with its reason. Never throws.
 *
 * - stream: the configured field, else the message key.
 * - timestamp: ISO-8601 string or epoch milliseconds; when the field is absent, the broker timestamp.
 * - values: the `values` array (multivariate) or the single `value` number; every one must be finite.
 */
export function decodeEvent(ref: KafkaSourceRef, fields: EventFields, receivedAt = Date.now()): Decoded {
  const reject = (reason: Rejected['reason'], detail: string, stream?: string): Decoded => ({
    rejected: { reason, detail, stream, source: ref },
  });
  if (ref.value === null || ref.value.length === 0) return reject('invalid_json', 'empty message');
  let body: unknown;
  try {
    body = JSON.parse(ref.value.toString('utf8'));
  } catch (err) {
    return reject('invalid_json', (err as Error).message);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return reject('invalid_json', 'expected a JSON object');
  const obj = body as Record<string, unknown>;

  const rawStream = obj[fields.stream] ?? (ref.key !== null && ref.key.length > 0 ? ref.key.toString('utf8') : undefined);
  if (typeof rawStream !== 'string' || rawStream.length === 0) {
    return reject('missing_field', `no "${fields.stream}" field and no message key`);
  }
  const stream = rawStream;

  let ts: number;
  const rawTs = obj[fields.timestamp];
  if (rawTs === undefined) ts = ref.timestamp;
  else if (typeof rawTs === 'number') ts = rawTs;
  else if (typeof rawTs === 'string') ts = Date.parse(rawTs);
  else ts = NaN;
  if (!Number.isFinite(ts)) return reject('invalid_timestamp', `"${fields.timestamp}" must be an ISO-8601 string or epoch milliseconds`, stream);

  let values: number[];
  const many = obj[fields.values];
  const one = obj[fields.value];
  if (many !== undefined) {
    if (!Array.isArray(many) || many.length === 0) return reject('missing_field', `"${fields.values}" must be a non-empty array of numbers`, stream);
    values = many as number[];
  } else if (one !== undefined) {
    values = [one as number];
  } else {
    return reject('missing_field', `no "${fields.value}" or "${fields.values}" field`, stream);
  }
  for (const v of values) {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      return reject('non_finite_value', `value ${JSON.stringify(v)} is not a finite number`, stream);
    }
  }
  return { stream, ts, values, source: ref, receivedAt };
}
