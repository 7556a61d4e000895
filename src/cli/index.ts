import { Command, CommanderError } from 'commander';
import { version } from '../version.js';
import { UsageError } from './errors.js';
import { register as validate } from './commands/validate.js';
import { register as nabScore } from './commands/nab-score.js';
import { register as nabRun } from './commands/nab-run.js';
import { register as kafkaLocal } from './commands/kafka-local.js';
import { register as replay } from './commands/replay.js';
import { register as evaluate } from './commands/evaluate.js';
import { register as run } from './commands/run.js';
import { register as demo } from './commands/demo.js';
import { register as train } from './commands/train.js';


const program = new Command('anomalyd')
  .description('Streaming time-series anomaly detection: Kafka in, autoencoder scores, alerts and metrics out.')
  .version(version)
  .showHelpAfterError()
  .exitOverride();

// One module per command, each registering itself.
for (const register of [validate, run, replay, evaluate, demo, kafkaLocal, nabScore, nabRun, train]) register(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  if (err instanceof UsageError) {
    console.error(`anomalyd: ${err.message}`);
    process.exit(2);
  }
  console.error(`anomalyd: ${err instanceof Error ? err.message : String(err)}`);
  if (process.env.ANOMALYD_DEBUG) console.error(err);
  process.exit(1);
}
