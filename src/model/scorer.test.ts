import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildAutoencoder } from './architectures.js';
import { selectBackend } from './backend.js';
import { loadScoringModel, reconstructionErrors } from './scorer.js';
import { saveModel } from './store.js';
import type { ModelMetadata, ScoringModel } from './types.js';

const seqStep = 4;
const features = 2;
let dir: string;
let scoring: ScoringModel;

beforeAll(async () => {
  await selectBackend('cpu');
  dir = mkdtempSync(join(tmpdir(), 'anomalyd-scorer-'));
  const model = buildAutoencoder({ kind: 'lstm', seqStep, features, units: 6, seed: 11 });
  const meta = {
    formatVersion: 1,
    kind: 'lstm',
    seqStep,
    features,
    featureNames: ['a', 'b'],
    scaler: { kind: 'minmax', a: [0, 0], b: [1, 1] },
    threshold: { value: 0.05, calibration: { method: 'max', windows: 1, source: 'test' } },
    training: {
      source: 't', rows: 1, windows: 1, epochs: 0, finalLoss: 1, finalValLoss: null, seed: 11, units: 6, trainedAt: '',
      summary: { min: [0, 0], max: [1, 1], mean: [0, 0], std: [0, 0] },
    },
  } satisfies ModelMetadata;
  await saveModel(dir, model, meta);
  model.dispose();
  scoring = await loadScoringModel('m', dir);
});
afterAll(() => {
  scoring?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const windowsOf = (n: number, phase = 0) =>
  Float32Array.from({ length: n * seqStep * features }, (_, i) => 0.5 + 0.4 * Math.sin(i * 0.7 + phase));

describe('ScoringModel', () => {
  it('returns per-window MSE and per-step errors of its reconstruction', async () => {
    const n = 7;
    const w = windowsOf(n);
    const { mse, stepErrors, reconstruction } = await scoring.score(w, n);
    expect(mse.length).toBe(n);
    expect(stepErrors.length).toBe(n * seqStep);
    expect(reconstruction.length).toBe(n * seqStep * features);
    for (let k = 0; k < n; k++) {
      let sum = 0;
      for (let t = 0; t < seqStep; t++) {
        let step = 0;
        for (let f = 0; f < features; f++) {
          const i = (k * seqStep + t) * features + f;
          step += (w[i] - reconstruction[i]) ** 2;
        }
        expect(stepErrors[k * seqStep + t]).toBeCloseTo(step / features, 6);
        sum += step;
      }
      expect(mse[k]).toBeCloseTo(sum / (seqStep * features), 6);
    }
    // The same window scores the same alone and inside a batch.
    const single = await scoring.score(w.slice(2 * seqStep * features, 3 * seqStep * features), 1);
    expect(single.mse[0]).toBeCloseTo(mse[2], 6);
  });

  it('scores the first n windows of a larger reusable buffer and handles n = 0', async () => {
    const buf = windowsOf(16);
    const part = await scoring.score(buf, 3);
    const exact = await scoring.score(buf.slice(0, 3 * seqStep * features), 3);
    expect(Array.from(part.mse)).toEqual(Array.from(exact.mse));
    expect((await scoring.score(buf, 0)).mse.length).toBe(0);
    await expect(scoring.score(buf, 17)).rejects.toThrow(/cannot hold 17 window\(s\) of 4×2/);
  });

  it('leaks no tensors across many batches', async () => {
    await scoring.score(windowsOf(64), 64);
    const before = tf.memory().numTensors;
    for (let b = 0; b < 50; b++) await scoring.score(windowsOf(64, b), 64);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('computes errors in JS consistently with a direct formula', () => {
    const input = new Float32Array([1, 1, 0, 0]);
    const recon = new Float32Array([0, 1, 0, 2]);
    const { mse, stepErrors } = reconstructionErrors(input, recon, 1, 2, 2);
    expect(Array.from(stepErrors)).toEqual([0.5, 2]);
    expect(mse[0]).toBe(1.25);
  });
});
