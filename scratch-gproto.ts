import * as tf from '@tensorflow/tfjs';
import { selectBackend } from './src/model/backend.js';
import { loadModel } from './src/model/store.js';
import { compileGraphForward } from './src/model/graph-forward.js';
import { compileForward } from './src/model/fused-forward.js';
await selectBackend('tensorflow');
const { model, meta } = await loadModel('/work/wt-speed/models/eps-gru');
const g = await compileGraphForward(model, meta);
if (!('call' in g)) { console.log(g); process.exit(1); }
const f = compileForward(model, meta)!;
const n = 1024;
const x = tf.tensor3d(Float32Array.from({ length: n * 5 }, () => Math.random()), [n, 5, 1]);
const a = (model.predict(x, { batchSize: n }) as tf.Tensor).dataSync();
const b = (g as any)(x).dataSync();
let d = 0; for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
console.log('maxdiff', d);
for (const [name, fn] of [['graph', g], ['fused', f], ['graph', g], ['fused', f]] as const) {
  for (let i = 0; i < 5; i++) { const o = (fn as any)(x); await o.data(); o.dispose(); }
  const t0 = performance.now(); let calls = 0;
  while (performance.now() - t0 < 2000) { const o = (fn as any)(x); await o.data(); o.dispose(); calls++; }
  const s = (performance.now() - t0) / 1000;
  console.log(name, Math.round(calls * n / s), 'windows/s', (s * 1000 / calls).toFixed(2), 'ms/call');
}
