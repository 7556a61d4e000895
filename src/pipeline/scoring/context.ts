import type { ContextConfig, ScoringConfig } from '../../config/schema.js';
import type { AlertKind } from '../types.js';
import type { ScoreInput, ScoreOutput, StreamScorer } from './scorer.js';
import { newProfileRows, SeasonalProfile, type ProfileRows, type SeasonalProfileSnapshot } from './seasonal-profile.js';
import { SharedRowsByWidth, type SharedRows } from './shared-rows.js';

export interface ContextScorerSnapshot {
  method: 'context';
  profile: SeasonalProfileSnapshot | null;
  /** null: not learned yet (NaN). */
  sigma: number | null;
  up: number;
  down: number;
  rhythm: RhythmSnapshot | null;
  /** The flattened-series evidence: noise scale per block of the day (null: not learned), its CUSUM, the previous point. */
  smooth?: { changeScales: Float64Array | (number | null)[] | null; sum: number; previousLog: number | null; previousResidual: number | null };
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
  /** Made at its first point (a stream's first day is spent learning its profile), for the profile's cadence. */
  private rhythm: RhythmWindow | null = null;
  /**
   * What it learns once its profile gives expectations, at the offsets named below: sigma, the CUSUMs
   * up and down, the flattened-series CUSUM, the previous log value and residual, and the noise scales.
   * Null until then (a stream's first day). One plain array of doubles: as fields, each number that
   * is no small integer would be a heap object of its own, and a stream's first day would hold them
   * all (~100 bytes).
   */
  private learned: number[] | null = null;

  constructor(
    private readonly config: ContextConfig,
    /** Where its profile's and rhythm window's numbers go (see newContextRows). */
    private readonly rows: ContextRows = OWN_CONTEXT_ROWS,
  ) {}

  follows(config: ScoringConfig): boolean {
    return config.method === 'context' && config.context === this.config;
  }

  snapshot(): ContextScorerSnapshot {
    const n = this.learned ?? UNLEARNED;
    return {
      method: 'context',
      profile: this.profile?.snapshot() ?? null,
      sigma: nullIfNaN(n[SIGMA]),
      up: n[UP],
      down: n[DOWN],
      rhythm: this.rhythm?.snapshot() ?? null,
      smooth: {
        changeScales: this.learned === null ? null : Float64Array.from(n.slice(SCALES, SCALES + NOISE_BLOCKS)),
        sum: n[SMOOTH],
        previousLog: nullIfNaN(n[PREVIOUS_LOG]),
        previousResidual: nullIfNaN(n[PREVIOUS_RESIDUAL]),
      },
    };
  }

  /** Gives back the rows its profile and rhythm window hold; its holder drops it with this. */
  release(): void {
    this.profile?.release();
    this.rhythm?.release();
    this.profile = null;
    this.rhythm = null;
  }

  restore(s: ContextScorerSnapshot): void {
    if (s.method !== 'context') throw new Error(`a ${String(s.method)} snapshot is no context scorer's`);
    this.release();
    this.profile = s.profile === null ? null : SeasonalProfile.restore(s.profile, this.config.minDays, this.rows.profiles);
    this.rhythm = s.rhythm === null ? null : RhythmWindow.restore(s.rhythm, this.rows.rhythms);
    const smooth = s.smooth;
    const scales = smooth?.changeScales ?? null;
    if (s.sigma === null && s.up === 0 && s.down === 0 && !(smooth?.sum) && scales === null) {
      this.learned = null;
      return;
    }
    const n = (this.learned = UNLEARNED.slice());
    n[SIGMA] = s.sigma ?? NaN;
    n[UP] = s.up;
    n[DOWN] = s.down;
    n[SMOOTH] = smooth?.sum ?? 0;
    n[PREVIOUS_LOG] = smooth?.previousLog ?? NaN;
    n[PREVIOUS_RESIDUAL] = smooth?.previousResidual ?? NaN;
    if (scales !== null) for (let b = 0; b < NOISE_BLOCKS; b++) n[SCALES + b] = scales[b] ?? NaN;
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
      this.release();
      this.profile = new SeasonalProfile(input.cadenceMs, this.config.minDays, this.rows.profiles);
    }

    const c = this.config;
    const floor = 0.01 * level;
    const logValue = Math.log(value + floor);
    const expectedLog = this.profile.expectedLog(input.ts);
    if (expectedLog === undefined || this.learned === null || Number.isNaN(this.learned[SIGMA])) {
      if (expectedLog !== undefined) (this.learned ??= UNLEARNED.slice())[SIGMA] = Math.max(c.minSigma, Math.abs(logValue - expectedLog));
      this.profile.learn(input.ts, logValue, 0, 0);
      return { score: learningScore, threshold: 1, kind: errorKind };
    }
    const n = this.learned;

    const residual = logValue - expectedLog;
    const expected = Math.max(0, Math.exp(expectedLog) - floor);
    const deviation = (value - expected) / Math.max(expected, floor);
    const sigma = Math.max(n[SIGMA], c.minSigma);
    const z = residual / sigma;

    let point = Math.min(Math.abs(deviation) / c.minDeviation, Math.abs(z) / c.minZ);
    if (c.autoencoderGate) point = Math.min(point, errorScore);
    const clipped = Math.max(-c.zClip, Math.min(c.zClip, z));
    // Capped just above its threshold, so the end of a long incident is noticed within a few points.
    const cap = CUSUM_CAP * c.cusumThreshold;
    n[UP] = Math.min(cap, Math.max(0, n[UP] + clipped - c.cusumSlack));
    n[DOWN] = Math.min(cap, Math.max(0, n[DOWN] - clipped - c.cusumSlack));
    const sustained = Math.abs(deviation) >= c.cusumMinDeviation ? Math.max(n[UP], n[DOWN]) / c.cusumThreshold : 0;
    const scaleAt = SCALES + Math.floor((((input.ts % DAY_MS) + DAY_MS) % DAY_MS) / (DAY_MS / NOISE_BLOCKS));
    const smooth = this.smoothEvidence(n, logValue - n[PREVIOUS_LOG], n[scaleAt], clipped);
    const flat = Math.max(this.rhythmEvidence(residual, expectedLog), smooth);
    const score = Math.max(point, sustained, flat);
    const anomalous = score > 1;
    // Learned from every point the level rules pass, a smooth stretch included: were it left out, a
    // source that turns smoother for good would be flagged for good.
    const change = Math.abs(residual - n[PREVIOUS_RESIDUAL]);
    if (Math.max(point, sustained) <= 1 && !Number.isNaN(change)) {
      const scale = n[scaleAt];
      n[scaleAt] = Number.isNaN(scale) ? change : scale + c.sigmaRate * (Math.min(change, 3 * scale) - scale);
    }
    n[PREVIOUS_LOG] = logValue;
    n[PREVIOUS_RESIDUAL] = residual;

    const rate = anomalous ? c.anomalyRateFactor : 1;
    const step = Math.max(-c.updateClip * sigma, Math.min(c.updateClip * sigma, residual)) * rate;
    this.profile.learn(input.ts, logValue, step * this.profile.pointRate(c.profileRate), step * c.weekendRate);
    n[SIGMA] += rate * c.sigmaRate * (Math.min(Math.abs(residual), c.updateClip * sigma) - n[SIGMA]);

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
    const w = (this.rhythm ??= this.newRhythm());
    if (w === null) return 0;
    w.push(residual + expectedLog, expectedLog);
    const spreads = w.spreads();
    if (spreads === null) return 0;
    const still = spreads.observed > 0 ? (this.config.rhythmMaxRatio * spreads.expected) / spreads.observed : Infinity;
    return Math.min(spreads.expected / this.config.rhythmMinSpread, still);
  }

  /** A rhythm window of `rhythmHours` at the profile's cadence; null when that is two points or fewer. */
  private newRhythm(): RhythmWindow | null {
    const points = Math.min(MAX_RHYTHM_POINTS, Math.round((this.config.rhythmHours * 3_600_000) / this.profile!.cadenceMs));
    return points > 2 ? new RhythmWindow(points, this.rows.rhythms) : null;
  }

  /**
   * A flattened series, which moves less than the source ever does while it sits off its expected
   * level: a stuck counter, or one replayed from a mean. A CUSUM of, per point, the log-likelihood
   * ratio of its change under "flat" (half the usual noise) against "normal" (the usual noise, whose
   * scale is the mean absolute change of the residual), plus how far the point lies from its expected
   * value (|z| capped at 3, less `flatLevelSlack`). Neither part alone is rare enough: quiet hours
   * are smooth, and a point 2 typical deviations off is common; together they are.
   */
  private smoothEvidence(n: number[], change: number, changeScale: number, z: number): number {
    const c = this.config;
    if (c.flatThreshold === 0 || !(changeScale > 0) || Number.isNaN(change)) return 0;
    // Mean absolute change → variance of a normal distribution: (π/2)·mean².
    const variance = (Math.PI / 2) * changeScale * changeScale;
    // ln of N(change; 0, variance/4) over N(change; 0, variance).
    const likelihoodRatio = Math.LN2 - (1.5 * change * change) / variance;
    const level = Math.min(Math.abs(z), FLAT_Z_CAP) - c.flatLevelSlack;
    const step = Math.max(-c.flatClip, likelihoodRatio + level);
    n[SMOOTH] = Math.min(CUSUM_CAP * c.flatThreshold, Math.max(0, n[SMOOTH] + step));
    return n[SMOOTH] / c.flatThreshold;
  }
}

const CUSUM_CAP = 1.5;
const DAY_MS = 86_400_000;
/**
 * Blocks of the day with a noise scale each: the typical size of the residual's change from one
 * point to the next, the stream's own noise, per four hours of the (UTC) day; a source is rarely as
 * noisy at night as in the afternoon.
 */
const NOISE_BLOCKS = 6;
/** Offsets in a scorer's learned numbers. */
const SIGMA = 0;
const UP = 1;
const DOWN = 2;
const SMOOTH = 3;
const PREVIOUS_LOG = 4;
const PREVIOUS_RESIDUAL = 5;
const SCALES = 6;
/** Learned numbers before anything is learned; NaN: not learned yet. */
const UNLEARNED: readonly number[] = [NaN, 0, 0, 0, NaN, NaN, ...new Array<number>(NOISE_BLOCKS).fill(NaN)];
const FLAT_Z_CAP = 3;
/** Enough points for a stable spread; more only costs time per event at fine cadences. */
const MAX_RHYTHM_POINTS = 48;

const NO_LOGS = new Float64Array(0);

interface RhythmSnapshot {
  size: number;
  observed: Float64Array | number[];
  expected: Float64Array | number[];
  next: number;
  count: number;
}

/** Rhythm windows' logs, by window size: a row of 2·size float64. */
type RhythmRows = SharedRowsByWidth<Float64Array>;

/** The rows context scorers keep their profiles' and rhythm windows' numbers in. */
export interface ContextRows {
  profiles: ProfileRows;
  rhythms: RhythmRows;
}

/**
 * Rows for the context scorers of one owner: a pipeline's scorers share one set, so the rows go when
 * the pipeline goes, whether or not it dropped its streams first.
 */
export function newContextRows(): ContextRows {
  return {
    profiles: newProfileRows(),
    rhythms: new SharedRowsByWidth<Float64Array>(
      (values) => new Float64Array(values),
      (chunk, base, width) => chunk.fill(0, base, base + width),
    ),
  };
}

/** The rows of scorers made on their own (tests, tools). */
const OWN_CONTEXT_ROWS = newContextRows();

/** The last `size` observed and expected log values, and how much each spreads. */

class RhythmWindow {
  /**
   * Observed logs in [base, base + size), expected logs in [base + size, base + 2·size) of a chunk
   * shared with other streams' windows; taken at the first push (most new streams are still learning).
   */
  private logs: Float64Array | null = null;
  private base = 0;
  /** The row of the logs in `rows` (-1: none taken, or given back). */
  private row = -1;
  private readonly rows: SharedRows<Float64Array>;
  private next = 0;
  private count = 0;

  constructor(
    readonly size: number,
    rows: RhythmRows,
  ) {
    this.rows = rows.of(2 * size);
  }

  snapshot(): RhythmSnapshot {
    // Still learning (no point pushed yet): nothing to copy; a restore reads the logs only once count > 0.
    if (this.logs === null) return { size: this.size, observed: NO_LOGS, expected: NO_LOGS, next: this.next, count: this.count };
    const logs = this.logs.slice(this.base, this.base + 2 * this.size);
    return { size: this.size, observed: logs.subarray(0, this.size), expected: logs.subarray(this.size), next: this.next, count: this.count };
  }

  static restore(s: RhythmSnapshot, rows: RhythmRows): RhythmWindow {
    if (s.count > 0 && (s.observed.length !== s.size || s.expected.length !== s.size)) throw new Error(`a rhythm window of ${s.observed.length} logs does not fit ${s.size}`);
    const w = new RhythmWindow(s.size, rows);
    if (s.count > 0) {
      const logs = w.takeLogs();
      logs.set(s.observed, w.base);
      logs.set(s.expected, w.base + s.size);
    }
    w.next = s.next;
    w.count = s.count;
    return w;
  }

  private takeLogs(): Float64Array {
    this.row = this.rows.lease();
    this.base = this.rows.baseOf(this.row);
    return (this.logs = this.rows.chunkOf(this.row));
  }

  /** Gives the logs' row back; the window's holder drops it with this. */
  release(): void {
    if (this.row < 0) return;
    this.rows.release(this.row);
    this.row = -1;
    this.logs = null;
  }

  push(observedLog: number, expectedLog: number): void {
    const logs = this.logs ?? this.takeLogs();
    logs[this.base + this.next] = observedLog;
    logs[this.base + this.size + this.next] = expectedLog;
    this.next = (this.next + 1) % this.size;
    if (this.count < this.size) this.count++;
  }

  /** Standard deviations of the observed and of the expected logs, once the window is full. */
  spreads(): { observed: number; expected: number } | null {
    if (this.count < this.size || this.logs === null) return null;
    const from = this.base;
    return { observed: std(this.logs, from, from + this.size), expected: std(this.logs, from + this.size, from + 2 * this.size) };
  }
}

function nullIfNaN(x: number): number | null {
  return Number.isNaN(x) ? null : x;
}

function std(xs: Float64Array, from: number, to: number): number {
  const n = to - from;
  let mean = 0;
  for (let i = from; i < to; i++) mean += xs[i];
  mean /= n;
  let sq = 0;
  for (let i = from; i < to; i++) sq += (xs[i] - mean) * (xs[i] - mean);
  return Math.sqrt(sq / n);
}

/** A cadence within 10 % of the profile's keeps the profile; a stream that really changed its cadence starts a new one. */
function sameCadence(a: number, b: number): boolean {
  return Math.abs(a - b) <= 0.1 * a;
}
