import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildAutoencoder } from '../../src/model/architectures.js';
import { scalerFromMetadata } from '../../src/model/scaler.js';
import type { ModelKind, ModelMetadata } from '../../src/model/types.js';

const repo = join(import.meta.dirname, '..', '..');
export const epsDir = join(repo, '..', 'shared', 'data', 'eps');
export const shippedModel = join(repo, 'models', 'eps-gru');

/** Model shapes every forward route is checked on: the shipped size of each kind, several features, one step. */
export const FORWARD_SHAPES: { kind: ModelKind; seqStep: number; features: number; units: number }[] = [
  { kind: 'gru', seqStep: 5, features: 1, units: 50 },
  { kind: 'lstm', seqStep: 5, features: 1, units: 50 },
  { kind: 'dense', seqStep: 5, features: 1, units: 50 },
  { kind: 'gru', seqStep: 4, features: 3, units: 7 },
  { kind: 'lstm', seqStep: 3, features: 2, units: 9 },
  { kind: 'dense', seqStep: 4, features: 3, units: 8 },
  { kind: 'gru', seqStep: 1, features: 1, units: 4 },
];

/** Deterministic uniform values in [lo, hi), independent of the backend. */
export function seeded(n: number, seed: number, lo = -1, hi = 1): Float32Array {
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
export function randomModel(kind: ModelKind, seqStep: number, features: number, units: number, seed: number): tf.LayersModel {
  const model = buildAutoencoder({ kind, seqStep, features, units, seed });
  model.setWeights(model.getWeights().map((w, i) => tf.tensor(seeded(w.size, seed * 31 + i, -0.6, 0.6), w.shape)));
  return model;
}

/** Scaled windows of the four shared EPS series, as the daemon builds them. */
export function epsWindows(meta: ModelMetadata): { windows: Float32Array; n: number } {
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

/** Metadata for an in-memory model of the given window shape. */
export function metaFor(kind: ModelKind, seqStep: number, features: number): ModelMetadata {
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
