import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { labelRanges } from '../../eval/evaluate.js';
import { logger } from '../../log.js';
import { pointsToCsv } from '../../pipeline/replay.js';
import { readInput, replayFile, withFileReplayOptions, writeReplayChart, type FileReplayOptions } from '../file-replay.js';

interface ReplayCliOptions extends FileReplayOptions {
  out?: string;
  alerts?: string;
}

export function register(program: Command): void {
  withFileReplayOptions(
    program.command('replay').description('run a file through the scoring pipeline: per-row scores and the alerts the daemon would raise'),
    'CSV (one value per line, or a header with named columns) or NDJSON',
    'write a chart of values, scores and alert episodes',
  )
    .option('-o, --out <file>', 'write per-row scores as CSV')
    .option('-a, --alerts <file>', 'write alerts as NDJSON (default: print them to stdout)')
    .action(async (opts: ReplayCliOptions) => {
      const series = await readInput(opts);
      const replay = await replayFile(opts, series);
      const { result, episodes } = replay;
      if (opts.out) writeFileSync(opts.out, pointsToCsv(result.points, series.columns));
      const ndjson = result.alerts.map((a) => JSON.stringify(a)).join('\n') + (result.alerts.length ? '\n' : '');
      if (opts.alerts) writeFileSync(opts.alerts, ndjson);
      else process.stdout.write(ndjson);
      logger().info(
        {
          rows: series.rows.length,
          windows: result.points.filter((p) => p.score !== null).length,
          threshold: result.threshold,
          episodes: episodes.map((e) => `${e.start}-${e.end}`),
          rejected: result.rejected.length,
        },
        `replayed ${series.rows.length} rows: ${episodes.length} anomaly episode(s)`,
      );
      if (opts.plot) {
        const subtitle = `threshold ${result.threshold.toPrecision(4)} · ${episodes.length} alert episode(s)`;
        await writeReplayChart(opts.plot, opts, series, replay, subtitle, series.labels ? labelRanges(series.labels) : undefined);
      }
    });
}
