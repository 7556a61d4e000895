import { describe, expect, it } from 'vitest';
import { averagePrecision, confusionMatrix, f1, precision, recall, rocAuc, thresholdMetrics } from './classification.js';

// scikit-learn's documentation example for roc_auc_score / average_precision_score.
const scores = [0.1, 0.4, 0.35, 0.8];
const labels = [0, 0, 1, 1];

describe('threshold metrics', () => {
  it('counts score >= threshold as a positive prediction', () => {
    // threshold 0.4 predicts rows 1 (0.4, label 0) and 3 (0.8, label 1):
    // tp = 1 (0.8), fp = 1 (0.4), fn = 1 (0.35), tn = 1 (0.1)
    expect(confusionMatrix(scores, labels, 0.4)).toEqual({ tp: 1, fp: 1, tn: 1, fn: 1 });
    // precision = 1/2, recall = 1/2, f1 = 2*1/(2*1+1+1) = 0.5
    expect(thresholdMetrics(scores, labels, 0.4)).toMatchObject({ precision: 0.5, recall: 0.5, f1: 0.5 });
  });

  it('gives precision, recall and F1 of 0 when nothing is predicted positive', () => {
    expect(confusionMatrix(scores, labels, 0.9)).toEqual({ tp: 0, fp: 0, tn: 2, fn: 2 });
    expect(precision(scores, labels, 0.9)).toBe(0);
    expect(recall(scores, labels, 0.9)).toBe(0);
    expect(f1(scores, labels, 0.9)).toBe(0);
  });

  it('computes F1 as the harmonic mean when precision and recall differ', () => {
    // threshold 0.1 predicts everything: tp 2, fp 2 -> precision 0.5, recall 1,
    // f1 = 2*0.5*1/(0.5+1) = 2/3
    expect(precision(scores, labels, 0.1)).toBe(0.5);
    expect(recall(scores, labels, 0.1)).toBe(1);
    expect(f1(scores, labels, 0.1)).toBeCloseTo(2 / 3, 12);
  });

  it('rejects mismatched lengths, non-binary labels and non-finite scores', () => {
    expect(() => confusionMatrix([0.1], [0, 1], 0.5)).toThrow(/differ in length/);
    expect(() => confusionMatrix([0.1, 0.2], [0, 2], 0.5)).toThrow(/label at index 1 is not 0 or 1/);
    expect(() => confusionMatrix([0.1, Number.NaN], [0, 1], 0.5)).toThrow(/score at index 1/);
  });
});

describe('rocAuc', () => {
  it('matches roc_auc_score on the scikit-learn example', () => {
    // Descending: 0.8(+) 0.4(-) 0.35(+) 0.1(-); ROC points (fpr, tpr):
    // (0,0) (0,.5) (.5,.5) (.5,1) (1,1); trapezoids: 0 + .25 + 0 + .5 = 0.75
    expect(rocAuc(scores, labels)).toEqual({ value: 0.75 });
  });

  it('moves tied scores together as one threshold', () => {
    // Descending: 0.9(+), {0.5(+), 0.5(-)}, 0.2(-); P = N = 2.
    // Points: (0,0) (0,.5) (.5,1) (1,1); area = 0 + .5*(.5+1)/2 + .5*1 = 0.875
    // (ranking ties apart would give 0.75 or 1.0 depending on order)
    const auc = rocAuc([0.5, 0.5, 0.2, 0.9], [1, 0, 0, 1]);
    expect(auc.value).toBeCloseTo(0.875, 12);
  });

  it('is 1 for a perfect ranking and 0 for a reversed one', () => {
    expect(rocAuc([0.9, 0.8, 0.1], [1, 1, 0]).value).toBe(1);
    expect(rocAuc([0.1, 0.2, 0.9], [1, 1, 0]).value).toBe(0);
  });

  it('is undefined, with a reason, when only one class is present', () => {
    const auc = rocAuc([0.1, 0.2], [0, 0]);
    expect(auc.value).toBeNull();
    expect(auc.reason).toMatch(/only one class/);
    expect(rocAuc([0.1, 0.2], [1, 1]).value).toBeNull();
  });
});

describe('averagePrecision', () => {
  it('matches average_precision_score on the scikit-learn example', () => {
    // thresholds 0.8: R=.5 P=1 -> .5; 0.4: R=.5 -> +0; 0.35: R=1 P=2/3 -> +1/3;
    // 0.1: R=1 -> +0. AP = 5/6 (not the interpolated 0.75 + ... value)
    expect(averagePrecision(scores, labels).value).toBeCloseTo(5 / 6, 12);
  });

  it('scores a tied group at its combined precision', () => {
    // 0.9(+): R=.5 P=1 -> .5; {0.5(+),0.5(-)}: R=1 P=2/3 -> +1/3; 0.2(-): +0
    expect(averagePrecision([0.5, 0.5, 0.2, 0.9], [1, 0, 0, 1]).value).toBeCloseTo(5 / 6, 12);
    // Same labels, all scores tied: one threshold, R=1, P=2/4 -> AP = 0.5
    expect(averagePrecision([0.3, 0.3, 0.3, 0.3], [1, 0, 0, 1]).value).toBe(0.5);
  });

  it('is undefined, with a reason, without positives', () => {
    const ap = averagePrecision([0.1, 0.2], [0, 0]);
    expect(ap.value).toBeNull();
    expect(ap.reason).toMatch(/no positive labels/);
  });
});
