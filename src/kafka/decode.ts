import type { MetricEvent, Rejected } from '../pipeline/types.js';
import { parseEventTime } from './event-time.js';
import type { KafkaSourceRef } from './source-ref.js';

export interface EventFields {
  stream: string;
  timestamp: string;
  value: string;
  values: string;
}

export interface DecodeOptions {
  fields: EventFields;
  /** Largest accepted distance between an event's own timestamp and its broker timestamp; 0 turns the check off. */
  maxTimestampSkewMs: number;
}

export type Decoded = MetricEvent<KafkaSourceRef> | { rejected: Rejected<KafkaSourceRef> };

/** Longest stream id, in UTF-8 bytes: it becomes a map key, a metric label and a message key. */
export const MAX_STREAM_ID_BYTES = 256;
/** Values are scored as float32; anything larger would become Infinity in the window. */
export const MAX_VALUE = 3.4028234663852886e38;
/** A rejection's detail quotes at most this many characters of the input. */
const QUOTE_CHARS = 64;

/**
 * One Kafka message → one event, or a rejection with its reason. Never throws, whatever the bytes:
 * anything unforeseen becomes an `undecodable` rejection.
 *
 * - stream: the configured field, else the message key; at most MAX_STREAM_ID_BYTES.
 * - timestamp: strict ISO-8601 with a zone, or integral epoch milliseconds (see parseEventTime),
 *   within maxTimestampSkewMs of the broker timestamp; when the field is absent, the broker timestamp.
 * - values: the `values` array (multivariate) or the single `value` number; each finite and within float32.
 */
export function decodeEvent(ref: KafkaSourceRef, opts: DecodeOptions, receivedAt = Date.now()): Decoded {
  try {
    return decode(ref, opts, receivedAt);
  } catch (err) {
    return { rejected: { reason: 'undecodable', detail: `unexpected input: ${quote(err instanceof Error ? err.message : err)}`, source: ref } };
  }
}

function decode(ref: KafkaSourceRef, { fields, maxTimestampSkewMs }: DecodeOptions, receivedAt: number): Decoded {
  const reject = (reason: Rejected['reason'], detail: string, stream?: string): Decoded => ({
    rejected: { reason, detail, stream, source: ref },
  });
  if (ref.value === null || ref.value.length === 0) return reject('invalid_json', 'empty message');
  let body: unknown;
  try {
    body = JSON.parse(ref.value.toString('utf8'));
  } catch (err) {
    return reject('invalid_json', quote((err as Error).message));
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return reject('invalid_json', 'expected a JSON object');
  const obj = body as Record<string, unknown>;

  const rawStream = own(obj, fields.stream) ?? (ref.key !== null && ref.key.length > 0 ? ref.key.toString('utf8') : undefined);
  if (typeof rawStream !== 'string' || rawStream.length === 0) {
    return reject('missing_field', `no "${fields.stream}" field and no message key`);
  }
  if (Buffer.byteLength(rawStream, 'utf8') > MAX_STREAM_ID_BYTES) {
    return reject('stream_id_too_long', `stream id of ${Buffer.byteLength(rawStream, 'utf8')} bytes; at most ${MAX_STREAM_ID_BYTES}: ${quote(rawStream)}`);
  }
  const stream = rawStream;

  let ts: number;
  const rawTs = own(obj, fields.timestamp);
  if (rawTs === undefined) ts = ref.timestamp;
  else {
    const parsed = parseEventTime(rawTs);
    if ('error' in parsed) return reject('invalid_timestamp', `"${fields.timestamp}" ${quote(rawTs)}: ${parsed.error}`, stream);
    ts = parsed.ts;
    if (maxTimestampSkewMs > 0 && Math.abs(ts - ref.timestamp) > maxTimestampSkewMs) {
      return reject(
        'timestamp_skew',
        `"${fields.timestamp}" ${quote(rawTs)} is ${Math.round((ts - ref.timestamp) / 1000)} s from the broker timestamp; at most ${maxTimestampSkewMs / 1000} s`,
        stream,
      );
    }
  }

  let values: unknown[];
  const many = own(obj, fields.values);
  const one = own(obj, fields.value);
  if (many !== undefined) {
    if (!Array.isArray(many) || many.length === 0) return reject('missing_field', `"${fields.values}" must be a non-empty array of numbers`, stream);
    values = many;
  } else if (one !== undefined) {
    values = [one];
  } else {
    return reject('missing_field', `no "${fields.value}" or "${fields.values}" field`, stream);
  }
  for (const v of values) {
    if (typeof v !== 'number' || !Number.isFinite(v)) return reject('non_finite_value', `value ${quote(v)} is not a finite number`, stream);
    if (Math.abs(v) > MAX_VALUE) return reject('value_out_of_range', `value ${v} does not fit a 32-bit float (|v| ≤ ${MAX_VALUE})`, stream);
  }
  return { stream, ts, values: values as number[], source: ref, receivedAt };
}

/** Own properties only: a field named `__proto__` or `constructor` must not reach Object.prototype. */
function own(obj: Record<string, unknown>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined;
}

/**
 * A short, safe rendering of any input value for a rejection's detail: never throws (deep nesting,
 * cycles, BigInt) and never longer than QUOTE_CHARS characters plus an ellipsis.
 */
export function quote(v: unknown): string {
  let text: string;
  if (typeof v === 'string') return JSON.stringify(v.slice(0, QUOTE_CHARS)).slice(0, 2 * QUOTE_CHARS) + (v.length > QUOTE_CHARS ? '…' : '');
  else if (v === null || typeof v === 'number' || typeof v === 'boolean' || v === undefined) text = String(v);
  else if (Array.isArray(v)) text = `an array of ${v.length}`;
  else if (typeof v === 'object') text = 'an object';
  else text = typeof v;
  return text.length > QUOTE_CHARS ? `${text.slice(0, QUOTE_CHARS)}…` : text;
}
