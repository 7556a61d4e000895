import { fork, type ChildProcess } from 'node:child_process';
import type { Logger } from '../log.js';

/** What `anomalyd run --workers N` needs to start its members. */
export interface SupervisorOptions {
  /** Members to run, ≥ 2. */
  workers: number;
  /** The CLI script and the arguments of `anomalyd run` each member gets (without --worker-index). */
  script: string;
  args: string[];
  log: Logger;
}

/**
 * Runs `workers` full daemons (`anomalyd run --worker-index i`) as child processes of this one. They
 * share the configuration and so the consumer group: Kafka's group protocol splits the partitions
 * among them (and hands them over on a rebalance) exactly as it does between hosts; nothing is
 * shared in memory. Each member serves its own metrics on `metrics.port + i`.
 *
 * - SIGTERM / SIGINT to this process goes to every member (a second one too, which makes the
 *   members exit at once); this process exits when all have, with 0 only if all exited 0.
 * - A member that exits on its own (a crash, an unrecoverable error) stops the others and this process
 *   exits 1: the host's capacity is one unit, and the service manager restarts it whole.
 * - Members are started detached from the terminal's process group (a Ctrl-C reaches them once,
 *   through this process) and stop by themselves if this process disappears (their IPC channel closes).
 *
 * Resolves with the exit code.
 */
export function superviseWorkers(opts: SupervisorOptions): Promise<number> {
  const { log } = opts;
  const members: { index: number; child: ChildProcess; exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> }[] = [];
  let stopping: NodeJS.Signals | null = null;
  let failed = false;

  const stopAll = (signal: NodeJS.Signals) => {
    for (const m of members) if (m.child.exitCode === null && m.child.signalCode === null) m.child.kill(signal);
  };

  for (let index = 0; index < opts.workers; index++) {
    const child = fork(opts.script, [...opts.args, '--worker-index', String(index), '--workers', String(opts.workers)], {
      detached: true,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: process.execArgv,
    });
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    members.push({ index, child, exit });
    void exit.then(({ code, signal }) => {
      if (stopping) {
        log.info({ worker: index, code, signal }, 'worker stopped');
        return;
      }
      failed = true;
      stopping = 'SIGTERM';
      log.error({ worker: index, pid: child.pid, code, signal }, 'worker exited unexpectedly; stopping the others, exiting 1 (let the service manager restart anomalyd)');
      stopAll('SIGTERM');
    });
    log.info({ worker: index, pid: child.pid }, 'worker started');
  }

  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) log.warn({ signal }, 'second signal: passing it on, workers exit now');
    else log.info({ signal, workers: opts.workers }, 'stopping workers');
    stopping = signal;
    stopAll(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  return Promise.all(members.map((m) => m.exit)).then((exits) => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (failed) return 1;
    return exits.every((e) => e.code === 0) ? 0 : 1;
  });
}
