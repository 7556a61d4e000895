import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UsageError } from './errors.js';
import { register as validate } from './commands/validate.js';
import { register as kafkaLocal } from './commands/kafka-local.js';

const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8')) as {
  version: string;
};

const program = new Command('anomalyd')
  .description('Streaming time-series anomaly detection: Kafka in, autoencoder scores, alerts and metrics out.')
  .version(pkg.version)
  .showHelpAfterError()
  .exitOverride();

// One module per command, each registering itself.
for (const register of [validate, kafkaLocal]) register(program);

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
