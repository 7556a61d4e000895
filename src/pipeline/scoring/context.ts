import type { ContextConfig } from '../../config/schema.js';
import type { AlertKind } from '../types.js';
import type { ScoreInput, ScoreOutput, StreamScorer } from './scorer.js';
import { SeasonalProfile, type SeasonalProfileSnapshot } from './seasonal-profile.js';

export interface ContextScorerSnapshot {
  method: 'context';
  profile: SeasonalProfileSnapshot | null;
  /** null: not learned yet (NaN). */
  sigma: number | null;
  up: number;
  down: number;
  rhythm: RhythmSnapshot | null;
}

/**
 * The `context` scoring method: the autoencoder's reconstruction error, judged against the
 * stream's own seasonal context.
 *
 * A window of five points cannot see a day, so a source that runs at half its usual rate all
 * afternoon, or at its daytime rate at night, reconstructs well. The context can: each stream
 * learns what it usually sends at this time of day (SeasonalProfile) and how far it usually strays
 * from that (sigma, a typical log-deviation). A point is anomalous when it strays far in both
 * senses, relatively (|value/expected − 1| ≥ minDeviation) and for this stream (|z| ≥ minZ); a
 * smaller deviation that lasts is caught by a two-sided CUSUM of the z-scores. The score is the
 * strongest of that evidence in units of its own bar, so it is compared with a threshold of 1.
 *
 * While the context is still learning (the first day of a stream, or its first weekend day) the
 * autoencoder decides alone, its error in units of `learningErrorFactor` times its threshold, once
 * the stream's level it normalises by has a day behind it; with `autoencoderGate` (the default) every point deviation
 * afterwards also needs the autoencoder's confirmation, so a value that strays from the time of
 * day but keeps the shape of its neighbours does not alert.
 *
 * Anomalous points teach the context at a fraction of the rate, so an incident is not learned as
 * normal while it lasts, yet a lasting change of level becomes the norm within days.
 */
export class ContextScorer implements StreamScorer {
  private profile: SeasonalProfile | null = null;
  private sigma = NaN;
  private up = 0;
  private down = 0;
  private rhythm: RhythmWindow | null = null;

  constructor(private readonly config: ContextConfig) {}

  snapshot(): ContextScorerSnapshot {
    return {
      method: 'context',
      profile: this.profile?.snapshot() ?? null,
      sigma: Number.isNaN(this.sigma) ? null : this.sigma,
      up: this.up,
      down: this.down,
      rhythm: this.rhythm?.snapshot() ?? null,
    };
  }

  restore(s: ContextScorerSnapshot): void {
    if (s.method !== 'context') throw new Error(`a ${String(s.method)} snapshot is no context scorer's`);
    this.profile = s.profile === null ? null : SeasonalProfile.restore(s.profile, this.config.minDays);
    this.sigma = s.sigma === null ? NaN : s.sigma;
    this.up = s.up;
    this.down = s.down;
    this.rhythm = s.rhythm === null ? null : RhythmWindow.restore(s.rhythm);
  }

  score(input: ScoreInput): ScoreOutput {
    const value = input.latest[0];
    // Before the stream's level is known its normalised windows mean little: the stream is learned, not judged.
    const errorScore = input.errorTrusted ? input.raw / input.errorThreshold : 0;
    const learningScore = errorScore / this.config.learningErrorFactor;
    const errorKind: AlertKind = value >= input.reconstructedLatest ? 'spike' : 'drop';
    const level = input.level;
    if (input.cadenceMs === undefined || level === undefined) return { score: learningScore, threshold: 1, kind: errorKind };
    if (this.profile === null || !sameCadence(this.profile.cadenceMs, input.cadenceMs)) {
      this.profile = new SeasonalProfile(input.cadenceMs, this.config.minDays);
      const points = Math.min(MAX_RHYTHM_POINTS, Math.round((this.config.rhythmHours * 3_600_000) / input.cadenceMs));
      this.rhythm = points > 2 ? new RhythmWindow(points) : null;
    }

    const c = this.config;
    const floor = 0.01 * level;
    const logValue = Math.log(value + floor);
    const expectedLog = this.profile.expectedLog(input.ts);
    if (expectedLog === undefined || Number.isNaN(this.sigma)) {
      if (expectedLog !== undefined) this.sigma = Math.max(c.minSigma, Math.abs(logValue - expectedLog));
      this.profile.learn(input.ts, logValue, 0, 0);
      return { score: learningScore, threshold: 1, kind: errorKind };
    }

    const residual = logValue - expectedLog;
    const expected = Math.max(0, Math.exp(expectedLog) - floor);
    const deviation = (value - expected) / Math.max(expected, floor);
    const sigma = Math.max(this.sigma, c.minSigma);
    const z = residual / sigma;

    let point = Math.min(Math.abs(deviation) / c.minDeviation, Math.abs(z) / c.minZ);
    if (c.autoencoderGate) point = Math.min(point, errorScore);
    const clipped = Math.max(-c.zClip, Math.min(c.zClip, z));
    // Capped just above its threshold, so the end of a long incident is noticed within a few points.
    const cap = CUSUM_CAP * c.cusumThreshold;
    this.up = Math.min(cap, Math.max(0, this.up + clipped - c.cusumSlack));
    this.down = Math.min(cap, Math.max(0, this.down - clipped - c.cusumSlack));
    const sustained = Math.abs(deviation) >= c.cusumMinDeviation ? Math.max(this.up, this.down) / c.cusumThreshold : 0;
    const flat = this.rhythmEvidence(residual, expectedLog);
    const score = Math.max(point, sustained, flat);
    const anomalous = score > 1;

    const rate = anomalous ? c.anomalyRateFactor : 1;
    const step = Math.max(-c.updateClip * sigma, Math.min(c.updateClip * sigma, residual)) * rate;
    this.profile.learn(input.ts, logValue, step * c.profileRate, step * c.weekendRate);
    this.sigma += rate * c.sigmaRate * (Math.min(Math.abs(residual), c.updateClip * sigma) - this.sigma);

    const kind: AlertKind =
      point >= sustained && point >= flat ? (value === 0 ? 'zero' : deviation > 0 ? 'spike' : 'drop') : sustained >= flat ? 'shift' : 'flat';
    return { score, threshold: 1, expected, deviation, kind };
  }

  /**
   * A broken rhythm: over the last points the expected values move (their logs spread by at least
   * `rhythmMinSpread`) while the series stays put (its logs spread less than `rhythmMaxRatio` of
   * that). A late or early ramp still moves; a stuck or replayed counter does not. In units of
   * both bars, so it passes 1 only when both hold.
   */
  private rhythmEvidence(residual: number, expectedLog: number): number {
    const w = this.rhythm;
    if (w === null) return 0;
    w.push(residual + expectedLog, expectedLog);
    const spreads = w.spreads();
    if (spreads === null) return 0;
    const still = spreads.observed > 0 ? (this.config.rhythmMaxRatio * spreads.expected) / spreads.observed : Infinity;
    return Math.min(spreads.expected / this.config.rhythmMinSpread, still);
  }
}

const CUSUM_CAP = 1.5;
/** Enough points for a stable spread; more only costs time per event at fine cadences. */
const MAX_RHYTHM_POINTS = 48;

interface RhythmSnapshot {
  size: number;
  observed: number[];
  expected: number[];
  next: number;
  count: number;
}

/** The last `size` observed and expected log values, and how much each spreads. */
class RhythmWindow {
  private readonly observed: Float64Array;
  private readonly expected: Float64Array;
  private next = 0;
  private count = 0;

  constructor(readonly size: number) {
    this.observed = new Float64Array(size);
    this.expected = new Float64Array(size);
  }

  snapshot(): RhythmSnapshot {
    return { size: this.size, observed: Array.from(this.observed), expected: Array.from(this.expected), next: this.next, count: this.count };
  }

  static restore(s: RhythmSnapshot): RhythmWindow {
    const w = new RhythmWindow(s.size);
    w.observed.set(s.observed);
    w.expected.set(s.expected);
    w.next = s.next;
    w.count = s.count;
    return w;
  }

  push(observedLog: number, expectedLog: number): void {
    this.observed[this.next] = observedLog;
    this.expected[this.next] = expectedLog;
    this.next = (this.next + 1) % this.size;
    if (this.count < this.size) this.count++;
  }

  /** Standard deviations of the observed and of the expected logs, once the window is full. */
  spreads(): { observed: number; expected: number } | null {
    if (this.count < this.size) return null;
    return { observed: std(this.observed), expected: std(this.expected) };
  }
}

function std(xs: Float64Array): number {
  let mean = 0;
  for (const x of xs) mean += x;
  mean /= xs.length;
  let sq = 0;
  for (const x of xs) sq += (x - mean) * (x - mean);
  return Math.sqrt(sq / xs.length);
}

/** A cadence within 10 % of the profile's keeps the profile; a stream that really changed its cadence starts a new one. */
function sameCadence(a: number, b: number): boolean {
  return Math.abs(a - b) <= 0.1 * a;
}
