import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAutoencoder } from './architectures.js';
import { selectBackend, type BackendName } from './backend.js';
import { compileForward } from './fused-forward.js';
import { scalerFromMetadata } from './scaler.js';
import { createScoringModel, reconstructionErrors } from './scorer.js';
import { loadModel } from './store.js';
import type { ModelKind, ModelMetadata } from './types.js';

const repo = join(import.meta.dirname, '..', '..');
const epsDir = join(repo, '..', 'shared', 'data', 'eps');
const shippedModel = join(repo, 'models', 'eps-gru');

/** Deterministic uniform values in [lo, hi), independent of the backend. */
function seeded(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = lo + ((s >>> 0) / 2 ** 32) * (hi - lo);
  }
  return out;
}

/** A model of `kind` whose every weight, biases included, is seeded random (trained biases are not zero). */
function randomModel(kind: ModelKind, seqStep: number, features: number, units: number, seed: number): tf.LayersModel {
  const model = buildAutoencoder({ kind, seqStep, features, units, seed });
  model.setWeights(model.getWeights().map((w, i) => tf.tensor(seeded(w.size, seed * 31 + i, -0.6, 0.6), w.shape)));
  return model;
}

/** Scaled windows of the four shared EPS series, as the daemon builds them. */
function epsWindows(meta: ModelMetadata): { windows: Float32Array; n: number } {
  const scaler = scalerFromMetadata(meta);
  const rows: number[][] = [];
  for (const name of ['timeseries1.csv', 'timeseries2.csv', 'timeseries3.csv', 'timeseries4.csv']) {
    const series = readFileSync(join(epsDir, name), 'utf8').split('\n').filter((l) => l.trim() !== '').map(Number);
    for (let i = 0; i + meta.seqStep <= series.length; i++) rows.push(series.slice(i, i + meta.seqStep));
  }
  const windows = new Float32Array(rows.length * meta.seqStep);
  rows.forEach((w, i) => windows.set(scaler.transform(w), i * meta.seqStep));
  return { windows, n: rows.length };
}

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

function metaFor(kind: ModelKind, seqStep: number, features: number): ModelMetadata {
  return {
    formatVersion: 1,
    kind,
    seqStep,
    features,
    featureNames: Array.from({ length: features }, (_, i) => `f${i}`),
    scaler: { kind: 'minmax', a: Array(features).fill(0), b: Array(features).fill(1) },
    threshold: { value: 1, calibration: { method: 'fixed', value: 1, windows: 0, source: 'test' } },
    training: {
      source: 'test', rows: 0, windows: 0, epochs: 0, finalLoss: 0, finalValLoss: null, seed: 1, units: 1, trainedAt: '',
      summary: { min: [0], max: [1], mean: [0], std: [0] },
    },
  };
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

  const shapes: { kind: ModelKind; seqStep: number; features: number; units: number }[] = [
    { kind: 'gru', seqStep: 5, features: 1, units: 50 },
    { kind: 'lstm', seqStep: 5, features: 1, units: 50 },
    { kind: 'dense', seqStep: 5, features: 1, units: 50 },
    { kind: 'gru', seqStep: 4, features: 3, units: 7 },
    { kind: 'lstm', seqStep: 3, features: 2, units: 9 },
    { kind: 'dense', seqStep: 4, features: 3, units: 8 },
    { kind: 'gru', seqStep: 1, features: 1, units: 4 },
  ];

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
