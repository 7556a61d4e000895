import { CompressionTypes, Partitioners, type Kafka, type Message, type Producer, type TopicMessages } from 'kafkajs';
import type { Logger } from '../log.js';

export interface TopicPartition {
  topic: string;
  partition: number;
}

export function tpKey(tp: TopicPartition): string {
  return `${tp.topic}\u0000${tp.partition}`;
}

export interface PartitionProducersOptions {
  /** A partition's transactional id is `<prefix>.<topic>.<partition>`. */
  prefix: string;
  transactionTimeoutMs: number;
  groupId: string;
  maxRetryTimeMs: number;
}

/** What one input partition's share of a batch commits, atomically. */
export interface PartitionTransaction {
  topicMessages: TopicMessages[];
  /** The next offset to read in the input partition; undefined: nothing consumed to commit (only a wall-clock silence's alert). */
  offset: string | undefined;
  compression?: CompressionTypes;
  /** Each message in a request of its own, so a refused one is known (`RefusedMessage.refused`). */
  oneByOne?: boolean;
}

/** An error of a one-by-one send, with the message it was about. */
export type RefusedMessage = Error & { refused?: { topic: string; message: Message } };

/**
 * One transactional producer per input partition, with a transactional id stable per partition.
 *
 * Why per partition: kafkajs' TxnOffsetCommit (v0–v1) carries no consumer-group generation, so the
 * group coordinator cannot fence a stale member's offset commit (KIP-447). Fencing then rests on the
 * transactional id alone, as in Kafka Streams' first exactly-once mode: whoever takes a partition
 * initialises its id, which bumps the epoch, aborts the previous owner's open transaction and makes
 * every later request of the previous owner's producer fail.
 */
export class PartitionProducers {
  private readonly producers = new Map<string, Producer>();

  constructor(
    private readonly kafka: Kafka,
    private readonly opts: PartitionProducersOptions,
    private readonly log: Logger,
  ) {}

  transactionalId(tp: TopicPartition): string {
    return `${this.opts.prefix}.${tp.topic}.${tp.partition}`;
  }

  /**
   * A fresh producer for `tp`, initialised: from here on the partition's earlier producers (ours
   * or another member's) are fenced, and their open transaction is aborted.
   */
  async fence(tp: TopicPartition): Promise<void> {
    await this.discard(tp);
    const producer = this.kafka.producer({
      transactionalId: this.transactionalId(tp),
      transactionTimeout: this.opts.transactionTimeoutMs,
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
      // Idempotence wants unlimited retries (kafkajs warns otherwise); a fenced producer fails at once anyway.
      // A transaction's first request after a commit often meets CONCURRENT_TRANSACTIONS while the
      // broker writes the previous commit's markers: retry that within milliseconds, as Java's client does.
      retry: { initialRetryTime: 10, retries: Number.MAX_SAFE_INTEGER, maxRetryTime: this.opts.maxRetryTimeMs },
    });
    try {
      await producer.connect();
      // kafkajs sends the transactional InitProducerId with the first transaction; an empty one does just that.
      const init = await producer.transaction();
      await init.abort();
    } catch (err) {
      await producer.disconnect().catch(() => {});
      throw err;
    }
    this.producers.set(tpKey(tp), producer);
  }

  has(tp: TopicPartition): boolean {
    return this.producers.has(tpKey(tp));
  }

  /** Sends `tx.topicMessages` and commits `tx.offset` for `tp` in one transaction. */
  async commit(tp: TopicPartition, tx: PartitionTransaction): Promise<void> {
    const producer = this.producers.get(tpKey(tp));
    if (producer === undefined) throw new Error(`no transactional producer for ${tp.topic}[${tp.partition}]`);
    // On failure the producer is discarded, not aborted: the next `fence` aborts whatever it left open.
    const transaction = await producer.transaction();
    const compression = tx.compression ?? CompressionTypes.None;
    if (tx.oneByOne) {
      for (const { topic, messages } of tx.topicMessages) {
        for (const message of messages) {
          try {
            await transaction.sendBatch({ topicMessages: [{ topic, messages: [message] }], acks: -1, compression });
          } catch (err) {
            throw Object.assign(err as Error, { refused: { topic, message } });
          }
        }
      }
    } else for (const chunk of chunks(tx.topicMessages, MAX_REQUEST_BYTES)) await transaction.sendBatch({ topicMessages: chunk, acks: -1, compression });
    this.log.debug({ topic: tp.topic, partition: tp.partition, offset: tx.offset }, 'transaction written; committing');
    if (tx.offset !== undefined) await transaction.sendOffsets({ consumerGroupId: this.opts.groupId, topics: [{ topic: tp.topic, partitions: [{ partition: tp.partition, offset: tx.offset }] }] });
    await transaction.commit();
  }

  async discard(tp: TopicPartition): Promise<void> {
    const producer = this.producers.get(tpKey(tp));
    if (producer === undefined) return;
    this.producers.delete(tpKey(tp));
    await producer.disconnect().catch((err: Error) => this.log.debug({ err: err.message }, 'disconnecting a discarded producer failed'));
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.producers.keys()].map((k) => {
      const [topic, partition] = k.split('\u0000');
      return this.discard({ topic, partition: Number(partition) });
    }));
  }
}

/**
 * kafkajs puts all of a request's messages for one partition into one record batch, which the
 * broker refuses above `message.max.bytes` (1 MiB by default); merged batches can be larger, so a
 * transaction sends them in requests of about this many bytes.
 */
const MAX_REQUEST_BYTES = 512 * 1024;

/** `topicMessages` cut into consecutive pieces of at most ~`maxBytes` (a larger single message goes alone). */
export function chunks(topicMessages: TopicMessages[], maxBytes: number): TopicMessages[][] {
  const out: TopicMessages[][] = [];
  let current: TopicMessages[] = [];
  let bytes = 0;
  for (const { topic, messages } of topicMessages) {
    let slice: Message[] = [];
    for (const m of messages) {
      const size = messageBytes(m);
      if (bytes + size > maxBytes && bytes > 0) {
        if (slice.length > 0) current.push({ topic, messages: slice });
        out.push(current);
        current = [];
        slice = [];
        bytes = 0;
      }
      slice.push(m);
      bytes += size;
    }
    if (slice.length > 0) current.push({ topic, messages: slice });
  }
  if (current.length > 0) out.push(current);
  return out;
}

function messageBytes(m: Message): number {
  const len = (v: string | Buffer | null | undefined) => (v == null ? 0 : typeof v === 'string' ? Buffer.byteLength(v) : v.length);
  let n = 64 + len(m.key) + len(m.value as string | Buffer | null);
  for (const [k, v] of Object.entries(m.headers ?? {})) n += k.length + (Array.isArray(v) ? v.reduce((s: number, x) => s + len(x as string | Buffer), 0) : len(v as string | Buffer | undefined));
  return n;
}

const FENCED = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED', 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 'INVALID_PRODUCER_ID_MAPPING']);

/** True when `err` (or what it wraps) says another producer took over this transactional id. */
export function isFenced(err: unknown): boolean {
  for (let e = err as { type?: string; cause?: unknown; originalError?: unknown } | undefined, depth = 0; e && depth < 5; depth++) {
    if (typeof e.type === 'string' && FENCED.has(e.type)) return true;
    e = (e.originalError ?? e.cause) as typeof e;
  }
  return false;
}
