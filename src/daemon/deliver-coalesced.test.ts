import { describe, expect, it } from 'vitest';
import { Subject, lastValueFrom } from 'rxjs';
import type { BatchResult } from '../pipeline/types.js';
import { deliverCoalesced, mergeBatches } from './deliver-coalesced.js';

const batch = (sources: number[], state: [string, number][] = []): BatchResult<number> => ({
  scored: [],
  alerts: [],
  rejected: [],
  sources,
  events: sources.length,
  inference: [],
  state: state.map(([stream, n]) => ({ stream, snapshot: { v: 2, windows: { ring: [n], count: n, lastTs: n, nextIndex: n } } })),
});

describe('deliverCoalesced', () => {
  it('delivers in order, merging the batches that finished while a delivery was in progress', async () => {
    const input = new Subject<BatchResult<number>>();
    const delivered: number[][] = [];
    let release!: () => void;
    const done = lastValueFrom(
      input.pipe(
        deliverCoalesced(async (b) => {
          delivered.push(b.sources);
          if (delivered.length === 1) await new Promise<void>((r) => (release = r));
        }),
      ),
      { defaultValue: undefined },
    );
    input.next(batch([1]));
    input.next(batch([2]));
    input.next(batch([3, 4]));
    release();
    await new Promise((r) => setTimeout(r, 0));
    input.next(batch([5]));
    input.complete();
    await done;
    expect(delivered).toEqual([[1], [2, 3, 4], [5]]);
  });

  it('fails with the delivery error', async () => {
    const input = new Subject<BatchResult<number>>();
    const done = lastValueFrom(input.pipe(deliverCoalesced(async () => Promise.reject(new Error('broker gone')))), { defaultValue: undefined });
    input.next(batch([1]));
    await expect(done).rejects.toThrow('broker gone');
  });
});

describe('mergeBatches', () => {
  it('keeps each stream\'s last state only, and adds up events', () => {
    const merged = mergeBatches([batch([1, 2], [['a', 1], ['b', 1]]), batch([3], [['a', 2]])]);
    expect(merged.events).toBe(3);
    expect(merged.sources).toEqual([1, 2, 3]);
    expect(merged.state.map((s) => [s.stream, s.snapshot!.windows.count])).toEqual([['b', 1], ['a', 2]]);
  });
});
