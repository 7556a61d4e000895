import * as tf from '@tensorflow/tfjs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inspectModelDir, METADATA_JSON, MODEL_JSON, ModelStoreError, WEIGHTS_BIN } from './model-dir.js';
import type { ModelMetadata } from './types.js';

export { loadMetadata, ModelStoreError, METADATA_JSON, MODEL_JSON, WEIGHTS_BIN } from './model-dir.js';

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

/**
 * Loads a model directory: a standard tfjs LayersModel (model.json + weight shards, as written by
 * saveModel or by tensorflowjs_converter from Keras) plus anomalyd.json. inspectModelDir checks
 * sizes and weight paths first; then the weight files must hold exactly the bytes the manifest
 * describes and the metadata must match the model's shape.
 */
export async function loadModel(dir: string): Promise<{ model: tf.LayersModel; meta: ModelMetadata }> {
  const { json, meta, modelFile, weightFiles, weightBytes } = await inspectModelDir(dir);

  let model: tf.LayersModel;
  try {
    const artifacts = await tf.io.getModelArtifactsForJSON(json, async (manifest) => {
      const specs: tf.io.WeightsManifestEntry[] = [];
      const buffers: ArrayBuffer[] = [];
      for (const [g, group] of manifest.entries()) {
        const parts: Uint8Array[] = [];
        for (const file of weightFiles[g]) {
          try {
            parts.push(await readFile(file));
          } catch {
            throw new ModelStoreError(`${file}: weights file named in ${MODEL_JSON} is missing or unreadable`);
          }
        }
        const actual = parts.reduce((sum, b) => sum + b.byteLength, 0);
        if (actual !== weightBytes[g]) {
          throw new ModelStoreError(
            `${join(dir, group.paths.join(', '))}: weights size mismatch: ${actual} bytes on disk, ${MODEL_JSON} describes ${weightBytes[g]}`,
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
