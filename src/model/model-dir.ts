import type * as tf from '@tensorflow/tfjs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import { MODEL_LIMITS } from './limits.js';
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

/** A model directory whose files parse and stay within MODEL_LIMITS; nothing is allocated yet. */
export interface InspectedModelDir {
  dir: string;
  modelFile: string;
  json: tf.io.ModelJSON;
  meta: ModelMetadata;
  /** Per manifest group: the weight files, resolved inside the directory. */
  weightFiles: string[][];
  /** Per manifest group: the bytes its weight specs describe. */
  weightBytes: number[];
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

/** Reads and validates anomalyd.json in `dir`, including the sizes it asks for. */
export async function loadMetadata(dir: string): Promise<ModelMetadata> {
  const file = join(dir, METADATA_JSON);
  const parsed = parseModelMetadata(await readJson(file, 'anomalyd.json metadata'));
  if (!parsed.ok) throw new ModelStoreError(`${file}: invalid metadata:\n  ${parsed.problems.join('\n  ')}`);
  for (const field of ['seqStep', 'features'] as const) {
    if (parsed.meta[field] > MODEL_LIMITS[field]) {
      throw new ModelStoreError(`${file}: ${field} is ${parsed.meta[field]}, above the limit of ${MODEL_LIMITS[field]}`);
    }
  }
  return parsed.meta;
}

const WIDTH_KEYS = new Set(['units', 'n', 'filters', 'output_dim', 'outputDim', 'input_dim', 'inputDim']);
const SHAPE_KEYS = new Set(['batch_input_shape', 'batchInputShape', 'input_shape', 'inputShape', 'batch_shape', 'batchShape', 'target_shape', 'targetShape']);

/** Every layer width and shape anywhere in the topology (nested wrappers and models included). */
function topologyProblems(node: unknown, path: string): string[] {
  if (Array.isArray(node)) return node.flatMap((v, i) => topologyProblems(v, `${path}[${i}]`));
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node).flatMap(([key, value]) => {
    const at = `${path}.${key}`;
    if (WIDTH_KEYS.has(key) && value !== null) {
      return Number.isInteger(value) && (value as number) >= 1 && (value as number) <= MODEL_LIMITS.layerWidth
        ? []
        : [`${at} is ${JSON.stringify(value)}, expected an integer from 1 to ${MODEL_LIMITS.layerWidth}`];
    }
    if (SHAPE_KEYS.has(key) && value !== null) {
      const ok =
        Array.isArray(value) &&
        value.length <= 8 &&
        value.every((d) => d === null || (Number.isInteger(d) && d >= 1 && d <= MODEL_LIMITS.shapeDimension));
      return ok ? [] : [`${at} is ${JSON.stringify(value)}, expected up to 8 dimensions, each null or an integer from 1 to ${MODEL_LIMITS.shapeDimension}`];
    }
    return topologyProblems(value, at);
  });
}

function specBytes(spec: unknown, at: string): number {
  const s = spec as Partial<tf.io.WeightsManifestEntry> | null;
  const name = typeof s?.name === 'string' ? s.name : '?';
  if (!Array.isArray(s?.shape) || !s.shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new Error(`${at} (${name}).shape is ${JSON.stringify(s?.shape)}, expected a list of non-negative integers`);
  }
  const elements = s.shape.reduce((a, b) => a * b, 1);
  if (elements > MODEL_LIMITS.tensorElements) {
    throw new Error(`${at} (${name}).shape [${s.shape.join(', ')}] has ${elements} elements, above the limit of ${MODEL_LIMITS.tensorElements}`);
  }
  const dtype = s.quantization?.dtype ?? s.dtype;
  const size = DTYPE_BYTES[dtype as string];
  if (size === undefined) throw new Error(`${at} (${name}).dtype ${JSON.stringify(dtype)} is not supported`);
  return elements * size;
}

/**
 * A weight path from model.json, resolved inside the model directory: no absolute paths, no `..`,
 * and no symlink that leads out of it (checked on the real path).
 */
async function weightFile(realDir: string, dir: string, path: unknown, at: string): Promise<string> {
  if (typeof path !== 'string' || path === '' || path.includes('\0')) throw new Error(`${at} is ${JSON.stringify(path)}, expected a file name`);
  const segments = path.split(/[\\/]/);
  if (isAbsolute(path) || /^[a-z][a-z0-9+.-]*:/i.test(path) || segments.includes('..')) {
    throw new Error(`${at} is "${path}": weight files must be inside the model directory (no absolute paths, URLs or "..")`);
  }
  const file = join(dir, path);
  let real: string;
  try {
    real = await realpath(file);
  } catch {
    throw new Error(`${file}: weights file named in ${MODEL_JSON} is missing or unreadable (${at})`);
  }
  const rel = relative(realDir, real);
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) {
    throw new Error(`${at} is "${path}", which resolves to ${real}, outside the model directory`);
  }
  return real;
}

/**
 * Reads a model directory's model.json and anomalyd.json and checks them without TensorFlow: the
 * structure, every layer size and weight shape against MODEL_LIMITS, and that every weight file
 * exists inside the directory. What `anomalyd validate` runs, and the first step of loading.
 */
export async function inspectModelDir(dir: string): Promise<InspectedModelDir> {
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
  const problems = topologyProblems(json.modelTopology, 'modelTopology');
  if (problems.length > 0) throw new ModelStoreError(`${modelFile}: ${problems.join('; ')}`);

  const realDir = await realpath(dir);
  const weightFiles: string[][] = [];
  const weightBytes: number[] = [];
  let total = 0;
  try {
    for (const [g, group] of (json.weightsManifest as unknown[]).entries()) {
      const at = `weightsManifest[${g}]`;
      const { paths, weights } = (group ?? {}) as { paths?: unknown; weights?: unknown };
      if (!Array.isArray(paths) || !Array.isArray(weights)) throw new Error(`${at} needs "paths" and "weights" lists`);
      const bytes = weights.reduce((sum: number, spec, i) => sum + specBytes(spec, `${at}.weights[${i}]`), 0);
      total += bytes;
      if (total > MODEL_LIMITS.weightBytes) throw new Error(`${at}: the weights add up to more than the limit of ${MODEL_LIMITS.weightBytes} bytes`);
      const files: string[] = [];
      for (const [i, p] of paths.entries()) files.push(await weightFile(realDir, dir, p, `${at}.paths[${i}]`));
      weightFiles.push(files);
      weightBytes.push(bytes);
    }
  } catch (err) {
    throw new ModelStoreError(`${modelFile}: ${(err as Error).message}`);
  }
  const meta = await loadMetadata(dir);
  return { dir, modelFile, json: json as tf.io.ModelJSON, meta, weightFiles, weightBytes };
}
