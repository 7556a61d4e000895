import { describe, expect, it } from 'vitest';
import { from, lastValueFrom, toArray } from 'rxjs';
import type { BatchScores } from '../model/types.js';
import { ScoringPipeline } from './pipeline.js';
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
    router: new StreamRouter([{ match: '*', model: 'm', alert: { openAfter: 1, resolveAfter: 1 } }], models),
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

  it('reports each touched stream\'s state as of the end of its batch; a pipeline restored from it continues identically', async () => {
    const models = new Map([['m', model([])]]);
    const make = () =>
      new ScoringPipeline<number>({
        router: new StreamRouter([{ match: '*', model: 'm', alert: { openAfter: 1, resolveAfter: 2 } }], models),
        models,
        maxBatch: 3,
        maxLatencyMs: 1000,
        snapshots: true,
      });
    const values = [1, 1, 20, 1, 30, 1, 1, 1, 40, 1, 1, 1];
    const input: MetricEvent<number>[] = values.flatMap((v, i) => [
      { stream: 'a', ts: i, values: [v], source: 2 * i },
      { stream: 'b', ts: i, values: [v + 1], source: 2 * i + 1 },
    ]);
    const whole = await lastValueFrom(from(input).pipe(make().operator(), toArray()));
    expect(whole[0].state.map((s) => s.stream)).toEqual(['a', 'b']);
    // Cut after the 4th batch (12 events), keep the state its results carried, and go on in a new pipeline.
    const head = whole.slice(0, 4);
    const resumed = make();
    for (const b of head) for (const { stream, snapshot } of b.state) resumed.restore(stream, JSON.parse(JSON.stringify(snapshot)));
    const tail = await lastValueFrom(from(input.slice(12)).pipe(resumed.operator(), toArray()));
    const strip = (bs: typeof whole) => bs.map(({ inference: _inference, ...b }) => b);
    expect(strip(tail)).toEqual(strip(whole.slice(4)));
    expect(resumed.snapshot('a')).toEqual(whole.at(-1)!.state.find((s) => s.stream === 'a')!.snapshot);
  });
});
