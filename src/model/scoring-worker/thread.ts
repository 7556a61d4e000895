import { parentPort, workerData } from 'node:worker_threads';
import { selectBackend } from '../backend.js';
import { loadScoringModel } from '../scorer.js';
import type { ScoringModel } from '../types.js';
import { FAULT_ENV, type ScoringWorkerData, type ScoringWorkerReply, type ScoringWorkerRequest } from './protocol.js';

/** The thread side of a scoring worker (supervisor.ts is the main-thread side): one model, scored on request. */
const port = parentPort!;
const { name, dir, backend, generation, routes } = workerData as ScoringWorkerData;
let model: ScoringModel;
try {
  await selectBackend(backend);
  model = await loadScoringModel(name, dir, routes);
  port.postMessage({ ready: true, route: model.route, declined: model.declined } satisfies ScoringWorkerReply);
} catch (err) {
  port.postMessage({ failed: (err as Error).message } satisfies ScoringWorkerReply);
  process.exit(1);
}

const fault = /^(crash|hang)@(\d+)(:always)?$/.exec(process.env[FAULT_ENV] ?? '');
let requests = 0;

port.on('message', (req: ScoringWorkerRequest) => {
  requests++;
  if (fault && requests === Number(fault[2]) && (generation === 0 || fault[3] !== undefined)) {
    if (fault[1] === 'crash') process.exit(70);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  }
  model.score(req.windows, req.n).then(
    (out) => {
      const transfer = [out.mse.buffer, out.stepErrors.buffer, out.reconstruction.buffer].filter((b, i, all) => all.indexOf(b) === i) as ArrayBuffer[];
      port.postMessage({ id: req.id, ...out } satisfies ScoringWorkerReply, transfer);
    },
    (err: Error) => port.postMessage({ id: req.id, error: err.message } satisfies ScoringWorkerReply),
  );
});
