import { parseEventTime } from './event-time.js';
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
  /** Largest accepted distance between the event's own timestamp and `timestamp`; 0 or absent: no check. */
  maxSkewMs?: number;
}

export type DecodedFields =
  | { stream: string; ts: number; values: number[] }
  | { reason: RejectReason; detail: string; stream?: string };

/** Longest stream id, in UTF-8 bytes: it becomes a map key, a metric label and a message key. */
export const MAX_STREAM_ID_BYTES = 256;
/** Values are scored as float32; anything larger would become Infinity in the window. */
export const MAX_VALUE = 3.4028234663852886e38;
/** A rejection's detail quotes at most this many characters of the input. */
const QUOTE_CHARS = 64;

/**
 * One input event's bytes → stream, timestamp and values, or a rejection with its reason. Never
 * throws, whatever the bytes: anything unforeseen becomes an `undecodable` rejection. The daemon (a
 * Kafka message) and `anomalyd replay` (a line of an events file) both decode through here, so a file
 * is read exactly as the topic would be.
 *
 * - stream: the configured field, else the fallback key; at most MAX_STREAM_ID_BYTES.
 * - timestamp: strict ISO-8601 with a zone, or integral epoch milliseconds (see parseEventTime), within
 *   `maxSkewMs` of the fallback timestamp; when the field is absent, the fallback timestamp.
 * - values: the `values` array (multivariate) or the single `value` number; each finite and within float32.
 */
export function decodeEventBytes(bytes: Buffer | string | null, fields: EventFields, fallbacks: EventFallbacks = {}): DecodedFields {
  try {
    return decode(bytes, fields, fallbacks);
  } catch (err) {
    return { reason: 'undecodable', detail: `unexpected input: ${quote(err instanceof Error ? err.message : err)}` };
  }
}

function decode(bytes: Buffer | string | null, fields: EventFields, fallbacks: EventFallbacks): DecodedFields {
  if (bytes === null || bytes.length === 0) return { reason: 'invalid_json', detail: 'empty message' };
  let body: unknown;
  try {
    body = JSON.parse(typeof bytes === 'string' ? bytes : bytes.toString('utf8'));
  } catch (err) {
    return { reason: 'invalid_json', detail: quote((err as Error).message) };
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return { reason: 'invalid_json', detail: 'expected a JSON object' };
  const obj = body as Record<string, unknown>;

  const key = fallbacks.key !== null && fallbacks.key !== undefined && fallbacks.key.length > 0 ? fallbacks.key : undefined;
  const stream = own(obj, fields.stream) ?? key;
  if (typeof stream !== 'string' || stream.length === 0) {
    return { reason: 'missing_field', detail: fallbacks.key === undefined ? `no "${fields.stream}" field` : `no "${fields.stream}" field and no message key` };
  }
  if (Buffer.byteLength(stream, 'utf8') > MAX_STREAM_ID_BYTES) {
    return { reason: 'stream_id_too_long', detail: `stream id of ${Buffer.byteLength(stream, 'utf8')} bytes; at most ${MAX_STREAM_ID_BYTES}: ${quote(stream)}` };
  }

  let ts: number;
  const rawTs = own(obj, fields.timestamp);
  if (rawTs === undefined) {
    if (fallbacks.timestamp === undefined) return { reason: 'missing_field', detail: `no "${fields.timestamp}" field`, stream };
    ts = fallbacks.timestamp;
  } else {
    const parsed = parseEventTime(rawTs);
    if ('error' in parsed) return { reason: 'invalid_timestamp', detail: `"${fields.timestamp}" ${quote(rawTs)}: ${parsed.error}`, stream };
    ts = parsed.ts;
    const skew = fallbacks.maxSkewMs ?? 0;
    if (skew > 0 && fallbacks.timestamp !== undefined && Math.abs(ts - fallbacks.timestamp) > skew) {
      return {
        reason: 'timestamp_skew',
        detail: `"${fields.timestamp}" ${quote(rawTs)} is ${Math.round((ts - fallbacks.timestamp) / 1000)} s from the broker timestamp; at most ${skew / 1000} s`,
        stream,
      };
    }
  }

  let values: unknown[];
  const many = own(obj, fields.values);
  const one = own(obj, fields.value);
  if (many !== undefined) {
    if (!Array.isArray(many) || many.length === 0) return { reason: 'missing_field', detail: `"${fields.values}" must be a non-empty array of numbers`, stream };
    values = many;
  } else if (one !== undefined) {
    values = [one];
  } else {
    return { reason: 'missing_field', detail: `no "${fields.value}" or "${fields.values}" field`, stream };
  }
  for (const v of values) {
    if (typeof v !== 'number' || !Number.isFinite(v)) return { reason: 'non_finite_value', detail: `value ${quote(v)} is not a finite number`, stream };
    if (Math.abs(v) > MAX_VALUE) return { reason: 'value_out_of_range', detail: `value ${v} does not fit a 32-bit float (|v| ≤ ${MAX_VALUE})`, stream };
  }
  return { stream, ts, values: values as number[] };
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
