import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { restoreUtilForTfjsNode } from './tfjs-node-compat.js';

export type BackendPreference = 'auto' | 'tensorflow' | 'wasm' | 'cpu';
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

/** What selectBackend needs of a logger (a pino Logger fits). */
export interface BackendLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export class BackendUnavailableError extends Error {
  override name = 'BackendUnavailableError';
}

const require = createRequire(import.meta.url);
// A variable, so the compiler does not try to resolve the optional package's types.
const TFJS_NODE = '@tensorflow/tfjs-node';

let selected: { name: BackendName; reason: string } | null = null;

async function tryTensorflow(): Promise<string | null> {
  // TensorFlow's native library logs informational lines to stderr unless told otherwise.
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
  restoreUtilForTfjsNode();
  try {
    await import(TFJS_NODE);
  } catch (err) {
    return `@tensorflow/tfjs-node did not load: ${firstLine(err)}`;
  }
  // tfjs-node registers its backend with the tfjs-core it imports; if that is a second copy of
  // tfjs-core, our models would never see it.
  if (!tf.findBackendFactory('tensorflow')) {
    return '@tensorflow/tfjs-node loaded a different copy of @tensorflow/tfjs-core (duplicate in node_modules)';
  }
  if (!(await tf.setBackend('tensorflow'))) return 'the tensorflow backend failed to initialise';
  // A binding can load and still fail at its first op (a Node.js API it relies on is gone, a C API
  // symbol is missing): one op now, so `auto` falls back instead of failing at the first batch.
  try {
    const got = tf.tidy(() => tf.square(tf.tensor1d([1, 2, 3])).dataSync());
    if (Array.from(got).join() !== '1,4,9') return `the tensorflow backend computed square([1,2,3]) as ${Array.from(got).join()}`;
  } catch (err) {
    return `the tensorflow backend fails its first op: ${firstLine(err)}`;
  }
  return null;
}

let wasmPathsSet = false;
async function tryWasm(): Promise<string | null> {
  try {
    if (!wasmPathsSet) {
      const dist = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
      setWasmPaths(dist + '/');
      wasmPathsSet = true;
    }
    return (await tf.setBackend('wasm')) ? null : 'the wasm backend failed to initialise';
  } catch (err) {
    return `the wasm backend failed to initialise: ${firstLine(err)}`;
  }
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0];
}

/**
 * Makes the fastest available TensorFlow.js backend active and returns its name:
 * tfjs-node (native TensorFlow) when it loads, else WebAssembly, else plain JS.
 * An explicitly requested backend that is unavailable is an error. Calling it again is cheap.
 */
export async function selectBackend(pref: BackendPreference = 'auto', log?: BackendLog): Promise<BackendName> {
  if (selected && (pref === 'auto' || pref === selected.name)) return selected.name;
  // Production mode skips per-op debug checks and silences tfjs's console banners; we log ourselves.
  tf.enableProdMode();
  const skipped: string[] = [];
  const use = (name: BackendName, reason: string): BackendName => {
    selected = { name, reason };
    log?.info({ backend: name, requested: pref, reason, ...(skipped.length ? { skipped } : {}) }, `tensorflow.js backend: ${name}`);
    return name;
  };

  if (pref === 'tensorflow' || pref === 'auto') {
    const why = await tryTensorflow();
    if (why === null) return use('tensorflow', pref === 'auto' ? 'native TensorFlow binding loaded' : 'requested');
    if (pref === 'tensorflow') throw new BackendUnavailableError(`backend "tensorflow" requested but unavailable: ${why}`);
    skipped.push(`tensorflow: ${why}`);
  }
  if (pref === 'wasm' || pref === 'auto') {
    const why = await tryWasm();
    if (why === null) return use('wasm', pref === 'auto' ? 'WebAssembly backend initialised (no native binding)' : 'requested');
    if (pref === 'wasm') throw new BackendUnavailableError(`backend "wasm" requested but unavailable: ${why}`);
    skipped.push(`wasm: ${why}`);
    log?.warn({ reason: why }, 'wasm backend unavailable, falling back to cpu');
  }
  if (!(await tf.setBackend('cpu'))) throw new BackendUnavailableError('backend "cpu" failed to initialise');
  return use('cpu', pref === 'cpu' ? 'requested' : 'no faster backend available');
}

/** The active backend, or null before selectBackend ran. */
export function activeBackend(): BackendName | null {
  return selected?.name ?? null;
}
