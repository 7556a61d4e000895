/**
 * Per-stream post-processing of reconstruction errors, between inference and thresholding.
 *
 * - raw: the window's reconstruction MSE as it is.
 * - smoothed: the mean MSE of the last `shortWindow` windows.
 * - likelihood: Numenta's anomaly likelihood. The mean MSE of the last `shortWindow` windows is
 *   compared with the distribution of those short means over the last `window` windows (mean and
 *   standard deviation); the score is 1 - Q(z), Q the Gaussian tail, so it lies in [0, 1].
 *   Until `learningPeriod` windows have been seen it is 0.5 (no opinion).
 * - loglikelihood: the same tail on a log scale, L / (1 + L) with L = -log10 Q(z), also in [0, 1).
 *   1 - Q(z) rounds to 1 beyond z ≈ 8.3, so every very unlikely error would tie; on the log scale
 *   they keep their order, and a threshold can tell a surprising error from an extreme one.
 *   Until `learningPeriod` windows have been seen it is 0.
 *
 * `spatial` (likelihood, loglikelihood): a window whose newest value lies outside the range of every
 * value the stream has shown so far, widened by `spatialTolerance` × that range on either side, scores
 * the maximum, 1, whatever its error (Numenta's "spatial anomaly" rule). The autoencoder sees values
 * only after scaling to the training range and its error on a level shift fades within a few windows,
 * while a new extreme is itself the news. Not during `learningPeriod`, while the range is still forming.
 *
 * `seasonalPeriod` (likelihood, loglikelihood; 0 = off): a second likelihood, of how far the newest
 * value lies from the median of the values exactly 1, 2, … `seasonalDays` periods earlier (as many as
 * the stream has shown), averaged over `seasonalShortWindow` windows and judged against the same
 * `window` of history; the score is the larger of the two. A window of a few points cannot see a
 * daily cycle: a day whose shape changes (a missing peak, a holiday) keeps every window plausible,
 * but its values are far from those at the same time on the previous days. The period is in windows
 * (events): 288 for 5-minute samples and a daily cycle.
 *
 * `suppress` (any method): a score that is not above every score of the previous `suppress`
 * windows is reported as 0, so a lasting anomaly is reported once, at its onset, rather than on
 * every window. It needs no threshold, so it also works when the threshold is chosen afterwards.
 */

export type ScoringMethod = 'raw' | 'smoothed' | 'likelihood' | 'loglikelihood';

export interface ScoringConfig {
  method: ScoringMethod;
  /** likelihood: history of short means the distribution is estimated from, in windows. */
  window: number;
  /** smoothed, likelihood: windows averaged into the short mean. */
  shortWindow: number;
  /** likelihood: windows before a likelihood is reported. */
  learningPeriod: number;
  /** likelihood: floor of the standard deviation, as a fraction of the history's mean (keeps a flat history from turning every wiggle into certainty). */
  minStdRatio: number;
  /** Windows a score must top to be reported; 0 disables. */
  suppress: number;
  /** likelihood, loglikelihood: score 1 when the newest value leaves the range seen so far. */
  spatial: boolean;
  /** spatial: the range is widened by this fraction of itself on either side. */
  spatialTolerance: number;
  /** likelihood, loglikelihood: windows per season (e.g. a day) for the seasonal rule; 0 disables it. */
  seasonalPeriod: number;
  /** seasonal: the most previous seasons whose values at the same position are compared. */
  seasonalDays: number;
  /** seasonal: windows averaged into the short mean of the seasonal deviation. */
  seasonalShortWindow: number;
}

/** Defaults of a stream rule's `scoring` (config schema). */
export const SCORING_DEFAULTS: ScoringConfig = {
  method: 'raw',
  window: 2000,
  shortWindow: 10,
  learningPeriod: 300,
  minStdRatio: 0.1,
  suppress: 0,
  spatial: false,
  spatialTolerance: 0.02,
  seasonalPeriod: 0,
  seasonalDays: 7,
  seasonalShortWindow: 30,
};

interface RollingSumSnapshot {
  ring: number[];
  next: number;
  count: number;
  sum: number;
  sumSq: number;
}

/** A snapshot taken under another scoring configuration; the stream starts afresh instead. */
class StateShapeError extends Error {}

/** Sliding sum over the last `size` values, with a ring buffer. */
class RollingSum {
  private readonly ring: Float64Array;
  private next = 0;
  count = 0;
  sum = 0;
  sumSq = 0;

  constructor(readonly size: number) {
    this.ring = new Float64Array(size);
  }

  push(x: number): void {
    if (this.count === this.size) {
      const old = this.ring[this.next];
      this.sum -= old;
      this.sumSq -= old * old;
    } else this.count++;
    this.ring[this.next] = x;
    this.next = (this.next + 1) % this.size;
    this.sum += x;
    this.sumSq += x * x;
  }

  get mean(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }

  /** Sums are kept as they are (not re-added from the ring) so a restored stream scores bit for bit alike. */
  snapshot(): RollingSumSnapshot {
    return { ring: Array.from(this.ring.subarray(0, this.count)), next: this.next, count: this.count, sum: this.sum, sumSq: this.sumSq };
  }

  restore(snap: RollingSumSnapshot): void {
    if (snap.ring.length > this.size) throw new StateShapeError(`a rolling window of ${snap.ring.length} does not fit ${this.size}`);
    this.ring.fill(0);
    this.ring.set(snap.ring);
    this.next = snap.next;
    this.count = snap.count;
    this.sum = snap.sum;
    this.sumSq = snap.sumSq;
  }

  get std(): number {
    if (this.count === 0) return 0;
    const m = this.mean;
    return Math.sqrt(Math.max(0, this.sumSq / this.count - m * m));
  }
}

/** Sliding maximum over the last `size` values (monotonic deque). */
class RollingMax {
  private readonly values: number[] = [];
  private readonly positions: number[] = [];
  private position = 0;

  constructor(private readonly size: number) {}

  /** Maximum of the values pushed within the last `size` pushes (-Infinity when none). */
  get max(): number {
    return this.values.length ? this.values[0] : -Infinity;
  }

  snapshot(): { values: number[]; positions: number[]; position: number } {
    return { values: [...this.values], positions: [...this.positions], position: this.position };
  }

  restore(snap: { values: number[]; positions: number[]; position: number }): void {
    this.values.splice(0, Infinity, ...snap.values);
    this.positions.splice(0, Infinity, ...snap.positions);
    this.position = snap.position;
  }

  push(x: number): void {
    while (this.values.length && this.values[this.values.length - 1] <= x) {
      this.values.pop();
      this.positions.pop();
    }
    this.values.push(x);
    this.positions.push(this.position);
    this.position++;
    while (this.positions[0] <= this.position - 1 - this.size) {
      this.values.shift();
      this.positions.shift();
    }
  }
}

/**
 * Range of every value seen so far, per feature, and whether a new value leaves it by more than
 * `tolerance` × its width.
 */
export class ValueRange {
  private low: Float64Array | null = null;
  private high: Float64Array | null = null;

  constructor(private readonly tolerance: number) {}

  snapshot(): { low: number[]; high: number[] } | null {
    return this.low === null || this.high === null ? null : { low: Array.from(this.low), high: Array.from(this.high) };
  }

  restore(snap: { low: number[]; high: number[] } | null): void {
    this.low = snap === null ? null : Float64Array.from(snap.low);
    this.high = snap === null ? null : Float64Array.from(snap.high);
  }

  /** True when any feature of `values` lies outside the range so far (widened); then adds `values` to the range. */
  observe(values: ArrayLike<number>): boolean {
    if (this.low === null || this.high === null || this.low.length !== values.length) {
      this.low = Float64Array.from(values);
      this.high = Float64Array.from(values);
      return false;
    }
    let outside = false;
    for (let j = 0; j < values.length; j++) {
      const v = values[j];
      const margin = this.tolerance * (this.high[j] - this.low[j]);
      if (v > this.high[j] + margin || v < this.low[j] - margin) outside = true;
      if (v < this.low[j]) this.low[j] = v;
      if (v > this.high[j]) this.high[j] = v;
    }
    return outside;
  }
}

/**
 * |x − median of the values 1…`seasons` periods earlier|, over as many seasons as have been seen;
 * null until one full period has been seen.
 */
export class SeasonalDeviation {
  private readonly ring: Float64Array;
  private count = 0;
  private readonly previous: number[] = [];

  constructor(
    private readonly period: number,
    private readonly seasons: number,
  ) {
    this.ring = new Float64Array(period * seasons);
  }

  /** Only the last `period × seasons` values matter, and only those seen are kept. */
  snapshot(): { ring: number[]; count: number } {
    return { ring: Array.from(this.ring.subarray(0, Math.min(this.count, this.ring.length))), count: this.count };
  }

  restore(snap: { ring: number[]; count: number }): void {
    if (snap.ring.length > this.ring.length) throw new StateShapeError(`a seasonal history of ${snap.ring.length} does not fit ${this.ring.length}`);
    this.ring.fill(0);
    this.ring.set(snap.ring);
    this.count = snap.count;
  }

  next(x: number): number | null {
    const size = this.ring.length;
    this.previous.length = 0;
    for (let k = 1; k <= this.seasons && k * this.period <= this.count; k++) {
      this.previous.push(this.ring[(this.count - k * this.period) % size]);
    }
    this.ring[this.count % size] = x;
    this.count++;
    if (this.previous.length === 0) return null;
    return Math.abs(x - median(this.previous));
  }
}

function median(xs: number[]): number {
  xs.sort((a, b) => a - b);
  const h = xs.length >> 1;
  return xs.length % 2 === 1 ? xs[h] : (xs[h - 1] + xs[h]) / 2;
}

/** One stream's state under one configuration. */
export class StreamScoreTransform {
  private readonly short: RollingSum;
  private readonly history: RollingSum | null;
  private readonly recent: RollingMax | null;
  private readonly range: ValueRange | null;
  private readonly seasonal: { deviation: SeasonalDeviation; likelihood: StreamScoreTransform } | null;
  private seen = 0;

  constructor(readonly config: ScoringConfig) {
    const likelihoodMethod = config.method === 'likelihood' || config.method === 'loglikelihood';
    this.short = new RollingSum(config.shortWindow);
    this.history = likelihoodMethod ? new RollingSum(config.window) : null;
    this.recent = config.suppress > 0 ? new RollingMax(config.suppress) : null;
    this.range = likelihoodMethod && config.spatial ? new ValueRange(config.spatialTolerance) : null;
    this.seasonal =
      likelihoodMethod && config.seasonalPeriod > 0
        ? {
            deviation: new SeasonalDeviation(config.seasonalPeriod, config.seasonalDays),
            likelihood: new StreamScoreTransform({ ...config, shortWindow: config.seasonalShortWindow, suppress: 0, spatial: false, seasonalPeriod: 0 }),
          }
        : null;
  }

  /** Plain JSON; the parts a method does not use are left out. */
  snapshot(): ScoreTransformSnapshot {
    const { method } = this.config;
    const snap: ScoreTransformSnapshot = { method, seen: this.seen };
    if (method !== 'raw') snap.short = this.short.snapshot();
    if (this.history !== null) snap.history = this.history.snapshot();
    if (this.recent !== null) snap.recent = this.recent.snapshot();
    if (this.range !== null) snap.range = this.range.snapshot();
    if (this.seasonal !== null) snap.seasonal = { deviation: this.seasonal.deviation.snapshot(), likelihood: this.seasonal.likelihood.snapshot() };
    return snap;
  }

  /** False (and nothing restored) when `snap` was taken under a different configuration. */
  restore(snap: ScoreTransformSnapshot): boolean {
    if (snap.method !== this.config.method || (snap.recent === undefined) !== (this.recent === null) || (snap.range === undefined) !== (this.range === null) || (snap.seasonal === undefined) !== (this.seasonal === null)) {
      return false;
    }
    try {
      this.seen = snap.seen;
      if (snap.short) this.short.restore(snap.short);
      if (snap.history && this.history) this.history.restore(snap.history);
      if (snap.recent && this.recent) this.recent.restore(snap.recent);
      if (snap.range !== undefined && this.range) this.range.restore(snap.range);
      if (snap.seasonal && this.seasonal) {
        this.seasonal.deviation.restore(snap.seasonal.deviation);
        if (!this.seasonal.likelihood.restore(snap.seasonal.likelihood)) return false;
      }
      return true;
    } catch (err) {
      if (err instanceof StateShapeError) return false;
      throw err;
    }
  }

  /**
   * The reported score for the next window's raw MSE. `latest`: the values of the window's newest
   * point (one per feature), needed by the spatial rule.
   */
  next(raw: number, latest?: ArrayLike<number>): number {
    this.seen++;
    let score = this.transform(raw);
    if (this.range !== null && latest !== undefined && this.range.observe(latest) && this.seen > this.config.learningPeriod) score = 1;
    if (this.seasonal !== null && latest !== undefined && latest.length > 0) {
      const deviation = this.seasonal.deviation.next(latest[0]);
      if (deviation !== null) score = Math.max(score, this.seasonal.likelihood.next(deviation));
    }
    if (this.recent === null) return score;
    const reported = score > this.recent.max ? score : 0;
    this.recent.push(score);
    return reported;
  }

  private transform(raw: number): number {
    const { method } = this.config;
    if (method === 'raw') return raw;
    this.short.push(raw);
    if (method === 'smoothed') return this.short.mean;
    const h = this.history!;
    const shortMean = this.short.mean;
    // The distribution is that of the history before this window, so an anomaly does not dilute its own z-score.
    const learning = this.seen <= this.config.learningPeriod || h.count < 2;
    const std = Math.max(h.std, this.config.minStdRatio * h.mean);
    const score =
      method === 'likelihood'
        ? learning
          ? 0.5
          : likelihood(shortMean, h.mean, std)
        : learning
          ? 0
          : logLikelihood(shortMean, h.mean, std);
    h.push(shortMean);
    return score;
  }
}

/** 1 - Q((x - mean) / std): how unusually high x is; 0.5 when std is 0 and x equals the mean. */
export function likelihood(x: number, mean: number, std: number): number {
  if (!(std > 0)) return x > mean ? 1 : x < mean ? 0 : 0.5;
  return 1 - gaussianTail((x - mean) / std);
}

/** L / (1 + L) with L = -log10 Q((x - mean) / std): 0 far below the mean, about 0.23 at it, towards 1 far above. */
export function logLikelihood(x: number, mean: number, std: number): number {
  if (!(std > 0)) return x > mean ? 1 : x < mean ? 0 : 0.23;
  const l = -log10GaussianTail((x - mean) / std);
  return l / (1 + l);
}

/** log10 Q(z), accurate far into the tail where Q(z) itself underflows. */
export function log10GaussianTail(z: number): number {
  if (z < 0) return Math.log10(gaussianTail(z));
  const x = z / Math.SQRT2;
  const t = 1 / (1 + 0.5 * x);
  return (Math.log(0.5 * t) + erfcExponent(x, t)) / Math.LN10;
}

/** Q(z) = P(Z > z) for a standard normal Z. */
export function gaussianTail(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/** Complementary error function (Numerical Recipes' Chebyshev fit, relative error < 1.2e-7). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(erfcExponent(z, t));
  return x >= 0 ? r : 2 - r;
}

/** erfc(z) = t · exp(erfcExponent(z, t)) for z ≥ 0, t = 1 / (1 + z/2). */
function erfcExponent(z: number, t: number): number {
  return (
    -z * z -
    1.26551223 +
    t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))))
  );
}

/** A stream's score-transform state as plain JSON (the changelog record's `scoring`). */
export interface ScoreTransformSnapshot {
  method: ScoringMethod;
  seen: number;
  short?: RollingSumSnapshot;
  history?: RollingSumSnapshot;
  recent?: { values: number[]; positions: number[]; position: number };
  range?: { low: number[]; high: number[] } | null;
  seasonal?: { deviation: { ring: number[]; count: number }; likelihood: ScoreTransformSnapshot };
}

/** The transform state of every stream; a stream's state starts on its first window. */
export class ScoreTransforms {
  private readonly streams = new Map<string, StreamScoreTransform>();
  /** Restored state waits here for the stream's first window, which brings the configuration it belongs to. */
  private readonly restored = new Map<string, ScoreTransformSnapshot>();

  /** The reported score of `stream`'s next window; `latest`: the values of the window's newest point. */
  apply(stream: string, raw: number, config: ScoringConfig, latest?: ArrayLike<number>): number {
    let s = this.streams.get(stream);
    if (s === undefined || s.config !== config) {
      s = new StreamScoreTransform(config);
      const snap = this.restored.get(stream);
      if (snap !== undefined) {
        this.restored.delete(stream);
        if (!s.restore(snap)) s = new StreamScoreTransform(config);
      }
      this.streams.set(stream, s);
    }
    return s.next(raw, latest);
  }

  snapshot(stream: string): ScoreTransformSnapshot | undefined {
    return this.streams.get(stream)?.snapshot() ?? this.restored.get(stream);
  }

  restore(stream: string, state: unknown): void {
    this.streams.delete(stream);
    if (state === undefined || state === null) this.restored.delete(stream);
    else this.restored.set(stream, state as ScoreTransformSnapshot);
  }

  drop(predicate: (stream: string) => boolean): void {
    for (const stream of this.streams.keys()) if (predicate(stream)) this.streams.delete(stream);
    for (const stream of this.restored.keys()) if (predicate(stream)) this.restored.delete(stream);
  }
}
