import { concatMap, ignoreElements, map, type OperatorFunction } from 'rxjs';

/**
 * Starts each item's delivery as soon as it arrives (`start` must queue it synchronously, so
 * deliveries are taken in arrival order), and completes the items strictly in arrival order once
 * each one's delivery resolved: a delivery that finishes early waits for the ones before it. A
 * failed delivery fails the stream when its turn comes, as concatMap would.
 */
export function deliverInOrder<T, D>(start: (item: T) => Promise<D>, complete: (item: T, delivered: D) => Promise<void> | void): OperatorFunction<T, never> {
  return (source) =>
    source.pipe(
      map((item) => {
        const delivered = start(item);
        // Awaited below in its turn; until then a rejection is not "unhandled".
        delivered.catch(() => {});
        return { item, delivered };
      }),
      concatMap(async ({ item, delivered }) => complete(item, await delivered)),
      ignoreElements(),
    );
}
