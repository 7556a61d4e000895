import { describe, expect, it } from 'vitest';
import { evaluateReplay, LabelError, labelRanges, type EvaluatedPoint } from './evaluate.js';

/** Points from scores (null = still warming up), anomalous = score > threshold like the pipeline. */
function pointsOf(scores: (number | null)[], threshold: number): EvaluatedPoint[] {
  return scores.map((score, index) => ({ index, score, anomalous: score === null ? null : score > threshold }));
}

describe('labelRanges', () => {
  it('finds maximal runs of 1, including at both ends', () => {
    expect(labelRanges([1, 1, 0, 0, 1, 0, 1, 1, 1])).toEqual([
      { start: 0, end: 1 },
      { start: 4, end: 4 },
      { start: 6, end: 8 },
    ]);
    expect(labelRanges([0, 0])).toEqual([]);
    expect(labelRanges([])).toEqual([]);
  });
});

describe('evaluateReplay', () => {
  it('computes row-level, ranking and episode numbers on a hand-checked case', () => {
    // Window length 3: rows 0 and 1 have no score.
    //   row:    0     1     2    3    4    5    6    7    8    9
    //   score:  -     -    .1   .2   .9   .8   .3   .1   .7   .2      threshold .5 → anomalous at 4, 5, 8
    //   label:  1     0     0    0    1    0    0    0    0    1
    const points = pointsOf([null, null, 0.1, 0.2, 0.9, 0.8, 0.3, 0.1, 0.7, 0.2], 0.5);
    const labels = [1, 0, 0, 0, 1, 0, 0, 0, 0, 1];
    const r = evaluateReplay({
      points,
      labels,
      threshold: 0.5,
      windowLength: 3,
      episodes: [
        { start: 4, end: 5 },
        { start: 8, end: 8 },
      ],
    });
    expect(r).toMatchObject({ rows: 10, scoredRows: 8, excludedRows: 2, excludedPositives: 1, positives: 2, threshold: 0.5 });
    // Scored rows 2..9: tp = row 4; fn = row 9; fp = rows 5, 8; tn = rows 2, 3, 6, 7.
    // precision 1/3, recall 1/2, F1 = 2tp / (2tp + fp + fn) = 2/5.
    expect(r.rowLevel).toMatchObject({ tp: 1, fp: 2, tn: 4, fn: 1 });
    expect(r.rowLevel.precision).toBeCloseTo(1 / 3, 12);
    expect(r.rowLevel.recall).toBe(0.5);
    expect(r.rowLevel.f1).toBeCloseTo(0.4, 12);
    // ROC AUC = P(positive outranks negative), ties count 1/2. Positives .9, .2; negatives .1 .2 .8 .3 .1 .7.
    // .9 beats all 6; .2 beats the two .1s and ties one .2 → (6 + 2 + 0.5) / 12.
    expect(r.rocAuc.value).toBeCloseTo(8.5 / 12, 12);
    // AP: at .9 recall .5 precision 1 → .5; next recall step at .2 (tp 2, fp 4): .5 * 2/6 → 1/2 + 1/6.
    expect(r.averagePrecision.value).toBeCloseTo(2 / 3, 12);
    // Episode [4,5] looks at rows 2..5 → hits range [4,4]. Episode [8,8] looks at rows 6..8 → hits nothing.
    // Range [0,0] lies wholly in the unscored rows; range [9,9] is missed.
    expect(r.episodes).toEqual({
      labelledRanges: 2,
      rangesHit: 1,
      rangesMissed: [{ start: 9, end: 9 }],
      rangesUnscored: 1,
      alertEpisodes: 2,
      falseAlarms: 1,
      falseAlarmEpisodes: [{ start: 8, end: 8 }],
    });
  });

  it('shows why a one-row spike label gives low row-level precision but a clean episode hit', () => {
    // Window length 5; a spike at row 10 makes the windows ending at rows 10..14 anomalous.
    const scores = Array.from({ length: 20 }, (_, i) => (i < 4 ? null : i >= 10 && i <= 14 ? 5 : 0.01));
    const labels = Array.from({ length: 20 }, (_, i) => (i === 10 ? 1 : 0));
    const r = evaluateReplay({ points: pointsOf(scores, 1), labels, threshold: 1, windowLength: 5, episodes: [{ start: 10, end: 14 }] });
    // tp = row 10, fp = rows 11..14: precision 1/5, recall 1.
    expect(r.rowLevel).toMatchObject({ tp: 1, fp: 4, fn: 0, tn: 11, precision: 0.2, recall: 1 });
    // Scored rows 4..19: 15 negatives. The positive beats the 11 at 0.01 and ties the 4 at 5: (11 + 4 * 0.5) / 15.
    expect(r.rocAuc.value).toBeCloseTo(13 / 15, 12);
    expect(r.episodes).toMatchObject({ labelledRanges: 1, rangesHit: 1, alertEpisodes: 1, falseAlarms: 0 });
  });

  it('counts an episode that opens after the labelled row as a hit while its windows still contain that row', () => {
    const labels = Array.from({ length: 20 }, (_, i) => (i === 10 ? 1 : 0));
    const scores = Array.from({ length: 20 }, (_, i) => (i < 4 ? null : 0.01));
    const points = pointsOf(scores, 1);
    // Window length 5: the window ending at row 14 covers rows 10..14; the one ending at 15 covers 11..15.
    const late = (start: number) => evaluateReplay({ points, labels, threshold: 1, windowLength: 5, episodes: [{ start, end: start + 2 }] }).episodes;
    expect(late(14)).toMatchObject({ rangesHit: 1, falseAlarms: 0 });
    expect(late(15)).toMatchObject({ rangesHit: 0, rangesMissed: [{ start: 10, end: 10 }], falseAlarms: 1 });
  });

  it('reports ranking metrics as undefined, with the reason, when no scored row is labelled 1', () => {
    const r = evaluateReplay({ points: pointsOf([null, 0.2, 0.3], 1), labels: [1, 0, 0], threshold: 1, windowLength: 2, episodes: [] });
    expect(r.rocAuc).toEqual({ value: null, reason: expect.stringMatching(/only one class/) });
    expect(r.averagePrecision).toEqual({ value: null, reason: expect.stringMatching(/no positive labels/) });
    expect(r.rowLevel).toMatchObject({ tp: 0, fp: 0, tn: 2, fn: 0, precision: 0, recall: 0, f1: 0 });
    expect(r.episodes).toMatchObject({ labelledRanges: 0, rangesUnscored: 1 });
  });

  it('rejects a label that is not 0 or 1 with its row, and a length mismatch', () => {
    const points = pointsOf([null, 0.2, 0.3], 1);
    let err: unknown;
    try {
      evaluateReplay({ points, labels: [0, 2, 0], threshold: 1, windowLength: 2, episodes: [] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LabelError);
    expect(err).toMatchObject({ row: 1, label: 2 });
    expect(() => evaluateReplay({ points, labels: [0, 0], threshold: 1, windowLength: 2, episodes: [] })).toThrow(/differ in length/);
  });
});
