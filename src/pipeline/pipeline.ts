import { concatMap, map, type OperatorFunction } from 'rxjs';
import type { AlertPolicy } from '../config/schema.js';
import { EpisodeTracker } from './episodes.js';
import { augmentedFeatureCount, augmentEvent, ownFeatureError } from './feature-augment.js';
import { microBatch } from './micro-batch.js';
import type { StreamRouter } from './router.js';
import { scoreWindows } from './score-batch.js';
import { SCORING_DEFAULTS, ScoreTransforms, type ScoringConfig } from './score-transform.js';
import type { PipelineModel } from './scoring-model.js';
import type { Alert, BatchResult, InferenceStat, MetricEvent, Rejected, ScoredWindow, StreamSnapshot, Window } from './types.js';
import { StreamWindows, type WindowsSnapshot } from './windows.js';

export interface PipelineOptions {
  router: StreamRouter;
  models: ReadonlyMap<string, PipelineModel>;
  maxBatch: number;
  maxLatencyMs: number;
  /** Put every touched stream's state snapshot into its BatchResult (`state`); the daemon's changelog needs it, a replay does not. */
  snapshots?: boolean;
}

/** An input is either an event or something a decoder already rejected (so it is delivered and committed in order). */
export type PipelineInput<S> = MetricEvent<S> | { rejected: Rejected<S> };

type ScoredBatch<S> = { staged: Extract<Staged<S>, { kind: 'window' }>[]; scored: ScoredWindow[]; inference: InferenceStat[] };

type Staged<S> =
  | { kind: 'window'; window: Window; threshold: number; policy: AlertPolicy; scoring: ScoringConfig; ownFeatures: number; source?: S; windows?: WindowsSnapshot }
  | { kind: 'warming'; stream: string; source?: S; windows?: WindowsSnapshot }
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

  constructor(private readonly opts: PipelineOptions) {}

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

  /** The stream's whole state as one JSON-serializable record; undefined for a stream never seen. */
  snapshot(stream: string): StreamSnapshot | undefined {
    return this.compose(this.windows.snapshot(stream), stream);
  }

  /** Replaces the stream's state with `snap` (a `snapshot` of this or an earlier run); an unknown version starts it afresh. */
  restore(stream: string, snap: StreamSnapshot | undefined): void {
    const known = snap !== undefined && snap !== null && snap.v === 1;
    this.windows.restore(stream, known ? snap.windows : undefined);
    this.episodes.restore(stream, known ? snap.episode : undefined);
    this.transforms.restore(stream, known ? snap.scoring : undefined);
  }

  /**
   * Window state advances when an event is staged, before micro-batching, so a batch's window
   * snapshot is taken then (the window holder may already hold later events by the time the batch
   * finishes); episode and scoring state advance only in `finish`, batch after batch.
   */
  private compose(windows: WindowsSnapshot | undefined, stream: string): StreamSnapshot | undefined {
    if (windows === undefined) return undefined;
    const snap: StreamSnapshot = { v: 1, windows };
    const episode = this.episodes.snapshot(stream);
    if (episode !== undefined) snap.episode = episode;
    const scoring = this.transforms.snapshot(stream);
    if (scoring !== undefined) snap.scoring = scoring;
    return snap;
  }

  /** Forget the state of streams, e.g. after their partitions were revoked. */
  dropStreams(predicate: (stream: string) => boolean): number {
    this.episodes.drop(predicate);
    this.transforms.drop(predicate);
    return this.windows.drop(predicate);
  }

  private stage(item: PipelineInput<S>): Staged<S> {
    if ('rejected' in item) return { kind: 'rejected', rejected: item.rejected };
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
    const windows = this.opts.snapshots ? this.windows.snapshot(item.stream) : undefined;
    if (outcome === 'warming') return { kind: 'warming', stream: item.stream, source: item.source, windows };
    return {
      windows,
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
    const rejected: Rejected<S>[] = [];
    const sources: S[] = [];
    for (const s of batch) {
      if (s.kind === 'rejected') {
        rejected.push(s.rejected);
        if (s.rejected.source !== undefined) sources.push(s.rejected.source);
      } else if (s.source !== undefined) sources.push(s.source);
    }
    return { scored, alerts, rejected, sources, events: batch.length, inference, state: this.opts.snapshots ? this.batchState(batch) : [] };
  }

  /** The state of every stream this batch changed, as of the end of this batch. */
  private batchState(batch: Staged<S>[]): { stream: string; snapshot: StreamSnapshot }[] {
    const last = new Map<string, WindowsSnapshot>();
    for (const s of batch) {
      if (s.kind === 'window') last.set(s.window.stream, s.windows!);
      else if (s.kind === 'warming') last.set(s.stream, s.windows!);
    }
    return [...last].map(([stream, windows]) => ({ stream, snapshot: this.compose(windows, stream)! }));
  }
}
