import { describe, expect, it } from 'vitest';
import { Subject, lastValueFrom } from 'rxjs';
import { deliverInOrder } from './deliver-in-order.js';

describe('deliverInOrder', () => {
  it('starts every delivery at once and completes them in arrival order', async () => {
    const input = new Subject<number>();
    const started: number[] = [];
    const completed: number[] = [];
    const gates = new Map<number, () => void>();
    const done = lastValueFrom(
      input.pipe(
        deliverInOrder(
          (n) => {
            started.push(n);
            return new Promise<number>((r) => gates.set(n, () => r(n * 10)));
          },
          (n, delivered) => void completed.push(n, delivered),
        ),
      ),
      { defaultValue: undefined },
    );
    input.next(1);
    input.next(2);
    input.next(3);
    expect(started).toEqual([1, 2, 3]);
    gates.get(3)!();
    gates.get(2)!();
    await new Promise((r) => setTimeout(r, 0));
    expect(completed).toEqual([]);
    gates.get(1)!();
    input.complete();
    await done;
    expect(completed).toEqual([1, 10, 2, 20, 3, 30]);
  });

  it('fails in the failed delivery’s turn, after the ones before it completed', async () => {
    const input = new Subject<number>();
    const completed: number[] = [];
    const done = lastValueFrom(
      input.pipe(
        deliverInOrder(
          async (n) => {
            if (n === 2) throw new Error('fenced for good');
            await new Promise((r) => setTimeout(r, 5));
            return n;
          },
          (n) => void completed.push(n),
        ),
      ),
      { defaultValue: undefined },
    );
    input.next(1);
    input.next(2);
    input.next(3);
    input.complete();
    await expect(done).rejects.toThrow('fenced for good');
    expect(completed).toEqual([1]);
  });
});
