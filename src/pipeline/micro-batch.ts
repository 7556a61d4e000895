import { Observable, type OperatorFunction } from 'rxjs';

/**
 * Groups items into batches of at most `maxBatch`, emitting a partial batch once its first item
 * has waited `maxLatencyMs`. Unlike bufferTime, the timer starts with the batch's first item and
 * no empty batches are emitted; a synchronous source (a file replay) yields full batches only.
 */
export function microBatch<T>(maxBatch: number, maxLatencyMs: number): OperatorFunction<T, T[]> {
  return (source) =>
    new Observable<T[]>((subscriber) => {
      let batch: T[] = [];
      let timer: NodeJS.Timeout | undefined;
      const flush = () => {
        if (timer !== undefined) {
          clearTimeout(timer);
          timer = undefined;
        }
        if (batch.length === 0) return;
        const full = batch;
        batch = [];
        subscriber.next(full);
      };
      const subscription = source.subscribe({
        next(item) {
          batch.push(item);
          if (batch.length >= maxBatch) flush();
          else if (timer === undefined) timer = setTimeout(flush, maxLatencyMs);
        },
        error(err) {
          flush();
          subscriber.error(err);
        },
        complete() {
          flush();
          subscriber.complete();
        },
      });
      return () => {
        if (timer !== undefined) clearTimeout(timer);
        subscription.unsubscribe();
      };
    });
}
