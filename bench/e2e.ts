import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { tap } from 'rxjs';
import type { Kafka } from 'kafkajs';
import { pino } from 'pino';
import { Daemon } from '../src/daemon/daemon.js';
import type { KafkaSourceRef } from '../src/kafka/source-ref.js';
import type { PipelineModel } from '../src/pipeline/scoring-model.js';
import type { BatchResult } from '../src/pipeline/types.js';
import { benchDaemonConfig } from './daemon-config.js';
import type { Progress } from './progress.js';
import { percentile } from './timing.js';

export interface E2eResult {
  events: number;
  seconds: number;
  eventsPerSecond: number;
  alerts: number;
  /** Fetch (receivedAt) → delivered, per scored window, ms. With a backlog this is mostly queueing. */
  fetchToScoredMs: { p50: number; p99: number; max: number };
  /** Broker append (producer CreateTime) → delivered, per event, ms. */
  produceToDeliveredMs: { p50: number; p99: number; max: number };
  /**
   * Event to alert: from the producer's timestamp of the event whose window raised an alert
   * message (open, update or resolved; silences have no such event) to that message acknowledged by
   * the broker (the daemon records a batch's metrics after its alerts are delivered), ms.
   */
  eventToAlertMs?: { p50: number; p99: number; max: number; alerts: number };
  /** The same two latencies over the events produced `warmupMs` or more after the run's first event (paced runs). */
  afterWarmup?: { warmupMs: number; produceToDeliveredMs: { p50: number; p99: number; max: number }; eventToAlertMs: { p50: number; p99: number; max: number; alerts: number } };
  /** From anomalyd_event_to_score_latency_seconds (histogram bucket bounds), s. */
  histogram: { p50: string; p99: string };
  logFile: string;
  maxBatch: number;
  maxLatencyMs: number;
}

export interface E2eOptions {
  kafka: Kafka;
  brokers: string[];
  topic: string;
  events: number;
  model: PipelineModel;
  progress: Progress;
  label: string;
  inference?: { maxBatch?: number; maxLatencyMs?: number };
  /** Resolves once the daemon consumes; the run ends when `events` are committed. */
  whileRunning?: () => Promise<void>;
  /** Also report the latencies of the events produced this long after the first one (the start-up's first batches left out). */
  warmupMs?: number;
  /**
   * Trace each alert to the event whose window raised it (event→alert). It keeps every event in
   * flight in a map on the daemon's thread (~1.5 µs an event, ~7 % of a backlog run's time), so the
   * backlog run, whose latencies are queueing anyway, leaves it out.
   */
  traceAlerts?: boolean;
}

/**
 * The real Daemon, in-process, against the real broker: from its first fetched event to the commit
 * that covers the last one. Latencies are taken where the daemon records its own metrics.
 */
export async function benchDaemon(opts: E2eOptions): Promise<E2eResult> {
  const tag = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
  const groupId = `bench-daemon-${tag}`;
  const alertsTopic = `bench-alerts-${tag}`;
  const loaded = benchDaemonConfig({ brokers: opts.brokers, topic: opts.topic, groupId, alerts: alertsTopic, deadLetter: `bench-dlq-${tag}`, inference: opts.inference });
  const logFile = join(mkdtempSync(join(tmpdir(), 'anomalyd-bench-')), 'daemon.log');
  const log = pino({ level: 'info', base: { name: 'anomalyd' } }, pino.destination({ dest: logFile, sync: false }));
  const daemon = new Daemon({ loaded, models: new Map([['eps-gru', opts.model]]), log });

  let firstEventAt = 0;
  const operator = daemon.pipeline.operator.bind(daemon.pipeline);
  // The producer's timestamp of each event in flight, by stream and event time, so an alert can be
  // traced to the event whose window raised it (its detectedAt is that window's event time).
  const producedAt = new Map<string, number>();
  daemon.pipeline.operator = () => (input) =>
    operator()(
      input.pipe(
        tap((item) => {
          if (firstEventAt === 0) firstEventAt = performance.now();
          if (opts.traceAlerts && 'stream' in item && item.source !== undefined) producedAt.set(`${item.stream}\u0000${item.ts}`, (item.source as KafkaSourceRef).timestamp);
        }),
      ),
    );
  const eventToAlert: number[] = [];
  // [producer timestamp, latency] of every event and every traced alert, for the after-warm-up figures.
  const producedDelivered: [number, number][] = [];
  const producedAlerted: [number, number][] = [];
  const fetchToScored = new Float64Array(opts.events);
  const produceToDelivered = new Float64Array(opts.events);
  let nScored = 0;
  let nDelivered = 0;
  let nAlerts = 0;
  const observe = daemon.metrics.observeBatch.bind(daemon.metrics);
  daemon.metrics.observeBatch = (result: BatchResult, nowMs = Date.now()) => {
    for (const w of result.scored) if (w.receivedAt !== undefined && nScored < fetchToScored.length) fetchToScored[nScored++] = nowMs - w.receivedAt;
    for (const s of result.sources as KafkaSourceRef[]) {
      if (nDelivered < produceToDelivered.length) produceToDelivered[nDelivered++] = nowMs - s.timestamp;
      if (opts.warmupMs !== undefined) producedDelivered.push([s.timestamp, nowMs - s.timestamp]);
    }
    if (opts.traceAlerts) for (const a of result.alerts) {
      const produced = a.detectedAt === null ? undefined : producedAt.get(`${a.stream}\u0000${Date.parse(a.detectedAt)}`);
      if (a.kind !== 'silence' && produced !== undefined) {
        eventToAlert.push(nowMs - produced);
        if (opts.warmupMs !== undefined) producedAlerted.push([produced, nowMs - produced]);
      }
    }
    if (opts.traceAlerts) for (const w of result.scored) producedAt.delete(`${w.stream}\u0000${w.ts}`);
    nAlerts += result.alerts.length;
    observe(result, nowMs);
  };

  const admin = opts.kafka.admin();
  await admin.connect();
  opts.progress.start(opts.label, opts.events);
  await daemon.start();
  const feeding = opts.whileRunning?.();
  let committedAt = 0;
  for (;;) {
    const offsets = await admin.fetchOffsets({ groupId, topics: [opts.topic] });
    const committed = offsets[0].partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
    opts.progress.update(committed);
    if (committed >= opts.events) {
      committedAt = performance.now();
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  opts.progress.stop();
  await feeding;
  const histogram = await histogramQuantiles(daemon);
  const code = await daemon.stop('bench done');
  if (code !== 0) throw new Error(`the daemon stopped with code ${code}; see ${logFile}`);
  await admin.deleteGroups([groupId]).catch(() => {});
  await admin.disconnect();
  log.flush();

  const seconds = (committedAt - firstEventAt) / 1000;
  return {
    events: opts.events,
    seconds,
    eventsPerSecond: opts.events / seconds,
    // Counted as delivered, not from the topic's end offsets: those include a transaction marker per commit.
    alerts: nAlerts,
    fetchToScoredMs: quantiles(fetchToScored.subarray(0, nScored)),
    produceToDeliveredMs: quantiles(produceToDelivered.subarray(0, nDelivered)),
    eventToAlertMs: opts.traceAlerts ? { ...quantiles(Float64Array.from(eventToAlert)), alerts: eventToAlert.length } : undefined,
    afterWarmup: opts.warmupMs === undefined ? undefined : afterWarmup(opts.warmupMs, producedDelivered, producedAlerted),
    histogram,
    logFile,
    maxBatch: loaded.config.inference.maxBatch,
    maxLatencyMs: loaded.config.inference.maxLatencyMs,
  };
}

function afterWarmup(warmupMs: number, delivered: [number, number][], alerted: [number, number][]): E2eResult['afterWarmup'] {
  const first = delivered.reduce((m, [t]) => Math.min(m, t), Infinity);
  const later = (xs: [number, number][]) => Float64Array.from(xs.filter(([t]) => t >= first + warmupMs).map(([, latency]) => latency));
  const alerts = later(alerted);
  return { warmupMs, produceToDeliveredMs: quantiles(later(delivered)), eventToAlertMs: { ...quantiles(alerts), alerts: alerts.length } };
}

function quantiles(xs: Float64Array): { p50: number; p99: number; max: number } {
  const sorted = Float64Array.from(xs).sort();
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.length ? sorted[sorted.length - 1] : NaN };
}

/** The bucket bound at which the daemon's own histogram reaches p50 and p99 (what a Grafana histogram_quantile sees, before interpolation). */
async function histogramQuantiles(daemon: Daemon): Promise<{ p50: string; p99: string }> {
  const metric = await daemon.metrics.registry.getSingleMetric('anomalyd_event_to_score_latency_seconds')!.get();
  const buckets = (metric.values as { metricName?: string; labels: Record<string, unknown>; value: number }[]).filter((v) => v.metricName?.endsWith('_bucket')).map((v) => ({ le: String(v.labels.le), n: v.value }));
  const total = buckets.find((b) => b.le === '+Inf')?.n ?? 0;
  const at = (q: number) => buckets.find((b) => b.n >= q * total)?.le ?? 'n/a';
  return { p50: `≤${at(0.5)}`, p99: `≤${at(0.99)}` };
}
