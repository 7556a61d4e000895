import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { FRACTION_TOLERANCE, compareMessages } from './fault-run.js';

const message = (key: string, value: object, headers: Record<string, string> = {}) =>
  ({ key: Buffer.from(key), value: Buffer.from(JSON.stringify(value)), headers, offset: '0', timestamp: '0', attributes: 0 }) as unknown as KafkaMessage;
const alert = (stream: string, index: number, score: number, state = 'open') => message(stream, { stream, index, state, score, values: [1, 2.5] });

describe('comparing a fault run with the uninterrupted one', () => {
  const reference = [alert('a', 1, 0.0351289605), alert('a', 2, 0.5), alert('b', 1, 0.25)];

  it('accepts fractions that differ within the tolerance, and reports the largest difference', () => {
    const c = compareMessages(reference, [alert('a', 1, 0.0351293437), alert('a', 2, 0.5), alert('b', 1, 0.25)]);
    expect(c).toMatchObject({ missing: 0, duplicated: 0, spurious: 0, reordered: [] });
    expect(c.largestFractionDifference).toBeGreaterThan(1e-5);
    expect(c.largestFractionDifference).toBeLessThan(FRACTION_TOLERANCE);
  });

  it('flags a fraction beyond the tolerance on its stream', () => {
    const c = compareMessages(reference, [alert('a', 1, 0.0352), alert('a', 2, 0.5), alert('b', 1, 0.25)]);
    expect(c.reordered).toEqual(['a']);
  });

  it('compares integers, strings and headers exactly', () => {
    expect(compareMessages(reference, [alert('a', 1, 0.0351289605), alert('a', 3, 0.5), alert('b', 1, 0.25)])).toMatchObject({ missing: 1, spurious: 1 });
    expect(compareMessages(reference, [alert('a', 1, 0.0351289605), alert('a', 2, 0.5, 'closed'), alert('b', 1, 0.25)])).toMatchObject({ missing: 1, spurious: 1 });
    const withHeader = [message('a', { v: 1 }, { reason: 'late' })];
    expect(compareMessages(withHeader, [message('a', { v: 1 }, { reason: 'bad time' })])).toMatchObject({ missing: 1, spurious: 1 });
  });

  it('counts missing, duplicated and reordered messages', () => {
    expect(compareMessages(reference, [alert('a', 1, 0.0351289605), alert('b', 1, 0.25)])).toMatchObject({ missing: 1, reordered: ['a'] });
    expect(compareMessages(reference, [...reference, alert('b', 1, 0.25)])).toMatchObject({ duplicated: 1, reordered: ['b'] });
    expect(compareMessages(reference, [alert('a', 2, 0.5), alert('a', 1, 0.0351289605), alert('b', 1, 0.25)]).reordered).toEqual(['a']);
  });
});
