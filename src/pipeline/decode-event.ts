import type { RejectReason } from './types.js';

/** JSON field names of an input event (`input.fields` in the config). */
export interface EventFields {
  stream: string;
  timestamp: string;
  value: string;
  values: string;
}

/** What the transport knows when the event itself does not say: the Kafka message key and broker timestamp; a file knows neither. */
export interface EventFallbacks {
  /** Stream id when the stream field is absent (the Kafka message key). */
  key?: string | null;
  /** Epoch ms when the timestamp field is absent (the broker timestamp). */
  timestamp?: number;
}

export type DecodedFields =
  | { stream: string; ts: number; values: number[] }
  | { reason: RejectReason; detail: string; stream?: string };

/**
 * One input event's bytes → stream, timestamp and values, or a rejection with its reason. Never throws.
 * The daemon (a Kafka message) and `anomalyd replay` (a line of an events file) both decode through here,
 * so a file is read exactly as the topic would be.
 *
 * - stream: the configured field, else the fallback key.
 * - timestamp: ISO-8601 string or epoch milliseconds; when the field is absent, the fallback timestamp.
 * - values: the `values` array (multivariate) or the single `value` number; every one must be finite.
 */
export function decodeEventBytes(bytes: Buffer | string | null, fields: EventFields, fallbacks: EventFallbacks = {}): DecodedFields {
  if (bytes === null || bytes.length === 0) return { reason: 'invalid_json', detail: 'empty message' };
  let body: unknown;
  try {
    body = JSON.parse(typeof bytes === 'string' ? bytes : bytes.toString('utf8'));
  } catch (err) {
    return { reason: 'invalid_json', detail: (err as Error).message };
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return { reason: 'invalid_json', detail: 'expected a JSON object' };
  const obj = body as Record<string, unknown>;

  const key = fallbacks.key !== null && fallbacks.key !== undefined && fallbacks.key.length > 0 ? fallbacks.key : undefined;
  const stream = obj[fields.stream] ?? key;
  if (typeof stream !== 'string' || stream.length === 0) {
    return { reason: 'missing_field', detail: fallbacks.key === undefined ? `no "${fields.stream}" field` : `no "${fields.stream}" field and no message key` };
  }

  let ts: number;
  const rawTs = obj[fields.timestamp];
  if (rawTs === undefined) {
    if (fallbacks.timestamp === undefined) return { reason: 'missing_field', detail: `no "${fields.timestamp}" field`, stream };
    ts = fallbacks.timestamp;
  } else if (typeof rawTs === 'number') ts = rawTs;
  else if (typeof rawTs === 'string') ts = Date.parse(rawTs);
  else ts = NaN;
  if (!Number.isFinite(ts)) return { reason: 'invalid_timestamp', detail: `"${fields.timestamp}" must be an ISO-8601 string or epoch milliseconds`, stream };

  let values: number[];
  const many = obj[fields.values];
  const one = obj[fields.value];
  if (many !== undefined) {
    if (!Array.isArray(many) || many.length === 0) return { reason: 'missing_field', detail: `"${fields.values}" must be a non-empty array of numbers`, stream };
    values = many as number[];
  } else if (one !== undefined) {
    values = [one as number];
  } else {
    return { reason: 'missing_field', detail: `no "${fields.value}" or "${fields.values}" field`, stream };
  }
  for (const v of values) {
    if (typeof v !== 'number' || !Number.isFinite(v)) return { reason: 'non_finite_value', detail: `value ${JSON.stringify(v)} is not a finite number`, stream };
  }
  return { stream, ts, values };
}
