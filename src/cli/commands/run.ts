import { Option, type Command } from 'commander';
import { ConfigError, loadConfig } from '../../config/load.js';
import { Daemon } from '../../daemon/daemon.js';
import { superviseWorkers } from '../../daemon/supervisor.js';
import { KafkaUnrecoverableError } from '../../kafka/unrecoverable.js';
import { createLogger, setLogger } from '../../log.js';
import { loadPipelineModels } from '../../pipeline/load-models.js';
import { parsePositiveInt } from '../options.js';

interface RunOptions {
  config: string;
  workers: number;
  /** Set by the supervisor on each member it starts. */
  workerIndex?: number;
}

export function register(program: Command): void {
  program
    .command('run')
    .description('run the daemon: consume metric events from Kafka, publish alerts and serve metrics')
    .option('-c, --config <file>', 'configuration file', 'config/anomalyd.yaml')
    .option('-w, --workers <n>', 'consumer-group members on this host, one process each (metrics on metrics.port + i)', parsePositiveInt, 1)
    .addOption(new Option('--worker-index <i>').argParser((v) => Number(v)).hideHelp())
    .action(async (opts: RunOptions) => {
      let loaded;
      try {
        loaded = loadConfig(opts.config);
      } catch (err) {
        if (err instanceof ConfigError) {
          console.error(err.message);
          process.exit(2);
        }
        throw err;
      }
      const member = opts.workerIndex;
      const base = createLogger(loaded.config.logging.level);
      if (opts.workers > 1 && member === undefined) {
        base.info({ workers: opts.workers, config: loaded.file }, `starting ${opts.workers} workers in consumer group ${loaded.config.kafka.groupId}`);
        const args = ['run', '--config', opts.config];
        process.exit(await superviseWorkers({ workers: opts.workers, script: process.argv[1], args, log: base }));
      }
      const log = member === undefined ? base : base.child({ worker: member });
      setLogger(log);
      // Whatever escapes every handler leaves the daemon in an unknown state: say what, and exit non-zero
      // (uncommitted events are read again on the next start).
      const fatal = (kind: string) => (err: unknown) => {
        log.fatal({ err }, `${kind}; exiting`);
        log.flush(() => process.exit(1));
        setTimeout(() => process.exit(1), 2000).unref();
      };
      process.on('unhandledRejection', fatal('unhandled promise rejection'));
      process.on('uncaughtException', fatal('uncaught exception'));
      // Each member serves its own metrics; port 0 (any free port) stays 0.
      if (member !== undefined && loaded.config.metrics.port !== 0) loaded.config.metrics.port += member;
      let daemon: Daemon | undefined;
      const { timeoutMs, maxRetries } = loaded.config.inference;
      const models = await loadPipelineModels(loaded.modelDirs, loaded.config.inference.backend, log, {
        thread: 'worker',
        worker: (model) => ({ timeoutMs, maxRetries, log, onRestart: (cause) => daemon?.metrics.observeWorkerRestart(model, cause) }),
      });
      daemon = new Daemon({ loaded, models, log });
      void daemon.exited.then((code) => process.exit(code));
      let signals = 0;
      const onSignal = (signal: NodeJS.Signals) => {
        if (++signals > 1) {
          log.warn({ signal }, 'second signal: exiting now; uncommitted events will be read again');
          process.exit(1);
        }
        void daemon!.stop(signal);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      // A member whose supervisor is gone (its IPC channel closed) stops as on SIGTERM.
      if (member !== undefined) process.on('disconnect', () => onSignal('SIGTERM'));
      try {
        await daemon.start();
      } catch (err) {
        if (!(err instanceof KafkaUnrecoverableError)) throw err;
        // Named cause and hint in one line, so the reason is the last thing an operator reads.
        log.fatal({ cause: err.diagnosis.cause, detail: err.diagnosis.detail, hint: err.diagnosis.hint }, `Kafka connection refused: ${err.diagnosis.cause}; not retrying`);
        await daemon.stop('unrecoverable Kafka error');
        process.exit(1);
      }
    });
}
