import { Partitioners, type Kafka, type Producer, type TopicMessages } from 'kafkajs';
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
  /** The next offset to read in the input partition. */
  offset: string;
}

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
    if (tx.topicMessages.length > 0) await transaction.sendBatch({ topicMessages: tx.topicMessages, acks: -1 });
    await transaction.sendOffsets({ consumerGroupId: this.opts.groupId, topics: [{ topic: tp.topic, partitions: [{ partition: tp.partition, offset: tx.offset }] }] });
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

const FENCED = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED', 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 'INVALID_PRODUCER_ID_MAPPING']);

/** True when `err` (or what it wraps) says another producer took over this transactional id. */
export function isFenced(err: unknown): boolean {
  for (let e = err as { type?: string; cause?: unknown; originalError?: unknown } | undefined, depth = 0; e && depth < 5; depth++) {
    if (typeof e.type === 'string' && FENCED.has(e.type)) return true;
    e = (e.originalError ?? e.cause) as typeof e;
  }
  return false;
}
