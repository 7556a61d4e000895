import type { BatchScores } from '../../src/model/types.js';
import type { PipelineModel } from '../../src/pipeline/scoring-model.js';

/**
 * A stand-in for the network in the pipeline's own tests: a seqStep-2 model whose score is the
 * window's last value (threshold 10), so a test chooses what is anomalous, with a latency per call
 * (`delays[call]` ms) so it chooses which batch finishes first, and an optional failing call. The
 * pipeline's ordering, batching and state are what those tests check; real models are run in
 * src/model and test/.
 */
export function lastValueModel(opts: { delays?: number[]; failOnCall?: number | 'every' } = {}): PipelineModel {
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
      await new Promise((r) => setTimeout(r, opts.delays?.[mine] ?? 0));
      if (opts.failOnCall === 'every' || mine === opts.failOnCall) throw new Error('predict failed');
      const mse = new Float32Array(n).map((_, i) => windows[i * 2 + 1]);
      return { mse, stepErrors: new Float32Array(n * 2), reconstruction: new Float32Array(n * 2) };
    },
  };
}
