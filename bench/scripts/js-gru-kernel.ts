/**
 * A route measured and not adopted (docs/PERFORMANCE.md, "Inference routes"): the GRU autoencoder
 * (GRU encoder → RepeatVector → GRU decoder → TimeDistributed(Dense)) hand-written in plain
 * TypeScript over Float32Arrays, one window at a time, weights laid out row by row so the inner loop
 * runs over contiguous memory. Compares its output with model.predict and times it against the
 * graph route on models/eps-gru at batch 1024.
 *
 *   npm run build && node dist/bench/scripts/js-gru-kernel.js [seconds]
 */
import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { selectBackend } from '../../src/model/backend.js';
import { loadScoringModel } from '../../src/model/scorer.js';
import { loadModel } from '../../src/model/store.js';
import { repoRoot } from '../paths.js';
import { callsPerSecond, seededWindows } from '../timing.js';

interface Gru {
  units: number;
  kernel: Float32Array; // [in, 3u]
  recurrent: Float32Array; // [u, 3u]
  bias: Float32Array; // [3u]
  inputs: number;
}

const hardSigmoid = (x: number) => Math.max(0, Math.min(1, Math.fround(0.5 + Math.fround(0.2 * x))));

/** One GRU step (Keras reset_after=False, relu candidate, hard-sigmoid gates): h ← step(x, h). */
function step(g: Gru, x: Float32Array, xProjected: Float32Array | null, h: Float32Array, out: Float32Array, acc: Float64Array, rh: Float32Array, rec: Float64Array, cand: Float64Array): void {
  const u = g.units;
  const w = 3 * u;
  // x·W + b (or the projection already made for a repeated input)
  if (xProjected) acc.set(xProjected);
  else {
    acc.fill(0);
    for (let i = 0; i < g.inputs; i++) {
      const xi = x[i];
      const row = i * w;
      for (let j = 0; j < w; j++) acc[j] += xi * g.kernel[row + j];
    }
    for (let j = 0; j < w; j++) acc[j] = Math.fround(Math.fround(acc[j]) + g.bias[j]);
  }
  // z, r from x·W + h·R[:, :2u]
  rec.fill(0);
  for (let i = 0; i < u; i++) {
    const hi = h[i];
    if (hi === 0) continue;
    const row = i * w;
    for (let j = 0; j < 2 * u; j++) rec[j] += hi * g.recurrent[row + j];
  }
  for (let i = 0; i < u; i++) rh[i] = Math.fround(hardSigmoid(Math.fround(acc[u + i] + Math.fround(rec[u + i]))) * h[i]);
  cand.fill(0);
  for (let i = 0; i < u; i++) {
    const ri = rh[i];
    if (ri === 0) continue;
    const row = i * w + 2 * u;
    for (let j = 0; j < u; j++) cand[j] += ri * g.recurrent[row + j];
  }
  for (let j = 0; j < u; j++) {
    const z = hardSigmoid(Math.fround(acc[j] + Math.fround(rec[j])));
    const c = Math.max(0, Math.fround(acc[2 * u + j] + Math.fround(cand[j])));
    out[j] = Math.fround(Math.fround(z * h[j]) + Math.fround(Math.fround(1 - z) * c));
  }
}

function forward(enc: Gru, dec: Gru, dense: { w: Float32Array; b: number }, windows: Float32Array, n: number, steps: number, out: Float32Array): void {
  const u = enc.units;
  let h = new Float32Array(u);
  let next = new Float32Array(u);
  const acc = new Float64Array(3 * u);
  const rh = new Float32Array(u);
  const rec = new Float64Array(2 * u);
  const cand = new Float64Array(u);
  let s = new Float32Array(u);
  let sNext = new Float32Array(u);
  const x = new Float32Array(1);
  const projected = new Float32Array(3 * u);
  for (let k = 0; k < n; k++) {
    h.fill(0);
    for (let t = 0; t < steps; t++) {
      x[0] = windows[k * steps + t];
      step(enc, x, null, h, next, acc, rh, rec, cand);
      [h, next] = [next, h];
    }
    // decoder input: the encoding repeated; projected once
    acc.fill(0);
    for (let i = 0; i < u; i++) for (let j = 0; j < 3 * u; j++) acc[j] += h[i] * dec.kernel[i * 3 * u + j];
    for (let j = 0; j < 3 * u; j++) projected[j] = Math.fround(Math.fround(acc[j]) + dec.bias[j]);
    s.fill(0);
    for (let t = 0; t < steps; t++) {
      step(dec, h, projected, s, sNext, acc, rh, rec, cand);
      [s, sNext] = [sNext, s];
      let y = 0;
      for (let i = 0; i < u; i++) y += s[i] * dense.w[i];
      out[k * steps + t] = Math.fround(Math.fround(y) + dense.b);
    }
  }
}

await selectBackend('tensorflow');
const dir = join(repoRoot(), 'models', 'eps-gru');
const { model, meta } = await loadModel(dir);
const weights = model.getWeights().map((w) => w.dataSync() as Float32Array);
const u = 50;
const enc: Gru = { units: u, inputs: 1, kernel: weights[0], recurrent: weights[1], bias: weights[2] };
const dec: Gru = { units: u, inputs: u, kernel: weights[3], recurrent: weights[4], bias: weights[5] };
const dense = { w: weights[6], b: weights[7][0] };
const n = 1024;
const windows = seededWindows(n, meta.seqStep, 3);
const out = new Float32Array(n * meta.seqStep);
forward(enc, dec, dense, windows, n, meta.seqStep, out);
const expected = tf.tidy(() => (model.predict(tf.tensor3d(windows, [n, meta.seqStep, 1]), { batchSize: n }) as tf.Tensor).dataSync());
let diff = 0;
for (let i = 0; i < out.length; i++) diff = Math.max(diff, Math.abs(out[i] - expected[i]));
const graph = await loadScoringModel('eps-gru', dir, ['graph']);
const seconds = Number(process.argv[2] ?? 2);
const js = { calls: 0, elapsed: 0 };
const g = { calls: 0, elapsed: 0 };
for (let round = 0; round < 3; round++) {
  const a = await callsPerSecond(async () => forward(enc, dec, dense, windows, n, meta.seqStep, out), seconds / 3, 1);
  const b = await callsPerSecond(() => graph.score(windows, n), seconds / 3, 1);
  js.calls += a.calls;
  js.elapsed += a.elapsed;
  g.calls += b.calls;
  g.elapsed += b.elapsed;
}
console.log(`plain TS kernel: max |out − predict| = ${diff.toExponential(2)}; ${Math.round((js.calls * n) / js.elapsed)} windows/s at batch ${n}`);
console.log(`graph route (ScoringModel.score): ${Math.round((g.calls * n) / g.elapsed)} windows/s at batch ${n} (route ${graph.route})`);
graph.dispose();
