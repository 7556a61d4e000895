import { tap, type Subscription } from 'rxjs';
import type { Admin, Kafka } from 'kafkajs';
import type { LoadedConfig } from '../config/load.js';
import { changelogTopic, transactionalIdPrefix } from '../config/schema.js';
import type { Logger } from '../log.js';
import { AnomalydMetrics, startMetricsServer, type MetricsServer } from '../metrics/index.js';
import { readChangelog } from '../kafka/changelog.js';
import { createKafka } from '../kafka/client.js';
import { CommittedOffsets } from '../kafka/committed-offsets.js';
import { PartitionProducers, tpKey, type TopicPartition } from '../kafka/partition-producers.js';
import { retryUntilStopped } from '../kafka/retry.js';
import { KafkaSource } from '../kafka/source.js';
import type { KafkaSourceRef } from '../kafka/source-ref.js';
import { ensureChangelog, ensureTopics } from '../kafka/topics.js';
import { ScoringPipeline } from '../pipeline/pipeline.js';
import { StreamRouter } from '../pipeline/router.js';
import type { PipelineModel } from '../pipeline/scoring-model.js';
import type { BatchResult } from '../pipeline/types.js';
import { buildSinks } from '../sinks/build.js';
import { deliverCoalesced } from './deliver-coalesced.js';
import { dropStale } from './drop-stale.js';
import type { KafkaSink } from '../sinks/kafka-sink.js';
import type { Sink } from '../sinks/sink.js';
import { version } from '../version.js';

export interface DaemonOptions {
  loaded: LoadedConfig;
  models: ReadonlyMap<string, PipelineModel>;
  log: Logger;
  /** How often delivered offsets are committed. */
  commitIntervalMs?: number;
}

/**
 * `anomalyd run`: Kafka source → scoring pipeline → sinks (Kafka, metrics, log), with metrics
 * served alongside. Exactly-once: each input partition's alerts, dead letters, state records and
 * consumed offset are committed in one Kafka transaction (src/sinks/kafka-sink.ts), and a
 * partition's state is restored from the changelog before its first batch is processed.
 */
export class Daemon {
  private stopping = false;
  private stopped: Promise<number> | undefined;
  private subscription: Subscription | undefined;
  private gaugeTimer: NodeJS.Timeout | undefined;
  private readonly committed = new CommittedOffsets();
  /** Stream id → `tpKey` of the input partition its events come from. */
  private readonly streamPartition = new Map<string, string>();
  private drained!: Promise<void>;
  private source!: KafkaSource;
  private kafka!: Kafka;
  private admin!: Admin;
  private producers!: PartitionProducers;
  private kafkaSink!: KafkaSink;
  private sinks: Sink[] = [];
  private server: MetricsServer | undefined;
  readonly metrics: AnomalydMetrics;
  readonly pipeline: ScoringPipeline<KafkaSourceRef>;
  private readonly log: Logger;

  constructor(private readonly opts: DaemonOptions) {
    const { config } = opts.loaded;
    this.log = opts.log;
    const shapes = new Map([...opts.models].map(([name, m]) => [name, { seqStep: m.seqStep, features: m.features, threshold: m.threshold }]));
    this.pipeline = new ScoringPipeline<KafkaSourceRef>({
      router: new StreamRouter(config.streams, shapes),
      models: opts.models,
      maxBatch: config.inference.maxBatch,
      maxLatencyMs: config.inference.maxLatencyMs,
      snapshots: true,
    });
    this.metrics = new AnomalydMetrics({ maxStreamLabels: config.metrics.maxStreamLabels });
    const backends = [...new Set([...opts.models.values()].map((m) => m.backend))].join(',');
    this.metrics.setBuildInfo(version, backends);
  }

  get metricsUrl(): string | undefined {
    return this.server?.url;
  }

  /** Resolves once the daemon is consuming (or stopping before it got there). */
  async start(): Promise<void> {
    const { config } = this.opts.loaded;
    const isStopping = () => this.stopping;
    if (config.metrics.enabled) {
      this.server = await startMetricsServer({
        host: config.metrics.host,
        port: config.metrics.port,
        metrics: this.metrics,
        readiness: () => {
          const checks = { modelsLoaded: this.opts.models.size > 0, consumerJoined: this.source?.isJoined ?? false };
          return { ready: Object.values(checks).every(Boolean), checks };
        },
      });
      this.log.info({ url: `${this.server.url}/metrics` }, 'serving metrics');
    }

    this.kafka = createKafka(config.kafka, this.log);
    this.admin = this.kafka.admin();
    const created = await retryUntilStopped('preparing the alert and dead-letter topics', async () => {
      await this.admin.connect();
      const made = await ensureTopics(this.admin, [{ topic: config.alerts.topic }, { topic: config.deadLetter.topic }]);
      if (made.length > 0) this.log.info({ topics: made }, 'created topics');
    }, isStopping, this.log);
    if (!created) return;

    this.producers = new PartitionProducers(
      this.kafka,
      { prefix: transactionalIdPrefix(config), transactionTimeoutMs: config.delivery.transactionTimeoutMs, groupId: config.kafka.groupId, maxRetryTimeMs: config.kafka.retry.maxRetryTimeMs },
      this.log,
    );
    this.source = new KafkaSource(
      this.kafka,
      {
        groupId: config.kafka.groupId,
        topics: config.input.topics,
        fromBeginning: config.input.fromBeginning,
        fields: config.input.fields,
        maxInFlight: config.daemon.maxInFlight,
        sessionTimeoutMs: config.daemon.sessionTimeoutMs,
      },
      this.log,
    );
    this.source.prepare = (tps) => this.preparePartitions(tps);
    const sinks = buildSinks(config, {
      producers: this.producers,
      metrics: this.metrics,
      log: this.log,
      partitionOf: (stream) => this.partitionOf(stream),
      isCurrent: (tp, epoch) => this.source.isCurrent(tp, epoch),
      unready: (tp) => this.source.unready(tp),
      committedOffset: async (tp) => (await this.committedOffsets([tp])).get(tpKey(tp)),
      onCommitted: (tp, offset) => this.committed.set(tp.topic, tp.partition, offset),
      isStopping,
    });
    this.sinks = sinks.all;
    this.kafkaSink = sinks.kafka;

    this.drained = new Promise<void>((resolve, reject) => {
      this.subscription = this.source.events$
        .pipe(
          tap((e) => {
            if (!('rejected' in e)) this.streamPartition.set(e.stream, tpKey(e.source!));
          }),
          this.pipeline.operator(),
          deliverCoalesced((result) => this.deliver(result)),
        )
        .subscribe({ complete: resolve, error: reject });
    });
    this.drained.catch((err) => {
      this.log.fatal({ err }, 'pipeline failed');
      void this.stop('pipeline failure');
    });

    this.gaugeTimer = setInterval(() => this.updateGauges(), 1000);
    if (await this.source.start(isStopping)) this.log.info({ topics: config.input.topics, groupId: config.kafka.groupId }, 'consuming');
  }

  /**
   * Stop fetching, finish in-flight batches and commit their transactions, disconnect. Resolves
   * with the exit code: 0 when everything drained within shutdownTimeoutMs, 1 when the timeout cut
   * it short (the uncommitted events are read again on the next start).
   */
  stop(reason = 'requested'): Promise<number> {
    this.stopped ??= this.shutdown(reason);
    return this.stopped;
  }

  private async shutdown(reason: string): Promise<number> {
    this.stopping = true;
    const timeoutMs = this.opts.loaded.config.daemon.shutdownTimeoutMs;
    this.log.info({ reason, timeoutMs }, 'shutting down');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
    let code = 0;
    if (this.source) {
      this.source.close();
      const outcome = await Promise.race([this.drained.then(() => 'drained' as const, () => 'failed' as const), timedOut]);
      if (outcome === 'drained') {
        this.log.info({ pending: this.source.pending }, 'drained and committed');
      } else {
        code = 1;
        this.log.error({ outcome, inFlight: this.source.pending }, 'shutdown did not drain; uncommitted events will be read again');
      }
    }
    clearTimeout(timer);
    clearInterval(this.gaugeTimer);
    this.subscription?.unsubscribe();
    await Promise.allSettled([this.source?.disconnect(), ...this.sinks.map((s) => s.close?.()), this.admin?.disconnect(), this.server?.close()]);
    this.log.info({ code }, 'stopped');
    return code;
  }

  /** Every sink in order, then the batch's events count as complete (delivered or dropped as stale). */
  private async deliver(result: BatchResult<KafkaSourceRef>): Promise<void> {
    const live = dropStale(result, (tp, epoch) => this.source.isCurrent(tp, epoch), (stream) => this.partitionOf(stream));
    if (live.sources.length > 0) for (const sink of this.sinks) await sink.deliver(live);
    this.source.completed(result.events);
  }

  private partitionOf(stream: string): TopicPartition | undefined {
    const key = this.streamPartition.get(stream);
    if (key === undefined) return undefined;
    const [topic, partition] = key.split('\u0000');
    return { topic, partition: Number(partition) };
  }

  /**
   * Before a partition's first batch (after every rebalance, and after a fenced transaction):
   * fence its transactional id (aborting whatever a previous owner left open), read its committed
   * offset, and load its streams' state from the changelog. Nothing fetched is in flight here.
   */
  private async preparePartitions(tps: TopicPartition[]): Promise<Map<string, bigint | undefined>> {
    const { config } = this.opts.loaded;
    const topic = changelogTopic(config);
    let committed = new Map<string, bigint | undefined>();
    const ok = await retryUntilStopped('restoring partition state', async () => {
      const preparing = new Set(tps.map(tpKey));
      const gone = (stream: string) => {
        const key = this.streamPartition.get(stream);
        if (key === undefined || preparing.has(key)) return true;
        const [t, p] = key.split('\u0000');
        return !this.source.owns(t, Number(p));
      };
      const dropped = this.pipeline.dropStreams(gone);
      for (const stream of [...this.streamPartition.keys()]) if (gone(stream)) this.streamPartition.delete(stream);
      this.committed.forget((t, p) => this.source.owns(t, p));

      const changelog = await ensureChangelog(this.admin, topic, [...new Set(tps.map((tp) => tp.topic))]);
      if (changelog !== 'ok') this.log.info({ topic, changelog }, 'state changelog topic');
      await Promise.all(tps.map((tp) => this.producers.fence(tp)));
      committed = await this.committedOffsets(tps);
      const restored = await readChangelog(this.kafka, topic, tps, config.kafka.groupId);
      let streams = 0;
      for (const [stream, r] of restored) {
        if (r.snapshot === null) continue;
        this.pipeline.restore(stream, r.snapshot);
        this.streamPartition.set(stream, tpKey(r.input));
        streams++;
      }
      for (const tp of tps) this.kafkaSink.prepared(tp, committed.get(tpKey(tp)));
      this.log.info({ partitions: tps.length, restoredStreams: streams, droppedStreams: dropped }, 'state restored from the changelog');
    }, () => this.stopping, this.log);
    if (!ok) throw new Error('stopping while restoring partition state');
    return committed;
  }

  private async committedOffsets(tps: TopicPartition[]): Promise<Map<string, bigint | undefined>> {
    const out = new Map<string, bigint | undefined>();
    for (const topic of new Set(tps.map((tp) => tp.topic))) {
      const [offsets] = await this.admin.fetchOffsets({ groupId: this.opts.loaded.config.kafka.groupId, topics: [topic] });
      for (const p of offsets.partitions) out.set(tpKey({ topic, partition: p.partition }), BigInt(p.offset) >= 0n ? BigInt(p.offset) : undefined);
    }
    return out;
  }

  private updateGauges(): void {
    this.metrics.clearConsumerLag();
    for (const l of this.source.lag((t, p) => this.committed.get(t, p))) this.metrics.setConsumerLag(l.topic, l.partition, l.lag);
    this.metrics.setActiveStreams(this.pipeline.windows.size);
  }
}
