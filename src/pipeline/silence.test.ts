import { describe, expect, it } from 'vitest';
import { SilenceTracker } from './silence.js';
import type { Alert } from './types.js';
import { throughWire } from '../kafka/state-record.js';

const C = 1_800_000;
const T0 = Date.UTC(2026, 0, 5);
const at = (i: number) => T0 + i * C;

describe('SilenceTracker', () => {
  it('opens a silence dated at the first missing event once other streams are after silenceAfter + 1 cadences, and resolves it when events return', () => {
    const t = new SilenceTracker();
    const out: Alert[] = [];
    for (let i = 0; i <= 20; i++) {
      t.observe('a', 'm', 2, at(i), C, i, undefined, out);
      if (i <= 5 || i >= 15) t.observe('b', 'm', 2, at(i), i > 1 ? C : undefined, i, undefined, out);
      if (i === 7) expect(out).toEqual([]);
    }
    expect(out.map((a) => [a.stream, a.state, a.kind, a.startTs])).toEqual([
      ['b', 'open', 'silence', new Date(at(6)).toISOString()],
      ['b', 'resolved', 'silence', new Date(at(6)).toISOString()],
    ]);
    expect(out[0].detectedAt).toBe(new Date(at(8)).toISOString());
    expect(out[0].alertId).toBe(out[1].alertId);
    expect(out[1].endTs).toBe(new Date(at(15)).toISOString());
    expect(out[0]).toMatchObject({ schemaVersion: 2, expected: null, deviation: null, threshold: 2 });
  });

  it('finds every stream of a quiet partition silent by the wall clock, and never twice', () => {
    const t = new SilenceTracker();
    const out: Alert[] = [];
    const wall = 1_000_000;
    for (let i = 0; i < 5; i++) for (const s of ['a', 'b']) t.observe(s, 'm', 2, at(i), C, i, wall + i * C, out);
    t.checkWallClock(wall + 4 * C + 2 * C, out);
    expect(out).toEqual([]);
    t.checkWallClock(wall + 4 * C + 3 * C, out);
    expect(out.map((a) => `${a.stream}:${a.state}`)).toEqual(['a:open', 'b:open']);
    t.checkWallClock(wall + 4 * C + 9 * C, out);
    expect(out).toHaveLength(2);
  });

  it('does not watch a stream whose rule turns silence off, nor one whose cadence is not known yet', () => {
    const t = new SilenceTracker();
    const out: Alert[] = [];
    t.observe('off', 'm', 0, at(0), C, 0, undefined, out);
    t.observe('new', 'm', 2, at(0), undefined, 0, undefined, out);
    for (let i = 1; i < 20; i++) t.observe('clock', 'm', 2, at(i), C, i, undefined, out);
    expect(out.map((a) => a.stream)).toEqual([]);
  });

  it('waits for the slowest lane: a partition fetched ahead does not make another partition\'s streams silent', () => {
    const t = new SilenceTracker();
    const out: Alert[] = [];
    // Lane "p0" delivers 10 steps before lane "p1" delivers anything of the same time.
    for (let i = 0; i < 3; i++) for (const [s, lane] of [['a', 'p0'], ['b', 'p1']]) t.observe(s, 'm', 2, at(i), C, i, undefined, out, lane);
    for (let i = 3; i < 13; i++) t.observe('a', 'm', 2, at(i), C, i, undefined, out, 'p0');
    expect(out).toEqual([]);
    for (let i = 3; i < 13; i++) t.observe('b', 'm', 2, at(i), C, i, undefined, out, 'p1');
    expect(out).toEqual([]);
    // A lane that is gone (revoked) no longer holds the watermark back; one that lags for good does.
    t.forgetLanes((lane) => lane === 'p1');
    for (let i = 13; i < 20; i++) t.observe('a', 'm', 2, at(i), C, i, undefined, out, 'p0');
    expect(out.map((a) => `${a.stream}:${a.state}:${a.startTs}`)).toEqual([`b:open:${new Date(at(13)).toISOString()}`]);
  });

  it('opens at the same watermark as a deadline per event would: after many events, after the cadence shrank, and after one silence ended', () => {
    const t = new SilenceTracker();
    const out: Alert[] = [];
    // 'a' reports for 30 cadences (its deadline moves 30 times), then stops; 'clock' keeps time.
    for (let i = 0; i < 30; i++) t.observe('a', 'm', 2, at(i), C, i, undefined, out);
    for (let i = 0; i <= 31; i++) t.observe('clock', 'm', 0, at(i), C, i, undefined, out);
    expect(out).toEqual([]);
    t.observe('clock', 'm', 0, at(32), C, 32, undefined, out);
    expect(out.map((a) => `${a.stream}:${a.state}:${a.startTs}:${a.detectedAt}`)).toEqual([`a:open:${new Date(at(30)).toISOString()}:${new Date(at(32)).toISOString()}`]);
    // It returns at a tenth of its cadence: its next deadline is sooner than any it had queued.
    const fast = C / 10;
    t.observe('a', 'm', 2, at(40), fast, 40, undefined, out);
    expect(out.map((a) => a.state)).toEqual(['open', 'resolved']);
    t.observe('clock', 'm', 0, at(40) + 3 * fast - 1, C, 41, undefined, out);
    expect(out).toHaveLength(2);
    t.observe('clock', 'm', 0, at(40) + 3 * fast, C, 42, undefined, out);
    expect(out.map((a) => `${a.stream}:${a.state}:${a.startTs}`).slice(2)).toEqual([`a:open:${new Date(at(40) + fast).toISOString()}`]);
    // 'b' has a deadline queued three long cadences ahead when its cadence shrinks: the sooner one counts.
    t.observe('b', 'm', 2, at(50), C, 50, undefined, out);
    t.observe('b', 'm', 2, at(50) + fast, fast, 51, undefined, out);
    t.observe('clock', 'm', 0, at(50) + 4 * fast - 1, C, 52, undefined, out);
    expect(out).toHaveLength(3);
    t.observe('clock', 'm', 0, at(50) + 4 * fast, C, 53, undefined, out);
    expect(out.slice(3).map((a) => `${a.stream}:${a.state}:${a.startTs}`)).toEqual([`b:open:${new Date(at(50) + 2 * fast).toISOString()}`]);
  });

  it('continues from a JSON snapshot: a silence opened before the cut resolves, one due after it opens, as in an uninterrupted run', () => {
    // "b" stops at 5 and returns at 15, "c" stops at 12 and never returns; "a" carries event time on.
    const feed = (t: SilenceTracker, from: number, to: number, out: Alert[]) => {
      for (let i = from; i < to; i++) {
        t.observe('a', 'm', 2, at(i), C, i, 1000 + i, out);
        if (i <= 5 || i >= 15) t.observe('b', 'm', 2, at(i), i > 1 ? C : undefined, i, 1000 + i, out);
        if (i <= 12) t.observe('c', 'm', 2, at(i), i > 1 ? C : undefined, i, 1000 + i, out);
      }
    };
    const whole = new SilenceTracker();
    const expected: Alert[] = [];
    feed(whole, 0, 25, expected);
    expect(expected.map((a) => [a.stream, a.state])).toEqual([
      ['b', 'open'],
      ['c', 'open'],
      ['b', 'resolved'],
    ]);
    for (const cut of [3, 6, 9, 13, 14, 15, 16, 20]) {
      const first = new SilenceTracker();
      const got: Alert[] = [];
      feed(first, 0, cut, got);
      const second = new SilenceTracker();
      for (const stream of ['a', 'b', 'c']) second.restore(stream, throughWire(first.snapshot(stream) ?? null) ?? undefined);
      feed(second, cut, 25, got);
      expect(got, `cut at ${cut}`).toEqual(expected);
      for (const stream of ['a', 'b', 'c']) expect(second.snapshot(stream)).toEqual(whole.snapshot(stream));
    }
  });

  it('continues from snapshots in lanes: the restored lanes hold the watermark back as they did before the cut', () => {
    // Lane "p0" ("a", "c") runs 6 steps ahead of lane "p1" ("b", "d"); "c" stops at 4 and "b" at 9.
    const lanes: Record<string, string> = { a: 'p0', b: 'p1', c: 'p0', d: 'p1' };
    const feed = (t: SilenceTracker, from: number, to: number, out: Alert[]) => {
      for (let i = from; i < to; i++) {
        t.observe('a', 'm', 2, at(i), C, i, undefined, out, 'p0');
        if (i <= 4) t.observe('c', 'm', 2, at(i), C, i, undefined, out, 'p0');
        if (i < 6) continue;
        t.observe('d', 'm', 2, at(i - 6), C, i - 6, undefined, out, 'p1');
        if (i - 6 <= 9) t.observe('b', 'm', 2, at(i - 6), C, i - 6, undefined, out, 'p1');
      }
    };
    const whole = new SilenceTracker();
    const expected: Alert[] = [];
    feed(whole, 0, 30, expected);
    expect(expected.map((a) => `${a.stream}:${a.state}:${a.detectedAt}`)).toEqual([`c:open:${new Date(at(7)).toISOString()}`, `b:open:${new Date(at(12)).toISOString()}`]);
    for (const cut of [7, 9, 11, 13, 16]) {
      const first = new SilenceTracker();
      const got: Alert[] = [];
      feed(first, 0, cut, got);
      const second = new SilenceTracker();
      for (const stream of ['a', 'b', 'c', 'd']) second.restore(stream, throughWire(first.snapshot(stream) ?? null) ?? undefined, lanes[stream]);
      feed(second, cut, 30, got);
      expect(got, `cut at ${cut}`).toEqual(expected);
    }
  });
});
