import { endWith, ignoreElements, interval, map, merge, share, takeUntil, tap, type Subscription } from 'rxjs';
import type { Admin, Kafka } from 'kafkajs';
import type { LoadedConfig } from '../config/load.js';
import { changelogTopic, insecureKafkaSettings, transactionalIdPrefix } from '../config/schema.js';
import type { Logger } from '../log.js';
import { AnomalydMetrics, startMetricsServer, type MetricsServer } from '../metrics/index.js';
import { readChangelog } from '../kafka/changelog.js';
import { createKafka } from '../kafka/client.js';
import { CommittedOffsets } from '../kafka/committed-offsets.js';
import { PartitionProducers, tpKey, type TopicPartition } from '../kafka/partition-producers.js';
import { retryUntilStopped } from '../kafka/retry.js';
import { diagnoseUnrecoverable } from '../kafka/unrecoverable.js';
import { KafkaSource, refBytes } from '../kafka/source.js';
import type { KafkaSourceRef } from '../kafka/source-ref.js';
import { ensureChangelog, ensureTopics } from '../kafka/topics.js';
import { pipelineFromConfig } from '../pipeline/from-config.js';
import type { ScoringPipeline } from '../pipeline/pipeline.js';
import type { PipelineModel } from '../pipeline/scoring-model.js';
import type { BatchResult } from '../pipeline/types.js';
import { buildSinks } from '../sinks/build.js';
import type { KafkaSink } from '../sinks/kafka-sink.js';
import type { Sink } from '../sinks/sink.js';
import { deliverInOrder } from './deliver-in-order.js';
import { dropStale } from './drop-stale.js';
import { version } from '../version.js';

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/** How often the pipeline is told the wall-clock time, for silent sources. */
const WALL_CLOCK_TICK_MS = 1000;

export interface DaemonOptions {
  loaded: LoadedConfig;
  models: ReadonlyMap<string, PipelineModel>;
  log: Logger;
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
  /** The sinks that see a batch once the Kafka sink committed it. */
  private sinksAfterKafka: Sink[] = [];
  private server: MetricsServer | undefined;
  readonly metrics: AnomalydMetrics;
  readonly pipeline: ScoringPipeline<KafkaSourceRef>;
  private readonly log: Logger;

  constructor(private readonly opts: DaemonOptions) {
    const { config } = opts.loaded;
    this.log = opts.log;
    this.pipeline = pipelineFromConfig<KafkaSourceRef>(config, opts.models, {
      laneOf: (ref) => ref.lane ?? tpKey(ref),
      snapshots: true,
    });
    this.metrics = new AnomalydMetrics({ maxStreamLabels: config.metrics.maxStreamLabels });
    const backends = [...new Set([...opts.models.values()].map((m) => m.backend))].join(',');
    this.metrics.setBuildInfo(version, backends);
  }

  get metricsUrl(): string | undefined {
    return this.server?.url;
  }

  private onExit: (code: number) => void = () => {};
  /** Resolves with the exit code once the daemon stopped, whatever stopped it (a signal or a failure). */
  readonly exited: Promise<number> = new Promise((resolve) => (this.onExit = resolve));

  /** Resolves once the daemon is consuming (or stopping before it got there). */
  async start(): Promise<void> {
    const { config } = this.opts.loaded;
    const isStopping = () => this.stopping;
    if (config.metrics.enabled) {
      this.server = await startMetricsServer({
        host: config.metrics.host,
        port: config.metrics.port,
        metrics: this.metrics,
        web: this.opts.loaded.metricsWeb,
        probesWithoutAuth: config.metrics.probesWithoutAuth,
        readiness: () => {
          const models = [...this.opts.models.values()];
          const checks = {
            modelsLoaded: models.length > 0,
            inputTopicsExist: this.source !== undefined && this.source.waitingFor === undefined,
            consumerJoined: this.source?.isJoined ?? false,
            scoringHealthy: models.every((m) => m.healthy?.() ?? true),
          };
          const reasons: Record<string, string> = {};
          const waiting = this.source?.waitingFor;
          if (waiting !== undefined) reasons.inputTopicsExist = waiting;
          const restarting = models.filter((m) => !(m.healthy?.() ?? true)).map((m) => m.name);
          if (restarting.length > 0) reasons.scoringHealthy = `scoring worker of ${restarting.join(', ')} is being restarted`;
          return { ready: Object.values(checks).every(Boolean), checks, reasons };
        },
      });
      const web = this.opts.loaded.metricsWeb;
      const secured = { tls: web?.tls !== undefined, basicAuth: Object.keys(web?.users ?? {}).length > 0 };
      this.log.info({ url: `${this.server.url}/metrics`, ...secured }, 'serving metrics');
      if (!isLoopback(config.metrics.host) && !(secured.tls && secured.basicAuth)) {
        this.log.warn(
          { host: config.metrics.host, ...secured },
          'metrics are served beyond this host without TLS and basic auth: anyone who reaches the port reads stream ids and their latest values; set metrics.webConfigFile (docs/SECURITY.md)',
        );
      }
    }

    for (const warning of insecureKafkaSettings(config.kafka)) this.log.warn({ setting: 'kafka.allowInsecure' }, `insecure Kafka connection allowed: ${warning}`);
    const kafka = createKafka(config.kafka, this.log);
    // The first contact has no kafkajs connection retries of its own, so every connection failure
    // reaches the diagnosis at once: a wrong password or an untrusted certificate stops the daemon
    // instead of being retried. The admin's own requests (e.g. waiting for new topics' leaders) keep theirs.
    const { initialRetryTimeMs, maxRetryTimeMs, retries } = config.kafka.retry;
    const admin = createKafka({ ...config.kafka, retry: { ...config.kafka.retry, retries: 0 } }, this.log).admin({
      retry: { initialRetryTime: initialRetryTimeMs, maxRetryTime: maxRetryTimeMs, retries },
    });
    const diagnose = (err: unknown) => diagnoseUnrecoverable(err, config.kafka);
    this.kafka = kafka;
    const created = await retryUntilStopped('preparing the alert and dead-letter topics', async () => {
      await admin.connect();
      try {
        const made = await ensureTopics(admin, [{ topic: config.alerts.topic }, { topic: config.deadLetter.topic }]);
        if (made.length > 0) this.log.info({ topics: made }, 'created topics');
      } finally {
        await admin.disconnect();
      }
    }, isStopping, this.log, { diagnose });
    if (!created) return;
    // The admin of restores (changelog topic, committed offsets), with kafkajs' own retries.
    this.admin = kafka.admin();
    if (!(await retryUntilStopped('connecting the admin client', () => this.admin.connect(), isStopping, this.log, { diagnose }))) return;

    this.producers = new PartitionProducers(
      kafka,
      { prefix: transactionalIdPrefix(config), transactionTimeoutMs: config.delivery.transactionTimeoutMs, groupId: config.kafka.groupId, maxRetryTimeMs: config.kafka.retry.maxRetryTimeMs },
      this.log,
    );
    this.source = new KafkaSource(
      kafka,
      {
        groupId: config.kafka.groupId,
        topics: config.input.topics,
        fromBeginning: config.input.fromBeginning,
        decode: { fields: config.input.fields, maxTimestampSkewMs: config.input.maxTimestampSkewMs },
        maxInFlight: config.daemon.maxInFlight,
        maxInFlightBytes: config.daemon.maxInFlightBytes,
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
      epochOf: (tp) => this.source.epochOf(tp),
      unready: (tp) => this.source.unready(tp),
      committedOffset: async (tp) => (await this.committedOffsets([tp])).get(tpKey(tp)),
      onCommitted: (tp, offset) => this.committed.set(tp.topic, tp.partition, offset),
      isStopping,
    });
    this.sinksAfterKafka = sinks.afterKafka;
    this.kafkaSink = sinks.kafka;

    this.drained = new Promise<void>((resolve, reject) => {
      const events = this.source.events$.pipe(
        tap((e) => {
          if (!('rejected' in e)) this.streamPartition.set(e.stream, tpKey(e.source!));
        }),
        share(),
      );
      // The wall clock, so a source is found silent even when its whole partition goes quiet and no
      // event moves event time on; the ticks end with the input.
      const ticks = interval(WALL_CLOCK_TICK_MS).pipe(
        map(() => ({ tick: Date.now() })),
        takeUntil(events.pipe(ignoreElements(), endWith(true))),
      );
      this.subscription = merge(events, ticks)
        .pipe(
          this.pipeline.operator(),
          deliverInOrder(
            (result) => this.startDelivery(result),
            (result, live) => this.completeDelivery(result, live),
          ),
        )
        .subscribe({ complete: resolve, error: reject });
    });
    this.drained.catch((err) => {
      this.log.fatal({ err }, 'pipeline failed');
      void this.stop('pipeline failure', true);
    });

    this.gaugeTimer = setInterval(() => this.updateGauges(), 1000);
    if (await this.source.start(kafka, isStopping)) this.log.info({ topics: config.input.topics, groupId: config.kafka.groupId }, 'consuming');
  }

  /**
   * Stop fetching, finish in-flight batches, deliver, commit, disconnect. Resolves with the exit
   * code: 0 when everything drained within shutdownTimeoutMs, 1 when the timeout cut it short
   * (the uncommitted events are read again on the next start) or when an error is the reason.
   */
  stop(reason = 'requested', failed = false): Promise<number> {
    this.stopped ??= this.shutdown(reason).then((code) => (failed ? Math.max(code, 1) : code));
    void this.stopped.then(this.onExit);
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
    await Promise.allSettled([this.source?.disconnect(), ...[this.kafkaSink, ...this.sinksAfterKafka].map((s) => s?.close?.()), this.admin?.disconnect(), this.server?.close()]);
    this.log.info({ code }, 'stopped');
    return code;
  }

  /**
   * Hands the batch, less what went stale, to the Kafka sink at once: a partition's transaction
   * need not wait for the other partitions' (see KafkaSink). Resolves with what was delivered.
   */
  private async startDelivery(result: BatchResult<KafkaSourceRef>): Promise<BatchResult<KafkaSourceRef>> {
    const live = dropStale(result, (tp, epoch) => this.source.isCurrent(tp, epoch), (stream) => this.partitionOf(stream));
    if (live.sources.length > 0 || live.alerts.length > 0 || live.state.length > 0) await this.kafkaSink.deliver(live);
    return live;
  }

  /** In arrival order, once the batch is committed: the other sinks, then its events count as complete. */
  private async completeDelivery(result: BatchResult<KafkaSourceRef>, live: BatchResult<KafkaSourceRef>): Promise<void> {
    if (live.sources.length > 0 || live.alerts.length > 0 || live.state.length > 0) for (const sink of this.sinksAfterKafka) await sink.deliver(live);
    const evicted = result.evicted ?? [];
    if (evicted.length > 0) {
      this.forgetStreams(evicted.filter((stream) => !this.pipeline.holds(stream)));
      this.metrics.observeEvicted(evicted.length);
      this.log.info({ streams: evicted.length, sample: evicted.slice(0, 5) }, 'idle streams evicted');
    }
    // As of this delivery, not only as of the next gauge tick: the batch's offsets are committed already.
    this.metrics.setActiveStreams(this.pipeline.activeStreams);
    let bytes = 0;
    for (const ref of result.sources) bytes += refBytes(ref);
    this.source.completed(result.events, bytes);
  }

  private partitionOf(stream: string): TopicPartition | undefined {
    const key = this.streamPartition.get(stream);
    if (key === undefined) return undefined;
    const [topic, partition] = key.split('\u0000');
    return { topic, partition: Number(partition) };
  }

  /** State of evicted or revoked streams kept outside the pipeline. */
  private forgetStreams(streams: readonly string[]): void {
    for (const stream of streams) this.streamPartition.delete(stream);
    this.metrics.forgetStreams(streams);
  }

  /**
   * Before a partition's first batch (after every rebalance, and after a fenced transaction):
   * fence its transactional id (aborting whatever a previous owner left open), read its committed
   * offset, and load its streams' state from the changelog. Nothing fetched is in flight here.
   * The streams of partitions no longer owned (revoked) or being prepared are dropped first.
   */
  private async preparePartitions(tps: TopicPartition[]): Promise<Map<string, bigint | undefined>> {
    const { config } = this.opts.loaded;
    const topic = changelogTopic(config);
    let committed = new Map<string, bigint | undefined>();
    const ok = await retryUntilStopped('restoring partition state', async () => {
      const preparing = new Set(tps.map(tpKey));
      const goneKey = (key: string) => {
        if (preparing.has(key)) return true;
        const [t, p] = key.split('\u0000');
        return !this.source.owns(t, Number(p));
      };
      const gone = (stream: string) => {
        const key = this.streamPartition.get(stream);
        return key === undefined || goneKey(key);
      };
      const dropped = this.pipeline.dropStreams(gone);
      // A lane is a partition (laneOf): its silence watermark goes with it and comes back with its next event.
      this.pipeline.forgetLanes(goneKey);
      this.forgetStreams(dropped);
      for (const stream of [...this.streamPartition.keys()]) if (gone(stream)) this.streamPartition.delete(stream);
      this.committed.forget((t, p) => this.source.owns(t, p));

      this.log.debug('restore: dropping done, ensuring the changelog topic');
      const changelog = await ensureChangelog(this.admin, topic, [...new Set(tps.map((tp) => tp.topic))]);
      if (changelog !== 'ok') this.log.info({ topic, changelog }, 'state changelog topic');
      this.log.debug('restore: fencing');
      await Promise.all(tps.map((tp) => this.producers.fence(tp)));
      this.log.debug('restore: reading committed offsets');
      committed = await this.committedOffsets(tps);
      this.log.debug('restore: reading the changelog');
      const restored = await readChangelog(this.kafka, topic, tps, config.kafka.groupId, (stream, err) =>
        this.log.warn({ stream, err: err.message }, 'unreadable state record in the changelog: the stream starts afresh'),
      );
      let streams = 0;
      for (const [stream, r] of restored) {
        this.pipeline.restore(stream, r.snapshot, tpKey(r.input));
        this.streamPartition.set(stream, tpKey(r.input));
        streams++;
      }
      for (const tp of tps) this.kafkaSink.prepared(tp, committed.get(tpKey(tp)));
      this.log.info({ partitions: tps.length, restoredStreams: streams, droppedStreams: dropped.length }, 'state restored from the changelog');
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
    this.metrics.setActiveStreams(this.pipeline.activeStreams);
  }
}
