import { ignoreElements, type OperatorFunction } from 'rxjs';
import { coalesceWhileBusy } from '../pipeline/coalesce-while-busy.js';
import type { BatchResult } from '../pipeline/types.js';

/**
 * Delivers batches one at a time, in order; the batches that finish while a delivery is in
 * progress are merged and go out together in the next one. A transaction costs a few round trips
 * whatever its size, so under load the transactions grow instead of queueing up.
 */
export function deliverCoalesced<S>(deliver: (batch: BatchResult<S>) => Promise<void>): OperatorFunction<BatchResult<S>, never> {
  return (source) => source.pipe(
    coalesceWhileBusy((batches) => deliver(mergeBatches(batches))),
    ignoreElements(),
  );
}

/** One batch doing what `batches` did in order; a stream's state is its last one. */
export function mergeBatches<S>(batches: BatchResult<S>[]): BatchResult<S> {
  if (batches.length === 1) return batches[0];
  const state = new Map<string, BatchResult<S>['state'][number]>();
  for (const b of batches) for (const s of b.state) state.delete(s.stream), state.set(s.stream, s);
  return {
    scored: batches.flatMap((b) => b.scored),
    alerts: batches.flatMap((b) => b.alerts),
    rejected: batches.flatMap((b) => b.rejected),
    sources: batches.flatMap((b) => b.sources),
    events: batches.reduce((n, b) => n + b.events, 0),
    inference: batches.flatMap((b) => b.inference),
    state: [...state.values()],
    evicted: batches.flatMap((b) => b.evicted ?? []),
  };
}
