import { describe, expect, it } from 'vitest';
import { MAX_EVENT_TS, parseEventTime } from './event-time.js';

describe('parseEventTime', () => {
  it.each([
    ['2026-11-22T10:00:00Z', Date.UTC(2026, 10, 22, 10)],
    ['2026-11-22T10:00Z', Date.UTC(2026, 10, 22, 10)],
    ['2026-11-22 10:00:00.123Z', Date.UTC(2026, 10, 22, 10, 0, 0, 123)],
    ['2026-11-22T10:00:00.123456789Z', Date.UTC(2026, 10, 22, 10, 0, 0, 123)],
    ['2026-11-22T12:30:00+02:30', Date.UTC(2026, 10, 22, 10)],
    ['2026-11-22T05:00:00-0500', Date.UTC(2026, 10, 22, 10)],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
    ['9999-12-31T23:59:59.999Z', MAX_EVENT_TS],
    [1_700_000_000_123, 1_700_000_000_123],
    [0, 0],
  ])('accepts %s', (raw, ts) => {
    expect(parseEventTime(raw)).toEqual({ ts });
  });

  it.each([
    ['1'],
    ['bad-45'],
    ['2024-02-30T00:00:00Z'],
    ['2023-02-29T00:00:00Z'],
    ['2026-11-22T24:00:00Z'],
    ['2026-11-22T10:61:00Z'],
    ['2026-11-22T10:00:60Z'],
    ['2026-13-01T00:00:00Z'],
    ['2026-11-22T10:00:00'],
    ['2026-11-22'],
    ['2026-11-22T10:00:00+25:00'],
    ['+275760-09-13T00:00:00Z'],
    [' 2026-11-22T10:00:00Z'],
    ['yesterday'],
    [''],
    [1e16],
    [8.64e15],
    [-1],
    [1.5],
    [Number.NaN],
    [Number.POSITIVE_INFINITY],
    [true],
    [null],
    [{}],
    [[1]],
  ])('rejects %s', (raw) => {
    expect(parseEventTime(raw)).toHaveProperty('error');
  });
});
