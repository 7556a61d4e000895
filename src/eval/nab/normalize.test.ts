import { describe, expect, it } from 'vitest';
import { prepareCorpus, type NabFileInput } from './corpus.js';
import { baselineScores, normalizeScore } from './normalize.js';
import { scoreCorpus } from './scoring.js';

const lowFn = { tpWeight: 1, fpWeight: 0.11, fnWeight: 2 };
const timestamps = Array.from({ length: 20 }, (_, i) => i);
const twoWindows: NabFileInput = { name: 'a.csv', timestamps, anomalyScores: timestamps.map(() => 0), windows: [[1, 2], [10, 12]] };

describe('baselines and normalization', () => {
  it('takes null from scorable windows and perfect from all windows', () => {
    // 20 rows -> 3 probationary rows; window [1, 2] lies inside them.
    const corpus = prepareCorpus([twoWindows]);
    expect(baselineScores(corpus, lowFn)).toEqual({ nullScore: -2, perfectScore: 2 });
  });

  it('puts the null detector at 0 and a detection at every window start at 100', () => {
    const corpus = prepareCorpus([twoWindows], { probationPercent: 0 });
    const baselines = baselineScores(corpus, lowFn);
    expect(baselines).toEqual({ nullScore: -4, perfectScore: 2 });
    expect(normalizeScore(scoreCorpus(corpus, lowFn, 0.5).score, baselines)).toBe(0);
    const perfect = { ...twoWindows, anomalyScores: timestamps.map((i) => (i === 1 || i === 10 ? 1 : 0)) };
    const raw = scoreCorpus(prepareCorpus([perfect], { probationPercent: 0 }), lowFn, 0.5).score;
    expect(normalizeScore(raw, baselines)).toBeCloseTo(100, 10);
    // half-way between null and perfect: 100 * (-1 - -4) / (2 - -4) = 50
    expect(normalizeScore(-1, baselines)).toBe(50);
  });

  it('refuses to normalize a corpus without windows', () => {
    const corpus = prepareCorpus([{ ...twoWindows, windows: [] }]);
    expect(() => normalizeScore(0, baselineScores(corpus, lowFn))).toThrow(/at least one labelled window/);
  });
});
