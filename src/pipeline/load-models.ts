import { selectBackend, type BackendLog, type BackendPreference } from '../model/backend.js';
import { scalerFromMetadata } from '../model/scaler.js';
import { loadScoringModel } from '../model/scorer.js';
import { loadWorkerScoringModel, type ScoringWorkerOptions, type WorkerScoringModel } from '../model/scoring-worker/supervisor.js';
import type { ScoringModel } from '../model/types.js';
import type { PipelineModel } from './scoring-model.js';
import { inferenceSchema } from '../config/schema.js';

/** A model as the pipeline uses it: its scaler folded in, its backend named. */
export function toPipelineModel(model: ScoringModel, backend: string): PipelineModel {
  const scaler = scalerFromMetadata(model.meta);
  return {
    name: model.name,
    backend,
    seqStep: model.meta.seqStep,
    features: model.meta.features,
    ...(model.meta.augment ? { augment: model.meta.augment } : {}),
    threshold: model.meta.threshold.value,
    levelReference: model.meta.training?.summary.mean[0],
    scaleInto: (raw, out, offset) => void scaler.transform(raw, out.subarray(offset, offset + raw.length)),
    unscaleInPlace: (scaled) => void scaler.inverse(scaled, scaled),
    score: (windows, n) => model.score(windows, n),
    ...('healthy' in model ? { healthy: () => (model as WorkerScoringModel).healthy } : {}),
  };
}

/**
 * Selects the inference backend, then loads every named model directory. Errors name the model and its directory.
 * `thread: 'worker'` runs each model's inference in its own worker thread (same backend, same scores), so it
 * overlaps with the main thread's Kafka, decoding and windowing; the daemon uses it.
 */
export async function loadPipelineModels(
  dirs: Readonly<Record<string, string>>,
  backend: BackendPreference,
  log: BackendLog,
  opts: { thread?: 'main' | 'worker'; worker?: (model: string) => ScoringWorkerOptions } = {},
): Promise<Map<string, PipelineModel>> {
  const selected = await selectBackend(backend, log);
  const workerOptions = opts.worker ?? (() => ({ timeoutMs: inferenceSchema.parse(undefined).timeoutMs, maxRetries: inferenceSchema.parse(undefined).maxRetries }));
  const models = new Map<string, PipelineModel>();
  for (const [name, dir] of Object.entries(dirs)) {
    let model: ScoringModel;
    try {
      model = opts.thread === 'worker' ? await loadWorkerScoringModel(name, dir, selected, workerOptions(name)) : await loadScoringModel(name, dir);
    } catch (err) {
      throw new Error(`model "${name}": ${(err as Error).message}`);
    }
    models.set(name, toPipelineModel(model, selected));
    log.info({ model: name, dir, thread: opts.thread ?? 'main', route: model.route, ...(model.declined?.length ? { declined: model.declined } : {}), seqStep: model.meta.seqStep, features: model.meta.features, threshold: model.meta.threshold.value }, 'model loaded');
  }
  return models;
}
