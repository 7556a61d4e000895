import { describe, expect, it } from 'vitest';
import { SCORING_DEFAULTS } from '../config/schema.js';
import type { Route } from './router.js';
import { SilenceTracker } from './silence.js';
import { StreamRecords } from './stream-records.js';
import { StreamWindows } from './windows.js';

const route: Route = { model: 'm', seqStep: 2, features: 1, threshold: 1, policy: { openAfter: 1, resolveAfter: 2 }, scoring: SCORING_DEFAULTS, silenceAfter: 2 };

describe('StreamRecords', () => {
  it('gives each holder its own field of one record per stream', () => {
    const records = new StreamRecords();
    const windows = new StreamWindows(records.field('window'));
    const silences = new SilenceTracker(records.field('activity'));
    windows.push({ stream: 'a', ts: 1, values: [1] }, route);
    windows.push({ stream: 'b', ts: 1, values: [2] }, route);
    silences.observe('a', 'm', 2, 1, 60_000, 0, undefined, []);
    expect(records.size).toBe(2);
    expect(windows.size).toBe(2);
    expect(silences.size).toBe(1);
    expect(windows.snapshot('a')?.count).toBe(1);
    expect(records.get('a')?.window).toBeDefined();
    expect(records.get('a')?.activity?.lastTs).toBe(1);
    expect(records.get('b')?.activity).toBeUndefined();
  });

  it("a holder's drop clears its field only; deleting the record forgets every holder's state", () => {
    const records = new StreamRecords();
    const windows = new StreamWindows(records.field('window'));
    const silences = new SilenceTracker(records.field('activity'));
    for (const stream of ['a', 'b']) {
      windows.push({ stream, ts: 1, values: [1] }, route);
      silences.observe(stream, 'm', 2, 1, 60_000, 0, undefined, []);
    }
    expect(windows.drop((s) => s === 'a')).toBe(1);
    expect(windows.size).toBe(1);
    expect(windows.snapshot('a')).toBeUndefined();
    expect(silences.snapshot('a')).toBeDefined();
    expect(records.size).toBe(2);

    records.delete('b');
    expect(records.size).toBe(1);
    expect(windows.size).toBe(0);
    expect(silences.size).toBe(1);
    expect(silences.snapshot('b')).toBeUndefined();
    // A stream that comes back starts afresh.
    expect(windows.push({ stream: 'b', ts: 5, values: [1] }, route)).toBe('warming');
    expect(windows.snapshot('b')?.count).toBe(1);
  });

  it('a holder standing alone keeps its state in a Map of its own', () => {
    const a = new StreamWindows();
    const b = new StreamWindows();
    a.push({ stream: 's', ts: 1, values: [1] }, route);
    expect(a.size).toBe(1);
    expect(b.size).toBe(0);
  });
});
