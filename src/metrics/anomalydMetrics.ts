import { collectDefaultMetrics, Registry } from 'prom-client';
import type { BatchResult, RejectReason } from '../pipeline/types.js';
import { AlertEpisodeCounter } from './alertEpisodes.js';
import { BuildInfo } from './buildInfo.js';
import { registerCadence } from './cadence.js';
import { ConsumerGauges } from './consumer.js';
import { registerEpisodeOpen } from './episodeOpen.js';
import { registerExpectedValue } from './expectedValue.js';
import { FaultCounters } from './faults.js';
import { InferenceHistograms } from './inference.js';
import { registerLastEventTimestamp } from './lastEventTimestamp.js';
import { StreamActivity } from './streamActivity.js';
import { StreamLabeler } from './streamLabels.js';
import { StreamSeries } from './streamSeries.js';
import { ThroughputCounters } from './throughput.js';

export interface AnomalydMetricsOptions {
  /** Distinct streams that get their own `stream` label value; later ones fold into `__other__`. */
  maxStreamLabels: number;
  /** Defaults to a new Registry owned by this instance. */
  registry?: Registry;
  /** Register prom-client's standard process_* and nodejs_* metrics (default true). */
  collectDefault?: boolean;
}

/** Every anomalyd metric, registered on one Registry and fed by the daemon. */
export class AnomalydMetrics {
  readonly registry: Registry;
  private readonly labeler: StreamLabeler;
  private readonly series: StreamSeries;
  private readonly activity: StreamActivity;
  private readonly episodes: AlertEpisodeCounter;
  private readonly counters: ThroughputCounters;
  private readonly inference: InferenceHistograms;
  private readonly consumer: ConsumerGauges;
  private readonly buildInfo: BuildInfo;
  private readonly faults: FaultCounters;

  constructor(opts: AnomalydMetricsOptions) {
    this.registry = opts.registry ?? new Registry();
    this.counters = new ThroughputCounters(this.registry);
    this.labeler = new StreamLabeler(
      opts.maxStreamLabels,
      () => this.counters.folded.inc(),
      (label) => this.counters.initAlerts(label),
    );
    this.series = new StreamSeries(this.labeler, this.registry);
    registerExpectedValue(this.registry, this.series);
    this.activity = new StreamActivity(this.labeler);
    registerLastEventTimestamp(this.registry, this.activity);
    registerCadence(this.registry, this.activity);
    registerEpisodeOpen(this.registry, this.activity);
    this.episodes = new AlertEpisodeCounter(this.registry);
    this.inference = new InferenceHistograms(this.registry);
    this.consumer = new ConsumerGauges(this.registry);
    this.buildInfo = new BuildInfo(this.registry);
    this.faults = new FaultCounters(this.registry);
    if (opts.collectDefault ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /**
   * Records one micro-batch: per-stream gauges (expected value, newest event, cadence and open
   * episodes included), event, alert and episode counters, inference histograms and event-to-score latency (`nowMs - receivedAt` of each scored window that carries `receivedAt`).
   * Rejected events are counted as an outcome of `anomalyd_events_total` only; report their reasons
   * with {@link observeRejected} when they are dead-lettered.
   */
  observeBatch(result: BatchResult, nowMs: number = Date.now()): void {
    const scored = result.scored;
    const latency = this.inference.eventToScore;
    for (let i = 0; i < scored.length; i++) {
      const w = scored[i];
      this.series.observe(w);
      this.activity.observeWindow(w);
      if (w.receivedAt !== undefined) latency.observe(Math.max(0, nowMs - w.receivedAt) / 1000);
    }
    this.counters.countEvents('scored', scored.length);
    this.counters.countEvents('rejected', result.rejected.length);
    this.counters.countEvents('warming_up', result.events - scored.length - result.rejected.length);
    for (const alert of result.alerts) {
      this.counters.countAlert(this.labeler.label(alert.stream), alert.state);
      this.activity.observeAlert(alert);
      if (alert.state === 'open') this.episodes.countOpened(alert.kind);
    }
    for (const stat of result.inference) {
      if (stat.windows === 0) continue;
      const labels = { model: stat.model, backend: stat.backend };
      this.inference.batchSize.observe(labels, stat.windows);
      this.inference.duration.observe(labels, stat.seconds);
    }
  }

  /**
   * Forgets the newest-event time, cadence and open episodes of streams this instance no longer
   * receives (their partition was revoked), so they do not look silent here.
   */
  dropStreams(predicate: (stream: string) => boolean): void {
    this.activity.drop(predicate);
  }

  /** Counts events dead-lettered for `reason` (from BatchResult.rejected or rejected before the pipeline). */
  observeRejected(reason: RejectReason, count = 1): void {
    this.counters.countInvalid(reason, count);
  }

  /** Counts an outgoing message that was parked (never sent) for `reason`. */
  observeParked(topic: string, reason: string): void {
    this.faults.parked.inc({ topic, reason });
  }

  /** Counts a scoring worker restart. */
  observeWorkerRestart(model: string, cause: 'crash' | 'timeout'): void {
    this.faults.workerRestarts.inc({ model, cause });
  }

  /** Streams no longer held (evicted, or their partitions revoked): their series, label slots and alert counters go. */
  forgetStreams(streams: readonly string[]): void {
    const gone = new Set(streams);
    this.activity.drop((stream) => gone.has(stream));
    for (const stream of streams) {
      const label = this.labeler.forget(stream);
      this.series.forget(stream);
      if (label !== undefined) this.counters.removeAlerts(label);
    }
  }

  observeEvicted(streams: number): void {
    if (streams > 0) this.faults.evicted.inc(streams);
  }

  setConsumerLag(topic: string, partition: number, lag: number): void {
    this.consumer.lag.set({ topic, partition: String(partition) }, lag);
  }

  /** Drops every lag series, e.g. after a rebalance revoked partitions. */
  clearConsumerLag(): void {
    this.consumer.lag.reset();
  }

  setActiveStreams(n: number): void {
    this.consumer.activeStreams.set(n);
  }

  /** Sets `anomalyd_build_info{version,backend} 1` (replacing any earlier value). */
  setBuildInfo(version: string, backend: string): void {
    this.buildInfo.set(version, backend);
  }

  /** Prometheus text exposition of every metric. */
  async expose(): Promise<string> {
    return this.registry.metrics();
  }
}
