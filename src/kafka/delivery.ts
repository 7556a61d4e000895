import type { Message } from 'kafkajs';
import type { Alert, Rejected } from '../pipeline/types.js';
import type { KafkaSourceRef } from './source-ref.js';

/** Longest header value of a dead letter, in UTF-8 bytes: the detail describes, the value carries the input. */
export const MAX_HEADER_BYTES = 1024;

export function alertMessage(alert: Alert): Message {
  return {
    key: alert.stream,
    value: JSON.stringify(alert),
    headers: { 'anomalyd-alert-state': alert.state, 'anomalyd-alert-id': alert.alertId },
  };
}

/** The original bytes, untouched, with the reason and the origin in (truncated) headers. */
export function deadLetterMessage(r: Rejected<KafkaSourceRef>): Message {
  const headers: Record<string, string> = { 'anomalyd-reason': r.reason, 'anomalyd-detail': truncateUtf8(r.detail, MAX_HEADER_BYTES) };
  if (r.stream !== undefined) headers['anomalyd-stream'] = truncateUtf8(r.stream, MAX_HEADER_BYTES);
  if (r.source) {
    headers['anomalyd-source-topic'] = r.source.topic;
    headers['anomalyd-source-partition'] = String(r.source.partition);
    headers['anomalyd-source-offset'] = r.source.offset;
  }
  return { key: r.source?.key ?? null, value: r.source?.value ?? null, headers };
}

/** At most `maxBytes` of UTF-8, cut at a character boundary, with `…` when cut. */
export function truncateUtf8(s: string, maxBytes: number): string {
  if (Buffer.byteLength(s, 'utf8') <= maxBytes) return s;
  const ellipsis = '…';
  const budget = maxBytes - Buffer.byteLength(ellipsis, 'utf8');
  // toString drops a partial trailing character as U+FFFD; strip that.
  const cut = Buffer.from(s, 'utf8').subarray(0, budget).toString('utf8').replace(/\uFFFD$/, '');
  return cut + ellipsis;
}

/** Bytes a message takes in a record batch, near enough: key, value, header names and values. */
export function messageBytes(m: Message): number {
  let n = size(m.key) + size(m.value);
  for (const [k, v] of Object.entries(m.headers ?? {})) n += Buffer.byteLength(k) + (Array.isArray(v) ? v.reduce((a: number, x) => a + size(x), 0) : size(v));
  return n;
}

function size(v: Buffer | string | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : v.length;
}

/** A message that was not delivered and never will be, with why. */
export interface Parked {
  topic: string;
  key: string | null;
  bytes: number;
  reason: 'too_large' | 'rejected_by_broker';
  detail: string;
}

/** kafkajs marks errors that retrying cannot fix (`retriable: false`, e.g. MESSAGE_TOO_LARGE). */
export function isNonRetriable(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { retriable?: unknown }).retriable === false;
}

/** A send error as a parked message's detail, cut to a header's size. */
export function errorText(err: unknown): string {
  const e = err as { message?: string; cause?: { message?: string; type?: string } };
  return truncateUtf8([e.message, e.cause?.type ?? e.cause?.message].filter(Boolean).join(': '), MAX_HEADER_BYTES);
}

/** A message's key as text, cut to a stream id's size. */
export function keyText(m: Message): string | null {
  if (m.key === null || m.key === undefined) return null;
  return truncateUtf8(typeof m.key === 'string' ? m.key : m.key.toString('utf8'), 256);
}
