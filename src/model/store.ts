import * as tf from '@tensorflow/tfjs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseModelMetadata } from './metadata.js';
import type { ModelMetadata } from './types.js';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';
export const METADATA_JSON = 'anomalyd.json';

/** A model directory that cannot be loaded; the message names the directory or file and why. */
export class ModelStoreError extends Error {
  override name = 'ModelStoreError';
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2, complex64: 8 };

function weightBytes(spec: tf.io.WeightsManifestEntry): number {
  const count = spec.shape.reduce((a, b) => a * b, 1);
  const dtype = spec.quantization?.dtype ?? spec.dtype;
  const size = DTYPE_BYTES[dtype];
  if (size === undefined) throw new Error(`weight "${spec.name}" has unsupported dtype ${dtype}`);
  return count * size;
}

/** Writes model.json + weights.bin (the standard tfjs LayersModel layout) and anomalyd.json into `dir`. */
export async function saveModel(dir: string, model: tf.LayersModel, meta: ModelMetadata): Promise<void> {
  await mkdir(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weightData = artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      const modelJson: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology as object,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
      };
      if (artifacts.trainingConfig) modelJson.trainingConfig = artifacts.trainingConfig;
      await writeFile(join(dir, WEIGHTS_BIN), new Uint8Array(weightData));
      await writeFile(join(dir, MODEL_JSON), JSON.stringify(modelJson));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  await writeFile(join(dir, METADATA_JSON), JSON.stringify(meta, null, 2) + '\n');
}

async function readJson(file: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ModelStoreError(`${file}: ${code === 'ENOENT' ? `missing (every model directory needs ${what})` : (err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ModelStoreError(`${file}: corrupt JSON: ${(err as Error).message}`);
  }
}

/** Reads and validates anomalyd.json in `dir`. */
export async function loadMetadata(dir: string): Promise<ModelMetadata> {
  const file = join(dir, METADATA_JSON);
  const parsed = parseModelMetadata(await readJson(file, 'anomalyd.json metadata'));
  if (!parsed.ok) throw new ModelStoreError(`${file}: invalid metadata:\n  ${parsed.problems.join('\n  ')}`);
  return parsed.meta;
}

/**
 * Loads a model directory: a standard tfjs LayersModel (model.json + weight shards, as written by
 * saveModel or by tensorflowjs_converter from Keras) plus anomalyd.json. Checks that the weight
 * files hold exactly the bytes the manifest describes and that the metadata matches the model's shape.
 */
export async function loadModel(dir: string): Promise<{ model: tf.LayersModel; meta: ModelMetadata }> {
  try {
    if (!(await stat(dir)).isDirectory()) throw new ModelStoreError(`${dir}: not a directory (expected a model directory)`);
  } catch (err) {
    if (err instanceof ModelStoreError) throw err;
    throw new ModelStoreError(`${dir}: model directory does not exist`);
  }
  const modelFile = join(dir, MODEL_JSON);
  const json = (await readJson(modelFile, 'model.json')) as Partial<tf.io.ModelJSON>;
  if (typeof json !== 'object' || json === null || !json.modelTopology) {
    throw new ModelStoreError(`${modelFile}: not a tfjs layers model (no modelTopology)`);
  }
  if (!Array.isArray(json.weightsManifest)) throw new ModelStoreError(`${modelFile}: no weightsManifest`);
  const meta = await loadMetadata(dir);

  let model: tf.LayersModel;
  try {
    const artifacts = await tf.io.getModelArtifactsForJSON(json as tf.io.ModelJSON, async (manifest) => {
      const specs: tf.io.WeightsManifestEntry[] = [];
      const buffers: ArrayBuffer[] = [];
      for (const group of manifest) {
        const expected = group.weights.reduce((sum, w) => sum + weightBytes(w), 0);
        const parts: Uint8Array[] = [];
        for (const p of group.paths) {
          const file = join(dir, p);
          try {
            parts.push(await readFile(file));
          } catch {
            throw new ModelStoreError(`${file}: weights file named in ${MODEL_JSON} is missing or unreadable`);
          }
        }
        const actual = parts.reduce((sum, b) => sum + b.byteLength, 0);
        if (actual !== expected) {
          throw new ModelStoreError(
            `${join(dir, group.paths.join(', '))}: weights size mismatch: ${actual} bytes on disk, ${MODEL_JSON} describes ${expected}`,
          );
        }
        specs.push(...group.weights);
        for (const b of parts) buffers.push(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
      }
      return [specs, tf.io.concatenateArrayBuffers(buffers)];
    });
    model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (err) {
    if (err instanceof ModelStoreError) throw err;
    throw new ModelStoreError(`${modelFile}: cannot build the model: ${(err as Error).message}`);
  }

  const shape = model.inputs[0].shape;
  const outShape = (model.outputs[0].shape ?? []).slice(1);
  const problem =
    shape.length !== 3
      ? `the model's input shape is [${shape.join(', ')}], expected [batch, seqStep, features]`
      : shape[1] !== meta.seqStep || shape[2] !== meta.features
        ? `${METADATA_JSON} says seqStep ${meta.seqStep}, features ${meta.features}, but the model's input is [${shape.slice(1).join(', ')}]`
        : outShape.join(',') !== shape.slice(1).join(',')
          ? `the model's output [${outShape.join(', ')}] does not match its input [${shape.slice(1).join(', ')}]; not an autoencoder`
          : null;
  if (problem) {
    model.dispose();
    throw new ModelStoreError(`${dir}: ${problem}`);
  }
  return { model, meta };
}
