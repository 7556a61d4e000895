import { lastValueModel } from '../../test/support/last-value-model.js';
import { MODEL_ONLY_SCORING } from './replay.js';
import { describe, expect, it } from 'vitest';
import { ScoringPipeline, type PipelineInput } from './pipeline.js';
import { replayEvents } from './replay-events.js';
import { StreamRouter } from './router.js';
import type { PipelineModel } from './scoring-model.js';
import type { BatchResult } from './types.js';


function pipeline(m: PipelineModel, maxBatch = 4) {
  const models = new Map([['m', m]]);
  return new ScoringPipeline<number>({
    router: new StreamRouter([{ match: 'src-*', model: 'm', alert: { openAfter: 1, resolveAfter: 1 }, scoring: MODEL_ONLY_SCORING }], models),
    models,
    maxBatch,
    maxLatencyMs: 5,
  });
}

/** Two streams interleaved in time order, as a multi-source file is written; `source` is the line. */
function* interleaved(points: number, spikeAt: number, read: { count: number }): Generator<PipelineInput<number>> {
  let line = 0;
  for (let i = 0; i < points; i++) {
    for (const stream of ['src-a', 'src-b']) {
      read.count++;
      yield { stream, ts: 1_000_000 + i * 60_000, values: [stream === 'src-b' && i === spikeAt ? 50 : 1], source: line++ };
    }
  }
}

describe('replayEvents', () => {
  it('passes every event in input order through the pipeline and keeps its alerts and rejections', async () => {
    const read = { count: 0 };
    const batches: BatchResult<number>[] = [];
    const input = [...interleaved(10, 6, read), { stream: 'other', ts: 0, values: [1], source: 20 }, { rejected: { reason: 'invalid_json' as const, detail: 'x', source: 21 } }];
    const r = await replayEvents(pipeline(lastValueModel()), input, { maxInFlight: 100, onBatch: (b) => void batches.push(b) });
    expect(batches.flatMap((b) => b.sources)).toEqual([...Array(22).keys()]);
    expect(r).toMatchObject({ events: 22, scored: 18, watermark: 1_000_000 + 9 * 60_000 });
    expect(r.alerts.map((a) => `${a.state} ${a.stream} ${a.startTs}`)).toEqual([
      `open src-b ${new Date(1_000_000 + 6 * 60_000).toISOString()}`,
      `resolved src-b ${new Date(1_000_000 + 6 * 60_000).toISOString()}`,
    ]);
    expect(r.rejected.map((x) => [x.reason, x.source])).toEqual([
      ['no_matching_model', 20],
      ['invalid_json', 21],
    ]);
  });

  it('reads no further than maxInFlight events ahead of what came out of the pipeline', async () => {
    const read = { count: 0 };
    let out = 0;
    let most = 0;
    await replayEvents(pipeline(lastValueModel(), 4), interleaved(200, -1, read), {
      maxInFlight: 16,
      onBatch: (b) => {
        most = Math.max(most, read.count - out);
        out += b.events;
      },
    });
    expect(out).toBe(400);
    // The generator may be one event ahead of the pipeline: the one it yielded last.
    expect(most).toBeLessThanOrEqual(16 + 1);
  });

  it('gives the pipeline its flush hook once at the end, with the largest event time across streams, and keeps what it returns', async () => {
    const p = pipeline(lastValueModel());
    const calls: number[] = [];
    const flushing = Object.assign(p, {
      flush(watermark: number): BatchResult<number> {
        calls.push(watermark);
        return { scored: [], alerts: [], rejected: [{ reason: 'out_of_order', detail: 'flushed', source: -1 }], sources: [], events: 0, inference: [], state: [] };
      },
    });
    const r = await replayEvents(flushing, [{ stream: 'src-a', ts: 5, values: [1] }, { stream: 'src-b', ts: 9, values: [1] }, { stream: 'src-a', ts: 7, values: [1] }], { maxInFlight: 10 });
    expect(calls).toEqual([9]);
    expect(r.rejected.map((x) => x.detail)).toEqual(['flushed']);
  });

  it('fails with the inference error and stops reading', async () => {
    const read = { count: 0 };
    await expect(replayEvents(pipeline(lastValueModel({ failOnCall: 'every' })), interleaved(1000, -1, read), { maxInFlight: 8 })).rejects.toThrow('predict failed');
    expect(read.count).toBeLessThan(100);
  });
});
