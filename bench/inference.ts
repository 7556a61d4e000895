import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { selectBackend, type BackendName } from '../src/model/backend.js';
import { loadScoringModel, type ForwardRoute } from '../src/model/scorer.js';
import type { ScoringModel } from '../src/model/types.js';
import { repoRoot } from './paths.js';
import type { Progress } from './progress.js';
import { REFERENCE, referenceModel } from './reference-model.js';
import { callsPerSecond, seededWindows } from './timing.js';

/** `eps-gru` is the shipped default model (models/eps-gru); gru and lstm the seeded reference autoencoders. */
export type BenchModel = 'eps-gru' | 'gru' | 'lstm';

export interface InferenceRow {
  backend: BackendName;
  model: BenchModel;
  route: ForwardRoute;
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

/** Routes each backend can run: the graph needs native TensorFlow. */
const ROUTES: Record<BackendName, ForwardRoute[]> = { tensorflow: ['graph', 'fused', 'predict'], wasm: ['fused', 'predict'], cpu: ['fused'] };

async function load(model: BenchModel, route: ForwardRoute): Promise<ScoringModel> {
  if (model !== 'eps-gru') return referenceModel(model, 42, route);
  const scoring = await loadScoringModel('eps-gru', join(repoRoot(), 'models', 'eps-gru'), [route]);
  if (scoring.route !== route) {
    scoring.dispose();
    throw new Error(`route ${route} declined: ${scoring.declined?.join('; ')}`);
  }
  return scoring;
}

/**
 * Windows/s of the production scoring path (ScoringModel.score) per backend × forward route × model ×
 * batch size. `model.predict` is measured at the largest batch only: it is the baseline the routes
 * replace. The routes of one backend, model and batch are timed in alternating slices (three rounds),
 * so a shared machine's load swings hit them alike and their ratios hold.
 */
export async function benchInference(opts: InferenceOptions): Promise<InferenceRow[]> {
  const rows: InferenceRow[] = [];
  const models: BenchModel[] = existsSync(join(repoRoot(), 'models', 'eps-gru', 'anomalyd.json')) ? ['eps-gru', 'gru', 'lstm'] : ['gru', 'lstm'];
  const largest = Math.max(...opts.batches);
  const runs = (backend: BackendName, route: ForwardRoute) => opts.batches.filter((b) => (backend !== 'cpu' || b <= opts.cpuMaxBatch) && (route !== 'predict' || b === largest));
  const total = opts.backends.reduce((n, b) => n + ROUTES[b].reduce((m, r) => m + runs(b, r).length, 0) * models.length, 0);
  const rounds = 3;
  opts.progress.start('inference', total);
  let done = 0;
  for (const backend of opts.backends) {
    await selectBackend(backend);
    for (const model of models) {
      const scorers = new Map<ForwardRoute, ScoringModel>();
      for (const route of ROUTES[backend]) scorers.set(route, await load(model, route));
      const size = REFERENCE.seqStep * REFERENCE.features;
      for (const batch of opts.batches) {
        const routes = ROUTES[backend].filter((r) => runs(backend, r).includes(batch));
        if (routes.length === 0) continue;
        const input = seededWindows(batch, size, batch);
        const sum = new Map(routes.map((r) => [r, { calls: 0, elapsed: 0 }]));
        for (const r of routes) for (let i = 0; i < 3; i++) await scorers.get(r)!.score(input, batch);
        for (let round = 0; round < rounds; round++) {
          for (const r of routes) {
            const m = await callsPerSecond(() => scorers.get(r)!.score(input, batch), opts.seconds / rounds, 1);
            sum.get(r)!.calls += m.calls;
            sum.get(r)!.elapsed += m.elapsed;
          }
        }
        for (const r of routes) {
          const { calls, elapsed } = sum.get(r)!;
          rows.push({ backend, route: r, model, batch, calls, windowsPerSecond: (calls * batch) / elapsed, msPerCall: (elapsed * 1000) / calls });
          opts.progress.update(++done);
        }
      }
      for (const scoring of scorers.values()) scoring.dispose();
    }
  }
  opts.progress.stop();
  tf.disposeVariables();
  return rows;
}
