import * as tf from '@tensorflow/tfjs';
import { selectBackend, type BackendName } from '../src/model/backend.js';
import type { ModelKind } from '../src/model/types.js';
import type { Progress } from './progress.js';
import { REFERENCE, referenceModel } from './reference-model.js';
import { callsPerSecond, seededWindows } from './timing.js';

export interface InferenceRow {
  backend: BackendName;
  model: ModelKind;
  batch: number;
  calls: number;
  windowsPerSecond: number;
  msPerCall: number;
}

export interface InferenceOptions {
  backends: BackendName[];
  batches: number[];
  /** cpu is ~25× slower: only these batch sizes run on it. */
  cpuMaxBatch: number;
  seconds: number;
  progress: Progress;
}

/** Backends that initialise here, in the order asked. */
export async function availableBackends(wanted: readonly BackendName[]): Promise<{ available: BackendName[]; skipped: { backend: BackendName; why: string }[] }> {
  const available: BackendName[] = [];
  const skipped: { backend: BackendName; why: string }[] = [];
  for (const b of wanted) {
    try {
      await selectBackend(b);
      available.push(b);
    } catch (err) {
      skipped.push({ backend: b, why: (err as Error).message });
    }
  }
  return { available, skipped };
}

/** Windows/s of the production scoring path (ScoringModel.score) per backend × model × batch size. */
export async function benchInference(opts: InferenceOptions): Promise<InferenceRow[]> {
  const rows: InferenceRow[] = [];
  const kinds: ModelKind[] = ['gru', 'lstm'];
  const cells = opts.backends.flatMap((backend) =>
    kinds.flatMap((model) => opts.batches.filter((b) => backend !== 'cpu' || b <= opts.cpuMaxBatch).map((batch) => ({ backend, model, batch }))),
  );
  opts.progress.start('inference', cells.length);
  let done = 0;
  for (const backend of opts.backends) {
    await selectBackend(backend);
    for (const kind of kinds) {
      const scoring = await referenceModel(kind);
      const size = REFERENCE.seqStep * REFERENCE.features;
      for (const cell of cells.filter((c) => c.backend === backend && c.model === kind)) {
        const input = seededWindows(cell.batch, size, cell.batch);
        for (let i = 0; i < 3; i++) await scoring.score(input, cell.batch);
        const r = await callsPerSecond(() => scoring.score(input, cell.batch), opts.seconds);
        rows.push({ ...cell, calls: r.calls, windowsPerSecond: r.perSecond * cell.batch, msPerCall: (r.elapsed * 1000) / r.calls });
        opts.progress.update(++done);
      }
      scoring.dispose();
    }
  }
  opts.progress.stop();
  tf.disposeVariables();
  return rows;
}
