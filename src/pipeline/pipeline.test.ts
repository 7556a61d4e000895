import { describe, expect, it } from 'vitest';
import { from, lastValueFrom, toArray } from 'rxjs';
import type { BatchScores } from '../model/types.js';
import { ScoringPipeline } from './pipeline.js';
import { MODEL_ONLY_SCORING } from './replay.js';
import { StreamRouter } from './router.js';
import type { PipelineModel } from './scoring-model.js';
import type { MetricEvent } from './types.js';

/**
 * A model whose score is the window's last value and whose latency is set per call, so the test
 * controls which batch's inference finishes first. (A stand-in for the network: the pipeline's
 * ordering logic is what is under test; real models are tested in src/model and test/.)
 */
function model(delays: number[], failOnCall?: number): PipelineModel {
  let call = 0;
  return {
    name: 'm',
    backend: 'test',
    seqStep: 2,
    features: 1,
    threshold: 10,
    scaleInto: (raw, out, offset) => out.set(raw, offset),
    unscaleInPlace: () => {},
    async score(windows, n): Promise<BatchScores> {
      const mine = call++;
      await new Promise((r) => setTimeout(r, delays[mine] ?? 0));
      if (mine === failOnCall) throw new Error('predict failed');
      const mse = new Float32Array(n).map((_, i) => windows[i * 2 + 1]);
      return { mse, stepErrors: new Float32Array(n * 2), reconstruction: new Float32Array(n * 2) };
    },
  };
}

function pipeline(m: PipelineModel) {
  const models = new Map([['m', m]]);
  return new ScoringPipeline({
    router: new StreamRouter([{ match: '*', model: 'm', alert: { openAfter: 1, resolveAfter: 1 }, scoring: MODEL_ONLY_SCORING }], models),
    models,
    maxBatch: 2,
    maxLatencyMs: 1000,
  });
}

const events = (values: number[]): MetricEvent<number>[] => values.map((v, i) => ({ stream: 's', ts: i, values: [v], source: i }));

describe('ScoringPipeline', () => {
  it('keeps arrival order and episode order when a later batch is scored first', async () => {
    // Batches of 2 events: [0,1] [2,3] [4,5]; the first inference is the slowest.
    const p = pipeline(model([60, 0, 0]));
    const out = await lastValueFrom(from(events([1, 1, 20, 1, 30, 1])).pipe(p.operator(), toArray()));
    expect(out.map((b) => b.sources)).toEqual([[0, 1], [2, 3], [4, 5]]);
    expect(out.flatMap((b) => b.scored.map((w) => w.index))).toEqual([1, 2, 3, 4, 5]);
    expect(out.flatMap((b) => b.alerts.map((a) => `${a.state}@${a.startIndex}`))).toEqual(['open@2', 'resolved@2', 'open@4', 'resolved@4']);
  });

  it('fails the stream with the inference error, once', async () => {
    const p = pipeline(model([0, 0, 0], 1));
    await expect(lastValueFrom(from(events([1, 1, 1, 1, 1, 1])).pipe(p.operator(), toArray()))).rejects.toThrow('predict failed');
  });
});

describe('ScoringPipeline silence', () => {
  it('finds a source silent in event time even when its silence lies inside one micro-batch', async () => {
    const m = model([]);
    const models = new Map([['m', m]]);
    const p = new ScoringPipeline<number>({
      router: new StreamRouter([{ match: '*', model: 'm', alert: { openAfter: 1, resolveAfter: 1 }, silence: { after: 2 } }], models),
      models,
      maxBatch: 10_000,
      maxLatencyMs: 1000,
    });
    const C = 60_000;
    const input: MetricEvent<number>[] = [];
    for (let i = 0; i < 30; i++) {
      input.push({ stream: 'steady', ts: i * C, values: [1] });
      if (i < 10 || i >= 20) input.push({ stream: 'gappy', ts: i * C, values: [1] });
    }
    const out = await lastValueFrom(from(input).pipe(p.operator(), toArray()));
    expect(out).toHaveLength(1);
    expect(out[0].alerts.map((a) => [a.stream, a.state, a.kind, a.startTs])).toEqual([
      ['gappy', 'open', 'silence', new Date(10 * C).toISOString()],
      ['gappy', 'resolved', 'silence', new Date(10 * C).toISOString()],
    ]);
    expect(out[0].events).toBe(50);
  });
});
