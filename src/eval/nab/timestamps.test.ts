import { describe, expect, it } from 'vitest';
import { parseNabTimestamp } from './timestamps.js';

describe('parseNabTimestamp', () => {
  it('reads data-file and window-file forms as the same instant', () => {
    const data = parseNabTimestamp('2014-04-10 07:15:00');
    expect(data).toBe(Date.UTC(2014, 3, 10, 7, 15, 0));
    expect(parseNabTimestamp('2014-04-10 07:15:00.000000')).toBe(data);
    expect(parseNabTimestamp('2014-04-10T07:15:00')).toBe(data);
  });

  it('keeps fractional seconds', () => {
    expect(parseNabTimestamp('2014-04-10 07:15:00.5')).toBe(Date.UTC(2014, 3, 10, 7, 15, 0) + 500);
  });

  it('rejects text that is not a timestamp or names an impossible date', () => {
    expect(parseNabTimestamp('2014-04-10')).toBeNull();
    expect(parseNabTimestamp('yesterday')).toBeNull();
    expect(parseNabTimestamp('2014-02-30 00:00:00')).toBeNull();
    expect(parseNabTimestamp('2014-04-10 25:00:00')).toBeNull();
  });
});
