import { describe, expect, it } from 'vitest';
import { Subject, from, lastValueFrom, toArray } from 'rxjs';
import { microBatch } from './micro-batch.js';

describe('microBatch', () => {
  it('cuts a synchronous source into full batches and a final remainder', async () => {
    const batches = await lastValueFrom(from([1, 2, 3, 4, 5, 6, 7]).pipe(microBatch(3, 1000), toArray()));
    expect(batches).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
  });

  it('flushes a partial batch once its first item has waited maxLatencyMs', async () => {
    const input = new Subject<number>();
    const seen: number[][] = [];
    input.pipe(microBatch(100, 20)).subscribe((b) => seen.push(b));
    input.next(1);
    input.next(2);
    expect(seen).toEqual([]);
    await new Promise((r) => setTimeout(r, 60));
    expect(seen).toEqual([[1, 2]]);
    input.next(3);
    input.complete();
    expect(seen).toEqual([[1, 2], [3]]);
  });

  it('emits no empty batches', async () => {
    const batches = await lastValueFrom(from([] as number[]).pipe(microBatch(3, 5), toArray()));
    expect(batches).toEqual([]);
  });
});
