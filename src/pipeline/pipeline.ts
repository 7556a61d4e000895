import { concatMap, map, type OperatorFunction } from 'rxjs';
import type { AlertPolicy, ScoringConfig } from '../config/schema.js';
import { EpisodeTracker } from './episodes.js';
import { augmentedFeatureCount, augmentEvent, ownFeatureError } from './feature-augment.js';
import { microBatch } from './micro-batch.js';
import type { StreamRouter } from './router.js';
import { scoreWindows } from './score-batch.js';
import { LevelTracker, StreamScorers } from './scoring/index.js';
import type { PipelineModel } from './scoring-model.js';
import { SilenceTracker } from './silence.js';
import type { Alert, BatchResult, InferenceStat, MetricEvent, Rejected, ScoredWindow, Window } from './types.js';
import { StreamWindows } from './windows.js';

export interface PipelineOptions {
  router: StreamRouter;
  models: ReadonlyMap<string, PipelineModel>;
  maxBatch: number;
  maxLatencyMs: number;
}

/**
 * An input is an event, something a decoder already rejected (so it is delivered and committed in
 * order), or a tick of the wall clock (the daemon's, so silent sources are noticed while no event comes).
 */
export type PipelineInput<S> = MetricEvent<S> | { rejected: Rejected<S> } | { tick: number };

type WindowStaged<S> = {
  kind: 'window';
  window: Window;
  threshold: number;
  policy: AlertPolicy;
  scoring: ScoringConfig;
  silenceAfter: number;
  ownFeatures: number;
  /** Factor from raw values to what the model sees (1 unless the stream's level normalises it). */
  scale: number;
  level: number | undefined;
  source?: S;
};

type Staged<S> =
  | WindowStaged<S>
  | { kind: 'warming'; stream: string; model: string; silenceAfter: number; ts: number; index: number; receivedAt?: number; source?: S }
  | { kind: 'rejected'; rejected: Rejected<S> }
  | { kind: 'tick'; wallNow: number };

type ScoredBatch<S> = { staged: WindowStaged<S>[]; scored: ScoredWindow[]; inference: InferenceStat[] };

/**
 * The scoring pipeline shared by the daemon, the replays and the evaluation:
 * event → route → per-stream window (and level) → micro-batch → batched inference → per-stream
 * scoring → threshold → alert episodes, with silent sources noticed alongside.
 * State lives in the instance, so one instance serves one input stream.
 */
export class ScoringPipeline<S = unknown> {
  readonly windows = new StreamWindows();
  readonly episodes = new EpisodeTracker();
  readonly scorers = new StreamScorers();
  readonly silences = new SilenceTracker();
  readonly levels = new Map<string, LevelTracker>();

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

  /** Forget the state of streams, e.g. after their partitions were revoked. */
  dropStreams(predicate: (stream: string) => boolean): number {
    this.episodes.drop(predicate);
    this.scorers.drop(predicate);
    this.silences.drop(predicate);
    for (const stream of this.levels.keys()) if (predicate(stream)) this.levels.delete(stream);
    return this.windows.drop(predicate);
  }

  private stage(item: PipelineInput<S>): Staged<S> {
    if ('tick' in item) return { kind: 'tick', wallNow: item.tick };
    if ('rejected' in item) return { kind: 'rejected', rejected: item.rejected };
    const route = this.opts.router.route(item.stream);
    if (route === null) {
      return {
        kind: 'rejected',
        rejected: { reason: 'no_matching_model', detail: `no stream rule matches "${item.stream}"`, stream: item.stream, source: item.source },
      };
    }
    const model = this.opts.models.get(route.model);
    const augment = model?.augment;
    const event = augment ? augmentEvent(item, augment, route.features) : item;
    if ('reason' in event) return { kind: 'rejected', rejected: event };
    const outcome = this.windows.push(event, route);
    if (outcome !== 'warming' && 'reason' in outcome) return { kind: 'rejected', rejected: outcome as Rejected<S> };

    // The level the window is normalised by is the stream's level before its newest point, so a
    // flood is measured against the stream as it was, not as the flood made it.
    let level: number | undefined;
    if (route.scoring.normalize === 'level') {
      let tracker = this.levels.get(item.stream);
      if (tracker === undefined) this.levels.set(item.stream, (tracker = new LevelTracker()));
      level = tracker.level;
      const cadence = this.silences.cadenceOf(item.stream);
      tracker.observe(event.values[0], cadence === undefined ? undefined : 86_400_000 / cadence);
    }
    if (outcome === 'warming') {
      return {
        kind: 'warming',
        stream: item.stream,
        model: route.model,
        silenceAfter: route.silenceAfter,
        ts: item.ts,
        index: item.index ?? -1,
        receivedAt: item.receivedAt,
        source: item.source,
      };
    }
    const reference = model?.levelReference;
    return {
      kind: 'window',
      window: outcome,
      threshold: route.threshold,
      policy: route.policy,
      scoring: route.scoring,
      silenceAfter: route.silenceAfter,
      ownFeatures: route.features - augmentedFeatureCount(augment),
      scale: level !== undefined && level > 0 && reference !== undefined ? reference / level : 1,
      level,
      source: item.source,
    };
  }

  private score(batch: Staged<S>[]): Promise<ScoredBatch<S>> {
    const staged = batch.filter((s): s is WindowStaged<S> => s.kind === 'window');
    const scoring = scoreWindows(
      staged.map((s) => s.window),
      staged.map((s) => s.threshold),
      this.opts.models,
      staged.map((s) => s.scale),
    ).then((r) => ({ staged, ...r }));
    // Awaited in order by `finish`; after an earlier batch failed, later ones are never awaited.
    scoring.catch(() => {});
    return scoring;
  }

  /** Per-stream state advances here, one batch at a time in arrival order. */
  private finish(batch: Staged<S>[], { staged, scored, inference }: ScoredBatch<S>): BatchResult<S> {
    const alerts: Alert[] = [];
    const rejected: Rejected<S>[] = [];
    const sources: S[] = [];
    let events = 0;
    let wallNow: number | undefined;
    let w = 0;
    for (const s of batch) {
      if (s.kind === 'tick') {
        wallNow = s.wallNow;
        continue;
      }
      events++;
      if (s.kind === 'rejected') {
        rejected.push(s.rejected);
        if (s.rejected.source !== undefined) sources.push(s.rejected.source);
        continue;
      }
      if (s.source !== undefined) sources.push(s.source);
      if (s.kind === 'warming') {
        this.silences.observe(s.stream, s.model, s.silenceAfter, s.ts, s.index, s.receivedAt, alerts);
        continue;
      }
      const window = scored[w];
      this.judge(window, staged[w], alerts);
      w++;
    }
    if (wallNow !== undefined) this.silences.checkWallClock(wallNow, alerts);
    return { scored, alerts, rejected, sources, events, inference };
  }

  /** Scores one window under its stream's rule and advances the stream's episode. */
  private judge(w: ScoredWindow, staged: WindowStaged<S>, alerts: Alert[]): void {
    this.silences.observe(w.stream, w.model, staged.silenceAfter, w.ts, w.index, w.receivedAt, alerts);
    const own = staged.ownFeatures;
    const model = this.opts.models.get(w.model)!;
    if (own < w.features) {
      // The calendar features are inputs, not news: the error that counts is that of the stream's own values.
      w.rawScore = ownFeatureError(w.values, w.reconstruction, w.features, own, (raw, out, offset) => model.scaleInto(raw, out, offset));
      w.score = w.rawScore;
    }
    const newest = (w.seqStep - 1) * w.features;
    const cadenceMs = this.silences.cadenceOf(w.stream);
    const out = this.scorers.score(w.stream, staged.scoring, {
      raw: w.rawScore ?? w.score,
      latest: w.values.subarray(newest, newest + own),
      reconstructedLatest: w.reconstruction[newest],
      ts: w.ts,
      cadenceMs,
      level: staged.level,
      errorThreshold: staged.threshold,
    });
    w.score = out.score;
    if (out.threshold !== undefined) w.threshold = out.threshold;
    w.anomalous = w.score > w.threshold;
    w.expected = out.expected;
    w.deviation = out.deviation;
    w.kind = out.kind;
    w.cadenceMs = cadenceMs;
    this.episodes.observe(w, staged.policy, alerts);
  }
}
