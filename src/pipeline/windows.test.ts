import { describe, expect, it } from 'vitest';
import { SCORING_DEFAULTS } from '../config/schema.js';
import { StreamWindows } from './windows.js';
import type { Route } from './router.js';
import type { Window } from './types.js';
import { throughWire } from '../kafka/state-record.js';

const route = (seqStep: number, features = 1): Route => ({
  model: 'm',
  seqStep,
  features,
  threshold: 1,
  policy: { openAfter: 1, resolveAfter: 2 },
  scoring: SCORING_DEFAULTS,
  silenceAfter: 2,
});

describe('StreamWindows', () => {
  it('warms up for seqStep-1 events, then emits the last seqStep values oldest first', () => {
    const w = new StreamWindows();
    const out = [1, 2, 3, 4, 5, 6].map((v, i) => w.push({ stream: 's', ts: i, values: [v] }, route(3)));
    expect(out.slice(0, 2)).toEqual(['warming', 'warming']);
    expect(Array.from((out[2] as Window).values)).toEqual([1, 2, 3]);
    expect(Array.from((out[3] as Window).values)).toEqual([2, 3, 4]);
    expect(Array.from((out[5] as Window).values)).toEqual([4, 5, 6]);
    expect((out[5] as Window).index).toBe(5);
    expect((out[5] as Window).ts).toBe(5);
  });

  it('keeps multivariate rows together', () => {
    const w = new StreamWindows();
    w.push({ stream: 's', ts: 1, values: [1, 10] }, route(2, 2));
    w.push({ stream: 's', ts: 2, values: [2, 20] }, route(2, 2));
    const out = w.push({ stream: 's', ts: 3, values: [3, 30] }, route(2, 2)) as Window;
    expect(Array.from(out.values)).toEqual([2, 20, 3, 30]);
  });

  it('keeps streams apart', () => {
    const w = new StreamWindows();
    w.push({ stream: 'a', ts: 1, values: [1] }, route(2));
    w.push({ stream: 'b', ts: 1, values: [100] }, route(2));
    const a = w.push({ stream: 'a', ts: 2, values: [2] }, route(2)) as Window;
    expect(Array.from(a.values)).toEqual([1, 2]);
    expect(w.size).toBe(2);
  });

  it('rejects duplicate and older timestamps without disturbing the window', () => {
    const w = new StreamWindows();
    w.push({ stream: 's', ts: 10, values: [1] }, route(2));
    expect(w.push({ stream: 's', ts: 10, values: [9] }, route(2))).toMatchObject({ reason: 'duplicate_timestamp', stream: 's' });
    expect(w.push({ stream: 's', ts: 5, values: [9] }, route(2))).toMatchObject({ reason: 'out_of_order' });
    const out = w.push({ stream: 's', ts: 11, values: [2] }, route(2)) as Window;
    expect(Array.from(out.values)).toEqual([1, 2]);
  });

  it('rejects a wrong number of values', () => {
    const w = new StreamWindows();
    expect(w.push({ stream: 's', ts: 1, values: [1, 2] }, route(2))).toMatchObject({ reason: 'wrong_feature_count' });
  });

  it('uses the event index when given (file rows) and counts otherwise', () => {
    const w = new StreamWindows();
    w.push({ stream: 's', ts: 1, values: [1], index: 7 }, route(2));
    expect((w.push({ stream: 's', ts: 2, values: [1], index: 8 }, route(2)) as Window).index).toBe(8);
    expect((w.push({ stream: 's', ts: 3, values: [1] }, route(2)) as Window).index).toBe(9);
  });

  it('drops streams on request and warms them up again', () => {
    const w = new StreamWindows();
    w.push({ stream: 'a', ts: 1, values: [1] }, route(2));
    w.push({ stream: 'b', ts: 1, values: [1] }, route(2));
    expect(w.drop((s) => s === 'a')).toBe(1);
    expect(w.push({ stream: 'a', ts: 2, values: [2] }, route(2))).toBe('warming');
    expect(w.push({ stream: 'b', ts: 2, values: [2] }, route(2))).not.toBe('warming');
  });

  it('continues a stream restored from its JSON snapshot exactly where it left off', () => {
    const a = new StreamWindows();
    const events = [5, 6, 7, 8, 9, 10, 11].map((v, i) => ({ stream: 's', ts: 100 + i, values: [v + 0.1, -v] }));
    events.slice(0, 4).forEach((e) => a.push(e, route(3, 2)));
    const b = new StreamWindows();
    b.restore('s', throughWire(a.snapshot('s')));
    for (const e of events.slice(4)) expect(b.push(e, route(3, 2))).toEqual(a.push(e, route(3, 2)));
    // The restored last timestamp still orders the stream.
    expect(b.push({ stream: 's', ts: 103, values: [1, 1] }, route(3, 2))).toMatchObject({ reason: 'out_of_order' });
    expect(b.snapshot('s')).toEqual(a.snapshot('s'));
  });

  it('has no snapshot for an unseen stream, and restoring none forgets the stream', () => {
    const w = new StreamWindows();
    expect(w.snapshot('s')).toBeUndefined();
    w.push({ stream: 's', ts: 1, values: [1] }, route(2));
    w.restore('s', undefined);
    expect(w.size).toBe(0);
  });

  it('starts a restored stream afresh when the model shape changed', () => {
    const a = new StreamWindows();
    a.push({ stream: 's', ts: 1, values: [1] }, route(2));
    const b = new StreamWindows();
    b.restore('s', a.snapshot('s'));
    expect(b.push({ stream: 's', ts: 2, values: [2] }, route(3))).toBe('warming');
    expect(b.snapshot('s')).toMatchObject({ count: 1 });
  });
});
