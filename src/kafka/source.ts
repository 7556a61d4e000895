import { Subject, type Observable } from 'rxjs';
import type { Consumer, ConsumerConfig, Kafka } from 'kafkajs';
import type { Logger } from '../log.js';
import { decodeEvent, type Decoded, type DecodeOptions } from './decode.js';
import type { KafkaSourceRef } from './source-ref.js';
import { retryUntilStopped } from './retry.js';
import { tpKey, type TopicPartition } from './partition-producers.js';

export interface SourceOptions {
  groupId: string;
  topics: string[];
  fromBeginning: boolean;
  decode: DecodeOptions;
  /** Fetched-but-not-completed events above which fetching waits (until half of them completed). */
  maxInFlight: number;
  /** The same in bytes of their keys and values: many large events hold memory that a count misses. */
  maxInFlightBytes: number;
  sessionTimeoutMs?: number;
}

/** What an event holds in memory while in flight: its key and value bytes. */
export function refBytes(ref: KafkaSourceRef): number {
  return (ref.key?.length ?? 0) + (ref.value?.length ?? 0);
}

/** While input topics are missing, how often to look again and how often to say so. */
const TOPIC_POLL_MS = 1000;
const TOPIC_LOG_EVERY_MS = 30_000;

/**
 * Makes partitions ready to be processed: called, once no fetched event is in flight any more,
 * with every assigned partition that is not ready; resolves with each one's committed offset
 * (the next offset to process; undefined when none is committed).
 */
export type PreparePartitions = (partitions: TopicPartition[]) => Promise<Map<string, bigint | undefined>>;

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
  /** Partitions whose state is restored and whose producer is fenced in: their batches are processed. */
  private readonly ready = new Set<string>();
  /** Per partition: bumped at every prepare, stamped on each fetched event (KafkaSourceRef.epoch). */
  private readonly epochs = new Map<string, number>();
  /** Per partition with no committed offset yet: the first offset this process fetched, where a re-prepare starts again. */
  private readonly firstFetched = new Map<string, bigint>();

  /** Called with the partitions taken away by a rebalance. */
  onRevoked: (revoked: Assignment) => void = () => {};
  /** Restores state before a partition's first batch is processed; set by the owner before `start`. */
  prepare: PreparePartitions = async (tps) => new Map(tps.map((tp) => [tpKey(tp), undefined]));

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
      // Alerts and the changelog are written in transactions: read only committed ones.
      readUncommitted: false,
      ...(opts.sessionTimeoutMs !== undefined ? { sessionTimeout: opts.sessionTimeoutMs } : {}),
      // Nothing is committed here: offsets go with the outputs, in one transaction per partition.
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

  /** The partition's current epoch (bumped each time it is prepared); undefined while it is not ready. */
  epochOf(tp: TopicPartition): number | undefined {
    const key = tpKey(tp);
    return this.ready.has(key) ? this.epochs.get(key) : undefined;
  }

  /** Whether work fetched from `tp` in `epoch` may still be delivered: the partition is ours, ready, and not re-prepared since. */
  isCurrent(tp: TopicPartition, epoch: number | undefined): boolean {
    const key = tpKey(tp);
    return this.owns(tp.topic, tp.partition) && this.ready.has(key) && this.epochs.get(key) === epoch;
  }

  /**
   * The partition's transaction was fenced or failed for good: its in-flight work is dropped, and
   * its next batch prepares it again (restores state, reads the committed offset, seeks back).
   */
  unready(tp: TopicPartition): void {
    this.ready.delete(tpKey(tp));
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
      eachBatch: async ({ batch, resolveOffset, heartbeat, isStale }) => {
        // Stale: fetched before a seek (see prepareAssigned) that the next fetch applies.
        if (this.closing || batch.messages.length === 0 || isStale()) return;
        const { topic, partition } = batch;
        const key = tpKey({ topic, partition });
        if (!this.ready.has(key)) {
          // Every prepared partition was sought to its committed offset: this batch is stale.
          await this.prepareAssigned(heartbeat);
          return;
        }
        if (!this.firstFetched.has(key)) this.firstFetched.set(key, BigInt(batch.messages[0].offset));
        const epoch = this.epochs.get(key);
        const receivedAt = Date.now();
        for (const m of batch.messages) {
          const ref: KafkaSourceRef = { topic, partition, offset: m.offset, key: m.key, value: m.value, timestamp: Number(m.timestamp), epoch, lane: key };
          this.inFlight++;
          this.inFlightBytes += refBytes(ref);
          this.subject.next(decodeEvent(ref, this.opts.decode, receivedAt));
        }
        // Resolving only advances the fetch position; nothing is committed until `commit`. Once for
        // the batch, as kafkajs' own auto-resolve does: per message it parsed every offset into a Long.
        resolveOffset(batch.messages[batch.messages.length - 1].offset);
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

  /**
   * Once nothing fetched is in flight any more (delivered, or dropped as stale), prepares every
   * assigned partition that is not ready, and bumps its epoch.
   */
  private async prepareAssigned(heartbeat: () => Promise<void>): Promise<void> {
    while (this.inFlight > 0 && !this.closing) {
      await new Promise((r) => setTimeout(r, 20));
      await heartbeat();
    }
    if (this.closing) return;
    const todo = [...this.assignment].flatMap(([topic, parts]) => [...parts].map((partition) => ({ topic, partition }))).filter((tp) => !this.ready.has(tpKey(tp)));
    if (todo.length === 0) return;
    const started = Date.now();
    // Restoring a large changelog may outlast the session: keep heartbeating meanwhile (a rebalance
    // that starts now shows up at the next heartbeat after this batch, and everything is prepared again).
    const keepAlive = setInterval(() => void heartbeat().catch(() => {}), HEARTBEAT_WHILE_HELD_MS);
    let committed: Map<string, bigint | undefined>;
    try {
      committed = await this.prepare(todo);
    } finally {
      clearInterval(keepAlive);
    }
    for (const tp of todo) {
      const key = tpKey(tp);
      this.epochs.set(key, (this.epochs.get(key) ?? 0) + 1);
      // Where processing resumes: the offset committed with the restored state. kafkajs may have
      // fetched from an older commit (read before the previous owner's last transaction) or past it
      // (work dropped when a transaction was fenced).
      const from = committed.get(key) ?? this.firstFetched.get(key);
      if (from !== undefined) this.consumer.seek({ topic: tp.topic, partition: tp.partition, offset: from.toString() });
      this.ready.add(key);
    }
    this.log.info({ partitions: todo.map((tp) => `${tp.topic}[${tp.partition}]`), ms: Date.now() - started }, 'partitions ready: producers fenced in, state restored');
    await heartbeat();
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
    // Every rebalance re-prepares every partition: kafkajs fetches from the committed offsets again,
    // and a partition may have had another owner meanwhile.
    this.ready.clear();
    this.joined = true;
    this.log.info({ assignment: Object.fromEntries([...next].map(([t, ps]) => [t, [...ps]])) }, 'joined the consumer group');
    if (revoked.size > 0) this.onRevoked(revoked);
  }
}
