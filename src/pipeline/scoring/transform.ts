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

import type { ScoringConfig } from '../../config/schema.js';
import { likelihood, logLikelihood } from './gaussian.js';
import { RollingMax, RollingSum, StateShapeError, type RollingMaxSnapshot, type RollingSumSnapshot } from './rolling.js';
import type { ScoreInput, ScoreOutput, StreamScorer } from './scorer.js';
import { SeasonalDeviation } from './seasonal-deviation.js';
import { ValueRange } from './value-range.js';

export interface ScoreTransformSnapshot {
  method: ScoringConfig['method'];
  seen: number;
  short: RollingSumSnapshot;
  history?: RollingSumSnapshot;
  recent?: RollingMaxSnapshot;
  range?: { low: number[]; high: number[] } | null;
  seasonal?: { deviation: { ring: number[]; count: number }; likelihood: ScoreTransformSnapshot };
}

/** One stream's state under the raw, smoothed, likelihood or loglikelihood method. */
export class StreamScoreTransform implements StreamScorer {
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

  follows(config: ScoringConfig): boolean {
    return config === this.config;
  }

  /** Holds no shared rows. */
  release(): void {}

  snapshot(): ScoreTransformSnapshot {
    const snap: ScoreTransformSnapshot = { method: this.config.method, seen: this.seen, short: this.short.snapshot() };
    if (this.history !== null) snap.history = this.history.snapshot();
    if (this.recent !== null) snap.recent = this.recent.snapshot();
    if (this.range !== null) snap.range = this.range.snapshot();
    if (this.seasonal !== null) snap.seasonal = { deviation: this.seasonal.deviation.snapshot(), likelihood: this.seasonal.likelihood.snapshot() };
    return snap;
  }

  /** Throws StateShapeError when `snap` was taken under another configuration. */
  restore(snap: ScoreTransformSnapshot): void {
    const fits =
      snap.method === this.config.method &&
      (snap.history !== undefined) === (this.history !== null) &&
      (snap.recent !== undefined) === (this.recent !== null) &&
      (snap.range !== undefined) === (this.range !== null) &&
      (snap.seasonal !== undefined) === (this.seasonal !== null);
    if (!fits) throw new StateShapeError('the snapshot was taken under another scoring configuration');
    this.seen = snap.seen;
    this.short.restore(snap.short);
    if (this.history !== null) this.history.restore(snap.history!);
    if (this.recent !== null) this.recent.restore(snap.recent!);
    if (this.range !== null) this.range.restore(snap.range!);
    if (this.seasonal !== null) {
      this.seasonal.deviation.restore(snap.seasonal!.deviation);
      this.seasonal.likelihood.restore(snap.seasonal!.likelihood);
    }
  }

  score(input: ScoreInput): ScoreOutput {
    return { score: this.next(input.raw, input.latest) };
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

