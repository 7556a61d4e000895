import * as tf from '@tensorflow/tfjs';
import { compileForward } from './fused-forward.js';
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

/**
 * Wraps a loaded LayersModel as a ScoringModel. The ScoringModel owns the model from here on.
 * Scores with the model's fused forward pass (fused-forward.ts: same function, a few large ops instead
 * of ~470 small ones) when it covers the architecture, else with `model.predict`.
 */
export function createScoringModel(name: string, dir: string, model: tf.LayersModel, meta: ModelMetadata): ScoringModel {
  const { seqStep, features } = meta;
  const perWindow = seqStep * features;
  const fused = compileForward(model, meta);
  // Without batchSize, predict slices the input into chunks of 32 and runs the whole graph per chunk.
  const forward = fused ?? ((x: tf.Tensor3D) => model.predict(x, { batchSize: x.shape[0] }) as tf.Tensor);
  let disposed = false;
  return {
    name,
    dir,
    meta,
    async score(windows: Float32Array, n: number): Promise<BatchScores> {
      if (disposed) throw new Error(`model "${name}" was disposed`);
      if (!Number.isInteger(n) || n < 0 || windows.length < n * perWindow) {
        throw new Error(`model "${name}": ${windows.length} values cannot hold ${n} window(s) of ${seqStep}×${features}`);
      }
      if (n === 0) return { mse: new Float32Array(0), stepErrors: new Float32Array(0), reconstruction: new Float32Array(0) };
      const input = windows.length === n * perWindow ? windows : windows.subarray(0, n * perWindow);
      const output = tf.tidy(() => forward(tf.tensor3d(input, [n, seqStep, features])));
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
      fused?.dispose();
      model.dispose();
    },
  };
}

/** Loads the model directory `dir` (see store.ts) as a ScoringModel named `name`. Select a backend first. */
export async function loadScoringModel(name: string, dir: string): Promise<ScoringModel> {
  const { model, meta } = await loadModel(dir);
  return createScoringModel(name, dir, model, meta);
}
