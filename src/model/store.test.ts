import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync, mkdirSync, truncateSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildAutoencoder } from './architectures.js';
import { selectBackend } from './backend.js';
import { MODEL_LIMITS } from './limits.js';
import { loadModel, saveModel } from './store.js';
import type { ModelMetadata } from './types.js';

let root: string;
beforeAll(async () => {
  await selectBackend('cpu');
  root = mkdtempSync(join(tmpdir(), 'anomalyd-store-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function metadata(seqStep: number, features: number): ModelMetadata {
  const names = Array.from({ length: features }, (_, i) => `f${i}`);
  return {
    formatVersion: 1,
    kind: 'gru',
    seqStep,
    features,
    featureNames: names,
    scaler: { kind: 'minmax', a: names.map(() => 0), b: names.map(() => 100) },
    threshold: { value: 0.01, calibration: { method: 'percentile', q: 0.995, windows: 40, source: 'validation windows' } },
    training: {
      source: 'x.csv',
      rows: 100,
      windows: 90,
      epochs: 1,
      finalLoss: 0.1,
      finalValLoss: 0.1,
      seed: 1,
      units: 4,
      trainedAt: new Date(0).toISOString(),
      summary: { min: names.map(() => 0), max: names.map(() => 100), mean: names.map(() => 50), std: names.map(() => 10) },
    },
  };
}

const probe = (seqStep: number, features: number) =>
  tf.tensor3d(Float32Array.from({ length: 3 * seqStep * features }, (_, i) => (i % 7) / 7), [3, seqStep, features]);

async function predictions(model: tf.LayersModel, seqStep: number, features: number): Promise<number[]> {
  const x = probe(seqStep, features);
  const y = model.predict(x) as tf.Tensor;
  const out = Array.from(await y.data());
  x.dispose();
  y.dispose();
  return out;
}

async function saved(name: string, seqStep = 5, features = 2): Promise<{ dir: string; model: tf.LayersModel }> {
  const dir = join(root, name);
  const model = buildAutoencoder({ kind: 'gru', seqStep, features, units: 4, seed: 3 });
  await saveModel(dir, model, metadata(seqStep, features));
  return { dir, model };
}

async function loadError(dir: string): Promise<string> {
  try {
    await loadModel(dir);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error(`expected loading ${dir} to fail`);
}

describe('model store', () => {
  it('saves the standard layout and loads a model that predicts identically', async () => {
    const { dir, model } = await saved('roundtrip');
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    expect(json.format).toBe('layers-model');
    expect(json.weightsManifest[0].paths).toEqual(['weights.bin']);
    expect(JSON.parse(readFileSync(join(dir, 'anomalyd.json'), 'utf8')).seqStep).toBe(5);
    const loaded = await loadModel(dir);
    expect(loaded.meta).toEqual(metadata(5, 2));
    expect(await predictions(loaded.model, 5, 2)).toEqual(await predictions(model, 5, 2));
    loaded.model.dispose();
    model.dispose();
  });

  it("loads a model written in tensorflowjs_converter's Keras layout", async () => {
    const dir = join(root, 'keras');
    mkdirSync(dir);
    // Keras-style layer names make Keras-style weight names (gru/kernel, time_distributed/...).
    const model = tf.sequential();
    model.add(tf.layers.gru({ units: 4, activation: 'relu', inputShape: [5, 1], name: 'gru' }));
    model.add(tf.layers.repeatVector({ n: 5, name: 'repeat_vector' }));
    model.add(tf.layers.gru({ units: 4, activation: 'relu', returnSequences: true, name: 'gru_1' }));
    model.add(tf.layers.timeDistributed({ layer: tf.layers.dense({ units: 1, name: 'dense' }), name: 'time_distributed' }));
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        const topology = { ...(a.modelTopology as object), keras_version: '2.15.0', backend: 'tensorflow' };
        writeFileSync(
          join(dir, 'model.json'),
          JSON.stringify({
            format: 'layers-model',
            generatedBy: 'keras v2.15.0',
            convertedBy: 'TensorFlow.js Converter v4.22.0',
            modelTopology: topology,
            weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: a.weightSpecs }],
          }),
        );
        writeFileSync(join(dir, 'group1-shard1of1.bin'), new Uint8Array(tf.io.CompositeArrayBuffer.join(a.weightData!)));
        return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) };
      }),
    );
    writeFileSync(join(dir, 'anomalyd.json'), JSON.stringify(metadata(5, 1)));
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    expect(json.weightsManifest[0].weights.map((w: { name: string }) => w.name)).toContain('gru/kernel');
    const loaded = await loadModel(dir);
    expect(loaded.model.layers.map((l) => l.name)).toEqual(['gru', 'repeat_vector', 'gru_1', 'time_distributed']);
    expect(await predictions(loaded.model, 5, 1)).toEqual(await predictions(model, 5, 1));
    loaded.model.dispose();
    model.dispose();
  });

  it('names the directory or file and the problem for each broken layout', async () => {
    expect(await loadError(join(root, 'absent'))).toBe(`${join(root, 'absent')}: model directory does not exist`);

    const noModel = join(root, 'no-model');
    mkdirSync(noModel);
    expect(await loadError(noModel)).toBe(`${join(noModel, 'model.json')}: missing (every model directory needs model.json)`);

    const { dir: noMeta, model: m1 } = await saved('no-meta');
    m1.dispose();
    rmSync(join(noMeta, 'anomalyd.json'));
    expect(await loadError(noMeta)).toMatch(/anomalyd\.json: missing \(every model directory needs anomalyd\.json metadata\)/);

    const { dir: corrupt, model: m2 } = await saved('corrupt');
    m2.dispose();
    writeFileSync(join(corrupt, 'model.json'), '{"modelTopology": ');
    expect(await loadError(corrupt)).toMatch(new RegExp(`${join(corrupt, 'model.json')}: corrupt JSON`.replace(/[/.]/g, '\\$&')));

    const { dir: badMeta, model: m3 } = await saved('bad-meta');
    m3.dispose();
    writeFileSync(join(badMeta, 'anomalyd.json'), JSON.stringify({ ...metadata(5, 2), seqStep: 0 }));
    expect(await loadError(badMeta)).toMatch(/anomalyd\.json: invalid metadata:\n {2}seqStep: /);

    const { dir: short, model: m4 } = await saved('short-weights');
    m4.dispose();
    const size = readFileSync(join(short, 'weights.bin')).byteLength;
    truncateSync(join(short, 'weights.bin'), size - 8);
    expect(await loadError(short)).toMatch(new RegExp(`weights\\.bin: weights size mismatch: ${size - 8} bytes on disk, model\\.json describes ${size}`));

    const { dir: gone, model: m5 } = await saved('no-weights');
    m5.dispose();
    renameSync(join(gone, 'weights.bin'), join(gone, 'other.bin'));
    expect(await loadError(gone)).toMatch(/weights\.bin: weights file named in model\.json is missing/);

    const { dir: shape, model: m6 } = await saved('shape');
    m6.dispose();
    writeFileSync(join(shape, 'anomalyd.json'), JSON.stringify(metadata(10, 2)));
    expect(await loadError(shape)).toBe(`${shape}: anomalyd.json says seqStep 10, features 2, but the model's input is [5, 2]`);
  });
});

describe('crafted model directories', () => {
  async function craft(name: string, edit: (json: { modelTopology: any; weightsManifest: any[] }) => void): Promise<string> {
    const { dir, model } = await saved(name);
    model.dispose();
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    edit(json);
    writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
    return dir;
  }

  it('refuses weight paths that leave the model directory: "..", absolute paths, URLs, symlinks', async () => {
    const outside = join(root, 'outside.bin');
    writeFileSync(outside, new Uint8Array(16));
    const dotdot = await craft('dotdot', (j) => (j.weightsManifest[0].paths = ['../outside.bin']));
    expect(await loadError(dotdot)).toBe(
      `${join(dotdot, 'model.json')}: weightsManifest[0].paths[0] is "../outside.bin": weight files must be inside the model directory (no absolute paths, URLs or "..")`,
    );
    const absolute = await craft('absolute', (j) => (j.weightsManifest[0].paths = [outside]));
    expect(await loadError(absolute)).toMatch(/weightsManifest\[0\]\.paths\[0\] is ".*outside\.bin": weight files must be inside the model directory/);
    const url = await craft('url', (j) => (j.weightsManifest[0].paths = ['file:///etc/passwd']));
    expect(await loadError(url)).toMatch(/paths\[0\] is "file:\/\/\/etc\/passwd": weight files must be inside/);
    const linked = await craft('symlink', (j) => (j.weightsManifest[0].paths = ['weights-link.bin']));
    symlinkSync(outside, join(linked, 'weights-link.bin'));
    expect(await loadError(linked)).toBe(
      `${join(linked, 'model.json')}: weightsManifest[0].paths[0] is "weights-link.bin", which resolves to ${realpathSync(outside)}, outside the model directory`,
    );
    // A symlink that stays inside is fine.
    const inside = await craft('symlink-inside', (j) => (j.weightsManifest[0].paths = ['link.bin']));
    symlinkSync(join(inside, 'weights.bin'), join(inside, 'link.bin'));
    const loaded = await loadModel(inside);
    loaded.model.dispose();
  });

  it('checks layer sizes, input shapes and weight shapes against the limits before allocating', async () => {
    const units = await craft('huge-units', (j) => (j.modelTopology.config.layers[0].config.units = 100_000_000));
    expect(await loadError(units)).toBe(
      `${join(units, 'model.json')}: modelTopology.config.layers[0].config.units is 100000000, expected an integer from 1 to ${MODEL_LIMITS.layerWidth}`,
    );
    const input = await craft('huge-input', (j) => {
      const layer = j.modelTopology.config.layers[0].config;
      layer[layer.batch_input_shape ? 'batch_input_shape' : 'batchInputShape'] = [null, 5, 1e9];
    });
    expect(await loadError(input)).toMatch(/modelTopology\.config\.layers\[0\]\.config\.batch_input_shape is \[null,5,1000000000\], expected up to 8 dimensions/);
    const weights = await craft('huge-weights', (j) => (j.weightsManifest[0].weights[1].shape = [1e5, 1e5]));
    expect(await loadError(weights)).toMatch(
      new RegExp(`model\\.json: weightsManifest\\[0\\]\\.weights\\[1\\] \\(.*\\)\\.shape \\[100000, 100000\\] has 10000000000 elements, above the limit of ${MODEL_LIMITS.tensorElements}`),
    );
    const negative = await craft('negative-shape', (j) => (j.weightsManifest[0].weights[0].shape = [-1, 12]));
    expect(await loadError(negative)).toMatch(/weights\[0\] \(.*\)\.shape is \[-1,12\], expected a list of non-negative integers/);
    const { dir: longMeta, model } = await saved('huge-seqstep');
    model.dispose();
    writeFileSync(join(longMeta, 'anomalyd.json'), JSON.stringify(metadata(MODEL_LIMITS.seqStep + 1, 2)));
    expect(await loadError(longMeta)).toBe(`${join(longMeta, 'anomalyd.json')}: seqStep is ${MODEL_LIMITS.seqStep + 1}, above the limit of ${MODEL_LIMITS.seqStep}`);
  });
});
