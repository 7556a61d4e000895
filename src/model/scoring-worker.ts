import { parentPort, workerData } from 'node:worker_threads';
import { selectBackend, type BackendName } from './backend.js';
import { loadScoringModel, type ForwardRoute } from './scorer.js';
import type { ScoringModel } from './types.js';

/** Worker side of worker-scorer.ts: one model, scored on request. */
export interface ScoringWorkerData {
  name: string;
  dir: string;
  backend: BackendName;
  /** Forward routes to try, fastest first (default: all, see chooseForward). */
  routes?: ForwardRoute[];
}

export type ScoringWorkerRequest = { id: number; windows: Float32Array; n: number };
export type ScoringWorkerReply =
  | { id: number; mse: Float32Array; stepErrors: Float32Array; reconstruction: Float32Array }
  | { id: number; error: string }
  | { ready: true; route: ScoringModel['route']; declined: ScoringModel['declined'] }
  | { failed: string };

const port = parentPort!;
const { name, dir, backend, routes } = workerData as ScoringWorkerData;
let model: ScoringModel;
try {
  await selectBackend(backend);
  model = await loadScoringModel(name, dir, routes);
  port.postMessage({ ready: true, route: model.route, declined: model.declined } satisfies ScoringWorkerReply);
} catch (err) {
  port.postMessage({ failed: (err as Error).message } satisfies ScoringWorkerReply);
  process.exit(1);
}

port.on('message', (req: ScoringWorkerRequest) => {
  model.score(req.windows, req.n).then(
    (out) => {
      const transfer = [out.mse.buffer, out.stepErrors.buffer, out.reconstruction.buffer].filter((b, i, all) => all.indexOf(b) === i) as ArrayBuffer[];
      port.postMessage({ id: req.id, ...out } satisfies ScoringWorkerReply, transfer);
    },
    (err: Error) => port.postMessage({ id: req.id, error: err.message } satisfies ScoringWorkerReply),
  );
});
