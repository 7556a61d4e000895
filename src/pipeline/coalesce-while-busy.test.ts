import { describe, expect, it } from 'vitest';
import { Subject, firstValueFrom, from, lastValueFrom, toArray } from 'rxjs';
import { coalesceWhileBusy } from './coalesce-while-busy.js';

describe('coalesceWhileBusy', () => {
  it('hands each call what arrived while the previous one ran, in order, one call at a time', async () => {
    const input = new Subject<number>();
    const calls: number[][] = [];
    let running = 0;
    const release: (() => void)[] = [];
    const done = lastValueFrom(
      input.pipe(
        coalesceWhileBusy(async (items) => {
          expect(++running).toBe(1);
          calls.push(items);
          await new Promise<void>((r) => release.push(r));
          running--;
        }),
        toArray(),
      ),
    );
    input.next(1);
    input.next(2);
    input.next(3);
    expect(calls).toEqual([[1]]);
    release.shift()!();
    await new Promise((r) => setImmediate(r));
    expect(calls).toEqual([[1], [2, 3]]);
    input.next(4);
    input.complete();
    release.shift()!();
    await new Promise((r) => setImmediate(r));
    expect(calls).toEqual([[1], [2, 3], [4]]);
    release.shift()!();
    expect(await done).toHaveLength(3);
  });

  it('completes only after the last call, and works on nothing after a failed call', async () => {
    const worked: number[] = [];
    let failed = false;
    const out = lastValueFrom(
      from([1, 2, 3]).pipe(
        coalesceWhileBusy(async (items) => {
          worked.push(...items);
          if (!failed) {
            failed = true;
            throw new Error('broker down');
          }
        }),
      ),
    );
    await expect(out).rejects.toThrow('broker down');
    expect(worked).toEqual([1]);
    await expect(firstValueFrom(from([] as number[]).pipe(coalesceWhileBusy(async () => {})), { defaultValue: 'empty' })).resolves.toBe('empty');
  });

  it('works on nothing more once the source failed, though a call was still running', async () => {
    const input = new Subject<number>();
    const worked: number[][] = [];
    let release = (): void => {};
    const out = lastValueFrom(
      input.pipe(
        coalesceWhileBusy(async (items) => {
          worked.push(items);
          await new Promise<void>((r) => (release = r));
        }),
      ),
    );
    input.next(1);
    input.next(2);
    input.error(new Error('pipeline failed'));
    await expect(out).rejects.toThrow('pipeline failed');
    release();
    await new Promise((r) => setImmediate(r));
    expect(worked).toEqual([[1]]);
  });
});
