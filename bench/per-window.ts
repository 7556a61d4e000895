import { selectBackend, type BackendName } from '../src/model/backend.js';
import type { Progress } from './progress.js';
import { defaultModel } from './reference-model.js';
import { callsPerSecond, seededWindows } from './timing.js';

export interface PerWindowRow {
  backend: BackendName;
  model: string;
  /** One predict call per window ([1, seqStep, features]), as a notebook loop does. */
  perWindowPerSecond: number;
  /** One predict call for `batch` windows. */
  batchedPerSecond: number;
  batch: number;
  ratio: number;
}

/** Per-window predict loop against one batched call, through ScoringModel.score with the default model. */
export async function benchPerWindow(backends: BackendName[], batch: number, seconds: number, progress: Progress): Promise<PerWindowRow[]> {
  const rows: PerWindowRow[] = [];
  progress.start('per-window vs batched', backends.length);
  for (const backend of backends) {
    await selectBackend(backend);
    const { model, origin } = await defaultModel();
    const size = model.meta.seqStep * model.meta.features;
    const windows = seededWindows(batch, size, 7);
    let next = 0;
    const one = async () => {
      const i = next++ % batch;
      await model.score(windows.subarray(i * size, (i + 1) * size), 1);
    };
    for (let i = 0; i < 20; i++) await one();
    const single = await callsPerSecond(one, seconds, 50);
    for (let i = 0; i < 3; i++) await model.score(windows, batch);
    const batched = await callsPerSecond(() => model.score(windows, batch), seconds);
    const batchedPerSecond = batched.perSecond * batch;
    rows.push({ backend, model: origin, perWindowPerSecond: single.perSecond, batchedPerSecond, batch, ratio: batchedPerSecond / single.perSecond });
    model.dispose();
    progress.update(rows.length);
  }
  progress.stop();
  return rows;
}
