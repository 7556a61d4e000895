import { from, lastValueFrom, tap } from 'rxjs';
import { AnomalydMetrics } from '../src/metrics/index.js';
import { ScoringPipeline } from '../src/pipeline/pipeline.js';
import { StreamRouter } from '../src/pipeline/router.js';
import type { PipelineModel } from '../src/pipeline/scoring-model.js';
import type { MetricEvent } from '../src/pipeline/types.js';
import type { Progress } from './progress.js';
import { gc } from './timing.js';
import { EpsTraffic, STEP_MS, T0, streamId } from './traffic.js';

export interface MemoryResult {
  /** Distinct stream ids sent. */
  streams: number;
  /** daemon.maxActiveStreams of the run (0: no cap). */
  cap: number;
  /** Streams the pipeline holds at the end; with a cap, the rest were rejected as stream_limit. */
  activeStreams: number;
  rejectedStreamLimit: number;
  events: number;
  gcExposed: boolean;
  /** After windows, episodes, score transforms and routes of every stream exist. */
  pipeline: StateMemory;
  /** Plus the per-stream metric state (beyond maxStreamLabels streams fold into __other__ but keep their state). */
  withMetrics: StateMemory;
}

/**
 * Growth over the baseline: resident, the JS heap (objects), and the typed arrays' buffers (outside
 * the heap: state kept in shared rows of numbers is there), in all and per stream held.
 */
export interface StateMemory {
  rssBytes: number;
  heapBytes: number;
  bufferBytes?: number;
  rssPerStream: number;
  heapPerStream: number;
  bufferPerStream?: number;
}

function usage(): { rss: number; heap: number; buffers: number } {
  gc();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed, buffers: m.arrayBuffers };
}

/**
 * Resident memory of `streams` distinct stream ids with `cap` as daemon.maxActiveStreams (0: none): seqStep events per stream through the real
 * ScoringPipeline (so every stream holds a full window and episode state) and the daemon's metrics.
 */
export async function benchMemory(model: PipelineModel, streams: number, cap: number, progress: Progress): Promise<MemoryResult> {
  const rule = { match: '*', model: model.name, alert: { openAfter: 1, resolveAfter: 5 } };
  const router = new StreamRouter([rule], new Map([[model.name, model]]));
  const pipeline = new ScoringPipeline({ router, models: new Map([[model.name, model]]), maxBatch: 1024, maxLatencyMs: 50, maxActiveStreams: cap });
  const metrics = new AnomalydMetrics({ maxStreamLabels: 1000, collectDefault: false });
  const traffic = new EpsTraffic({ streams, rows: model.seqStep });
  const total = streams * model.seqStep;
  function* events(n = streams): Generator<MetricEvent> {
    for (let row = 0; row < model.seqStep; row++) {
      for (let s = 0; s < n; s++) yield { stream: streamId(s), ts: T0 + row * STEP_MS, values: [traffic.value(s, row)], receivedAt: Date.now() };
    }
  }
  // Warm the code paths (and tf's kernels) on a few streams first so the baseline holds them.
  const warm = new ScoringPipeline({ router: new StreamRouter([rule], new Map([[model.name, model]])), models: new Map([[model.name, model]]), maxBatch: 1024, maxLatencyMs: 50 });
  await lastValueFrom(from(events(2048)).pipe(warm.operator()), { defaultValue: undefined });
  const results: unknown[] = [];
  const before = usage();
  progress.start(`memory: ${streams} streams`, total);
  let done = 0;
  let rejectedStreamLimit = 0;
  await lastValueFrom(
    from(events()).pipe(
      pipeline.operator(),
      tap((r) => {
        done += r.events;
        for (const x of r.rejected) if (x.reason === 'stream_limit') rejectedStreamLimit++;
        progress.update(done);
        results.push(r.alerts.length);
      }),
    ),
    { defaultValue: undefined },
  );
  progress.stop();
  const held = cap > 0 ? Math.min(cap, streams) : streams;
  if (pipeline.windows.size !== held) throw new Error(`expected ${held} active streams, the pipeline holds ${pipeline.windows.size}`);
  const afterPipeline = usage();
  // The daemon records every scored window in its metrics: feed the same windows once more through a fresh pipeline stage.
  const again = new ScoringPipeline({ router, models: new Map([[model.name, model]]), maxBatch: 1024, maxLatencyMs: 50, maxActiveStreams: cap });
  await lastValueFrom(from(events()).pipe(again.operator(), tap((r) => metrics.observeBatch(r))), { defaultValue: undefined });
  again.dropStreams(() => true);
  const afterMetrics = usage();
  const per = (a: { rss: number; heap: number; buffers: number }): StateMemory => ({
    rssBytes: a.rss - before.rss,
    heapBytes: a.heap - before.heap,
    bufferBytes: a.buffers - before.buffers,
    rssPerStream: (a.rss - before.rss) / held,
    heapPerStream: (a.heap - before.heap) / held,
    bufferPerStream: (a.buffers - before.buffers) / held,
  });
  // The metrics keep no typed arrays; the buffers that grew in their pass are the rows the second
  // pipeline's streams held, which stay allocated for the next streams (shared rows are never freed).
  const withMetrics = per({ ...afterMetrics, buffers: afterPipeline.buffers });
  const out = { streams, cap, activeStreams: pipeline.activeStreams, rejectedStreamLimit, events: total, gcExposed: typeof (globalThis as { gc?: unknown }).gc === 'function', pipeline: per(afterPipeline), withMetrics };
  // Keep the measured state alive until after the last measurement.
  if (pipeline.windows.size + results.length < 0) console.log(metrics);
  return out;
}
