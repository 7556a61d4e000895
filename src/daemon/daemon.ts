import { endWith, ignoreElements, interval, map, merge, share, takeUntil, tap, type Subscription } from 'rxjs';
import { Partitioners, type Producer } from 'kafkajs';
import type { LoadedConfig } from '../config/load.js';
import { insecureKafkaSettings } from '../config/schema.js';
import type { Logger } from '../log.js';
import { AnomalydMetrics, startMetricsServer, type MetricsServer } from '../metrics/index.js';
import { createKafka } from '../kafka/client.js';
import { compressionType } from '../kafka/compression/codecs.js';
import { deliver, type ProducerHandle } from '../kafka/delivery.js';
import { OffsetTracker } from '../kafka/offset-tracker.js';
import { retryUntilStopped } from '../kafka/retry.js';
import { diagnoseUnrecoverable } from '../kafka/unrecoverable.js';
import { KafkaSource, refBytes, type Assignment } from '../kafka/source.js';
import type { KafkaSourceRef } from '../kafka/source-ref.js';
import { ensureTopics } from '../kafka/topics.js';
import { coalesceWhileBusy } from '../pipeline/coalesce-while-busy.js';
import { pipelineFromConfig } from '../pipeline/from-config.js';
import type { ScoringPipeline } from '../pipeline/pipeline.js';
import type { PipelineModel } from '../pipeline/scoring-model.js';
import type { BatchResult } from '../pipeline/types.js';
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
  /** How often delivered offsets are committed. */
  commitIntervalMs?: number;
}

/**
 * `anomalyd run`: Kafka source → scoring pipeline → alerts and dead letters → offset commits,
 * with metrics alongside. At-least-once: an offset is committed only after the alerts and dead
 * letters of its event (and of every event before it in its partition) are acknowledged.
 */
export class Daemon {
  private stopping = false;
  private stopped: Promise<number> | undefined;
  private subscription: Subscription | undefined;
  private commitTimer: NodeJS.Timeout | undefined;
  private committing: Promise<void> = Promise.resolve();
  private readonly tracker = new OffsetTracker();
  private readonly streamPartition = new Map<string, string>();
  private drained!: Promise<void>;
  private source!: KafkaSource;
  private producer!: Producer;
  private producerHandle!: ProducerHandle;
  private server: MetricsServer | undefined;
  readonly metrics: AnomalydMetrics;
  readonly pipeline: ScoringPipeline<KafkaSourceRef>;
  private readonly log: Logger;

  constructor(private readonly opts: DaemonOptions) {
    const { config } = opts.loaded;
    this.log = opts.log;
    this.pipeline = pipelineFromConfig<KafkaSourceRef>(config, opts.models, {
      laneOf: (ref) => `${ref.topic}\u0000${ref.partition}`,
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

    // Idempotence needs unlimited retries (kafkajs warns otherwise); `deliver` logs while they go on.
    const newProducer = () =>
      kafka.producer({
        // A topic is created by ensureTopics with the cluster's settings, never implicitly by a send.
        allowAutoTopicCreation: false,
        idempotent: true,
        maxInFlightRequests: 1,
        createPartitioner: Partitioners.DefaultPartitioner,
        retry: { retries: Number.MAX_SAFE_INTEGER, maxRetryTime: config.kafka.retry.maxRetryTimeMs },
      });
    this.producer = newProducer();
    if (!(await retryUntilStopped('connecting the producer', () => this.producer.connect(), isStopping, this.log, { diagnose }))) return;
    const daemon = this;
    this.producerHandle = {
      get current() {
        return daemon.producer;
      },
      async renew() {
        const old = daemon.producer;
        daemon.producer = newProducer();
        await old.disconnect().catch(() => {});
        await daemon.producer.connect();
        daemon.log.warn('a send was refused for good: producer renewed, its messages go one by one');
      },
    };

    this.source = new KafkaSource(
      kafka,
      {
        groupId: config.kafka.groupId,
        topics: config.input.topics,
        fromBeginning: config.input.fromBeginning,
        decode: { fields: config.input.fields, maxTimestampSkewMs: config.input.maxTimestampSkewMs },
        maxInFlight: config.daemon.maxInFlight,
        maxInFlightBytes: config.daemon.maxInFlightBytes,
      },
      this.log,
    );
    this.source.onRevoked = (revoked) => this.dropRevoked(revoked);

    this.drained = new Promise<void>((resolve, reject) => {
      const events = this.source.events$.pipe(
        tap((e) => {
          if (!('rejected' in e)) this.streamPartition.set(e.stream, `${e.source!.topic}\u0000${e.source!.partition}`);
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
          // The batches finished while a delivery waited for the broker go out together in the next one.
          coalesceWhileBusy((results) => this.deliver(results)),
        )
        .subscribe({ complete: resolve, error: reject });
    });
    this.drained.catch((err) => {
      this.log.fatal({ err }, 'pipeline failed');
      void this.stop('pipeline failure', true);
    });

    this.commitTimer = setInterval(() => void this.commit(), this.opts.commitIntervalMs ?? 500);
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
        await this.commit();
        this.log.info({ pending: this.source.pending }, 'drained and committed');
      } else {
        code = 1;
        this.log.error({ outcome, inFlight: this.source.pending }, 'shutdown did not drain; uncommitted events will be read again');
      }
    }
    clearTimeout(timer);
    clearInterval(this.commitTimer);
    this.subscription?.unsubscribe();
    await Promise.allSettled([this.source?.disconnect(), this.producer?.disconnect(), this.server?.close()]);
    this.log.info({ code }, 'stopped');
    return code;
  }

  /** Delivers the alerts and dead letters of `results` (in order, in as few sends as fit), then completes each result in turn. */
  private async deliver(results: BatchResult<KafkaSourceRef>[]): Promise<void> {
    const { config } = this.opts.loaded;
    // Alerts must not be lost: keep retrying until the broker takes them or shutdown gives up.
    const delivery = {
      topics: { alerts: config.alerts.topic, deadLetter: config.deadLetter.topic },
      maxMessageBytes: config.daemon.maxMessageBytes,
      compression: compressionType(config.alerts.compression),
    };
    const alerts = results.length === 1 ? results[0].alerts : results.flatMap((r) => r.alerts);
    const rejected = results.length === 1 ? results[0].rejected : results.flatMap((r) => r.rejected);
    let delivered = false;
    for (let attempt = 1, delay = 500; !delivered; attempt++, delay = Math.min(delay * 2, 10_000)) {
      try {
        const parked = await deliver(this.producerHandle, delivery, alerts, rejected);
        for (const p of parked) {
          this.log.error(p, 'message parked: it can never be delivered, so it is not retried');
          this.metrics.observeParked(p.topic, p.reason);
        }
        delivered = true;
      } catch (err) {
        this.log.error({ err: (err as Error).message, attempt, alerts: alerts.length, deadLetters: rejected.length }, 'delivery failed; retrying');
        await new Promise((r) => setTimeout(r, delay).unref());
      }
    }
    for (const result of results) this.completed(result);
  }

  /** A delivered batch: logged, recorded in the metrics, its evictions applied, its offsets marked and its in-flight share released. */
  private completed(result: BatchResult<KafkaSourceRef>): void {
    for (const a of result.alerts) {
      this.log.info({ alertId: a.alertId, state: a.state, stream: a.stream, score: a.score, threshold: a.threshold }, 'alert');
    }
    for (const r of result.rejected) this.metrics.observeRejected(r.reason);
    this.metrics.observeBatch(result);
    // Streams evicted by this batch lose their series after its windows were recorded, never before.
    const evicted = result.evicted ?? [];
    if (evicted.length > 0) {
      this.forgetStreams(evicted);
      this.metrics.observeEvicted(evicted.length);
      this.log.info({ streams: evicted.length, sample: evicted.slice(0, 5) }, 'idle streams evicted');
    }
    this.tracker.markDelivered(result.sources);
    let bytes = 0;
    for (const ref of result.sources) bytes += refBytes(ref);
    this.source.completed(result.events, bytes);
  }

  private commit(): Promise<void> {
    this.committing = this.committing.then(async () => {
      const pending = this.tracker.pending();
      if (pending.length === 0) return;
      try {
        await this.source.commit(pending);
        this.tracker.markCommitted(pending);
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'offset commit failed; will retry');
      }
      this.metrics.clearConsumerLag();
      for (const l of this.source.lag((t, p) => this.tracker.committedOffset(t, p))) this.metrics.setConsumerLag(l.topic, l.partition, l.lag);
      this.metrics.setActiveStreams(this.pipeline.activeStreams);
    });
    return this.committing;
  }

  /** State of evicted or revoked streams kept outside the pipeline. */
  private forgetStreams(streams: readonly string[]): void {
    for (const stream of streams) this.streamPartition.delete(stream);
    this.metrics.forgetStreams(streams);
  }

  private dropRevoked(revoked: Assignment): void {
    const gone = new Set([...revoked].flatMap(([topic, parts]) => [...parts].map((p) => `${topic}\u0000${p}`)));
    const droppedStreams = this.pipeline.dropStreams((stream) => gone.has(this.streamPartition.get(stream) ?? ''));
    this.pipeline.forgetLanes((lane) => gone.has(lane));
    this.forgetStreams(droppedStreams);
    const dropped = droppedStreams.length;
    for (const [stream, tp] of this.streamPartition) if (gone.has(tp)) this.streamPartition.delete(stream);
    this.tracker.forget((t, p) => this.source.owns(t, p));
    this.log.info({ revoked: Object.fromEntries([...revoked].map(([t, ps]) => [t, [...ps]])), droppedStreams: dropped }, 'partitions revoked; their streams warm up again');
  }
}
