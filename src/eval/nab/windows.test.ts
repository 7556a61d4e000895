import { describe, expect, it } from 'vitest';
import { locateWindows, probationaryLength } from './windows.js';

describe('probationaryLength', () => {
  it('is 15 % of the rows, rounded down, and at most 750', () => {
    expect(probationaryLength(100)).toBe(15);
    expect(probationaryLength(4032)).toBe(604); // floor(604.8)
    expect(probationaryLength(5000)).toBe(750);
    expect(probationaryLength(22695)).toBe(750);
    expect(probationaryLength(100, 0)).toBe(0);
  });
});

describe('locateWindows', () => {
  const ts = [10, 20, 30, 40, 50, 60];

  it('maps window limits to the rows carrying those timestamps', () => {
    expect(locateWindows(ts, [[20, 40], [50, 50]], 'a.csv')).toEqual([
      { start: 1, end: 3 },
      { start: 4, end: 4 },
    ]);
  });

  it('uses the first row of a repeated timestamp', () => {
    expect(locateWindows([10, 20, 20, 30], [[20, 30]], 'a.csv')).toEqual([{ start: 1, end: 3 }]);
  });

  it('names the file and the window when a limit is not a timestamp of the file', () => {
    expect(() => locateWindows(ts, [[25, 40]], 'cat/a.csv')).toThrow(/cat\/a\.csv: window 1 .*start is not a timestamp/);
    expect(() => locateWindows(ts, [[20, 45]], 'cat/a.csv')).toThrow(/end is not a timestamp/);
  });

  it('rejects reversed, unordered and overlapping windows', () => {
    expect(() => locateWindows(ts, [[40, 20]], 'a.csv')).toThrow(/ends before it starts/);
    expect(() => locateWindows(ts, [[20, 40], [40, 50]], 'a.csv')).toThrow(/window 2 .*overlaps/);
    expect(() => locateWindows(ts, [[50, 60], [10, 20]], 'a.csv')).toThrow(/window 2 .*overlaps or precedes/);
  });
});
