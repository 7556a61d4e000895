import { describe, expect, it } from 'vitest';
import { CadenceTracker } from './cadence.js';

/** The median of the last five gaps, as the tracker defines it, worked out the plain way. */
function expectedCadence(ts: number[]): number | undefined {
  const gaps = ts.slice(1).map((t, i) => t - ts[i]).filter((g) => g > 0).slice(-5);
  if (gaps.length < 2) return undefined;
  return [...gaps].sort((a, b) => a - b)[gaps.length >> 1];
}

describe('CadenceTracker', () => {
  it('is the median of the last five gaps after every event, through the ring wrapping many times', () => {
    const t = new CadenceTracker();
    const ts: number[] = [];
    let now = 0;
    for (let i = 0; i < 40; i++) {
      now += [60_000, 30_000, 60_000, 300_000, 60_000, 1_000, 60_000][i % 7] * (i > 20 ? 2 : 1);
      ts.push(now);
      t.observe(now);
      expect(t.cadenceMs, `after event ${i}`).toBe(expectedCadence(ts));
    }
  });

  it('counts no gap for a repeated or older timestamp, and measures the next gap from it', () => {
    const t = new CadenceTracker();
    for (const ts of [0, 60_000, 60_000, 30_000]) t.observe(ts);
    expect(t.cadenceMs).toBeUndefined();
    t.observe(120_000);
    expect(t.cadenceMs).toBe(90_000);
  });

  it('restores from its snapshot to the same cadence and goes on the same way', () => {
    const a = new CadenceTracker();
    for (let i = 0; i < 9; i++) a.observe(i * i * 1000);
    const b = CadenceTracker.restore(a.snapshot());
    expect(b.cadenceMs).toBe(a.cadenceMs);
    expect(a.snapshot().gaps).toEqual([7000, 9000, 11000, 13000, 15000]);
    for (const ts of [70_000, 75_000, 90_000]) {
      a.observe(ts);
      b.observe(ts);
      expect(b.cadenceMs).toBe(a.cadenceMs);
    }
  });
});
