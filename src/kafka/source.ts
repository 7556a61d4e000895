import { Subject, type Observable } from 'rxjs';
import type { Consumer, ConsumerConfig, Kafka } from 'kafkajs';
import type { Logger } from '../log.js';
import { decodeEvent, type Decoded, type DecodeOptions } from './decode.js';
import type { KafkaSourceRef } from './source-ref.js';
import { retryUntilStopped } from './retry.js';

export interface SourceOptions {
  groupId: string;
  topics: string[];
  fromBeginning: boolean;
  decode: DecodeOptions;
  /** Fetched-but-not-completed events above which fetching waits (until half of them completed). */
  maxInFlight: number;
  /** The same in bytes of their keys and values: many large events hold memory that a count misses. */
  maxInFlightBytes: number;
}

/** What an event holds in memory while in flight: its key and value bytes. */
export function refBytes(ref: KafkaSourceRef): number {
  return (ref.key?.length ?? 0) + (ref.value?.length ?? 0);
}

/** While input topics are missing, how often to look again and how often to say so. */
const TOPIC_POLL_MS = 1000;
const TOPIC_LOG_EVERY_MS = 30_000;

/** A held batch heartbeats this often so a long drain never costs the group membership. */
const HEARTBEAT_WHILE_HELD_MS = 1000;

export type Assignment = Map<string, Set<number>>;

/** Fetch settings of the daemon's consumer (kafkajs ConsumerConfig fields). */
// A fetch returns as soon as data is there (minBytes 1); the wait only bounds an idle fetch, and
// with it how long a disconnect waits for the fetch in progress (kafkajs' default is 5 s).
export const SOURCE_CONSUMER_OPTIONS = { maxWaitTimeInMs: 500 } as const satisfies Partial<ConsumerConfig>;

/**
 * The input side of the daemon: a consumer-group member whose messages come out as an Observable
 * of decoded events, in order per partition. Offsets are never committed here on their own:
 * the owner calls `commit` once the work of those events is delivered.
 */
export class KafkaSource {
  readonly consumer: Consumer;
  private readonly subject = new Subject<Decoded>();
  private inFlight = 0;
  private inFlightBytes = 0;
  private missingTopics: string[] = [];
  private paused = false;
  /** Resolves the eachBatch that waits for in-flight events to drain. */
  private backpressure: (() => void) | undefined;
  private closing = false;
  private assignment: Assignment = new Map();
  private readonly highWatermarks = new Map<string, { topic: string; partition: number; hw: bigint }>();
  private joined = false;

  /** Called with the partitions taken away by a rebalance. */
  onRevoked: (revoked: Assignment) => void = () => {};

  constructor(
    kafka: Kafka,
    private readonly opts: SourceOptions,
    private readonly log: Logger,
  ) {
    this.consumer = kafka.consumer({
      ...SOURCE_CONSUMER_OPTIONS,
      groupId: opts.groupId,
      // An input topic is the operator's to create (with its partition count); see waitForTopics.
      allowAutoTopicCreation: false,
      // A rebalance or crash never commits on its own; see `commit`.
      retry: { restartOnFailure: async (err) => (log.error({ err }, 'consumer failed; restarting it'), true) },
    });
    const { GROUP_JOIN, CRASH, DISCONNECT } = this.consumer.events;
    this.consumer.on(GROUP_JOIN, (e) => this.assign(e.payload.memberAssignment));
    this.consumer.on(CRASH, (e) => log.error({ err: e.payload.error, restart: e.payload.restart }, 'consumer crashed'));
    this.consumer.on(DISCONNECT, () => {
      this.joined = false;
    });
  }

  get events$(): Observable<Decoded> {
    return this.subject.asObservable();
  }

  get isJoined(): boolean {
    return this.joined;
  }

  get pending(): number {
    return this.inFlight;
  }

  /** Why the source is not consuming yet, or undefined when it is (or trying to). */
  get waitingFor(): string | undefined {
    return this.missingTopics.length > 0 ? `input topic(s) ${this.missingTopics.join(', ')} do not exist yet` : undefined;
  }

  owns(topic: string, partition: number): boolean {
    return this.assignment.get(topic)?.has(partition) ?? false;
  }

  /**
   * Connects (retrying with backoff for as long as it takes, unless stopped), waits for the input
   * topics to exist, subscribes and starts fetching.
   */
  async start(kafka: Kafka, isStopping: () => boolean): Promise<boolean> {
    const connected = await retryUntilStopped('connecting the consumer to the Kafka brokers', () => this.consumer.connect(), isStopping, this.log);
    if (!connected) return false;
    if (!(await this.waitForTopics(kafka, isStopping))) return false;
    await this.consumer.subscribe({ topics: this.opts.topics, fromBeginning: this.opts.fromBeginning });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
        if (this.closing || batch.messages.length === 0) return;
        const { topic, partition } = batch;
        const receivedAt = Date.now();
        for (const m of batch.messages) {
          const ref: KafkaSourceRef = { topic, partition, offset: m.offset, key: m.key, value: m.value, timestamp: Number(m.timestamp) };
          this.inFlight++;
          this.inFlightBytes += refBytes(ref);
          this.subject.next(decodeEvent(ref, this.opts.decode, receivedAt));
          // Resolving only advances the fetch position; nothing is committed until `commit`.
          resolveOffset(m.offset);
        }
        this.highWatermarks.set(`${topic}\u0000${partition}`, { topic, partition, hw: BigInt(batch.highWatermark) });
        // Backpressure: hold this batch (and with it the next fetch) until the pipeline caught up.
        // Pausing the partitions instead would make kafkajs sleep maxWaitTimeInMs before its next fetch.
        while (this.overBudget() && !this.closing) {
          await new Promise<void>((resolve) => {
            this.backpressure = resolve;
            setTimeout(resolve, HEARTBEAT_WHILE_HELD_MS).unref();
          });
          await heartbeat();
        }
        await heartbeat();
      },
    });
    return true;
  }

  /** Work for `events` fetched events, `bytes` of them (refBytes), is delivered (or dead-lettered). */
  completed(events: number, bytes: number): void {
    this.inFlight -= events;
    this.inFlightBytes -= bytes;
    if (this.backpressure !== undefined && this.inFlight <= this.opts.maxInFlight / 2 && this.inFlightBytes <= this.opts.maxInFlightBytes / 2) this.release();
  }

  private overBudget(): boolean {
    return this.inFlight >= this.opts.maxInFlight || this.inFlightBytes >= this.opts.maxInFlightBytes;
  }

  /**
   * Started before its producers, on a fresh cluster, the daemon waits for its input topics rather
   * than failing (or auto-creating them with the broker's default partition count).
   */
  private async waitForTopics(kafka: Kafka, isStopping: () => boolean): Promise<boolean> {
    const admin = kafka.admin();
    const ok = await retryUntilStopped('connecting the admin client', () => admin.connect(), isStopping, this.log);
    if (!ok) return false;
    try {
      let lastLog = 0;
      for (;;) {
        if (isStopping()) return false;
        try {
          const existing = new Set(await admin.listTopics());
          this.missingTopics = this.opts.topics.filter((t) => !existing.has(t));
        } catch (err) {
          this.log.warn({ err: (err as Error).message }, 'listing topics failed; retrying');
        }
        if (this.missingTopics.length === 0) return true;
        if (Date.now() - lastLog >= TOPIC_LOG_EVERY_MS) {
          lastLog = Date.now();
          this.log.warn({ missing: this.missingTopics }, 'waiting for the input topics to be created');
        }
        await new Promise((r) => setTimeout(r, TOPIC_POLL_MS).unref());
      }
    } finally {
      await admin.disconnect().catch(() => {});
    }
  }

  async commit(offsets: { topic: string; partition: number; offset: string }[]): Promise<void> {
    const owned = offsets.filter((o) => this.owns(o.topic, o.partition));
    if (owned.length > 0) await this.consumer.commitOffsets(owned);
  }

  /** Per partition: messages behind the log end, counted from `committed(topic, partition)`. */
  lag(committed: (topic: string, partition: number) => bigint | undefined): { topic: string; partition: number; lag: number }[] {
    const out: { topic: string; partition: number; lag: number }[] = [];
    for (const { topic, partition, hw } of this.highWatermarks.values()) {
      if (!this.owns(topic, partition)) continue;
      const c = committed(topic, partition);
      if (c !== undefined) out.push({ topic, partition, lag: Number(hw > c ? hw - c : 0n) });
    }
    return out;
  }

  /** Stop taking new messages and end the event stream; in-flight work still drains downstream. */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    this.pause();
    this.release();
    this.subject.complete();
  }

  async disconnect(): Promise<void> {
    await this.consumer.disconnect();
  }

  private pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.consumer.pause(this.opts.topics.map((topic) => ({ topic })));
  }

  private release(): void {
    const resolve = this.backpressure;
    this.backpressure = undefined;
    resolve?.();
  }

  private assign(memberAssignment: Record<string, number[]>): void {
    const next: Assignment = new Map(Object.entries(memberAssignment).map(([t, ps]) => [t, new Set(ps)]));
    const revoked: Assignment = new Map();
    for (const [topic, parts] of this.assignment) {
      const gone = [...parts].filter((p) => !next.get(topic)?.has(p));
      if (gone.length > 0) revoked.set(topic, new Set(gone));
    }
    this.assignment = next;
    this.joined = true;
    this.log.info({ assignment: Object.fromEntries([...next].map(([t, ps]) => [t, [...ps]])) }, 'joined the consumer group');
    if (revoked.size > 0) this.onRevoked(revoked);
  }
}
