#!/usr/bin/env node
// Scores the reference EPS series with a model directory and reports alarms:
// clean timeseries2..4, and timeseries4 with the four spikes of the reference acceptance procedure.
// Usage: node scripts/check-eps-model.mjs [modelDir] [dataDir] [threshold]   (after npm run build)
import { join } from 'node:path';
const dist = new URL('../dist/src/', import.meta.url);
const { readSeries, seriesToMatrix } = await import(new URL('data/index.js', dist).href);
const { loadScoringModel } = await import(new URL('model/scorer.js', dist).href);
const { scalerFromMetadata } = await import(new URL('model/scaler.js', dist).href);
const { selectBackend } = await import(new URL('model/backend.js', dist).href);
const { slidingWindows } = await import(new URL('model/windows.js', dist).href);

const modelDir = process.argv[2] ?? 'models/eps-gru';
const dataDir = process.argv[3] ?? '../shared/data/eps';
await selectBackend('auto');
const model = await loadScoringModel('eps', modelDir);
const { seqStep, features } = model.meta;
const scaler = scalerFromMetadata(model.meta);
const threshold = process.argv[4] ? Number(process.argv[4]) : model.meta.threshold.value;
const SPIKES = { 10: 12000, 50: 7000, 90: 10000, 150: 7000 };

async function scoreRows(rows) {
  const raw = seriesToMatrix({ rows, columns: Array(features).fill('v') });
  const windows = slidingWindows(scaler.transform(raw), rows.length, features, seqStep);
  const n = rows.length - seqStep + 1;
  return (await model.score(windows, n)).mse; // window w ends at row w + seqStep - 1
}

function episodes(mse) {
  const out = [];
  for (let w = 0; w < mse.length; w++) {
    if (mse[w] <= threshold) continue;
    const last = out[out.length - 1];
    if (last && last.end === w - 1 + seqStep - 1) {
      last.end = w + seqStep - 1;
      last.peak = Math.max(last.peak, mse[w]);
    } else out.push({ start: w + seqStep - 1, end: w + seqStep - 1, peak: mse[w] });
  }
  return out;
}

let ok = true;
console.log(`model ${modelDir}: threshold ${threshold.toPrecision(4)} (${JSON.stringify(model.meta.threshold.calibration)})`);
for (const name of ['timeseries1.csv', 'timeseries2.csv', 'timeseries3.csv', 'timeseries4.csv']) {
  const mse = await scoreRows((await readSeries(join(dataDir, name))).rows);
  const eps = episodes(mse);
  console.log(`clean ${name}: ${eps.length} alarm episode(s) ${eps.map((e) => `${e.start}-${e.end}@${e.peak.toPrecision(3)}`).join(' ')} (max score ${Math.max(...mse).toPrecision(3)})`);
}
const rows = (await readSeries(join(dataDir, 'timeseries4.csv'))).rows.map((r) => [...r]);
for (const [i, v] of Object.entries(SPIKES)) rows[Number(i)][0] = v;
const mse = await scoreRows(rows);
const eps = episodes(mse);
let other = 0;
for (const r of Object.keys(SPIKES).map(Number)) {
  // windows ending at r .. r+seqStep-1 contain the spike
  const scores = Array.from(mse.subarray(r - seqStep + 1, r + 1));
  const all = scores.every((s) => s > threshold);
  ok &&= all;
  console.log(`spike at row ${r}: containing-window scores ${scores.map((s) => s.toPrecision(3)).join(' ')} → ${all ? 'all flagged' : 'MISSED'}`);
}
for (const e of eps) if (!Object.keys(SPIKES).map(Number).some((r) => e.start <= r + seqStep - 1 && e.end >= r)) other++;
console.log(`spiked timeseries4: ${eps.length} episode(s) ${eps.map((e) => `${e.start}-${e.end}@${e.peak.toPrecision(3)}`).join(' ')}; ${other} not caused by a spike`);
ok &&= other <= 2;
console.log(ok ? 'PASS' : 'FAIL');
model.dispose();
process.exitCode = ok ? 0 : 1;
