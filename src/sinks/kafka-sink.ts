import type { CompressionTypes, Message, TopicMessages } from 'kafkajs';
import { errorText, isNonRetriable, keyText, messageBytes, type Parked } from '../kafka/delivery.js';
import type { Logger } from '../log.js';
import { alertMessage, changelogMessage, deadLetterMessage } from '../kafka/messages.js';
import { isFenced, tpKey, type PartitionProducers, type RefusedMessage, type TopicPartition } from '../kafka/partition-producers.js';
import type { KafkaSourceRef } from '../kafka/source-ref.js';
import type { BatchResult, StreamSnapshot } from '../pipeline/types.js';
import type { Sink } from './sink.js';
import { CoalescingLanes } from './coalescing-lanes.js';

export interface KafkaSinkOptions {
  topics: { alerts: string; deadLetter: string; changelog: string };
  /** Messages above this many bytes are parked (counted, logged, left out of the transaction) instead of sent. */
  maxMessageBytes: number;
  compression: CompressionTypes;
  /** A message that can never be delivered, left out. */
  onParked?(p: Parked): void;
  /** The partition's current epoch: work of it with no consumed event (a wall-clock silence's alert) belongs to that. */
  epochOf(tp: TopicPartition): number | undefined;
  producers: PartitionProducers;
  /** The input partition a stream's events come from (its alerts and state go with that partition's transaction). */
  partitionOf(stream: string): TopicPartition | undefined;
  /** Whether work fetched from `tp` in `epoch` may still be delivered. */
  isCurrent(tp: TopicPartition, epoch: number | undefined): boolean;
  /** `tp`'s transactions were fenced: drop its work until it is prepared again. */
  unready(tp: TopicPartition): void;
  /** The group's committed offset of `tp`, read after fencing (so no transaction on it is open). */
  committedOffset(tp: TopicPartition): Promise<bigint | undefined>;
  onCommitted?(tp: TopicPartition, offset: bigint): void;
  isStopping(): boolean;
  log: Logger;
}

export interface PartitionWork {
  tp: TopicPartition;
  epoch: number | undefined;
  /** The next offset to read once this work is committed; undefined: no event of it consumed (the offset stays where it is). */
  offset: bigint | undefined;
  alerts: Message[];
  deadLetters: Message[];
  /** Per stream, its latest state (null: a tombstone); encoded when the transaction is written, so a state superseded meanwhile never is. */
  changelog: Map<string, StreamSnapshot | null>;
}

/** `later`'s work after `earlier`'s, as one transaction does it. Work of an earlier epoch is stale (its partition was prepared again since): it is dropped. */
export function mergeWork(earlier: PartitionWork, later: PartitionWork): PartitionWork {
  if (earlier.epoch !== later.epoch) return later;
  const changelog = earlier.changelog;
  for (const [stream, snapshot] of later.changelog) changelog.delete(stream), changelog.set(stream, snapshot);
  const offset = earlier.offset === undefined ? later.offset : later.offset === undefined || later.offset < earlier.offset ? earlier.offset : later.offset;
  return { tp: earlier.tp, epoch: earlier.epoch, offset, alerts: earlier.alerts.concat(later.alerts), deadLetters: earlier.deadLetters.concat(later.deadLetters), changelog };
}

/**
 * Exactly-once delivery to Kafka. A batch is split by input partition, and each partition's share
 * — its alerts, its dead letters, its streams' state records for the changelog, and its consumed
 * offset — is committed in one transaction of that partition's producer. Each partition is a lane
 * of its own (CoalescingLanes): its transactions commit one at a time in batch order, the shares
 * that arrive while one is in flight go out merged in the next, and partitions never wait for
 * each other.
 */
export class KafkaSink implements Sink {
  readonly name = 'kafka';
  /** Per partition: the offset committed before the transaction in progress (what a retry must still find). */
  private readonly base = new Map<string, bigint | undefined>();
  private readonly lanes = new CoalescingLanes<PartitionWork>((_key, w) => this.commit(w), mergeWork);

  constructor(private readonly opts: KafkaSinkOptions) {}

  /** `tp` was prepared with `committed` as its committed offset. */
  prepared(tp: TopicPartition, committed: bigint | undefined): void {
    this.base.set(tpKey(tp), committed);
  }

  async close(): Promise<void> {
    await this.opts.producers.close();
  }

  /** Takes the batch's shares at once (a later batch's shares queue behind them); resolves once every share is committed or dropped as stale. */
  async deliver(batch: BatchResult<KafkaSourceRef>): Promise<void> {
    const work = this.split(batch);
    await Promise.all([...work].map(([key, w]) => this.lanes.submit(key, w)));
  }

  private split(batch: BatchResult<KafkaSourceRef>): Map<string, PartitionWork> {
    const work = new Map<string, PartitionWork>();
    const of = (tp: TopicPartition): PartitionWork => {
      const key = tpKey(tp);
      let w = work.get(key);
      if (w === undefined) {
        w = { tp: { topic: tp.topic, partition: tp.partition }, epoch: undefined, offset: undefined, alerts: [], deadLetters: [], changelog: new Map() };
        work.set(key, w);
      }
      return w;
    };
    const partitionOf = (stream: string): TopicPartition => {
      const tp = this.opts.partitionOf(stream);
      // Every stream in a result entered the pipeline through the source, which records its partition.
      if (tp === undefined) throw new Error(`no input partition known for stream "${stream}"`);
      return tp;
    };
    // Every event of the batch is in `sources` (the BatchResult invariant) and batches arrive in
    // order, so the highest offset + 1 per partition is the end of a fully processed prefix.
    for (const s of batch.sources) {
      const w = of(s);
      const next = BigInt(s.offset) + 1n;
      if (w.offset === undefined || next > w.offset) w.offset = next;
      w.epoch = s.epoch;
    }
    for (const a of batch.alerts) of(partitionOf(a.stream)).alerts.push(alertMessage(a));
    for (const r of batch.rejected) if (r.source) of(r.source).deadLetters.push(deadLetterMessage(r));
    for (const { stream, snapshot } of batch.state) of(partitionOf(stream)).changelog.set(stream, snapshot);
    // Output without a consumed event of its partition (a silence the wall clock found): it goes
    // with the partition's current epoch, and leaves its offset where the transactions before it put it.
    for (const w of work.values()) if (w.offset === undefined) w.epoch = this.opts.epochOf(w.tp);
    return work;
  }

  private async commit(w: PartitionWork): Promise<void> {
    const { producers, topics, log } = this.opts;
    let topicMessages: TopicMessages[] = [];
    const add = (topic: string, messages: Message[]) => {
      const fit = messages.filter((m) => {
        const bytes = messageBytes(m);
        if (bytes <= this.opts.maxMessageBytes) return true;
        this.park({ topic, key: keyText(m), bytes, reason: 'too_large', detail: `${bytes} bytes > daemon.maxMessageBytes ${this.opts.maxMessageBytes}` });
        return false;
      });
      if (fit.length > 0) topicMessages.push({ topic, messages: fit });
    };
    add(topics.alerts, w.alerts);
    add(topics.deadLetter, w.deadLetters);
    add(topics.changelog, [...w.changelog].map(([stream, snapshot]) => changelogMessage(stream, snapshot, w.tp)));
    const key = tpKey(w.tp);
    // Resolved now, not when the batch was split: transactions queued before this one move it.
    const next = w.offset ?? this.base.get(key);
    const offset = next?.toString();
    const where = { topic: w.tp.topic, partition: w.tp.partition, offset };
    // Nothing to write and no offset to move: no transaction.
    if (topicMessages.length === 0 && (offset === undefined || next === this.base.get(key))) return;

    // After a request the broker refused for good, messages go one by one; each one it refuses is parked.
    let oneByOne = false;
    for (let attempt = 1, delay = 500; ; attempt++, delay = Math.min(delay * 2, 10_000)) {
      // Stale work (fetched before a rebalance or a fence) is redone from the committed offset by whoever owns the partition now.
      if (!this.opts.isCurrent(w.tp, w.epoch)) return;
      try {
        if (!producers.has(w.tp)) {
          const found = await this.refence(w.tp, next);
          if (found === 'committed') {
            log.info(where, 'the failed transaction had committed after all');
            if (next !== undefined) this.committed(w.tp, next);
            return;
          }
          if (found === 'lost') {
            log.warn(where, 'another member committed this partition meanwhile; its in-flight work is dropped');
            this.lose(w.tp);
            return;
          }
        }
        await producers.commit(w.tp, { topicMessages, offset, compression: this.opts.compression, oneByOne });
        if (next !== undefined) this.committed(w.tp, next);
        return;
      } catch (err) {
        // The partition was prepared again meanwhile (a rebalance), with a new producer: this work is
        // stale, and discarding or fencing here would take the new producer down with it.
        if (!this.opts.isCurrent(w.tp, w.epoch)) return;
        if (isFenced(err)) {
          log.warn({ ...where, err: (err as Error).message }, 'transaction fenced: another producer took this partition; its in-flight work is dropped');
          this.lose(w.tp);
          return;
        }
        if (isNonRetriable(err)) {
          const refused = (err as RefusedMessage).refused;
          if (refused !== undefined) {
            const { topic, message } = refused;
            this.park({ topic, key: keyText(message), bytes: messageBytes(message), reason: 'rejected_by_broker', detail: errorText(err) });
            topicMessages = topicMessages.map((t) => (t.topic === topic ? { topic, messages: t.messages.filter((m) => m !== message) } : t)).filter((t) => t.messages.length > 0);
          } else {
            log.warn({ ...where, err: (err as Error).message }, 'the broker refused a request for good; its messages go one by one');
          }
          oneByOne = true;
          await producers.discard(w.tp);
          continue;
        }
        log.error({ ...where, err: (err as Error).message, attempt, alerts: w.alerts.length, deadLetters: w.deadLetters.length }, 'transaction failed; retrying');
        await producers.discard(w.tp);
        if (this.opts.isStopping() && attempt > 3) throw err;
        await new Promise((r) => setTimeout(r, delay).unref());
      }
    }
  }

  /**
   * A new producer after a failed transaction. Fencing aborts the failed transaction unless it
   * committed after all (the failure was the reply getting lost), which the committed offset tells.
   */
  private async refence(tp: TopicPartition, next: bigint | undefined): Promise<'retry' | 'committed' | 'lost'> {
    await this.opts.producers.fence(tp);
    const committed = await this.opts.committedOffset(tp);
    const base = this.base.get(tpKey(tp));
    // Work that moves no offset cannot tell a lost reply from a failure: it is sent again.
    if (next !== base && committed === next) return 'committed';
    return committed === base ? 'retry' : 'lost';
  }

  private park(p: Parked): void {
    this.opts.log.error(p, 'message parked: it can never be delivered, so it is not retried');
    this.opts.onParked?.(p);
  }

  private committed(tp: TopicPartition, offset: bigint): void {
    this.base.set(tpKey(tp), offset);
    this.opts.onCommitted?.(tp, offset);
  }

  private lose(tp: TopicPartition): void {
    this.opts.unready(tp);
    void this.opts.producers.discard(tp);
  }
}
