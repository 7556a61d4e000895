import { describe, expect, it } from 'vitest';
import { SCORING_DEFAULTS, type ContextConfig } from '../../config/schema.js';
import { seededRandom } from '../../model/windows.js';
import { ContextScorer } from './context.js';
import { LevelTracker } from './level.js';
import type { ScoreOutput } from './scorer.js';

const HALF_HOUR = 1_800_000;
const DAY = 48;
/** A Monday. */
const T0 = Date.UTC(2026, 0, 5);

/**
 * A log source: a daily rhythm around `level` (night at 40 %, afternoon at 160 %, or held at `plateau`
 * through the working day), weekends at `weekend` of it, 3 % noise.
 */
function source(days: number, level: number, weekend = 1, seed = 1, plateau = Infinity): number[] {
  const random = seededRandom(seed);
  return Array.from({ length: days * DAY }, (_, i) => {
    const rhythm = Math.min(plateau, 1 - 0.6 * Math.cos((2 * Math.PI * (i % DAY)) / DAY));
    const day = new Date(T0 + i * HALF_HOUR).getUTCDay();
    const gauss = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    return level * rhythm * (day === 0 || day === 6 ? weekend : 1) * (1 + 0.03 * gauss);
  });
}

/**
 * Scores every point as the pipeline would, with the reconstruction error held at `error` (in units
 * of its threshold): below 1 the autoencoder vetoes every point deviation, above it confirms them.
 */
function score(values: number[], error = 2, context: Partial<ContextConfig> = {}, cadenceMs = HALF_HOUR): ScoreOutput[] {
  const scorer = new ContextScorer({ ...SCORING_DEFAULTS.context, ...context });
  const level = new LevelTracker();
  const perDay = 86_400_000 / cadenceMs;
  return values.map((v, i) => {
    const out = scorer.score({
      raw: error,
      latest: [v],
      reconstructedLatest: v,
      ts: T0 + i * cadenceMs,
      cadenceMs: i > 1 ? cadenceMs : undefined,
      level: level.level,
      errorTrusted: level.established(perDay),
      errorThreshold: 1,
    });
    level.observe(v, perDay);
    return out;
  });
}

const anomalous = (out: ScoreOutput[], from = 0, to = out.length) => out.slice(from, to).flatMap((o, i) => (o.score > 1 ? [from + i] : []));

describe('ContextScorer', () => {
  it('stays quiet on a daily rhythm with weekend dips, at any scale, once the first week is learned', () => {
    for (const level of [5, 3000, 200_000]) {
      const out = score(source(21, level, 0.6, level));
      expect(anomalous(out, 7 * DAY), `level ${level}`).toEqual([]);
    }
  });

  it('flags a flood against the expected value at that time of day, with the expected value and deviation', () => {
    const values = source(14, 1000);
    const at = 10 * DAY + 4; // 02:00, deep in the night
    values[at] *= 4;
    const out = score(values);
    expect(anomalous(out, 7 * DAY)).toEqual([at]);
    expect(out[at].kind).toBe('spike');
    const normal = source(14, 1000)[at];
    expect(out[at].expected!).toBeGreaterThan(0.85 * normal);
    expect(out[at].expected!).toBeLessThan(1.15 * normal);
    expect(out[at].deviation!).toBeGreaterThan(2.4);
  });

  it('flags a drop to zero as kind zero and a lasting level shift as it starts', () => {
    const values = source(14, 1000);
    const zero = 9 * DAY + 30;
    for (let i = zero; i < zero + 3; i++) values[i] = 0;
    const shift = 11 * DAY + 20;
    for (let i = shift; i < 14 * DAY; i++) values[i] *= 2;
    const out = score(values);
    expect(out[zero].score).toBeGreaterThan(1);
    expect(out[zero].kind).toBe('zero');
    expect(out[shift].score).toBeGreaterThan(1);
    expect(anomalous(out, 7 * DAY, zero)).toEqual([]);
  });

  it('flags a rhythm gone flat at the day mean, which no single point gives away', () => {
    const values = source(14, 1000);
    const start = 10 * DAY + 18; // 09:00 to 18:00: the afternoon peak never comes
    for (let i = start; i < start + 18; i++) values[i] = 1000;
    const out = score(values);
    expect(out.slice(start, start + 18).every((o) => Math.abs(o.deviation!) < SCORING_DEFAULTS.context.minDeviation)).toBe(true);
    expect(anomalous(out, start, start + 18).length).toBeGreaterThan(0);
    expect(anomalous(out, 7 * DAY, start)).toEqual([]);
    // The broken-rhythm evidence alone (no CUSUM) names it.
    const rhythmOnly = score(values, 0, { cusumThreshold: 1e9 });
    const flagged = anomalous(rhythmOnly, start, start + 18);
    expect(flagged.length).toBeGreaterThan(0);
    expect(rhythmOnly[flagged[0]].kind).toBe('flat');
  });

  it('flags a series flattened where the expected values barely move, by its smoothness off the expected level', () => {
    const plateau = 1.3; // 08:00 to 16:00
    const values = source(14, 1000, 1, 7, plateau);
    const start = 10 * DAY + 18; // 09:00 to 15:30: a stuck counter 6 % under the plateau
    const stuck = 1220;
    const random = seededRandom(3);
    for (let i = start; i < start + 14; i++) values[i] = stuck * (1 + 0.005 * (random() - 0.5));
    const out = score(values, 0);
    expect(anomalous(out, 7 * DAY, start)).toEqual([]);
    const flagged = anomalous(out, start, start + 14);
    expect(flagged.length).toBeGreaterThan(0);
    expect(out[flagged[0]].kind).toBe('flat');
    // The same dip with the source's usual noise is not an incident…
    const dip = source(14, 1000, 1, 7, plateau).map((v, i) => (i >= start && i < start + 14 ? v * (stuck / 1300) : v));
    expect(anomalous(score(dip, 0), 7 * DAY)).toEqual([]);
    // …and the stuck counter is seen by the flattened-series evidence alone.
    expect(anomalous(score(values, 0, { flatThreshold: 0 }), start, start + 14)).toEqual([]);
  });

  it('learns the first day without a verdict, then lets the autoencoder decide alone where the context has no expectation yet', () => {
    const values = source(3, 1000, 1);
    const loud = score(values, 100);
    expect(anomalous(loud, 0, DAY)).toEqual([]);
    expect(loud[10].expected).toBeUndefined();
    // Saturday is the first weekend day: no weekend level yet, so the error alone decides.
    const saturday = 5 * DAY;
    const week = source(6, 1000);
    const bar = SCORING_DEFAULTS.context.learningErrorFactor;
    expect(anomalous(score(week, 1.5 * bar), saturday, saturday + 10)).toHaveLength(10);
    expect(anomalous(score(week, 0.5 * bar), saturday, saturday + 10)).toEqual([]);
  });

  it('needs the autoencoder to confirm a point deviation', () => {
    const values = source(14, 1000);
    const at = 10 * DAY + 4;
    values[at] *= 4;
    expect(anomalous(score(values, 0.5), 7 * DAY)).toEqual([]);
    expect(anomalous(score(values, 0.5, { autoencoderGate: false }), 7 * DAY)).toEqual([at]);
  });

  it('judges a source that reports every minute after days, not minutes, and stays quiet on its rhythm', () => {
    const MINUTE = 60_000;
    const perDay = 1440;
    const random = seededRandom(5);
    const values = Array.from({ length: 10 * perDay }, (_, i) => {
      const gauss = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
      return 500 * (1 - 0.6 * Math.cos((2 * Math.PI * (i % perDay)) / perDay)) * (1 + 0.03 * gauss);
    });
    const flood = 8 * perDay + 200; // 03:20 on day 9, a Tuesday
    values[flood] *= 4;
    const out = score(values, 2, {}, MINUTE);
    // The second day is still learned (each slot has seen one day), not judged against minutes of it.
    expect(out.slice(perDay, 2 * perDay).every((o) => o.expected === undefined)).toBe(true);
    expect(out[3 * perDay].expected).toBeDefined();
    expect(anomalous(out, 3 * perDay)).toEqual([flood]);
  });
});

describe('LevelTracker', () => {
  it('follows the geometric mean of a day of values, and one flood moves it by at most half a decade', () => {
    const level = new LevelTracker();
    for (let i = 0; i < 200; i++) level.observe(100, 48);
    expect(level.level).toBeCloseTo(100, 6);
    level.observe(1e9, 48);
    expect(level.level!).toBeLessThan(100 * Math.pow(Math.sqrt(10), 1 / 48) + 1e-9);
    level.observe(0, 48);
    expect(level.level!).toBeGreaterThan(90);
  });
});
