import { concatMap, Subject, type OperatorFunction } from 'rxjs';
import type { PipelineInput } from './pipeline.js';
import type { Alert, BatchResult, Rejected } from './types.js';

/**
 * What a replay needs of a pipeline: `ScoringPipeline` as the daemon runs it, plus an optional end-of-input hook.
 * `flush(watermark)` is called once every event has come out of the operator, with the largest event timestamp
 * seen across all streams; whatever the pipeline still has to say at the end of input (e.g. streams that went
 * silent before it) comes back as one more batch.
 */
export interface ReplayablePipeline<S> {
  operator(): OperatorFunction<PipelineInput<S>, BatchResult<S>>;
  flush?(watermarkMs: number): BatchResult<S> | null | Promise<BatchResult<S> | null>;
}

export interface EventReplayOptions<S> {
  /** Events read but not yet out of the pipeline before reading waits (the daemon's `daemon.maxInFlight`). */
  maxInFlight: number;
  /** Every batch, in input order, as the daemon would deliver it (e.g. to write scores as they come). */
  onBatch?: (batch: BatchResult<S>) => void | Promise<void>;
}

export interface EventReplayResult<S> {
  /** Inputs read, rejected ones included. */
  events: number;
  /** Windows scored. */
  scored: number;
  alerts: Alert[];
  rejected: Rejected<S>[];
  /** Largest event timestamp (epoch ms) across all streams; null when no event was decoded. */
  watermark: number | null;
}

/**
 * Replays events, in the order given (event time, for a file written in time order), through the pipeline, exactly as
 * the daemon feeds it from its consumer: one event after the other into `operator()`, with the daemon's backpressure
 * (at most `maxInFlight` events inside the pipeline, then wait until half of them are out). Input is pulled lazily,
 * so a file of any length is streamed; only the alerts and rejections are kept.
 */
export async function replayEvents<S>(
  pipeline: ReplayablePipeline<S>,
  input: AsyncIterable<PipelineInput<S>> | Iterable<PipelineInput<S>>,
  opts: EventReplayOptions<S>,
): Promise<EventReplayResult<S>> {
  const result: EventReplayResult<S> = { events: 0, scored: 0, alerts: [], rejected: [], watermark: null };
  const take = async (batch: BatchResult<S>) => {
    result.scored += batch.scored.length;
    result.alerts.push(...batch.alerts);
    result.rejected.push(...batch.rejected);
    await opts.onBatch?.(batch);
  };

  let completed = 0;
  let failure: unknown;
  let resume: (() => void) | undefined;
  const wake = () => {
    resume?.();
    resume = undefined;
  };
  const events = new Subject<PipelineInput<S>>();
  const drained = new Promise<void>((resolve, reject) => {
    events
      .pipe(
        pipeline.operator(),
        concatMap(async (batch) => {
          await take(batch);
          completed += batch.events;
          if (result.events - completed <= opts.maxInFlight / 2) wake();
        }),
      )
      .subscribe({
        complete: resolve,
        error: (err: unknown) => {
          failure = err;
          wake();
          reject(err);
        },
      });
  });
  drained.catch(() => {});

  for await (const item of input) {
    if (failure !== undefined) break;
    result.events++;
    if ('stream' in item && (result.watermark === null || item.ts > result.watermark)) result.watermark = item.ts;
    events.next(item);
    if (failure === undefined && result.events - completed >= opts.maxInFlight) await new Promise<void>((r) => (resume = r));
  }
  events.complete();
  await drained;
  if (pipeline.flush && result.watermark !== null) {
    const last = await pipeline.flush(result.watermark);
    if (last) await take(last);
  }
  return result;
}
