import { concatMap, map, type OperatorFunction } from 'rxjs';
import type { AlertPolicy } from '../config/schema.js';
import { EpisodeTracker } from './episodes.js';
import { augmentedFeatureCount, augmentEvent, ownFeatureError } from './feature-augment.js';
import { microBatch } from './micro-batch.js';
import type { StreamRouter } from './router.js';
import { scoreWindows } from './score-batch.js';
import { SCORING_DEFAULTS, ScoreTransforms, type ScoringConfig } from './score-transform.js';
import type { PipelineModel } from './scoring-model.js';
import type { Alert, BatchResult, InferenceStat, MetricEvent, Rejected, ScoredWindow, Window } from './types.js';
import { StreamWindows } from './windows.js';

export interface PipelineOptions {
  router: StreamRouter;
  models: ReadonlyMap<string, PipelineModel>;
  maxBatch: number;
  maxLatencyMs: number;
  /** Streams held at once; events of a new stream beyond it are rejected as `stream_limit` (0 or absent: no cap). */
  maxActiveStreams?: number;
  /** A stream is evicted once the input's event time advanced this far without an event of it (0 or absent: never). */
  idleEvictAfterMs?: number;
  /** Told which streams were evicted, after their pipeline state is gone, for state kept outside the pipeline (metrics). */
  onEvicted?: (streams: string[]) => void;
}

/** An input is either an event or something a decoder already rejected (so it is delivered and committed in order). */
export type PipelineInput<S> = MetricEvent<S> | { rejected: Rejected<S> };

type ScoredBatch<S> = { staged: Extract<Staged<S>, { kind: 'window' }>[]; scored: ScoredWindow[]; inference: InferenceStat[] };

type Staged<S> =
  | { kind: 'window'; window: Window; threshold: number; policy: AlertPolicy; scoring: ScoringConfig; ownFeatures: number; source?: S }
  | { kind: 'warming'; source?: S }
  | { kind: 'rejected'; rejected: Rejected<S> };

/**
 * The scoring pipeline shared by the daemon and the offline replay:
 * event → route → per-stream window → micro-batch → batched inference → score transform → threshold → alert episodes.
 * State (windows, episodes) lives in the instance, so one instance serves one input stream.
 */
export class ScoringPipeline<S = unknown> {
  readonly windows = new StreamWindows();
  readonly episodes = new EpisodeTracker();
  readonly transforms = new ScoreTransforms();
  /**
   * Per stream: the input's event-time clock (newest timestamp seen across all streams) when its
   * last event arrived. Idleness is measured on that clock, so a partition that lags behind the
   * others but keeps delivering never looks idle. Every stream the pipeline holds state for is here.
   */
  private readonly lastSeen = new Map<string, number>();
  private clock = -Infinity;
  private nextSweep = -Infinity;

  constructor(private readonly opts: PipelineOptions) {}

  /** Streams the pipeline holds state for (routed or not). */
  get activeStreams(): number {
    return this.lastSeen.size;
  }

  operator(): OperatorFunction<PipelineInput<S>, BatchResult<S>> {
    return (input) =>
      input.pipe(
        map((item) => this.stage(item)),
        microBatch(this.opts.maxBatch, this.opts.maxLatencyMs),
        // A batch's inference starts as soon as it is cut, so it overlaps with the thresholding,
        // episodes and delivery of the batches before it; results are still taken in arrival order.
        map((batch) => ({ batch, scoring: this.score(batch) })),
        concatMap(async ({ batch, scoring }) => this.finish(batch, await scoring)),
      );
  }

  /**
   * Forget the state of streams, e.g. after their partitions were revoked or they went idle.
   * Every per-stream state holder is dropped here; a new one belongs in this list.
   */
  dropStreams(predicate: (stream: string) => boolean): string[] {
    const dropped = [...this.lastSeen.keys()].filter(predicate);
    if (dropped.length === 0) return dropped;
    const gone = new Set(dropped);
    const isGone = (stream: string) => gone.has(stream);
    this.episodes.drop(isGone);
    this.transforms.drop(isGone);
    this.windows.drop(isGone);
    this.opts.router.forget(isGone);
    for (const stream of dropped) this.lastSeen.delete(stream);
    return dropped;
  }

  /**
   * Evicts every stream without an event while the event-time clock advanced `idleEvictAfterMs`
   * to `now`: an open episode is resolved first (reason `evicted`), then its state is dropped.
   */
  evictIdle(now: number): { streams: string[]; alerts: Alert[] } {
    const idleMs = this.opts.idleEvictAfterMs ?? 0;
    if (idleMs <= 0) return { streams: [], alerts: [] };
    const alerts: Alert[] = [];
    const streams = this.dropStreams((stream) => {
      if (now - this.lastSeen.get(stream)! < idleMs) return false;
      const alert = this.episodes.resolve(stream, 'evicted');
      if (alert) alerts.push(alert);
      return true;
    });
    if (streams.length > 0) this.opts.onEvicted?.(streams);
    return { streams, alerts };
  }

  private stage(item: PipelineInput<S>): Staged<S> {
    if ('rejected' in item) return { kind: 'rejected', rejected: item.rejected };
    if (!this.lastSeen.has(item.stream)) {
      const cap = this.opts.maxActiveStreams ?? 0;
      if (cap > 0 && this.lastSeen.size >= cap) {
        return {
          kind: 'rejected',
          rejected: { reason: 'stream_limit', detail: `${cap} streams are active (daemon.maxActiveStreams); a new one waits until one is evicted`, stream: item.stream, source: item.source },
        };
      }
    }
    this.lastSeen.set(item.stream, this.clock);
    const route = this.opts.router.route(item.stream);
    if (route === null) {
      return {
        kind: 'rejected',
        rejected: { reason: 'no_matching_model', detail: `no stream rule matches "${item.stream}"`, stream: item.stream, source: item.source },
      };
    }
    const augment = this.opts.models.get(route.model)?.augment;
    const event = augment ? augmentEvent(item, augment, route.features) : item;
    if ('reason' in event) return { kind: 'rejected', rejected: event };
    const outcome = this.windows.push(event, route);
    if (outcome !== 'warming' && 'reason' in outcome) return { kind: 'rejected', rejected: outcome as Rejected<S> };
    // Only an event its stream accepted moves the event-time clock: unrouted, misshapen or
    // out-of-order input cannot age every stream at once.
    if (item.ts > this.clock) {
      this.clock = item.ts;
      this.lastSeen.set(item.stream, this.clock);
    }
    if (outcome === 'warming') return { kind: 'warming', source: item.source };
    return {
      kind: 'window',
      window: outcome,
      threshold: route.threshold,
      policy: route.policy,
      scoring: route.scoring ?? SCORING_DEFAULTS,
      ownFeatures: route.features - augmentedFeatureCount(augment),
      source: item.source,
    };
  }

  private score(batch: Staged<S>[]): Promise<ScoredBatch<S>> {
    const staged = batch.filter((s): s is Extract<Staged<S>, { kind: 'window' }> => s.kind === 'window');
    const scoring = scoreWindows(
      staged.map((s) => s.window),
      staged.map((s) => s.threshold),
      this.opts.models,
    ).then((r) => ({ staged, ...r }));
    // Awaited in order by `finish`; after an earlier batch failed, later ones are never awaited.
    scoring.catch(() => {});
    return scoring;
  }

  /** Per-stream state advances here, one batch at a time in arrival order. */
  private finish(batch: Staged<S>[], { staged, scored, inference }: ScoredBatch<S>): BatchResult<S> {
    const alerts: Alert[] = [];
    scored.forEach((w, i) => {
      const own = staged[i].ownFeatures;
      if (own < w.features) {
        // The calendar features are inputs, not news: the error that counts is that of the stream's own values.
        const model = this.opts.models.get(w.model)!;
        w.rawScore = ownFeatureError(w.values, w.reconstruction, w.features, own, (raw, out, offset) => model.scaleInto(raw, out, offset));
        w.score = w.rawScore;
      }
      // The spatial rule looks at the stream's own values of the newest point, not at calendar features.
      const newest = (w.seqStep - 1) * w.features;
      w.score = this.transforms.apply(w.stream, w.rawScore ?? w.score, staged[i].scoring, w.values.subarray(newest, newest + staged[i].ownFeatures));
      w.anomalous = w.score > w.threshold;
      const alert = this.episodes.observe(w, staged[i].policy);
      if (alert) alerts.push(alert);
    });
    // Sweeps run here, after a batch and in arrival order, so an eviction's alert is ordered with the rest;
    // at most every eighth of the idle time, so a stream goes between 1 and 1.125 idle times after its last event.
    const idleMs = this.opts.idleEvictAfterMs ?? 0;
    if (idleMs > 0 && this.clock >= this.nextSweep) {
      alerts.push(...this.evictIdle(this.clock).alerts);
      this.nextSweep = this.clock + Math.max(1, Math.floor(idleMs / 8));
    }
    const rejected: Rejected<S>[] = [];
    const sources: S[] = [];
    for (const s of batch) {
      if (s.kind === 'rejected') {
        rejected.push(s.rejected);
        if (s.rejected.source !== undefined) sources.push(s.rejected.source);
      } else if (s.source !== undefined) sources.push(s.source);
    }
    return { scored, alerts, rejected, sources, events: batch.length, inference };
  }
}
