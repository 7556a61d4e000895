import type { Command } from 'commander';
import { basename } from 'node:path';
import { readSeries, SeriesReadError, type Series } from '../data/index.js';
import { logger } from '../log.js';
import { BackendUnavailableError, type BackendPreference } from '../model/backend.js';
import { loadPipelineModels } from '../pipeline/load-models.js';
import { defaultPolicy, episodesOf, replaySeries, type ReplayResult } from '../pipeline/replay.js';
import type { PipelineModel } from '../pipeline/scoring-model.js';
import { writeScoreChart } from '../plot/score-chart.js';
import { configSchema } from '../config/schema.js';
import { UsageError } from './errors.js';
import { parsePositiveInt, parsePositiveNumber } from './options.js';

/** The options of every command that runs a file through the pipeline (replay, evaluate). */
export interface FileReplayOptions {
  model?: string;
  config?: string;
  input: string;
  threshold?: number;
  openAfter: number;
  resolveAfter: number;
  columns?: string;
  stream?: string;
  backend?: BackendPreference;
  plot?: string;
}

export function withFileReplayOptions(command: Command, inputHelp: string, plotHelp: string): Command {
  return command
    .option('-m, --model <dir>', 'model directory (model.json, weights, anomalyd.json): replay one series file as one stream')
    .option('-c, --config <file>', "configuration file: replay an events file of many streams through the daemon's stream rules and models")
    .requiredOption('-i, --input <file>', inputHelp)
    .option('--threshold <x>', "override the model's calibrated threshold", parsePositiveNumber)
    .option('--open-after <n>', 'consecutive anomalous windows before an alert opens', parsePositiveInt, defaultPolicy.openAfter)
    .option('--resolve-after <n>', 'consecutive normal windows before it resolves', parsePositiveInt, defaultPolicy.resolveAfter)
    .option('--columns <a,b>', 'value columns to use (default: every numeric column except timestamp and label)')
    .option('--stream <id>', 'stream id to give the series (default: the file name)')
    .option('--backend <name>', `auto | tensorflow | wasm | cpu (default: the configuration's inference.backend, else ${DEFAULT_BACKEND})`)
    .option('--plot <file>', plotHelp);
}

const DEFAULT_BACKEND = configSchema.shape.inference.parse(undefined).backend;

/** Options that shape a one-file replay; with --config the configuration's stream rules decide them instead. */
const MODEL_ONLY = ['threshold', 'openAfter', 'resolveAfter', 'columns', 'stream'] as const;

/**
 * Which replay the options ask for: `model` (one series file, one stream) or `config` (an events file through a
 * configuration). Options that belong to the other one are refused by name rather than silently ignored.
 */
export function replayMode(command: Command, opts: { model?: string; config?: string }, modelOnly: readonly string[] = []): 'model' | 'config' {
  if (opts.model !== undefined && opts.config !== undefined) {
    throw new UsageError('--model and --config are alternatives: --model DIR replays one series file as one stream, --config FILE replays an events file of many streams through that configuration');
  }
  if (opts.model === undefined && opts.config === undefined) {
    throw new UsageError('needs --model DIR (one series file as one stream) or --config FILE (an events file of many streams through that configuration)');
  }
  if (opts.config === undefined) return 'model';
  const flag = (name: string) => `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  const given = [...MODEL_ONLY, ...modelOnly].filter((name) => command.getOptionValueSource(name) === 'cli');
  if (given.length > 0) throw new UsageError(`${given.map(flag).join(', ')}: only with --model; with --config the stream rules of ${opts.config} decide`);
  return 'config';
}

/** Reads the input file; a file that cannot be read as a series is the user's to fix. */
export async function readInput(opts: Pick<FileReplayOptions, 'input' | 'columns'>): Promise<Series> {
  try {
    return await readSeries(opts.input, { columns: opts.columns?.split(',') });
  } catch (err) {
    if (err instanceof SeriesReadError) throw new UsageError(err.message);
    throw err;
  }
}

export interface FileReplay {
  model: PipelineModel;
  result: ReplayResult;
  episodes: ReturnType<typeof episodesOf>;
}

/** Loads the model and replays the series through the daemon's pipeline as one stream. */
export async function replayFile(opts: FileReplayOptions, series: Series): Promise<FileReplay> {
  const log = logger();
  let model: PipelineModel;
  try {
    const dir = opts.model!;
    model = [...(await loadPipelineModels({ [basename(dir)]: dir }, opts.backend ?? DEFAULT_BACKEND, log)).values()][0];
  } catch (err) {
    if (err instanceof BackendUnavailableError) throw new UsageError(err.message);
    throw err;
  }
  let result: ReplayResult;
  try {
    result = await replaySeries(series, model, {
      stream: opts.stream ?? basename(opts.input),
      threshold: opts.threshold,
      policy: { openAfter: opts.openAfter, resolveAfter: opts.resolveAfter },
    });
  } catch (err) {
    // Shape mismatches (column count, too few rows) name the file and are the user's to fix.
    if (err instanceof Error && err.message.startsWith(`${series.file}:`)) throw new UsageError(err.message);
    throw err;
  }
  for (const r of result.rejected) log.warn({ reason: r.reason, detail: r.detail }, 'row not scored');
  return { model, result, episodes: episodesOf(result.alerts, series.rows.length - 1) };
}

/** Series, score with threshold, alert episodes and (when known) labelled ranges, as PNG or SVG. */
export async function writeReplayChart(
  file: string,
  opts: Pick<FileReplayOptions, 'input'>,
  series: Series,
  { model, result, episodes }: FileReplay,
  subtitle: string,
  labelRanges?: { start: number; end: number }[],
): Promise<void> {
  await writeScoreChart(
    {
      title: `${basename(opts.input)} — model ${model.name}`,
      subtitle,
      timestamps: series.timestamps,
      values: series.rows,
      columns: series.columns,
      scores: result.points.map((p) => p.score),
      threshold: result.threshold,
      episodes,
      labelRanges,
    },
    file,
  );
  logger().info({ file }, 'chart written');
}
