import * as tf from '@tensorflow/tfjs';
import { compileForward } from './fused-forward.js';
import { compileGraphForward } from './graph-forward.js';
import { loadModel } from './store.js';
import type { BatchScores, ModelMetadata, ScoringModel } from './types.js';

/**
 * Errors from a reconstruction, computed in JS: for batch 1024 × 5 × 1 this is a single pass over
 * 5k floats, cheaper than extra tf ops plus two more tensor downloads.
 */
export function reconstructionErrors(
  input: Float32Array,
  reconstruction: Float32Array,
  n: number,
  seqStep: number,
  features: number,
): { mse: Float32Array; stepErrors: Float32Array } {
  const mse = new Float32Array(n);
  const stepErrors = new Float32Array(n * seqStep);
  for (let w = 0, s = 0, i = 0; w < n; w++) {
    let windowSum = 0;
    for (let t = 0; t < seqStep; t++, s++) {
      let stepSum = 0;
      for (let f = 0; f < features; f++, i++) {
        const d = input[i] - reconstruction[i];
        stepSum += d * d;
      }
      stepErrors[s] = stepSum / features;
      windowSum += stepSum;
    }
    mse[w] = windowSum / (seqStep * features);
  }
  return { mse, stepErrors };
}

/** How a ScoringModel runs its model's forward pass, fastest first. */
export type ForwardRoute = 'graph' | 'fused' | 'predict';

/** A compiled forward pass: [n, seqStep, features] in, the reconstruction of the same shape out. */
export interface Forward {
  readonly route: ForwardRoute;
  /** Why faster routes were not taken (empty when the first one was). */
  readonly declined: string[];
  run(x: tf.Tensor3D): tf.Tensor;
  dispose(): void;
}

function predictForward(model: tf.LayersModel, declined: string[]): Forward {
  // Without batchSize, predict slices the input into chunks of 32 and runs the whole graph per chunk.
  return { route: 'predict', declined, run: (x) => model.predict(x, { batchSize: x.shape[0] }) as tf.Tensor, dispose() {} };
}

/** The fused forward pass (fused-forward.ts) when it covers the model, else `model.predict`. Synchronous. */
export function fusedOrPredict(model: tf.LayersModel, meta: ModelMetadata, declined: string[] = []): Forward {
  const fused = compileForward(model, meta);
  if (!fused) return predictForward(model, [...declined, 'fused: a layer or setting it does not cover']);
  return { route: 'fused', declined, run: fused, dispose: () => fused.dispose() };
}

/**
 * Picks the fastest forward pass that covers `model` on the active backend: one TensorFlow graph
 * (graph-forward.ts, tensorflow backend only), else the fused tf-ops pass, else `model.predict`.
 * Each declined route says why in `declined`; all compute what `model.predict` computes.
 */
export async function chooseForward(model: tf.LayersModel, meta: ModelMetadata, routes: readonly ForwardRoute[] = ['graph', 'fused', 'predict']): Promise<Forward> {
  const declined: string[] = [];
  if (routes.includes('graph')) {
    // TensorFlow rejecting the graph (another libtensorflow, a missing kernel) declines the route too.
    const graph = await compileGraphForward(model, meta).catch((err: Error) => ({ unsupported: `TensorFlow did not load the graph: ${err.message.split('\n')[0]}` }));
    if (!('unsupported' in graph)) {
      if (graph.xlaDeclined) declined.push(`graph with XLA: ${graph.xlaDeclined}`);
      return { route: 'graph', declined, run: graph, dispose: () => graph.dispose() };
    }
    declined.push(`graph: ${graph.unsupported}`);
  }
  if (routes.includes('fused')) return fusedOrPredict(model, meta, declined);
  return predictForward(model, declined);
}

/**
 * Wraps a loaded LayersModel as a ScoringModel. The ScoringModel owns the model (and the forward
 * pass) from here on. Without `forward` it scores with the fused pass or `model.predict`
 * (synchronous); loadScoringModel also tries the TensorFlow graph.
 */
export function createScoringModel(name: string, dir: string, model: tf.LayersModel, meta: ModelMetadata, forward: Forward = fusedOrPredict(model, meta)): ScoringModel {
  const { seqStep, features } = meta;
  const perWindow = seqStep * features;
  let disposed = false;
  return {
    name,
    dir,
    meta,
    route: forward.route,
    declined: forward.declined,
    async score(windows: Float32Array, n: number): Promise<BatchScores> {
      if (disposed) throw new Error(`model "${name}" was disposed`);
      if (!Number.isInteger(n) || n < 0 || windows.length < n * perWindow) {
        throw new Error(`model "${name}": ${windows.length} values cannot hold ${n} window(s) of ${seqStep}×${features}`);
      }
      if (n === 0) return { mse: new Float32Array(0), stepErrors: new Float32Array(0), reconstruction: new Float32Array(0) };
      const input = windows.length === n * perWindow ? windows : windows.subarray(0, n * perWindow);
      const output = tf.tidy(() => forward.run(tf.tensor3d(input, [n, seqStep, features])));
      let reconstruction: Float32Array;
      try {
        reconstruction = (await output.data()) as Float32Array;
      } finally {
        output.dispose();
      }
      const { mse, stepErrors } = reconstructionErrors(input, reconstruction, n, seqStep, features);
      return { mse, stepErrors, reconstruction };
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      forward.dispose();
      model.dispose();
    },
  };
}

/**
 * Loads the model directory `dir` (see store.ts) as a ScoringModel named `name`, on the fastest
 * forward route that covers it (chooseForward). Select a backend first.
 */
export async function loadScoringModel(name: string, dir: string, routes?: readonly ForwardRoute[]): Promise<ScoringModel> {
  const { model, meta } = await loadModel(dir);
  let forward: Forward;
  try {
    forward = await chooseForward(model, meta, routes);
  } catch (err) {
    model.dispose();
    throw err;
  }
  return createScoringModel(name, dir, model, meta, forward);
}
