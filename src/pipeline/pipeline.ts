import { concatMap, map, type OperatorFunction } from 'rxjs';
import type { AlertPolicy, ScoringConfig } from '../config/schema.js';
import { EpisodeTracker } from './episodes.js';
import { augmentedFeatureCount, augmentEvent, ownFeatureError } from './feature-augment.js';
import { microBatch } from './micro-batch.js';
import type { Route, StreamRouter } from './router.js';
import { scoreWindows } from './score-batch.js';
import { StreamScorers } from './scoring/index.js';
import type { PipelineModel } from './scoring-model.js';
import { SilenceTracker } from './silence.js';
import { StreamRecords, type StreamRecord } from './stream-records.js';
import type { Alert, BatchResult, InferenceStat, MetricEvent, Rejected, ScoredWindow, StreamSnapshot, Window } from './types.js';
import { StreamWindows } from './windows.js';

/** Version of the per-stream state record; a record of another version starts its stream afresh. */
export const SNAPSHOT_VERSION = 2;

/** What a stream's state is at staging: its windows, its level and cadence, and its place on the event-time clock. */
type StageState = Pick<StreamSnapshot, 'windows' | 'baseline' | 'lastSeen'>;

export interface PipelineOptions<S = unknown> {
  router: StreamRouter;
  models: ReadonlyMap<string, PipelineModel>;
  maxBatch: number;
  maxLatencyMs: number;
  /** Streams held at once; events of a new stream beyond it are rejected as `stream_limit` (0 or absent: no cap). */
  maxActiveStreams?: number;
  /** A stream is evicted once the input's event time advanced this far without an event of it (0 or absent: never). */
  idleEvictAfterMs?: number;
  /**
   * The lane of an event's source: events keep time order within a lane but not across lanes (a
   * Kafka partition each); the silence watermark waits for the slowest lane. Absent: one lane.
   */
  laneOf?: (source: S) => string;
  /** Put every touched stream's state snapshot into its BatchResult (`state`); the daemon's changelog needs it, a replay does not. */
  snapshots?: boolean;
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
  cadenceMs: number | undefined;
  errorTrusted: boolean;
  source?: S;
  stageState?: StageState;
};

type Staged<S> =
  | WindowStaged<S>
  | { kind: 'warming'; stream: string; model: string; silenceAfter: number; ts: number; cadenceMs: number | undefined; index: number; receivedAt?: number; source?: S; stageState?: StageState }
  | { kind: 'rejected'; rejected: Rejected<S> }
  | { kind: 'tick'; wallNow: number };

/** A lane's event-time clock: the newest timestamp accepted in it, as far as staged and as far as finished. */
interface LaneClock {
  staged: number;
  finished: number;
}

type ScoredBatch<S> = { staged: WindowStaged<S>[]; scored: ScoredWindow[]; inference: InferenceStat[] };

/**
 * The scoring pipeline shared by the daemon, the replays and the evaluation:
 * event → route → per-stream window (and level) → micro-batch → batched inference → per-stream
 * scoring → threshold → alert episodes, with silent sources noticed alongside.
 * State lives in the instance, so one instance serves one input stream.
 */
export class ScoringPipeline<S = unknown> {
  /** One record per stream the pipeline holds state for: its own state, and the holders' below as fields of it. */
  private readonly streams = new StreamRecords();
  readonly windows = new StreamWindows(this.streams.field('window'));
  readonly scorers = new StreamScorers(this.streams.field('scorer'));
  readonly silences = new SilenceTracker(this.streams.field('activity'));
  /** Open episodes only, so a Map of their own. */
  readonly episodes = new EpisodeTracker();
  /**
   * Per lane, its event-time clock as far as events are staged, and as far as their batches have
   * finished. Sweeps read the finished one: staging runs ahead of finishing (inference overlaps), and
   * a stream must not be evicted before its last events are judged.
   */
  private readonly laneClocks = new Map<string, LaneClock>();
  /** The newest finished clock of any lane: sweeps are due when it passes `nextSweep`. */
  private finishedClock = -Infinity;
  private nextSweep = -Infinity;
  /** Per stream (only with `snapshots`): events staged whose batch has not finished yet. */
  private readonly pending = new Map<string, number>();
  /**
   * Per stream with pending events: its stage-time state as of the last finished batch, for a
   * batch that changes only its finish-time state (a silence opened) while later events are staged.
   */
  private readonly finishedStage = new Map<string, StageState>();

  constructor(private readonly opts: PipelineOptions<S>) {}

  /** Whether the pipeline holds state for `stream`. */
  holds(stream: string): boolean {
    return this.streams.get(stream) !== undefined;
  }

  /** Streams the pipeline holds state for (routed or not). */
  get activeStreams(): number {
    return this.streams.size;
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

  /** Forget lanes whose events no longer come here (revoked partitions). */
  forgetLanes(predicate: (lane: string) => boolean): void {
    this.silences.forgetLanes(predicate);
    for (const lane of this.laneClocks.keys()) if (predicate(lane)) this.laneClocks.delete(lane);
  }

  private laneClock(lane: string): LaneClock {
    let clock = this.laneClocks.get(lane);
    if (clock === undefined) {
      clock = { staged: -Infinity, finished: -Infinity };
      this.laneClocks.set(lane, clock);
    }
    return clock;
  }

  private laneOf(source: S | undefined): string {
    return source === undefined || this.opts.laneOf === undefined ? '' : this.opts.laneOf(source);
  }

  /**
   * Forget the state of streams, e.g. after their partitions were revoked or they went idle.
   * Every per-stream state holder is dropped here; a new one belongs in this list.
   */
  dropStreams(predicate: (stream: string) => boolean): string[] {
    const dropped = [...this.streams.keys()].filter(predicate);
    if (dropped.length === 0) return dropped;
    const gone = new Set(dropped);
    this.episodes.drop((stream) => gone.has(stream));
    for (const stream of dropped) {
      // The record holds the windows', scorers' and silences' state of the stream too.
      this.streams.delete(stream);
      this.pending.delete(stream);
      this.finishedStage.delete(stream);
    }
    return dropped;
  }

  /** The stream's whole state as one JSON-serializable record; undefined for a stream never seen. */
  snapshot(stream: string): StreamSnapshot | undefined {
    const stage = this.stageState(stream);
    return stage === undefined ? undefined : this.compose(stage, stream);
  }

  /**
   * Replaces the stream's state with `snap` (a `snapshot` of this or an earlier run); a record of
   * another version starts the stream afresh. `lane` is the lane its events come in (`laneOf` of
   * their source; one lane when absent).
   */
  restore(stream: string, snap: StreamSnapshot | undefined | null, lane = ''): void {
    const known = snap !== undefined && snap !== null && snap.v === SNAPSHOT_VERSION;
    this.streams.delete(stream);
    this.episodes.restore(stream, known ? snap.episode : undefined);
    if (!known) return;
    const record = this.streams.open(stream);
    record.lane = lane;
    this.windows.restore(stream, snap.windows);
    this.silences.restore(stream, snap.silence, lane);
    this.scorers.restore(stream, this.routeOf(stream, record)?.scoring, snap.scoring);
    const seen = snap.lastSeen ?? snap.silence?.lastTs;
    if (seen !== undefined && seen !== null) this.streams.setLastSeen(record, seen);
    if (snap.baseline !== undefined) {
      const { level, cadence } = snap.baseline;
      this.streams.level(record).load({ logMean: level.logMean ?? NaN, count: level.count });
      this.streams.cadence(record).load({ gaps: cadence.gaps, lastTs: cadence.lastTs ?? NaN });
    }
    if (seen !== undefined && seen !== null) {
      const clock = this.laneClock(lane);
      if (seen > clock.staged) clock.staged = seen;
      // Restored state is finished state: the sweeps' clock moves up with it. Sweeps fall on multiples
      // of their period, so a restored pipeline sweeps when an uninterrupted one would.
      if (seen > clock.finished) clock.finished = seen;
      if (seen > this.finishedClock) {
        this.finishedClock = seen;
        if ((this.opts.idleEvictAfterMs ?? 0) > 0) this.nextSweep = this.sweepAfter(this.finishedClock);
      }
    }
  }

  /** The next sweep's event time after one at `clock`: the next multiple of an eighth of the idle time. */
  private sweepAfter(clock: number): number {
    const step = Math.max(1, Math.floor((this.opts.idleEvictAfterMs ?? 0) / 8));
    return (Math.floor(clock / step) + 1) * step;
  }

  /** The stream's route, looked up once and kept in its record. */
  private routeOf(stream: string, record: StreamRecord): Route | null {
    return record.route === undefined ? (record.route = this.opts.router.route(stream)) : record.route;
  }

  /** Stage-time state as the stream holds it now (undefined: the pipeline holds none of the stream). */
  private stageState(stream: string): StageState | undefined {
    const windows = this.windows.snapshot(stream);
    if (windows === undefined) return undefined;
    const state: StageState = { windows };
    const record = this.streams.get(stream);
    if (record === undefined) return state;
    if (this.streams.started(record)) state.baseline = { level: this.streams.level(record).snapshot(), cadence: this.streams.cadence(record).snapshot() };
    const lastSeen = this.streams.lastSeen(record);
    if (Number.isFinite(lastSeen)) state.lastSeen = lastSeen;
    return state;
  }

  /**
   * Stage-time state is taken when an event is staged, before micro-batching, since the holders may
   * already hold later events by the time its batch finishes; the rest advances only in `finish`,
   * batch after batch, and is read then.
   */
  private compose(stage: StageState, stream: string): StreamSnapshot {
    const snap: StreamSnapshot = { v: SNAPSHOT_VERSION, ...stage };
    const episode = this.episodes.snapshot(stream);
    if (episode !== undefined) snap.episode = episode;
    const scoring = this.scorers.snapshot(stream);
    if (scoring !== undefined) snap.scoring = scoring;
    const silence = this.silences.snapshot(stream);
    if (silence !== undefined) snap.silence = silence;
    return snap;
  }

  /**
   * Evicts every stream without an event while its lane's event-time clock advanced
   * `idleEvictAfterMs`: an open episode is resolved first (reason `evicted`), then its state is dropped.
   */
  evictIdle(): { streams: string[]; alerts: Alert[] } {
    const idleMs = this.opts.idleEvictAfterMs ?? 0;
    if (idleMs <= 0) return { streams: [], alerts: [] };
    const alerts: Alert[] = [];
    const streams = this.dropStreams((stream) => {
      const record = this.streams.get(stream)!;
      // The lane's finished-batch clock: a stream with events still in flight (staged, their batch
      // not finished) was last seen at a staging clock no earlier than it, so it is never idle here.
      const now = this.laneClocks.get(record.lane)?.finished ?? -Infinity;
      if (now - this.streams.lastSeen(record) < idleMs) return false;
      const alert = this.episodes.resolve(stream, 'evicted');
      if (alert) alerts.push(alert);
      const silence = this.silences.resolve(stream, now, 'evicted');
      if (silence) alerts.push(silence);
      return true;
    });
    return { streams, alerts };
  }

  private stage(item: PipelineInput<S>): Staged<S> {
    if ('tick' in item) return { kind: 'tick', wallNow: item.tick };
    if ('rejected' in item) return { kind: 'rejected', rejected: item.rejected };
    const lane = this.laneOf(item.source);
    const clock = this.laneClock(lane);
    let record = this.streams.get(item.stream);
    if (record === undefined) {
      const cap = this.opts.maxActiveStreams ?? 0;
      if (cap > 0 && this.streams.size >= cap) {
        return {
          kind: 'rejected',
          rejected: { reason: 'stream_limit', detail: `${cap} streams are active (daemon.maxActiveStreams); a new one waits until one is evicted`, stream: item.stream, source: item.source },
        };
      }
      record = this.streams.open(item.stream);
      this.streams.setLastSeen(record, clock.staged);
      record.lane = lane;
    }
    const route = this.routeOf(item.stream, record);
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
    // Only an event its stream accepted moves the event-time clock: unrouted, misshapen or
    // out-of-order input cannot age every stream at once.
    // So does only an accepted event mark its stream seen, and in its lane: input that names a stream
    // from another partition (a producer keying by something else, hostile input) cannot move the
    // stream onto that partition's clock.
    if (item.ts > clock.staged) clock.staged = item.ts;
    this.streams.setLastSeen(record, clock.staged);
    record.lane = lane;

    // The level the window is normalised by is the stream's level before its newest point, so a
    // flood is measured against the stream as it was, not as the flood made it.
    // Shared trackers pointed at the stream's record: both are used before anything else asks the records.
    const levelTracker = this.streams.level(record);
    const cadenceTracker = this.streams.cadence(record);
    const level = levelTracker.level;
    cadenceTracker.observe(item.ts);
    const cadenceMs = cadenceTracker.cadenceMs;
    const perDay = cadenceMs === undefined ? undefined : 86_400_000 / cadenceMs;
    const normalised = route.scoring.normalize === 'level';
    const errorTrusted = !normalised || levelTracker.established(perDay);
    levelTracker.observe(event.values[0], perDay);
    let stageState: StageState | undefined;
    if (this.opts.snapshots) {
      stageState = this.stageState(item.stream);
      this.pending.set(item.stream, (this.pending.get(item.stream) ?? 0) + 1);
    }
    if (outcome === 'warming') {
      return {
        kind: 'warming',
        stream: item.stream,
        model: route.model,
        silenceAfter: route.silenceAfter,
        ts: item.ts,
        cadenceMs,
        index: item.index ?? -1,
        receivedAt: item.receivedAt,
        source: item.source,
        stageState,
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
      scale: normalised && level !== undefined && level > 0 && reference !== undefined ? reference / level : 1,
      level,
      cadenceMs,
      errorTrusted,
      source: item.source,
      stageState,
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
      const ts = s.kind === 'warming' ? s.ts : scored[w].ts;
      const lane = this.laneOf(s.source);
      const clock = this.laneClock(lane);
      if (ts > clock.finished) clock.finished = ts;
      if (ts > this.finishedClock) this.finishedClock = ts;
      if (s.kind === 'warming') {
        this.silences.observe(s.stream, s.model, s.silenceAfter, s.ts, s.cadenceMs, s.index, s.receivedAt, alerts, lane);
        continue;
      }
      const window = scored[w];
      this.judge(window, staged[w], alerts);
      w++;
    }
    if (wallNow !== undefined) this.silences.checkWallClock(wallNow, alerts);
    // Sweeps run here, after a batch and in arrival order, so an eviction's alert is ordered with the rest;
    // at most every eighth of the idle time, so a stream goes between 1 and 1.125 idle times after its last event.
    const idleMs = this.opts.idleEvictAfterMs ?? 0;
    let evicted: string[] = [];
    if (idleMs > 0 && this.finishedClock >= this.nextSweep) {
      const eviction = this.evictIdle();
      alerts.push(...eviction.alerts);
      evicted = eviction.streams;
      this.nextSweep = this.sweepAfter(this.finishedClock);
    }
    const state = this.opts.snapshots ? this.batchState(batch, alerts, evicted) : [];
    return { scored, alerts, rejected, sources, events, inference, evicted, state };
  }

  /**
   * The state of every stream this batch changed, as of the end of this batch: those with an event
   * in it, those with an alert of it (a silence opened), and a tombstone (null) for each evicted one.
   */
  private batchState(batch: Staged<S>[], alerts: Alert[], evicted: string[]): { stream: string; snapshot: StreamSnapshot | null }[] {
    const stage = new Map<string, StageState>();
    for (const s of batch) {
      if (s.kind !== 'window' && s.kind !== 'warming') continue;
      const stream = s.kind === 'window' ? s.window.stream : s.stream;
      stage.set(stream, s.stageState!);
      const left = (this.pending.get(stream) ?? 1) - 1;
      if (left > 0) this.pending.set(stream, left);
      else this.pending.delete(stream);
    }
    for (const [stream, st] of stage) {
      if (this.pending.has(stream)) this.finishedStage.set(stream, st);
      else this.finishedStage.delete(stream);
    }
    const gone = new Set(evicted);
    const out: { stream: string; snapshot: StreamSnapshot | null }[] = [];
    for (const [stream, st] of stage) if (!gone.has(stream)) out.push({ stream, snapshot: this.compose(st, stream) });
    for (const a of alerts) {
      if (stage.has(a.stream) || gone.has(a.stream)) continue;
      const st = this.pending.has(a.stream) ? this.finishedStage.get(a.stream) : this.stageState(a.stream);
      if (st === undefined) continue;
      stage.set(a.stream, st);
      out.push({ stream: a.stream, snapshot: this.compose(st, a.stream) });
    }
    for (const stream of evicted) {
      this.pending.delete(stream);
      this.finishedStage.delete(stream);
      out.push({ stream, snapshot: null });
    }
    return out;
  }

  private readonly latestOne = new Float32Array(1);

  /** A one-feature window's newest value, in an array the scorer reads during its call (a view per window was ~100 bytes of garbage). */
  private latestOfOne(value: number): Float32Array {
    this.latestOne[0] = value;
    return this.latestOne;
  }

  /** Scores one window under its stream's rule and advances the stream's episode. */
  private judge(w: ScoredWindow, staged: WindowStaged<S>, alerts: Alert[]): void {
    this.silences.observe(w.stream, w.model, staged.silenceAfter, w.ts, staged.cadenceMs, w.index, w.receivedAt, alerts, this.laneOf(staged.source));
    const own = staged.ownFeatures;
    const model = this.opts.models.get(w.model)!;
    if (own < w.features) {
      // The calendar features are inputs, not news: the error that counts is that of the stream's own values.
      w.rawScore = ownFeatureError(w.values, w.reconstruction, w.features, own, (raw, out, offset) => model.scaleInto(raw, out, offset));
      w.score = w.rawScore;
    }
    const newest = (w.seqStep - 1) * w.features;
    const cadenceMs = staged.cadenceMs;
    const out = this.scorers.score(w.stream, staged.scoring, {
      raw: w.rawScore ?? w.score,
      latest: own === 1 ? this.latestOfOne(w.values[newest]) : w.values.subarray(newest, newest + own),
      reconstructedLatest: w.reconstruction[newest],
      ts: w.ts,
      cadenceMs,
      level: staged.level,
      errorTrusted: staged.errorTrusted,
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
