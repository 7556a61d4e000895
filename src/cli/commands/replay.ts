import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { labelRanges } from '../../eval/evaluate.js';
import { logger } from '../../log.js';
import { pointsToCsv } from '../../pipeline/replay.js';
import type { Alert } from '../../pipeline/types.js';
import { replayEventsFile } from '../events-replay.js';
import { readInput, replayFile, replayMode, withFileReplayOptions, writeReplayChart, type FileReplayOptions } from '../file-replay.js';
import { UsageError } from '../errors.js';

interface ReplayCliOptions extends FileReplayOptions {
  out?: string;
  scores?: string;
  alerts?: string;
}

export function register(program: Command): void {
  const command = withFileReplayOptions(
    program.command('replay').description('run a file through the scoring pipeline: the scores and the alerts the daemon would raise'),
    'with --model: CSV (one value per line, or a header with named columns) or NDJSON; with --config: NDJSON events, one a line, in time order',
    'with --model: write a chart of values, scores and alert episodes (PNG; SVG when the name ends in .svg)',
  )
    .option('-o, --out <file>', 'with --model: write per-row scores as CSV')
    .option('--scores <file>', 'with --config: write `stream,ts,value,score,threshold,anomalous` per scored window as CSV')
    .option('-a, --alerts <file>', 'write alerts as NDJSON (default: print them to stdout)');
  command.action(async (opts: ReplayCliOptions) => {
    if (replayMode(command, opts, ['out', 'plot']) === 'config') return replayEvents(opts);
    if (opts.scores !== undefined) throw new UsageError('--scores: only with --config (with --model, --out writes the per-row scores)');
    const series = await readInput(opts);
    const replay = await replayFile(opts, series);
    const { result, episodes } = replay;
    if (opts.out) writeFileSync(opts.out, pointsToCsv(result.points, series.columns));
    writeAlerts(result.alerts, opts.alerts);
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

async function replayEvents(opts: ReplayCliOptions): Promise<void> {
  const { result } = await replayEventsFile({ config: opts.config!, input: opts.input, backend: opts.backend, scores: opts.scores });
  writeAlerts(result.alerts, opts.alerts);
}

function writeAlerts(alerts: readonly Alert[], file: string | undefined): void {
  const ndjson = alerts.map((a) => JSON.stringify(a)).join('\n') + (alerts.length ? '\n' : '');
  if (file) writeFileSync(file, ndjson);
  else process.stdout.write(ndjson);
}
