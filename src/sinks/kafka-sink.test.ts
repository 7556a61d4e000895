import { describe, expect, it } from 'vitest';
import { mergeWork, type PartitionWork } from './kafka-sink.js';
import type { StreamSnapshot } from '../pipeline/types.js';

const snap = (count: number): StreamSnapshot => ({ v: 2, windows: { ring: [count], count, lastTs: count, nextIndex: count } });
const work = (epoch: number, offset: bigint | undefined, alerts: string[], state: [string, number | null][]): PartitionWork => ({
  tp: { topic: 'eps', partition: 0 },
  epoch,
  offset,
  alerts: alerts.map((key) => ({ key, value: key })),
  deadLetters: [],
  changelog: new Map(state.map(([stream, n]) => [stream, n === null ? null : snap(n)])),
});

describe('mergeWork', () => {
  it('does both shares in order: alerts one after the other, each stream’s latest state once, the later offset', () => {
    const merged = mergeWork(work(1, 10n, ['a1'], [['s', 1], ['t', 1]]), work(1, 25n, ['a2', 'a3'], [['s', 2], ['u', null]]));
    expect(merged.alerts.map((m) => m.key)).toEqual(['a1', 'a2', 'a3']);
    expect([...merged.changelog].map(([stream, s]) => [stream, s?.windows.count ?? null])).toEqual([['t', 1], ['s', 2], ['u', null]]);
    expect(merged.offset).toBe(25n);
  });

  it('keeps the offset of the share that consumed events when the other moved none (a wall-clock silence)', () => {
    expect(mergeWork(work(1, 10n, [], []), work(1, undefined, ['silence'], [])).offset).toBe(10n);
    expect(mergeWork(work(1, undefined, ['silence'], []), work(1, 12n, [], [])).offset).toBe(12n);
    expect(mergeWork(work(1, undefined, [], []), work(1, undefined, [], [])).offset).toBeUndefined();
  });

  it('drops the earlier share when the partition was prepared again in between (its work is redone from the committed offset)', () => {
    const merged = mergeWork(work(1, 10n, ['stale'], [['s', 1]]), work(2, 4n, ['fresh'], [['t', 2]]));
    expect(merged.epoch).toBe(2);
    expect(merged.alerts.map((m) => m.key)).toEqual(['fresh']);
    expect([...merged.changelog.keys()]).toEqual(['t']);
    expect(merged.offset).toBe(4n);
  });
});
