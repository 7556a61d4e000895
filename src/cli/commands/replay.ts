import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { readSeries } from '../../data/index.js';
import { labelRanges } from '../../eval/evaluate.js';
import { logger } from '../../log.js';
import type { BackendPreference } from '../../model/backend.js';
import { loadPipelineModels } from '../../pipeline/load-models.js';
import { defaultPolicy, episodesOf, pointsToCsv, replaySeries } from '../../pipeline/replay.js';
import { writeScoreChart } from '../../plot/score-chart.js';
import { parsePositiveInt, parsePositiveNumber } from '../options.js';

interface ReplayCliOptions {
  model: string;
  input: string;
  out?: string;
  alerts?: string;
  threshold?: number;
  openAfter: number;
  resolveAfter: number;
  columns?: string;
  stream?: string;
  backend: BackendPreference;
  plot?: string;
}

export function register(program: Command): void {
  program
    .command('replay')
    .description('run a file through the scoring pipeline: per-row scores and the alerts the daemon would raise')
    .requiredOption('-m, --model <dir>', 'model directory (model.json, weights, anomalyd.json)')
    .requiredOption('-i, --input <file>', 'CSV (one value per line, or a header with named columns) or NDJSON')
    .option('-o, --out <file>', 'write per-row scores as CSV')
    .option('-a, --alerts <file>', 'write alerts as NDJSON (default: print them to stdout)')
    .option('--threshold <x>', "override the model's calibrated threshold", parsePositiveNumber)
    .option('--open-after <n>', 'consecutive anomalous windows before an alert opens', parsePositiveInt, defaultPolicy.openAfter)
    .option('--resolve-after <n>', 'consecutive normal windows before it resolves', parsePositiveInt, defaultPolicy.resolveAfter)
    .option('--columns <a,b>', 'value columns to use (default: every numeric column)')
    .option('--stream <id>', 'stream id to give the series (default: the file name)')
    .option('--backend <name>', 'auto | tensorflow | wasm | cpu', 'auto')
    .option('--plot <file>', 'write a chart of values, scores and alert episodes (PNG; SVG when the name ends in .svg)')
    .action(async (opts: ReplayCliOptions) => {
      const log = logger();
      const series = await readSeries(opts.input, { columns: opts.columns?.split(',') });
      const models = await loadPipelineModels({ [basename(opts.model)]: opts.model }, opts.backend, log);
      const model = [...models.values()][0];
      const result = await replaySeries(series, model, {
        stream: opts.stream ?? basename(opts.input),
        threshold: opts.threshold,
        policy: { openAfter: opts.openAfter, resolveAfter: opts.resolveAfter },
      });
      if (opts.out) writeFileSync(opts.out, pointsToCsv(result.points, series.columns));
      const ndjson = result.alerts.map((a) => JSON.stringify(a)).join('\n') + (result.alerts.length ? '\n' : '');
      if (opts.alerts) writeFileSync(opts.alerts, ndjson);
      else process.stdout.write(ndjson);
      const episodes = episodesOf(result.alerts, series.rows.length - 1);
      const scored = result.points.filter((p) => p.score !== null).length;
      log.info(
        {
          rows: series.rows.length,
          windows: scored,
          threshold: result.threshold,
          episodes: episodes.map((e) => `${e.start}-${e.end}`),
          rejected: result.rejected.length,
        },
        `replayed ${series.rows.length} rows: ${episodes.length} anomaly episode(s)`,
      );
      if (opts.plot) {
        await writeScoreChart(
          {
            title: `${basename(opts.input)} — model ${model.name}`,
            subtitle: `threshold ${result.threshold.toPrecision(4)} · ${episodes.length} alert episode(s)`,
            timestamps: series.timestamps,
            values: series.rows,
            columns: series.columns,
            scores: result.points.map((p) => p.score),
            threshold: result.threshold,
            episodes,
            labelRanges: series.labels ? labelRanges(series.labels) : undefined,
          },
          opts.plot,
        );
        log.info({ file: opts.plot }, 'chart written');
      }
      for (const r of result.rejected) log.warn({ reason: r.reason, detail: r.detail }, 'row not scored');
    });
}
