import type { Command } from 'commander';
import { ConfigError, loadConfig } from '../../config/load.js';
import { Daemon } from '../../daemon/daemon.js';
import { KafkaUnrecoverableError } from '../../kafka/unrecoverable.js';
import { createLogger, setLogger } from '../../log.js';
import { loadPipelineModels } from '../../pipeline/load-models.js';

export function register(program: Command): void {
  program
    .command('run')
    .description('run the daemon: consume metric events from Kafka, publish alerts and serve metrics')
    .option('-c, --config <file>', 'configuration file', 'config/anomalyd.yaml')
    .action(async (opts: { config: string }) => {
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
      const log = createLogger(loaded.config.logging.level);
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
