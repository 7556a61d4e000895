import { describe, expect, it } from 'vitest';
import { Scaler } from '../model/scaler.js';
import { augmentedFeatureNames, augmentEvent, augmentValues, dayPhase, ownFeatureError, weekPhase, withCalendarScaling } from './feature-augment.js';

const at = (iso: string) => Date.parse(iso);

describe('calendar features', () => {
  it('phases of the UTC day and week', () => {
    expect(dayPhase(at('2014-07-01T06:00:00Z'))).toBeCloseTo(0.25, 12);
    expect(dayPhase(at('2014-07-01T00:00:00Z'))).toBe(0);
    // 2014-07-07 was a Monday: noon is half a day into the week.
    expect(weekPhase(at('2014-07-07T12:00:00Z'))).toBeCloseTo(0.5 / 7, 12);
    // Sunday 18:00 is 6.75 days in.
    expect(weekPhase(at('2014-07-06T18:00:00Z'))).toBeCloseTo(6.75 / 7, 12);
    expect(dayPhase(at('1969-12-31T18:00:00Z'))).toBeCloseTo(0.75, 12);
  });

  it('appends (1 + sin)/2 and (1 + cos)/2 of each phase after the values', () => {
    // 06:00 → angle π/2: sin 1, cos 0 → 1, 0.5. Monday 06:00 → week angle 2π·0.25/7.
    const v = augmentValues([42], at('2014-07-07T06:00:00Z'), { timeOfDay: true, dayOfWeek: true });
    const w = (2 * Math.PI * 0.25) / 7;
    expect(v[0]).toBe(42);
    expect(v[1]).toBeCloseTo(1, 12);
    expect(v[2]).toBeCloseTo(0.5, 12);
    expect(v[3]).toBeCloseTo((1 + Math.sin(w)) / 2, 12);
    expect(v[4]).toBeCloseTo((1 + Math.cos(w)) / 2, 12);
    expect(augmentValues([1, 2], at('2014-07-07T18:00:00Z'), { timeOfDay: true })).toEqual([1, 2, 0, expect.closeTo(0.5, 12)]);
    expect(augmentedFeatureNames({ timeOfDay: true, dayOfWeek: true })).toEqual(['time_of_day_sin', 'time_of_day_cos', 'day_of_week_sin', 'day_of_week_cos']);
  });

  it('augments an event carrying the stream values the model expects, rejects one that does not', () => {
    const e = augmentEvent({ stream: 's', ts: at('2014-07-01T12:00:00Z'), values: [5] }, { timeOfDay: true }, 3);
    expect('values' in e && e.values).toEqual([5, expect.closeTo(0.5, 12), expect.closeTo(0, 12)]);
    const bad = augmentEvent({ stream: 's', ts: 0, values: [5, 6] }, { timeOfDay: true }, 3);
    expect(bad).toMatchObject({ reason: 'wrong_feature_count', stream: 's' });
    expect('detail' in bad && bad.detail).toContain('expected 1 value(s)');
  });

  it('fixes the calendar features scaling to their known range', () => {
    const fitted = Scaler.fit('minmax', [0, 0.5, 0.6, 10, 0.7, 0.9], 3).params;
    expect(withCalendarScaling(fitted, { timeOfDay: true })).toEqual({ kind: 'minmax', a: [0, 0, 0], b: [10, 1, 1] });
    const z = withCalendarScaling({ kind: 'zscore', a: [3, 0.6, 0.8], b: [2, 0.1, 0.1] }, { timeOfDay: true });
    expect(z.a).toEqual([3, 0.5, 0.5]);
    expect(z.b[1]).toBeCloseTo(0.353553, 6);
  });

  it('scores the error of the stream values only', () => {
    // minmax value 0..10, calendar features 0..1: value errors 1 and 2 raw → 0.1 and 0.2 scaled.
    const scaler = new Scaler({ kind: 'minmax', a: [0, 0, 0], b: [10, 1, 1] });
    const values = Float32Array.from([5, 0.5, 0.5, 6, 0.2, 0.2]);
    const recon = Float32Array.from([4, 0.9, 0.9, 8, 0.2, 0.2]);
    const err = ownFeatureError(values, recon, 3, 1, (raw, out, offset) => void scaler.transform(raw, out.subarray(offset, offset + raw.length)));
    expect(err).toBeCloseTo((0.01 + 0.04) / 2, 6);
  });
});
