import { Worker } from 'node:worker_threads';
import type { BackendName } from './backend.js';
import type { ScoringWorkerData, ScoringWorkerReply, ScoringWorkerRequest } from './scoring-worker.js';
import { loadMetadata } from './store.js';
import type { ForwardRoute } from './scorer.js';
import type { BatchScores, ScoringModel } from './types.js';

/**
 * Loads the model directory `dir` in a worker thread and scores there, so inference runs on its
 * own core while the main thread keeps fetching, decoding and windowing. Same scores as
 * loadScoringModel: the worker runs exactly that on the same backend.
 */
export async function loadWorkerScoringModel(name: string, dir: string, backend: BackendName, routes?: ForwardRoute[]): Promise<ScoringModel> {
  const meta = await loadMetadata(dir);
  const perWindow = meta.seqStep * meta.features;
  const workerData = { name, dir, backend, ...(routes ? { routes } : {}) } satisfies ScoringWorkerData;
  // From TypeScript sources (tests) the worker registers tsx, then imports its .ts entry.
  const worker = import.meta.url.endsWith('.ts')
    ? new Worker(`import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(new URL('./scoring-worker.ts', import.meta.url).href)}); });`, { eval: true, workerData })
    : new Worker(new URL('./scoring-worker.js', import.meta.url), { workerData });
  const pending = new Map<number, { resolve: (s: BatchScores) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  let failure: Error | undefined;
  const failAll = (err: Error) => {
    failure ??= err;
    for (const p of pending.values()) p.reject(failure);
    pending.clear();
  };

  let loaded: { resolve: (r: Pick<ScoringModel, 'route' | 'declined'>) => void; reject: (e: Error) => void } | undefined;
  const ready = new Promise<Pick<ScoringModel, 'route' | 'declined'>>((resolve, reject) => (loaded = { resolve, reject }));
  worker.on('message', (m: ScoringWorkerReply) => {
    if ('ready' in m) return loaded?.resolve({ route: m.route, declined: m.declined });
    if ('failed' in m) return loaded?.reject(new Error(m.failed));
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (pending.size === 0) worker.unref();
    if ('error' in m) p.reject(new Error(m.error));
    else p.resolve({ mse: m.mse, stepErrors: m.stepErrors, reconstruction: m.reconstruction });
  });
  worker.on('error', (err) => {
    loaded?.reject(err);
    failAll(new Error(`model "${name}": scoring worker failed: ${err.message}`));
  });
  worker.on('exit', (code) => {
    loaded?.reject(new Error(`model "${name}": scoring worker exited (code ${code}) while loading`));
    failAll(new Error(`model "${name}": scoring worker exited (code ${code})`));
  });
  const { route, declined } = await ready;
  loaded = undefined;
  // Referenced only while a batch is out: an idle scoring worker must not keep the process alive.
  worker.unref();

  let disposed = false;
  return {
    name,
    dir,
    meta,
    route,
    declined,
    score(windows: Float32Array, n: number): Promise<BatchScores> {
      if (disposed) return Promise.reject(new Error(`model "${name}" was disposed`));
      if (failure) return Promise.reject(failure);
      if (!Number.isInteger(n) || n < 0 || windows.length < n * perWindow) {
        return Promise.reject(new Error(`model "${name}": ${windows.length} values cannot hold ${n} window(s) of ${meta.seqStep}×${meta.features}`));
      }
      const id = nextId++;
      // A copy is transferred, so the caller keeps its buffer.
      const copy = windows.slice(0, n * perWindow);
      return new Promise<BatchScores>((resolve, reject) => {
        if (pending.size === 0) worker.ref();
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, windows: copy, n } satisfies ScoringWorkerRequest, [copy.buffer as ArrayBuffer]);
      });
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      void worker.terminate();
    },
  };
}
