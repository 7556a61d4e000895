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
    ['2026-11-23T09:59:00+23:59', Date.UTC(2026, 10, 22, 10)],
    ['2026-11-22T10:00:00,5z', Date.UTC(2026, 10, 22, 10, 0, 0, 500)],
    ['2026-11-22T11:00+01', Date.UTC(2026, 10, 22, 10)],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
    ['9999-12-31T23:59:59.999Z', MAX_EVENT_TS],
    ['2000-02-29T23:59:59Z', Date.UTC(2000, 1, 29, 23, 59, 59)],
    // Before 1970 in its zone, the epoch's first hour in UTC.
    ['1969-12-31T23:30:00-01:00', 30 * 60_000],
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
    ['1900-02-29T00:00:00Z'],
    ['2026-04-31T00:00:00Z'],
    ['2026-00-10T00:00:00Z'],
    ['2026-01-00T00:00:00Z'],
    ['0069-12-31T23:00:00-05:00'],
    ['1969-12-31T23:59:59Z'],
    ['2026-11-22T24:00:00Z'],
    ['2026-11-22T10:61:00Z'],
    ['2026-11-22T10:00:60Z'],
    ['2026-13-01T00:00:00Z'],
    ['2026-11-22T10:00:00'],
    ['2026-11-22'],
    ['2026-11-22T10:00:00+25:00'],
    ['2026-11-22T10:00:00+24:00'],
    ['2026-11-22T10:00:00+02:60'],
    ['2026-11-22T10:00:00.Z'],
    ['2026-11-22T10:00:00.1234567890Z'],
    ['2026-11-22T10:00:00+02:3'],
    ['2026-11-22T10:00:00Zz'],
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

  it('reads every text as the grammar says: the same instants as the pattern that defines it, on 20,000 mutated timestamps', () => {
    // The accepted text as a regular expression (what the parser did before it read characters itself).
    const grammar = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|z|[+-]\d{2}(?::?\d{2})?)$/;
    const byGrammar = (text: string): number | undefined => {
      const m = grammar.exec(text);
      if (m === null) return undefined;
      const [, y, mo, d, h, mi, s = '0', frac = '', zone] = m;
      const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number);
      const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
      const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
      if (month < 1 || month > 12 || day < 1 || day > days || hour > 23 || minute > 59 || second > 59) return undefined;
      let offset = 0;
      if (zone !== 'Z' && zone !== 'z') {
        const zd = zone.slice(1).replace(':', '');
        const [zh, zm] = [Number(zd.slice(0, 2)), Number(zd.slice(2) || '0')];
        if (zh > 23 || zm > 59) return undefined;
        offset = (zone[0] === '-' ? -1 : 1) * (zh * 60 + zm);
      }
      if (year < 100) return undefined;
      const ts = Date.UTC(year, month - 1, day, hour, minute, second, Math.floor(Number(`0.${frac || '0'}`) * 1000)) - offset * 60_000;
      return ts < 0 || ts > MAX_EVENT_TS ? undefined : ts;
    };
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
    const bases = ['2026-11-22T10:00:00Z', '2024-02-29 23:59:59.123456789+05:30', '1999-12-31T00:00Z', '2026-03-01T12:30:45,5-0800', '9999-12-31T23:59:59.999z', '1970-01-01T00:00:00+00'];
    const chars = '0123456789-:T Zz+.,x';
    let accepted = 0;
    for (let i = 0; i < 20_000; i++) {
      let text = pick(bases);
      for (let edits = Math.floor(random() * 3); edits > 0; edits--) {
        const at = Math.floor(random() * (text.length + 1));
        const op = random();
        if (op < 0.4) text = text.slice(0, at) + pick([...chars]) + text.slice(at + 1);
        else if (op < 0.7) text = text.slice(0, at) + pick([...chars]) + text.slice(at);
        else text = text.slice(0, at) + text.slice(at + 1);
      }
      const parsed = parseEventTime(text);
      const expected = byGrammar(text);
      expect('ts' in parsed ? parsed.ts : undefined, text).toBe(expected);
      if (expected !== undefined) accepted++;
    }
    // Both sides of the grammar were exercised.
    expect(accepted).toBeGreaterThan(2_000);
    expect(accepted).toBeLessThan(18_000);
  });
});
