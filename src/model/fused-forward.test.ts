import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { epsWindows, FORWARD_SHAPES, metaFor, randomModel, seeded, shippedModel } from '../../test/support/models.js';
import { selectBackend, type BackendName } from './backend.js';
import { compileForward } from './fused-forward.js';
import { createScoringModel, reconstructionErrors } from './scorer.js';
import { loadModel } from './store.js';

/** Largest |fused − predict| relative to the largest |predict| output. */
function relativeError(model: tf.LayersModel, input: Float32Array, n: number, seqStep: number, features: number): number {
  const forward = compileForward(model, { seqStep, features });
  expect(forward).not.toBeNull();
  try {
    const [expected, actual] = tf.tidy(() => {
      const x = tf.tensor3d(input, [n, seqStep, features]);
      return [(model.predict(x, { batchSize: n }) as tf.Tensor).dataSync(), forward!(x).dataSync()];
    });
    expect(actual.length).toBe(expected.length);
    let scale = 0;
    let diff = 0;
    for (let i = 0; i < expected.length; i++) {
      scale = Math.max(scale, Math.abs(expected[i]));
      diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    }
    expect(scale).toBeGreaterThan(0);
    return diff / scale;
  } finally {
    forward!.dispose();
  }
}

/** Every backend that loads here; the others are reported as skipped. */
const available = new Set<BackendName>();
for (const backend of ['tensorflow', 'wasm', 'cpu'] as const) {
  try {
    await selectBackend(backend);
    available.add(backend);
  } catch {
    // not installed or not loadable on this machine
  }
}

describe.each(['tensorflow', 'wasm', 'cpu'] as const)('compileForward on the %s backend', (backend) => {
  beforeAll(async () => {
    if (available.has(backend)) await selectBackend(backend);
  });
  afterAll(() => tf.disposeVariables());

  const shapes = FORWARD_SHAPES;

  it.skipIf(!available.has(backend)).each(shapes)('$kind (seqStep $seqStep, $features features, $units units): equals model.predict on random inputs', ({ kind, seqStep, features, units }) => {
    const model = randomModel(kind, seqStep, features, units, 7 + units);
    try {
      for (const n of [1, 3, 64]) {
        const input = seeded(n * seqStep * features, 100 + n, -0.5, 1.5);
        expect(relativeError(model, input, n, seqStep, features)).toBeLessThan(1e-5);
      }
    } finally {
      model.dispose();
    }
  });

  it.skipIf(!available.has(backend))('models/eps-gru: equals model.predict on the scaled EPS windows and random ones', async () => {
    const { model, meta } = await loadModel(shippedModel);
    try {
      const eps = epsWindows(meta);
      expect(eps.n).toBeGreaterThan(1000);
      expect(relativeError(model, eps.windows, eps.n, meta.seqStep, meta.features)).toBeLessThan(1e-5);
      const random = seeded(256 * meta.seqStep, 5, 0, 1);
      expect(relativeError(model, random, 256, meta.seqStep, meta.features)).toBeLessThan(1e-5);
    } finally {
      model.dispose();
    }
  });

  it.skipIf(!available.has(backend))('models/eps-gru: the ScoringModel scores the EPS windows as model.predict does', async () => {
    const { model, meta } = await loadModel(shippedModel);
    const { windows, n } = epsWindows(meta);
    const predicted = tf.tidy(() => (model.predict(tf.tensor3d(windows, [n, meta.seqStep, 1]), { batchSize: n }) as tf.Tensor).dataSync() as Float32Array);
    const expected = reconstructionErrors(windows, predicted, n, meta.seqStep, 1).mse;
    const scoring = createScoringModel('eps-gru', shippedModel, model, meta);
    const { mse } = await scoring.score(windows, n);
    scoring.dispose();
    let worst = 0;
    let flagged = 0;
    for (let i = 0; i < n; i++) {
      worst = Math.max(worst, Math.abs(mse[i] - expected[i]) / meta.threshold.value);
      if (mse[i] > meta.threshold.value !== expected[i] > meta.threshold.value) flagged++;
    }
    expect(worst).toBeLessThan(1e-5);
    expect(flagged).toBe(0);
  });

  it.skipIf(!available.has(backend))('keeps no tensors between calls and releases its weights on dispose', () => {
    for (const kind of ['gru', 'lstm', 'dense'] as const) {
      const model = randomModel(kind, 5, 1, 8, 3);
      const before = tf.memory().numTensors;
      const forward = compileForward(model, { seqStep: 5, features: 1 })!;
      const compiled = tf.memory().numTensors;
      const input = tf.tensor3d(seeded(32 * 5, 9), [32, 5, 1]);
      for (let i = 0; i < 50; i++) forward(input).dispose();
      expect(tf.memory().numTensors).toBe(compiled + 1);
      input.dispose();
      forward.dispose();
      expect(tf.memory().numTensors).toBe(before);
      model.dispose();
    }
  });
});

describe('compileForward, models it does not cover', () => {
  beforeAll(() => selectBackend('cpu'));

  it('returns null for layers and settings it does not know, and the scorer then uses model.predict', async () => {
    const conv = tf.sequential({
      layers: [
        tf.layers.conv1d({ inputShape: [5, 1], filters: 2, kernelSize: 1 }),
        tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 1 }) }),
      ],
    });
    const backwards = tf.sequential({
      layers: [
        tf.layers.gru({ inputShape: [5, 1], units: 3, goBackwards: true, returnSequences: true }),
        tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 1 }) }),
      ],
    });
    const elu = tf.sequential({
      layers: [tf.layers.lstm({ inputShape: [5, 1], units: 3, activation: 'elu', returnSequences: true }), tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 1 }) })],
    });
    for (const model of [conv, backwards, elu]) {
      expect(compileForward(model, { seqStep: 5, features: 1 })).toBeNull();
      const input = seeded(4 * 5, 2, 0, 1);
      const expected = tf.tidy(() => (model.predict(tf.tensor3d(input, [4, 5, 1])) as tf.Tensor).dataSync() as Float32Array);
      const scoring = createScoringModel('m', '(memory)', model, metaFor('gru', 5, 1));
      const { reconstruction } = await scoring.score(input, 4);
      expect(Array.from(reconstruction)).toEqual(Array.from(expected));
      scoring.dispose();
    }
  });

  it('returns null when the window shape differs from the metadata', () => {
    const model = randomModel('gru', 5, 1, 4, 1);
    expect(compileForward(model, { seqStep: 4, features: 1 })).toBeNull();
    expect(compileForward(model, { seqStep: 5, features: 2 })).toBeNull();
    model.dispose();
  });
});
