import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildAutoencoder } from './architectures.js';
import { selectBackend } from './backend.js';
import { loadScoringModel } from './scorer.js';
import { saveModel } from './store.js';
import type { ModelMetadata, ScoringModel } from './types.js';
import { loadWorkerScoringModel } from './worker-scorer.js';

const seqStep = 5;
const features = 1;
let dir: string;
let inProcess: ScoringModel;
let inWorker: ScoringModel;

beforeAll(async () => {
  await selectBackend('cpu');
  dir = mkdtempSync(join(tmpdir(), 'anomalyd-worker-scorer-'));
  const model = buildAutoencoder({ kind: 'gru', seqStep, features, units: 8, seed: 3 });
  const meta = {
    formatVersion: 1,
    kind: 'gru',
    seqStep,
    features,
    featureNames: ['eps'],
    scaler: { kind: 'minmax', a: [0], b: [1] },
    threshold: { value: 0.05, calibration: { method: 'max', windows: 1, source: 'test' } },
    training: {
      source: 't', rows: 1, windows: 1, epochs: 0, finalLoss: 1, finalValLoss: null, seed: 3, units: 8, trainedAt: '',
      summary: { min: [0], max: [1], mean: [0], std: [0] },
    },
  } satisfies ModelMetadata;
  await saveModel(dir, model, meta);
  model.dispose();
  inProcess = await loadScoringModel('m', dir);
  inWorker = await loadWorkerScoringModel('m', dir, 'cpu');
}, 60_000);
afterAll(() => {
  inProcess?.dispose();
  inWorker?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('loadWorkerScoringModel', () => {
  it('scores exactly like the in-process model, batches answered in order, and leaves the caller its buffer', async () => {
    const n = 37;
    const windows = Float32Array.from({ length: n * seqStep }, (_, i) => Math.abs(Math.sin(i * 0.7)));
    const copy = windows.slice();
    const [a, b] = await Promise.all([inWorker.score(windows, n), inWorker.score(windows.subarray(0, 2 * seqStep), 2)]);
    const expected = await inProcess.score(copy, n);
    expect(windows).toEqual(copy);
    expect(a.mse).toEqual(expected.mse);
    expect(a.stepErrors).toEqual(expected.stepErrors);
    expect(a.reconstruction).toEqual(expected.reconstruction);
    expect(b.mse).toEqual(expected.mse.subarray(0, 2));
    expect(inWorker.meta.seqStep).toBe(seqStep);
  });

  it('rejects a buffer too small for n windows, and any call after dispose', async () => {
    await expect(inWorker.score(new Float32Array(4), 1)).rejects.toThrow(/4 values cannot hold 1 window/);
    const other = await loadWorkerScoringModel('other', dir, 'cpu');
    other.dispose();
    await expect(other.score(new Float32Array(seqStep), 1)).rejects.toThrow(/disposed/);
  });

  it('names the directory when the model cannot be loaded', async () => {
    await expect(loadWorkerScoringModel('gone', join(dir, 'missing'), 'cpu')).rejects.toThrow(/missing/);
  });
});
