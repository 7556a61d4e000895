import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { saveModel } from '../src/model/store.js';
import { buildAutoencoder } from '../src/model/architectures.js';
import { Scaler } from '../src/model/scaler.js';
import { chooseForward, createScoringModel, loadScoringModel, type ForwardRoute } from '../src/model/scorer.js';
import type { ModelKind, ModelMetadata, ScoringModel } from '../src/model/types.js';
import { toPipelineModel } from '../src/pipeline/load-models.js';
import type { PipelineModel } from '../src/pipeline/scoring-model.js';
import { repoRoot, sharedDataDir } from './paths.js';

const referenceLayers = new WeakMap<ScoringModel, tf.LayersModel>();

export const REFERENCE = { units: 50, seqStep: 5, features: 1 } as const;

export function readEpsSeries(name: string): number[] {
  return readFileSync(join(sharedDataDir(), 'eps', name), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map(Number);
}

/**
 * The reference autoencoder with seeded random weights, scaled like the EPS model (min-max over
 * timeseries1). Its threshold is just above the largest score over the windows of all four EPS
 * series, so the clean bench traffic (built from them) stays quiet and multiplied spikes alert;
 * detection quality is not the point here.
 */
export async function referenceModel(kind: ModelKind, seed = 42, route?: ForwardRoute): Promise<ScoringModel> {
  const { units, seqStep, features } = REFERENCE;
  const model = buildAutoencoder({ kind, seqStep, features, units, seed });
  const train = readEpsSeries('timeseries1.csv');
  const scaler = Scaler.fit('minmax', train, features);
  const summary = { min: [Math.min(...train)], max: [Math.max(...train)], mean: [train.reduce((a, b) => a + b, 0) / train.length], std: [0] };
  const meta: ModelMetadata = {
    formatVersion: 1,
    kind,
    seqStep,
    features,
    featureNames: ['eps'],
    scaler: scaler.params,
    threshold: { value: 1, calibration: { method: 'max', windows: 0, source: 'timeseries1.csv' } },
    training: {
      source: 'timeseries1.csv (untrained: seeded random weights)',
      rows: train.length,
      windows: 0,
      epochs: 0,
      finalLoss: 0,
      finalValLoss: null,
      seed,
      units,
      trainedAt: new Date(0).toISOString(),
      summary,
    },
  };
  const forward = route ? await chooseForward(model, meta, [route]) : undefined;
  if (forward && forward.route !== route) {
    forward.dispose();
    model.dispose();
    throw new Error(`route ${route} declined: ${forward.declined.join('; ')}`);
  }
  const scoring = createScoringModel(`bench-${kind}`, '(in memory)', model, meta, forward);
  referenceLayers.set(scoring, model);
  const all = ['timeseries1.csv', 'timeseries2.csv', 'timeseries3.csv', 'timeseries4.csv'].map(readEpsSeries);
  const slices = all.flatMap((s) => Array.from({ length: s.length - seqStep + 1 }, (_, i) => s.slice(i, i + seqStep)));
  const windows = new Float32Array(slices.length * seqStep);
  const scaled = new Float32Array(seqStep);
  slices.forEach((w, i) => {
    scaler.transform(Float32Array.from(w), scaled);
    windows.set(scaled, i * seqStep);
  });
  const { mse } = await scoring.score(windows, slices.length);
  const max = mse.reduce((a, b) => Math.max(a, b), 0);
  meta.threshold = { value: max * 1.05, calibration: { method: 'max', windows: slices.length, source: 'timeseries1-4.csv' } };
  return scoring;
}

/** models/eps-gru when it exists (the shipped default model), else the seeded reference GRU. */
export async function defaultModel(): Promise<{ model: ScoringModel; origin: string }> {
  const dir = join(repoRoot(), 'models', 'eps-gru');
  if (existsSync(join(dir, 'anomalyd.json'))) return { model: await loadScoringModel('eps-gru', dir), origin: 'models/eps-gru' };
  return { model: await referenceModel('gru'), origin: 'reference GRU, seeded random weights (models/eps-gru absent)' };
}

/** A directory holding the default model: models/eps-gru, or the reference GRU saved to a temporary directory. */
export async function defaultModelDir(): Promise<{ dir: string; origin: string }> {
  const dir = join(repoRoot(), 'models', 'eps-gru');
  if (existsSync(join(dir, 'anomalyd.json'))) return { dir, origin: 'models/eps-gru' };
  const tmp = mkdtempSync(join(tmpdir(), 'anomalyd-bench-model-'));
  const reference = await referenceModel('gru');
  await saveModel(tmp, referenceLayers.get(reference)!, reference.meta);
  return { dir: tmp, origin: 'reference GRU, seeded random weights (models/eps-gru absent)' };
}

export function asPipelineModel(model: ScoringModel, backend: string): PipelineModel {
  return toPipelineModel(model, backend);
}
