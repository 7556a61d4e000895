import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { epsWindows, FORWARD_SHAPES, metaFor, randomModel, seeded, shippedModel } from '../../test/support/models.js';
import { selectBackend } from './backend.js';
import { compileGraphForward, type GraphForward } from './graph-forward.js';
import { chooseForward, createScoringModel, loadScoringModel, reconstructionErrors } from './scorer.js';
import { loadModel } from './store.js';

let native = true;
try {
  await selectBackend('tensorflow');
} catch {
  native = false; // tfjs-node not built here: the graph route cannot run, and is declined (tested below)
}

async function compiled(model: tf.LayersModel, seqStep: number, features: number): Promise<GraphForward> {
  const graph = await compileGraphForward(model, { seqStep, features });
  if ('unsupported' in graph) throw new Error(`declined: ${graph.unsupported}`);
  return graph;
}

/** Largest |graph − predict| over all outputs, and the largest |predict| output. */
async function errorOf(model: tf.LayersModel, input: Float32Array, n: number, seqStep: number, features: number): Promise<{ diff: number; scale: number }> {
  const graph = await compiled(model, seqStep, features);
  try {
    const x = tf.tensor3d(input, [n, seqStep, features]);
    const expected = (model.predict(x, { batchSize: n }) as tf.Tensor).dataSync();
    const out = graph(x);
    const actual = out.dataSync();
    tf.dispose([x, out]);
    expect(actual.length).toBe(expected.length);
    let diff = 0;
    let scale = 0;
    for (let i = 0; i < expected.length; i++) {
      diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
      scale = Math.max(scale, Math.abs(expected[i]));
    }
    expect(scale).toBeGreaterThan(0);
    return { diff, scale };
  } finally {
    graph.dispose();
  }
}

describe.skipIf(!native)('compileGraphForward on the tensorflow backend', () => {
  beforeAll(() => selectBackend('tensorflow'));
  afterAll(() => tf.disposeVariables());

  const shapes = FORWARD_SHAPES;

  // Random weights in ±0.6 give outputs up to ~10 here, where one float32 ulp is ~1e-6: the bound is
  // 2e-6 of the largest output (at least 2e-6 absolute), ~16 float32 ulps. XLA compiles for the
  // host's instruction set, so the order of the sums differs from machine to machine: on an AMD EPYC
  // without AVX-512 the 50-unit LSTM's largest difference is 1.14e-6 of its largest output, within
  // 1e-6 on the machines before. The shipped model's bound below stays 1e-6 absolute.
  it.each(shapes)('$kind (seqStep $seqStep, $features features, $units units): equals model.predict within 2e-6 relative on random inputs', async ({ kind, seqStep, features, units }) => {
    const model = randomModel(kind, seqStep, features, units, 7 + units);
    try {
      // 600 and 1024 run on the XLA session (600 padded to 1024), the others on the plain graph.
      for (const n of [1, 3, 64, 600, 1024]) {
        const input = seeded(n * seqStep * features, 100 + n, -0.5, 1.5);
        const { diff, scale } = await errorOf(model, input, n, seqStep, features);
        expect(diff / Math.max(1, scale)).toBeLessThan(2e-6);
      }
    } finally {
      model.dispose();
    }
  });

  it('models/eps-gru: equals model.predict within 1e-6 on the scaled EPS windows and random ones', async () => {
    const { model, meta } = await loadModel(shippedModel);
    try {
      const eps = epsWindows(meta);
      expect(eps.n).toBeGreaterThan(1000);
      expect((await errorOf(model, eps.windows, eps.n, meta.seqStep, meta.features)).diff).toBeLessThan(1e-6);
      expect((await errorOf(model, seeded(1024 * meta.seqStep, 5, 0, 1), 1024, meta.seqStep, meta.features)).diff).toBeLessThan(1e-6);
    } finally {
      model.dispose();
    }
  });

  it('models/eps-gru: loadScoringModel takes the graph route, scores the EPS windows as model.predict does and flags the same ones', async () => {
    const { model, meta } = await loadModel(shippedModel);
    const { windows, n } = epsWindows(meta);
    const predicted = tf.tidy(() => (model.predict(tf.tensor3d(windows, [n, meta.seqStep, 1]), { batchSize: n }) as tf.Tensor).dataSync() as Float32Array);
    model.dispose();
    const expected = reconstructionErrors(windows, predicted, n, meta.seqStep, 1).mse;
    const scoring = await loadScoringModel('eps-gru', shippedModel);
    expect(scoring.route).toBe('graph');
    const { mse } = await scoring.score(windows, n);
    scoring.dispose();
    let worst = 0;
    let flipped = 0;
    for (let i = 0; i < n; i++) {
      worst = Math.max(worst, Math.abs(mse[i] - expected[i]));
      if (mse[i] > meta.threshold.value !== expected[i] > meta.threshold.value) flipped++;
    }
    expect(worst).toBeLessThan(1e-6);
    expect(flipped).toBe(0);
  });

  it('runs large batches as XLA when this TensorFlow has it, says why not otherwise, and the plain graph alone computes the same', async () => {
    const model = randomModel('gru', 5, 1, 16, 5);
    const withXla = await compiled(model, 5, 1);
    // Either XLA compiled, or the reason is kept for the scorer to log.
    expect(withXla.xla || typeof withXla.xlaDeclined === 'string').toBe(true);
    const plain = await compileGraphForward(model, { seqStep: 5, features: 1 }, { xla: false });
    if ('unsupported' in plain) throw new Error(plain.unsupported);
    expect(plain.xla).toBe(false);
    expect(plain.xlaDeclined).toBeUndefined();
    const x = tf.tensor3d(seeded(700 * 5, 3, 0, 1), [700, 5, 1]);
    const a = withXla(x);
    const b = plain(x);
    expect(a.shape).toEqual([700, 5, 1]);
    const [da, db] = [a.dataSync(), b.dataSync()];
    let diff = 0;
    for (let i = 0; i < da.length; i++) diff = Math.max(diff, Math.abs(da[i] - db[i]));
    expect(diff).toBeLessThan(1e-6);
    tf.dispose([x, a, b]);
    withXla.dispose();
    plain.dispose();
    model.dispose();
  });

  it('keeps no tensors between calls and releases its session on dispose', async () => {
    const model = randomModel('gru', 5, 1, 8, 3);
    const graph = await compiled(model, 5, 1);
    const before = tf.memory().numTensors;
    const input = tf.tensor3d(seeded(32 * 5, 9), [32, 5, 1]);
    const padded = tf.tensor3d(seeded(600 * 5, 9), [600, 5, 1]);
    for (let i = 0; i < 50; i++) graph(input).dispose();
    for (let i = 0; i < 5; i++) graph(padded).dispose();
    expect(tf.memory().numTensors).toBe(before + 2);
    input.dispose();
    padded.dispose();
    graph.dispose();
    expect(() => graph(input)).toThrow(/disposed/);
    model.dispose();
  });
});

describe('the scorer declines the graph route out loud and falls back', () => {
  it('on the cpu backend: fused pass, with the reason', async () => {
    await selectBackend('cpu');
    const model = randomModel('gru', 5, 1, 4, 1);
    const forward = await chooseForward(model, metaFor('gru', 5, 1));
    expect(forward.route).toBe('fused');
    expect(forward.declined).toEqual([expect.stringMatching(/^graph: backend cpu/)]);
    forward.dispose();
    model.dispose();
  });

  it.skipIf(!native)('for a layer the graph does not cover: model.predict, same outputs, both reasons given', async () => {
    await selectBackend('tensorflow');
    const conv = tf.sequential({
      layers: [tf.layers.conv1d({ inputShape: [5, 1], filters: 2, kernelSize: 1 }), tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 1 }) })],
    });
    const forward = await chooseForward(conv, metaFor('gru', 5, 1));
    expect(forward.route).toBe('predict');
    expect(forward.declined).toEqual(['graph: layer Conv1D', expect.stringMatching(/^fused: /)]);
    const input = seeded(4 * 5, 2, 0, 1);
    const expected = tf.tidy(() => (conv.predict(tf.tensor3d(input, [4, 5, 1])) as tf.Tensor).dataSync() as Float32Array);
    const scoring = createScoringModel('m', '(memory)', conv, metaFor('gru', 5, 1), forward);
    const { reconstruction } = await scoring.score(input, 4);
    expect(Array.from(reconstruction)).toEqual(Array.from(expected));
    scoring.dispose();
  });
});
