// Checks the native TensorFlow backend against the wasm backend on a GRU
// autoencoder with identical weights, then measures scoring throughput.
// Usage: node scripts/native-backend/verify.mjs [--tolerance 1e-4] [--seconds 2]
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const { values: args } = parseArgs({
  options: {
    tolerance: { type: 'string', default: '1e-4' },
    seconds: { type: 'string', default: '2' },
  },
});
const tolerance = Number(args.tolerance);
const benchSeconds = Number(args.seconds);

const tf = require('@tensorflow/tfjs');
require('./tfjs-node-compat.cjs');
try {
  require('@tensorflow/tfjs-node');
} catch (error) {
  console.error(`cannot load @tensorflow/tfjs-node: ${error.message}\nrun: npm run native:build`);
  process.exit(1);
}
const wasm = require('@tensorflow/tfjs-backend-wasm');
wasm.setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), '/'));

const SEQ_STEP = 5;
const UNITS = 50;
const PARITY_WINDOWS = 512;
const BATCHES = [1, 64, 1024];

function buildAutoencoder() {
  const model = tf.sequential();
  model.add(tf.layers.gru({ units: UNITS, activation: 'relu', inputShape: [SEQ_STEP, 1] }));
  model.add(tf.layers.repeatVector({ n: SEQ_STEP }));
  model.add(tf.layers.gru({ units: UNITS, activation: 'relu', returnSequences: true }));
  model.add(tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 1 }) }));
  return model;
}

// The project's seeded generator (compiled by `npm ci`), so both backends see the same numbers.
const windowsModule = new URL('../../dist/src/model/windows.js', import.meta.url);
const { seededRandom: random } = await import(windowsModule.href).catch(() => {
  console.error(`verify: ${windowsModule.pathname} is missing; run \`npm run build\` first`);
  process.exit(1);
});

function makeWeights(model, next) {
  return model.getWeights().map((w) => {
    const fanIn = w.shape.length > 1 ? w.shape[0] : 1;
    const scale = Math.sqrt(3 / (fanIn + (w.shape.at(-1) ?? 1)));
    const values = Float32Array.from({ length: w.size }, () => (next() * 2 - 1) * scale);
    return { shape: w.shape, values };
  });
}

async function onBackend(name, weights, windows) {
  if (!(await tf.setBackend(name))) throw new Error(`backend ${name} did not initialise`);
  await tf.ready();
  const model = buildAutoencoder();
  model.setWeights(weights.map((w) => tf.tensor(w.values, w.shape)));
  const input = tf.tensor3d(windows, [windows.length / SEQ_STEP, SEQ_STEP, 1]);
  const output = model.predict(input);
  const values = output.dataSync().slice();
  tf.dispose([input, output]);

  // predict() slices its input into batches of 32 unless told otherwise,
  // which multiplies the per-op cost; both ways are measured.
  const throughput = { whole: {}, default32: {} };
  for (const batch of BATCHES) {
    const x = tf.tensor3d(windows.subarray(0, batch * SEQ_STEP), [batch, SEQ_STEP, 1]);
    throughput.whole[batch] = measure(() => model.predict(x, { batchSize: batch }), batch);
    throughput.default32[batch] = measure(() => model.predict(x), batch);
    x.dispose();
  }
  model.dispose();
  return { values, throughput };
}

function measure(predict, batch) {
  const run = () => {
    const out = tf.tidy(predict);
    out.dataSync();
    out.dispose();
  };
  for (let i = 0; i < 3; i += 1) run();
  let count = 0;
  let elapsed = 0;
  const start = process.hrtime.bigint();
  while (elapsed < benchSeconds) {
    run();
    count += 1;
    elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  }
  return Math.round((count * batch) / elapsed);
}

const next = random(42);
const weights = makeWeights(buildAutoencoder(), next);
const windows = Float32Array.from({ length: Math.max(PARITY_WINDOWS, ...BATCHES) * SEQ_STEP }, () => next());
const parityWindows = windows.subarray(0, PARITY_WINDOWS * SEQ_STEP);

const results = {};
for (const backend of ['tensorflow', 'wasm']) {
  results[backend] = await onBackend(backend, weights, windows);
  for (const [mode, label] of [['whole', 'predict(x, {batchSize: n})'], ['default32', 'predict(x)']]) {
    console.log(`${backend.padEnd(10)} ${label.padEnd(26)} windows/s: ` +
      BATCHES.map((b) => `batch ${b} = ${results[backend].throughput[mode][b]}`).join(', '));
  }
}

const native = results.tensorflow.values.subarray(0, parityWindows.length);
const reference = results.wasm.values.subarray(0, parityWindows.length);
let maxDiff = 0;
for (let i = 0; i < native.length; i += 1) maxDiff = Math.max(maxDiff, Math.abs(native[i] - reference[i]));
const magnitude = reference.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
console.log(`max |tensorflow - wasm| over ${PARITY_WINDOWS} windows = ${maxDiff.toExponential(2)} ` +
  `(outputs up to ${magnitude.toFixed(3)}, tolerance ${tolerance})`);
if (!(maxDiff <= tolerance)) {
  console.error('native and wasm outputs differ beyond the tolerance');
  process.exit(1);
}
console.log('native backend matches wasm');
