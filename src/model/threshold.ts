import type { ThresholdMethod } from './types.js';

/** The q-quantile (0 ≤ q ≤ 1) with linear interpolation between closest ranks, as numpy.quantile's default. */
export function percentile(values: ArrayLike<number>, q: number): number {
  if (!(q >= 0 && q <= 1)) throw new Error(`quantile must be within [0, 1], got ${q}`);
  if (values.length === 0) throw new Error('cannot take a quantile of no values');
  const sorted = Float64Array.from(values).sort();
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function meanStd(values: ArrayLike<number>): { mean: number; std: number } {
  if (values.length === 0) throw new Error('cannot take the mean of no values');
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  const mean = sum / values.length;
  let sq = 0;
  for (let i = 0; i < values.length; i++) sq += (values[i] - mean) ** 2;
  return { mean, std: Math.sqrt(sq / values.length) };
}

/** The anomaly threshold for scores of normal windows under a calibration method. */
export function calibrateThreshold(scores: ArrayLike<number>, method: ThresholdMethod): number {
  switch (method.method) {
    case 'fixed':
      return method.value;
    case 'percentile':
      return percentile(scores, method.q);
    case 'mean+k*std': {
      const { mean, std } = meanStd(scores);
      return mean + method.k * std;
    }
    case 'max': {
      if (scores.length === 0) throw new Error('cannot take the max of no values');
      let m = -Infinity;
      for (let i = 0; i < scores.length; i++) if (scores[i] > m) m = scores[i];
      return m;
    }
  }
}

/** Parses `percentile[:q]`, `mean+k*std[:k]`, `max` or `fixed:value`. */
export function parseThresholdMethod(spec: string): ThresholdMethod {
  const [name, arg, extra] = spec.trim().split(':');
  const num = (fallback?: number): number => {
    if (arg === undefined || arg === '') {
      if (fallback === undefined) throw new Error(`threshold "${spec}" needs a value, e.g. fixed:0.02`);
      return fallback;
    }
    const n = Number(arg);
    if (!Number.isFinite(n)) throw new Error(`threshold "${spec}": "${arg}" is not a number`);
    return n;
  };
  if (extra !== undefined) throw new Error(`threshold "${spec}": too many ':' parts`);
  switch (name) {
    case 'percentile': {
      const q = num(0.995);
      if (!(q > 0 && q <= 1)) throw new Error(`threshold "${spec}": quantile must be in (0, 1]`);
      return { method: 'percentile', q };
    }
    case 'mean+k*std': {
      const k = num(3);
      if (!(k >= 0)) throw new Error(`threshold "${spec}": k must be ≥ 0`);
      return { method: 'mean+k*std', k };
    }
    case 'max':
      if (arg !== undefined) throw new Error(`threshold "${spec}": max takes no value`);
      return { method: 'max' };
    case 'fixed': {
      const value = num();
      if (!(value > 0)) throw new Error(`threshold "${spec}": the value must be > 0`);
      return { method: 'fixed', value };
    }
    default:
      throw new Error(`unknown threshold method "${spec}" (expected percentile[:q], mean+k*std[:k], max or fixed:value)`);
  }
}

export function formatThresholdMethod(m: ThresholdMethod): string {
  switch (m.method) {
    case 'percentile':
      return `percentile:${m.q}`;
    case 'mean+k*std':
      return `mean+k*std:${m.k}`;
    case 'max':
      return 'max';
    case 'fixed':
      return `fixed:${m.value}`;
  }
}
