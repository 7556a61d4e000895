import { Observable, type OperatorFunction } from 'rxjs';

/**
 * Runs `work` on the items in arrival order, one call at a time, and hands each call everything
 * that arrived while the previous one ran. Unlike concatMap, which makes one call per item, a
 * slow call (a round trip to the broker) is paid once for all the items that queued behind it,
 * so the cost per item falls as the load rises. Completes after the last call. After an error
 * (a failed call, or the source's) or an unsubscribe, nothing more is worked on, as with concatMap:
 * a call still running finishes, but what queued behind it is dropped.
 */
export function coalesceWhileBusy<T>(work: (items: T[]) => Promise<void>): OperatorFunction<T, void> {
  return (source) =>
    new Observable<void>((subscriber) => {
      let queued: T[] = [];
      let busy = false;
      let done = false;
      let closed = false;
      const fail = (err: unknown): void => {
        closed = true;
        queued = [];
        subscriber.error(err);
      };
      const drain = (): void => {
        if (busy || closed) return;
        if (queued.length === 0) {
          if (done) subscriber.complete();
          return;
        }
        const items = queued;
        queued = [];
        busy = true;
        work(items).then(
          () => {
            busy = false;
            subscriber.next();
            drain();
          },
          (err: unknown) => fail(err),
        );
      };
      const subscription = source.subscribe({
        next(item) {
          queued.push(item);
          drain();
        },
        error(err) {
          fail(err);
        },
        complete() {
          done = true;
          drain();
        },
      });
      return () => {
        closed = true;
        queued = [];
        subscription.unsubscribe();
      };
    });
}
