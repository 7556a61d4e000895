import { describe, expect, it } from 'vitest';
import type { CostMatrix } from './cost-matrix.js';
import { prepareCorpus, type NabFileInput } from './corpus.js';
import { scoreCorpus } from './scoring.js';

const standard: CostMatrix = { tpWeight: 1, fpWeight: 0.11, fnWeight: 1 };
// 2*sigmoid(5) - 1, NAB's largest true-positive sigmoid.
const maxTp = 2 / (1 + Math.exp(-5)) - 1;

/** Ten rows at t = 0..9 with one window over rows 3..5; rows listed in `hits` score 1, others 0. */
function file(hits: number[], extra: Partial<NabFileInput> = {}): NabFileInput {
  const timestamps = Array.from({ length: 10 }, (_, i) => i);
  return {
    name: 'cat/f.csv',
    timestamps,
    anomalyScores: timestamps.map((i) => (hits.includes(i) ? 1 : 0)),
    windows: [[3, 5]],
    ...extra,
  };
}

function score(f: NabFileInput, cost = standard, probationPercent = 0) {
  return scoreCorpus(prepareCorpus([f], { probationPercent }), cost, 0.5);
}

describe('scoreCorpus', () => {
  it('charges fnWeight for a window without detection', () => {
    const r = score(file([]));
    expect(r.score).toBe(-1);
    expect(r).toMatchObject({ tp: 0, fp: 0, tn: 7, fn: 3 });
    expect(r.windows).toEqual({ total: 1, scorable: 1, detected: 0 });
  });

  it('gives the full tpWeight to a detection on the first row of a window', () => {
    // position -(5-3+1)/3 = -1 -> sigmoid = maxTp, weighted maxTp * 1 / maxTp = 1
    expect(score(file([3])).score).toBeCloseTo(1, 12);
    expect(score(file([3]), { ...standard, tpWeight: 2 }).score).toBeCloseTo(2, 12);
  });

  it('counts only the earliest detection in a window', () => {
    // rows 4 and 5 detect; row 4: position -(5-4+1)/3 = -2/3,
    // sigmoid 2/(1+e^(-10/3)) - 1 = 0.93111, weighted 0.93111/0.98661 = 0.94374
    const r = score(file([4, 5]));
    expect(r.score).toBeCloseTo((2 / (1 + Math.exp(-10 / 3)) - 1) / maxTp, 12);
    expect(r.score).toBeCloseTo(0.94374, 5);
    expect(r).toMatchObject({ tp: 2, fn: 1 });
  });

  it('charges fpWeight in full for a false positive before any window', () => {
    // row 1: no preceding window -> -1 * 0.11; plus the missed window -1
    expect(score(file([1])).score).toBeCloseTo(-1.11, 12);
  });

  it('weights a false positive by its distance past the previous window', () => {
    // row 7: |5 - 7| / (3 - 1) = 1 -> 2/(1+e^5) - 1 = -0.98661, * 0.11 = -0.10853
    expect(score(file([7])).score).toBeCloseTo(-1 + 0.11 * (2 / (1 + Math.exp(5)) - 1), 12);
    // row 6 right after the window: 1/2 -> 2/(1+e^2.5) - 1 = -0.84828
    expect(score(file([6])).score).toBeCloseTo(-1 + 0.11 * (2 / (1 + Math.exp(2.5)) - 1), 12);
    // detecting the window too: 1 + the same false positive
    expect(score(file([3, 7])).score).toBeCloseTo(1 + 0.11 * (2 / (1 + Math.exp(5)) - 1), 12);
  });

  it('charges -fpWeight after a one-row window (NAB divides by zero there)', () => {
    const r = score(file([4, 6], { windows: [[4, 4]] }));
    // row 4: position -(4-4+1)/1 = -1 -> +1; row 6: |4-6| / 0 -> beyond 3 -> -0.11
    expect(r.score).toBeCloseTo(1 - 0.11, 12);
  });

  it('ignores probationary rows and windows that lie wholly inside them', () => {
    const timestamps = Array.from({ length: 20 }, (_, i) => i);
    // 20 rows -> floor(0.15 * 20) = 3 probationary rows (0, 1, 2)
    const early: NabFileInput = { name: 'a.csv', timestamps, anomalyScores: timestamps.map((i) => (i === 1 ? 1 : 0)), windows: [[1, 2]] };
    const r = score(early, standard, 0.15);
    expect(r.score).toBe(0);
    expect(r.windows).toEqual({ total: 1, scorable: 0, detected: 0 });
    expect(r.tp + r.fp + r.tn + r.fn).toBe(17);

    // Window over rows 2..4: the detection on probationary row 2 does not count,
    // the one on row 3 does, at position -(4-3+1)/3 = -2/3 of the full window.
    const straddling: NabFileInput = { ...early, anomalyScores: timestamps.map((i) => (i === 2 || i === 3 ? 1 : 0)), windows: [[2, 4]] };
    expect(score(straddling, standard, 0.15).score).toBeCloseTo((2 / (1 + Math.exp(-10 / 3)) - 1) / maxTp, 12);
  });

  it('matches windows by timestamp when a timestamp repeats', () => {
    // rows: t = 0 1 2 2 3 4 ...; window [2, 3] enters at row 2 and ends at row 4
    // (first row with t = 3), width 3. Row 3 (the repeated t = 2) sits at -(4-3+1)/3.
    const timestamps = [0, 1, 2, 2, 3, 4, 5, 6, 7, 8];
    const f: NabFileInput = { name: 'a.csv', timestamps, anomalyScores: timestamps.map((_, i) => (i === 3 ? 1 : 0)), windows: [[2, 3]] };
    expect(score(f).score).toBeCloseTo((2 / (1 + Math.exp(-10 / 3)) - 1) / maxTp, 12);
  });

  it('sums file scores and reports each file', () => {
    const a = file([3]);
    const b = { ...file([1]), name: 'cat/g.csv' };
    const r = scoreCorpus([a, b], standard, 0.5);
    expect(r.files.map((f) => [f.name, f.windowsDetected, f.windowsMissed])).toEqual([
      ['cat/f.csv', 1, 0],
      ['cat/g.csv', 0, 1],
    ]);
    expect(r.score).toBeCloseTo(1 + -1.11, 12);
    expect(r.windows).toEqual({ total: 2, scorable: 2, detected: 1 });
  });

  it('detects on score >= threshold', () => {
    const f = file([], { anomalyScores: [0, 0, 0, 0.5, 0, 0, 0, 0, 0, 0] });
    expect(scoreCorpus([f], standard, 0.5).score).toBeCloseTo(1, 12);
    expect(scoreCorpus([f], standard, 0.5000001).score).toBe(-1);
  });

  it('rejects a file whose scores and timestamps differ in number, or a repeated file', () => {
    expect(() => prepareCorpus([file([], { anomalyScores: [0, 1] })])).toThrow(/cat\/f\.csv: 10 timestamps but 2 anomaly scores/);
    expect(() => prepareCorpus([file([]), file([])])).toThrow(/appears twice/);
    expect(() => prepareCorpus([file([], { anomalyScores: [0, 0, Number.NaN, 0, 0, 0, 0, 0, 0, 0] })])).toThrow(/row 3: anomaly score/);
  });
});
