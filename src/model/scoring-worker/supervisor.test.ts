import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildAutoencoder } from '../architectures.js';
import { selectBackend } from '../backend.js';
import { loadScoringModel } from '../scorer.js';
import { saveModel } from '../store.js';
import type { ModelMetadata, ScoringModel } from '../types.js';
import { FAULT_ENV } from './protocol.js';
import { loadWorkerScoringModel, type RestartCause, type WorkerScoringModel } from './supervisor.js';

const seqStep = 5;
const features = 1;
let dir: string;
let inProcess: ScoringModel;
let inWorker: WorkerScoringModel;
const supervision = { timeoutMs: 30_000, maxRetries: 2 };

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
  inWorker = await loadWorkerScoringModel('m', dir, 'cpu', supervision);
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
    const other = await loadWorkerScoringModel('other', dir, 'cpu', supervision);
    other.dispose();
    await expect(other.score(new Float32Array(seqStep), 1)).rejects.toThrow(/disposed/);
  });

  it('names the directory when the model cannot be loaded', async () => {
    await expect(loadWorkerScoringModel('gone', join(dir, 'missing'), 'cpu', supervision)).rejects.toThrow(/missing/);
  });

  const batch = (n: number) => Float32Array.from({ length: n * seqStep }, (_, i) => Math.abs(Math.cos(i * 0.3)));

  /** Loads a supervised model with a fault injected into its thread (the env is copied when a thread starts). */
  async function withFault(fault: string, opts: { timeoutMs?: number; maxRetries?: number } = {}) {
    const restarts: { cause: RestartCause; healthyThen: boolean }[] = [];
    // Left set until afterEach: restarted threads copy the env again.
    process.env[FAULT_ENV] = fault;
    const model: WorkerScoringModel = await loadWorkerScoringModel('faulty', dir, 'cpu', {
      timeoutMs: opts.timeoutMs ?? 30_000,
      maxRetries: opts.maxRetries ?? 2,
      onRestart: (cause) => restarts.push({ cause, healthyThen: model.healthy }),
    });
    return { model, restarts };
  }
  afterEach(() => {
    delete process.env[FAULT_ENV];
  });

  it('restarts a thread killed mid-batch and scores that batch again: same scores, nothing lost', async () => {
    const restarts: RestartCause[] = [];
    const model = await loadWorkerScoringModel('killed', dir, 'cpu', { ...supervision, onRestart: (c) => restarts.push(c) });
    const first = model.thread;
    const pending = [model.score(batch(20), 20), model.score(batch(3), 3)];
    await first!.terminate();
    const [a, b] = await Promise.all(pending);
    const expected = await inProcess.score(batch(20), 20);
    expect(a.mse).toEqual(expected.mse);
    expect(b.mse).toEqual(expected.mse.subarray(0, 3));
    expect(restarts).toEqual(['crash']);
    expect(model.thread).not.toBe(first);
    expect(model.healthy).toBe(true);
    model.dispose();
  });

  it('restarts a thread that crashes on a batch (real exit inside the thread) and retries the batch', async () => {
    const { model, restarts } = await withFault('crash@2');
    await model.score(batch(4), 4);
    const again = await model.score(batch(4), 4);
    expect(again.mse).toEqual((await inProcess.score(batch(4), 4)).mse);
    expect(restarts.map((r) => r.cause)).toEqual(['crash']);
    model.dispose();
  });

  it('times out a hung thread, is unhealthy while it restarts, and retries the batch', async () => {
    const { model, restarts } = await withFault('hang@1', { timeoutMs: 1500 });
    const started = Date.now();
    const out = await model.score(batch(6), 6);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    expect(out.mse).toEqual((await inProcess.score(batch(6), 6)).mse);
    expect(restarts).toEqual([{ cause: 'timeout', healthyThen: false }]);
    expect(model.healthy).toBe(true);
    model.dispose();
  });

  it('gives up on a batch that kills every thread after maxRetries restarts', async () => {
    const { model, restarts } = await withFault('crash@1:always', { maxRetries: 1 });
    await expect(model.score(batch(2), 2)).rejects.toThrow(/crashed on this batch 2 time/);
    expect(restarts.map((r) => r.cause)).toEqual(['crash', 'crash']);
    model.dispose();
  });
});
