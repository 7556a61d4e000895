import type { PipelineModel } from './scoring-model.js';
import type { InferenceStat, ScoredWindow, Window } from './types.js';

/**
 * Scores windows with one predict call per model. Returns scored windows in input order.
 * `thresholds[i]` is the threshold that applies to `windows[i]` (its stream's route); the model
 * sees `windows[i]` times `scales[i]` (1 when absent) and its reconstruction comes back in raw units.
 */
export async function scoreWindows(
  windows: readonly Window[],
  thresholds: readonly number[],
  models: ReadonlyMap<string, PipelineModel>,
  scales?: readonly number[],
): Promise<{ scored: ScoredWindow[]; inference: InferenceStat[] }> {
  const scored = new Array<ScoredWindow>(windows.length);
  const inference: InferenceStat[] = [];
  for (const [name, positions] of groupByModel(windows)) {
    const model = models.get(name);
    if (!model) throw new Error(`no loaded model named "${name}"`);
    const size = model.seqStep * model.features;
    const input = new Float32Array(positions.length * size);
    const scaled = new Float32Array(size);
    positions.forEach((p, i) => {
      const factor = scales?.[p] ?? 1;
      if (factor === 1) return model.scaleInto(windows[p].values, input, i * size);
      const values = windows[p].values;
      for (let j = 0; j < size; j++) scaled[j] = values[j] * factor;
      model.scaleInto(scaled, input, i * size);
    });
    const started = performance.now();
    const out = await model.score(input, positions.length);
    inference.push({ model: name, backend: model.backend, windows: positions.length, seconds: (performance.now() - started) / 1000 });
    model.unscaleInPlace(out.reconstruction);
    positions.forEach((p, i) => {
      const w = windows[p];
      const factor = scales?.[p] ?? 1;
      if (factor !== 1) for (let j = i * size; j < (i + 1) * size; j++) out.reconstruction[j] /= factor;
      const score = out.mse[i];
      const threshold = thresholds[p];
      // Fields spelled out rather than spread: one fixed object shape, and a spread per window was
      // a measurable share of the main thread at tens of thousands of windows per second.
      scored[p] = {
        stream: w.stream,
        model: w.model,
        index: w.index,
        ts: w.ts,
        values: w.values,
        seqStep: w.seqStep,
        features: w.features,
        receivedAt: w.receivedAt,
        score,
        rawScore: score,
        threshold,
        anomalous: score > threshold,
        reconstruction: out.reconstruction.subarray(i * size, (i + 1) * size),
        stepErrors: out.stepErrors.subarray(i * model.seqStep, (i + 1) * model.seqStep),
        // Set by the stream's scorer later: declared here, so setting them does not grow the object.
        expected: undefined,
        deviation: undefined,
        kind: undefined,
        cadenceMs: undefined,
      };
    });
  }
  return { scored, inference };
}

function groupByModel(windows: readonly Window[]): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  windows.forEach((w, i) => {
    let g = groups.get(w.model);
    if (!g) groups.set(w.model, (g = []));
    g.push(i);
  });
  return groups;
}
