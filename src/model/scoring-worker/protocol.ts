import type { BackendName } from '../backend.js';
import type { ForwardRoute } from '../scorer.js';
import type { ScoringModel } from '../types.js';

/** What a scoring worker thread is started with: one model, its backend, and which incarnation it is. */
export interface ScoringWorkerData {
  name: string;
  dir: string;
  backend: BackendName;
  /** 0 for the first thread of a model, +1 per restart. */
  generation: number;
  /** Forward routes to try, fastest first (default: all, see chooseForward). */
  routes?: ForwardRoute[];
}

export type ScoringWorkerRequest = { id: number; windows: Float32Array; n: number };
export type ScoringWorkerReply =
  | { id: number; mse: Float32Array; stepErrors: Float32Array; reconstruction: Float32Array }
  | { id: number; error: string }
  | { ready: true; route: ScoringModel['route']; declined: ScoringModel['declined'] }
  | { failed: string };

/**
 * Fault injection for tests of the supervisor and the daemon, through the real thread:
 * `crash@N` exits the thread on its Nth request, `hang@N` blocks it for good; `…:always` does so
 * in every restarted thread too, else only in the first.
 */
export const FAULT_ENV = 'ANOMALYD_TEST_SCORING_FAULT';
