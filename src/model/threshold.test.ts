import { describe, expect, it } from 'vitest';
import { calibrateThreshold, formatThresholdMethod, parseThresholdMethod, percentile } from './threshold.js';

describe('percentile', () => {
  it('interpolates linearly between ranks like numpy.quantile', () => {
    // numpy.quantile([1, 2, 3, 4], 0.5) == 2.5; numpy.quantile(range(1, 101), 0.995) == 99.505
    expect(percentile([4, 1, 3, 2], 0.5)).toBe(2.5);
    expect(percentile(Array.from({ length: 100 }, (_, i) => i + 1), 0.995)).toBeCloseTo(99.505, 10);
    expect(percentile([5, 1, 9], 0)).toBe(1);
    expect(percentile([5, 1, 9], 1)).toBe(9);
    expect(percentile(new Float32Array([7]), 0.3)).toBe(7);
  });

  it('rejects an empty input and an out-of-range quantile', () => {
    expect(() => percentile([], 0.5)).toThrow(/no values/);
    expect(() => percentile([1], 1.5)).toThrow(/within \[0, 1\]/);
  });
});

describe('calibrateThreshold', () => {
  const scores = [1, 2, 3, 4, 10];
  it('computes each method', () => {
    // mean 4, population std sqrt((9+4+1+0+36)/5) = sqrt(10)
    expect(calibrateThreshold(scores, { method: 'mean+k*std', k: 3 })).toBeCloseTo(4 + 3 * Math.sqrt(10), 12);
    expect(calibrateThreshold(scores, { method: 'max' })).toBe(10);
    expect(calibrateThreshold(scores, { method: 'fixed', value: 0.02 })).toBe(0.02);
    expect(calibrateThreshold(scores, { method: 'percentile', q: 0.75 })).toBe(4);
  });
});

describe('parseThresholdMethod', () => {
  it('parses every method with defaults and round-trips through formatThresholdMethod', () => {
    expect(parseThresholdMethod('percentile')).toEqual({ method: 'percentile', q: 0.995 });
    expect(parseThresholdMethod('percentile:0.99')).toEqual({ method: 'percentile', q: 0.99 });
    expect(parseThresholdMethod('mean+k*std')).toEqual({ method: 'mean+k*std', k: 3 });
    expect(parseThresholdMethod('mean+k*std:4.5')).toEqual({ method: 'mean+k*std', k: 4.5 });
    expect(parseThresholdMethod('max')).toEqual({ method: 'max' });
    expect(parseThresholdMethod('fixed:0.02')).toEqual({ method: 'fixed', value: 0.02 });
    for (const s of ['percentile:0.9', 'mean+k*std:2', 'max', 'fixed:0.5']) expect(formatThresholdMethod(parseThresholdMethod(s))).toBe(s);
  });

  it('explains bad specs', () => {
    expect(() => parseThresholdMethod('fixed')).toThrow(/needs a value/);
    expect(() => parseThresholdMethod('percentile:abc')).toThrow(/"abc" is not a number/);
    expect(() => parseThresholdMethod('percentile:2')).toThrow(/quantile must be in/);
    expect(() => parseThresholdMethod('median')).toThrow(/unknown threshold method "median"/);
    expect(() => parseThresholdMethod('fixed:-1')).toThrow(/must be > 0/);
  });
});
