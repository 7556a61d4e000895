import { describe, expect, it } from 'vitest';
import { Scaler, scalerFromMetadata } from './scaler.js';

// two features per row: [x, y]
const data = new Float32Array([0, 10, 5, 20, 10, 30, 10, 40]);

describe('Scaler', () => {
  it('minmax fits per feature and maps the training range to [0, 1]', () => {
    const s = Scaler.fit('minmax', data, 2);
    expect(s.params).toEqual({ kind: 'minmax', a: [0, 10], b: [10, 40] });
    expect(Array.from(s.transform([5, 25]))).toEqual([0.5, 0.5]);
    expect(Array.from(s.inverse(s.transform(data)))).toEqual(Array.from(data));
  });

  it('zscore uses mean and population std', () => {
    const s = Scaler.fit('zscore', data, 2);
    expect(s.params.a).toEqual([6.25, 25]);
    expect(s.params.b[1]).toBeCloseTo(Math.sqrt(125), 10);
    const t = s.transform(data);
    expect(t[1]).toBeCloseTo(-15 / Math.sqrt(125), 6);
    expect(Array.from(s.inverse(t)).map((v) => Math.round(v * 1e4) / 1e4)).toEqual(Array.from(data));
  });

  it('log1p scales log1p(x) to [0, 1] and inverts with expm1', () => {
    const s = Scaler.fit('log1p', data, 2);
    expect(s.params.a[1]).toBeCloseTo(Math.log1p(10), 12);
    const t = s.transform(data);
    expect(t[0]).toBe(0);
    expect(t[6]).toBeCloseTo(1, 6);
    s.inverse(t).forEach((v, i) => expect(v).toBeCloseTo(data[i], 3));
    expect(() => Scaler.fit('log1p', [-1, 2], 1)).toThrow(/non-negative/);
  });

  it('does not divide by zero for a constant feature', () => {
    const s = Scaler.fit('minmax', [3, 3, 3], 1);
    expect(Array.from(s.transform([3, 4]))).toEqual([0, 1]);
  });

  it('writes in place and rebuilds from serialized metadata parameters', () => {
    const fitted = Scaler.fit('minmax', data, 2);
    const restored = scalerFromMetadata({ features: 2, scaler: JSON.parse(JSON.stringify(fitted.params)) });
    const buf = new Float32Array([5, 25, 10, 40]);
    expect(restored.transform(buf, buf)).toBe(buf);
    expect(Array.from(buf)).toEqual([0.5, 0.5, 1, 1]);
    expect(() => scalerFromMetadata({ features: 3, scaler: fitted.params })).toThrow(/2 feature\(s\) but the model has 3/);
    expect(() => new Scaler({ kind: 'minmax', a: [0], b: [] })).toThrow(/one a and one b per feature/);
  });
});
