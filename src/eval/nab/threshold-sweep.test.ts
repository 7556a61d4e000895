import { describe, expect, it } from 'vitest';
import type { CostMatrix } from './cost-matrix.js';
import { prepareCorpus, type NabFileInput } from './corpus.js';
import { scoreCorpus } from './scoring.js';
import { optimizeThreshold, sweepThresholds } from './threshold-sweep.js';

const standard: CostMatrix = { tpWeight: 1, fpWeight: 0.11, fnWeight: 1 };

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomFile(name: string, rows: number, rand: () => number): NabFileInput {
  const timestamps = Array.from({ length: rows }, (_, i) => i * 300_000);
  // Two decimals give many tied scores.
  const anomalyScores = timestamps.map(() => Math.round(rand() * 100) / 100);
  const w1 = Math.floor(rows * 0.3);
  const w2 = Math.floor(rows * 0.7);
  return {
    name,
    timestamps,
    anomalyScores,
    windows: [
      [timestamps[w1], timestamps[w1 + 9]],
      [timestamps[w2], timestamps[w2 + 14]],
    ],
  };
}

describe('sweepThresholds', () => {
  it('gives at every threshold the score and counts of scoring the corpus at it', () => {
    const rand = rng(42);
    const corpus = prepareCorpus([randomFile('a/x.csv', 300, rand), randomFile('a/y.csv', 180, rand)]);
    const sweep = sweepThresholds(corpus, standard);
    // the nothing-detected start plus one entry per distinct scorable score
    const distinct = new Set(corpus.scores).size;
    expect(sweep).toHaveLength(distinct + 1);
    expect(sweep[0]).toMatchObject({ threshold: 1.1, score: -4, tp: 0, fp: 0 });
    for (const s of sweep) {
      const direct = scoreCorpus(corpus, standard, s.threshold);
      expect(s.score).toBeCloseTo(direct.score, 9);
      expect([s.tp, s.fp, s.tn, s.fn]).toEqual([direct.tp, direct.fp, direct.tn, direct.fn]);
    }
    expect(sweep.at(-1)!.fp + sweep.at(-1)!.tp).toBe(corpus.scores.length);
  });

  it('starts above the highest score when scores exceed NAB\'s [0, 1] range', () => {
    const f: NabFileInput = { name: 'a.csv', timestamps: [0, 1, 2, 3], anomalyScores: [0, 5, 2, 0], windows: [[1, 2]] };
    const sweep = sweepThresholds(prepareCorpus([f], { probationPercent: 0 }), standard);
    expect(sweep.map((s) => s.threshold)).toEqual([Number.POSITIVE_INFINITY, 5, 2, 0]);
  });
});

describe('optimizeThreshold', () => {
  it('returns the best-scoring threshold of the sweep', () => {
    const rand = rng(7);
    const corpus = prepareCorpus([randomFile('a/x.csv', 400, rand)]);
    const best = optimizeThreshold(corpus, standard);
    const sweep = sweepThresholds(corpus, standard);
    expect(best.score).toBe(Math.max(...sweep.map((s) => s.score)));
  });

  it('prefers the highest threshold among equal scores', () => {
    // Window rows 1..3; row 1 scores 0.9 (full tp), row 2 scores 0.8 (same window,
    // no gain), row 5 scores 0.3 (a false positive). Thresholds 0.9 and 0.8 both score 1.
    const f: NabFileInput = { name: 'a.csv', timestamps: [0, 1, 2, 3, 4, 5], anomalyScores: [0, 0.9, 0.8, 0, 0, 0.3], windows: [[1, 3]] };
    const best = optimizeThreshold([f], standard);
    // default probation on 6 rows is floor(0.9) = 0 rows
    expect(best.threshold).toBe(0.9);
    expect(best.score).toBeCloseTo(1, 12);
  });
});
