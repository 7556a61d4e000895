import { Worker } from 'node:worker_threads';
import type { Logger } from '../../log.js';
import type { BackendName } from '../backend.js';
import { loadMetadata } from '../store.js';
import type { ForwardRoute } from '../scorer.js';
import type { BatchScores, ModelMetadata, ScoringModel } from '../types.js';
import type { ScoringWorkerData, ScoringWorkerReply, ScoringWorkerRequest } from './protocol.js';

export interface ScoringWorkerOptions {
  /** No answer for this long while batches are out means the thread hangs: it is restarted. */
  timeoutMs: number;
  /** Restarts one batch may cause (crash or timeout) before its score() rejects. */
  maxRetries: number;
  log?: Logger;
  onRestart?: (cause: RestartCause, detail: string) => void;
  /** Forward routes to try, fastest first (default: all, see chooseForward). */
  routes?: ForwardRoute[];
}

export type RestartCause = 'crash' | 'timeout';

/** A ScoringModel whose inference runs in a supervised worker thread. */
export interface WorkerScoringModel extends ScoringModel {
  /** False while the thread restarts (or after it could not be restarted). */
  readonly healthy: boolean;
  /** The current thread, for tests that need to kill it. */
  readonly thread: Worker | undefined;
}

interface Job {
  id: number;
  /** Kept (a copy is transferred on each attempt) so the batch can be sent again to a restarted thread. */
  windows: Float32Array;
  n: number;
  attempts: number;
  resolve: (s: BatchScores) => void;
  reject: (e: Error) => void;
}

/**
 * Loads the model directory `dir` in a worker thread and scores there, so inference runs on its
 * own core while the main thread keeps fetching, decoding and windowing. Same scores as
 * loadScoringModel: the thread runs exactly that on the same backend.
 *
 * Supervised: a thread that dies, or answers nothing for `timeoutMs` while batches are out, is
 * replaced by a new one and its unanswered batches are sent again, in order; a batch that has
 * already caused `maxRetries` restarts is rejected instead, so a poison batch cannot loop forever.
 */
export async function loadWorkerScoringModel(name: string, dir: string, backend: BackendName, opts: ScoringWorkerOptions): Promise<WorkerScoringModel> {
  const meta = await loadMetadata(dir);
  const supervisor = new Supervisor(name, dir, backend, meta, opts);
  await supervisor.start();
  return supervisor;
}

class Supervisor implements WorkerScoringModel {
  private worker: Worker | undefined;
  private generation = -1;
  private state: 'starting' | 'ready' | 'failed' | 'disposed' = 'starting';
  private failure: Error | undefined;
  /** Unanswered batches in the order they were submitted. */
  private readonly jobs = new Map<number, Job>();
  private nextId = 0;
  private watchdog: NodeJS.Timeout | undefined;
  private readonly perWindow: number;
  /** The forward route the thread's model runs, and why it declined faster ones. */
  route: ScoringModel['route'];
  declined: ScoringModel['declined'];

  constructor(
    readonly name: string,
    readonly dir: string,
    private readonly backend: BackendName,
    readonly meta: ModelMetadata,
    private readonly opts: ScoringWorkerOptions,
  ) {
    this.perWindow = meta.seqStep * meta.features;
  }

  get healthy(): boolean {
    return this.state === 'ready';
  }

  get thread(): Worker | undefined {
    return this.worker;
  }

  async start(): Promise<void> {
    await this.spawn();
    this.state = 'ready';
  }

  score(windows: Float32Array, n: number): Promise<BatchScores> {
    if (this.state === 'disposed') return Promise.reject(new Error(`model "${this.name}" was disposed`));
    if (this.failure) return Promise.reject(this.failure);
    if (!Number.isInteger(n) || n < 0 || windows.length < n * this.perWindow) {
      return Promise.reject(new Error(`model "${this.name}": ${windows.length} values cannot hold ${n} window(s) of ${this.meta.seqStep}×${this.meta.features}`));
    }
    return new Promise<BatchScores>((resolve, reject) => {
      const job: Job = { id: this.nextId++, windows: windows.slice(0, n * this.perWindow), n, attempts: 0, resolve, reject };
      this.jobs.set(job.id, job);
      if (this.state === 'ready') this.send(job);
    });
  }

  dispose(): void {
    if (this.state === 'disposed') return;
    this.state = 'disposed';
    clearTimeout(this.watchdog);
    this.rejectAll(new Error(`model "${this.name}" was disposed`));
    void this.worker?.terminate();
  }

  private spawn(): Promise<void> {
    const workerData = {
      name: this.name,
      dir: this.dir,
      backend: this.backend,
      generation: ++this.generation,
      ...(this.opts.routes ? { routes: this.opts.routes } : {}),
    } satisfies ScoringWorkerData;
    // From TypeScript sources (tests) the thread registers tsx, then imports its .ts entry.
    const worker = import.meta.url.endsWith('.ts')
      ? new Worker(`import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(new URL('./thread.ts', import.meta.url).href)}); });`, { eval: true, workerData })
      : new Worker(new URL('./thread.js', import.meta.url), { workerData });
    this.worker = worker;
    return new Promise<void>((resolve, reject) => {
      let loaded = false;
      worker.on('message', (m: ScoringWorkerReply) => {
        if (worker !== this.worker) return;
        if ('ready' in m) {
          loaded = true;
          this.route = m.route;
          this.declined = m.declined;
          // Referenced only while a batch is out: an idle scoring thread must not keep the process alive.
          worker.unref();
          resolve();
        } else if ('failed' in m) reject(new Error(m.failed));
        else this.answer(m);
      });
      worker.on('error', (err) => {
        if (!loaded) reject(err);
        else this.lost(worker, 'crash', err.message);
      });
      worker.on('exit', (code) => {
        if (!loaded) reject(new Error(`scoring worker exited (code ${code}) while loading`));
        else this.lost(worker, 'crash', `exited with code ${code}`);
      });
    });
  }

  private send(job: Job): void {
    const worker = this.worker!;
    worker.ref();
    const copy = job.windows.slice();
    worker.postMessage({ id: job.id, windows: copy, n: job.n } satisfies ScoringWorkerRequest, [copy.buffer as ArrayBuffer]);
    this.watchdog ??= this.arm();
  }

  /** One timer for the thread, not one per batch: batches queue behind each other, so "no answer for timeoutMs" is what says hung. */
  private arm(): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.watchdog = undefined;
      if (this.state === 'ready' && this.jobs.size > 0) this.restart('timeout', `no answer for ${this.opts.timeoutMs} ms with ${this.jobs.size} batch(es) out`);
    }, this.opts.timeoutMs);
    timer.unref();
    return timer;
  }

  private answer(m: Extract<ScoringWorkerReply, { id: number }>): void {
    const job = this.jobs.get(m.id);
    if (!job) return;
    this.jobs.delete(m.id);
    clearTimeout(this.watchdog);
    this.watchdog = this.jobs.size > 0 ? this.arm() : undefined;
    if (this.jobs.size === 0) this.worker?.unref();
    if ('error' in m) job.reject(new Error(`model "${this.name}": ${m.error}`));
    else job.resolve({ mse: m.mse, stepErrors: m.stepErrors, reconstruction: m.reconstruction });
  }

  private lost(worker: Worker, cause: RestartCause, detail: string): void {
    // 'error' is followed by 'exit', and a thread terminated for a timeout exits too: one restart each.
    if (worker !== this.worker || this.state !== 'ready') return;
    this.restart(cause, detail);
  }

  private restart(cause: RestartCause, detail: string): void {
    this.state = 'starting';
    clearTimeout(this.watchdog);
    this.watchdog = undefined;
    const old = this.worker;
    this.worker = undefined;
    void old?.terminate();
    for (const job of [...this.jobs.values()]) {
      if (++job.attempts > this.opts.maxRetries) {
        this.jobs.delete(job.id);
        job.reject(new Error(`model "${this.name}": scoring worker ${cause === 'crash' ? 'crashed' : 'timed out'} on this batch ${job.attempts} time(s) (${detail})`));
      }
    }
    this.opts.log?.error({ model: this.name, cause, detail, retrying: this.jobs.size }, 'scoring worker lost; restarting it');
    this.opts.onRestart?.(cause, detail);
    this.spawn().then(
      () => {
        if (this.state === 'disposed') return void this.worker?.terminate();
        this.state = 'ready';
        this.opts.log?.info({ model: this.name, generation: this.generation, resending: this.jobs.size }, 'scoring worker restarted');
        for (const job of this.jobs.values()) this.send(job);
      },
      (err: Error) => {
        if (this.state === 'disposed') return;
        this.state = 'failed';
        this.failure = new Error(`model "${this.name}": scoring worker could not be restarted: ${err.message}`);
        this.rejectAll(this.failure);
      },
    );
  }

  private rejectAll(err: Error): void {
    for (const job of this.jobs.values()) job.reject(err);
    this.jobs.clear();
  }
}
