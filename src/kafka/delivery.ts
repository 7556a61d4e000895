import type { CompressionTypes, Message, Producer, TopicMessages } from 'kafkajs';
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

export interface DeliveryOptions {
  topics: { alerts: string; deadLetter: string };
  /** Messages above this many bytes are parked instead of sent; one request carries at most this many bytes. */
  maxMessageBytes: number;
  compression: CompressionTypes;
}

/** The idempotent producer, and a way to replace it when its sequence numbers can no longer be trusted. */
export interface ProducerHandle {
  readonly current: Producer;
  renew(): Promise<void>;
}

/** Framing of one record in a batch (length, attributes, deltas, header count), near enough. */
const RECORD_OVERHEAD = 64;

/**
 * Sends a batch's alerts and dead letters and resolves once every in-sync replica has them (the
 * producer is idempotent, so retries do not duplicate). Returns what was parked:
 * - a message over `maxMessageBytes` is never sent;
 * - requests are cut so that none carries more than `maxMessageBytes`, below the broker's record-batch limit;
 * - when the broker still refuses a request with a non-retriable error, the producer is renewed
 *   (kafkajs rolls back the sequence numbers of every partition of a failed request, also of those
 *   that were written, and the broker would then drop later messages as duplicates) and the
 *   messages go one by one, so only those it refuses are parked. Retrying them could never succeed
 *   and would stall every batch behind.
 * Retriable errors are thrown for the caller to retry.
 */
export async function deliver(producer: ProducerHandle, opts: DeliveryOptions, alerts: readonly Alert[], rejected: readonly Rejected<KafkaSourceRef>[]): Promise<Parked[]> {
  const parked: Parked[] = [];
  const chunks: Map<string, Message[]>[] = [];
  let chunk = new Map<string, Message[]>();
  let chunkBytes = 0;
  const add = (topic: string, m: Message) => {
    const bytes = messageBytes(m);
    if (bytes > opts.maxMessageBytes) {
      parked.push({ topic, key: keyText(m), bytes, reason: 'too_large', detail: `${bytes} bytes; daemon.maxMessageBytes is ${opts.maxMessageBytes}` });
      return;
    }
    if (chunkBytes + bytes + RECORD_OVERHEAD > opts.maxMessageBytes && chunkBytes > 0) {
      chunks.push(chunk);
      chunk = new Map();
      chunkBytes = 0;
    }
    let list = chunk.get(topic);
    if (list === undefined) chunk.set(topic, (list = []));
    list.push(m);
    chunkBytes += bytes + RECORD_OVERHEAD;
  };
  for (const a of alerts) add(opts.topics.alerts, alertMessage(a));
  for (const r of rejected) add(opts.topics.deadLetter, deadLetterMessage(r));
  if (chunkBytes > 0) chunks.push(chunk);
  const { compression } = opts;
  for (const c of chunks) {
    const topicMessages: TopicMessages[] = [...c].map(([topic, messages]) => ({ topic, messages }));
    try {
      await producer.current.sendBatch({ topicMessages, acks: -1, compression });
    } catch (err) {
      if (!isNonRetriable(err)) throw err;
      await producer.renew();
      for (const { topic, messages } of topicMessages) {
        for (const m of messages) {
          try {
            await producer.current.send({ topic, messages: [m], acks: -1, compression });
          } catch (one) {
            if (!isNonRetriable(one)) throw one;
            parked.push({ topic, key: keyText(m), bytes: messageBytes(m), reason: 'rejected_by_broker', detail: errorText(one) });
          }
        }
      }
    }
  }
  return parked;
}

/** kafkajs marks errors that retrying cannot fix (`retriable: false`, e.g. MESSAGE_TOO_LARGE). */
export function isNonRetriable(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { retriable?: unknown }).retriable === false;
}

function errorText(err: unknown): string {
  const e = err as { message?: string; cause?: { message?: string; type?: string } };
  return truncateUtf8([e.message, e.cause?.type ?? e.cause?.message].filter(Boolean).join(': '), MAX_HEADER_BYTES);
}

function keyText(m: Message): string | null {
  if (m.key === null || m.key === undefined) return null;
  return truncateUtf8(typeof m.key === 'string' ? m.key : m.key.toString('utf8'), 256);
}
