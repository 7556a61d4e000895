import type { Command } from 'commander';
import { modelDirectoryIssues } from '../../config/check-models.js';
import { ConfigError, loadConfig } from '../../config/load.js';

export function register(program: Command): void {
  program
    .command('validate')
    .description('check a configuration file and the model directories it names; exit 0, or print every problem and exit 2')
    .option('-c, --config <file>', 'configuration file', 'config/anomalyd.yaml')
    .action(async (opts: { config: string }) => {
      try {
        const loaded = loadConfig(opts.config);
        const issues = await modelDirectoryIssues(loaded);
        if (issues.length > 0) throw new ConfigError(opts.config, issues);
        const { config } = loaded;
        console.log(
          `${opts.config}: ok (${Object.keys(config.models).length} model(s), ${config.streams.length} stream rule(s), input ${config.input.topics.join(', ')})`,
        );
      } catch (err) {
        if (err instanceof ConfigError) {
          console.error(err.message);
          process.exitCode = 2;
          return;
        }
        throw err;
      }
    });
}
