import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import {
  evaluateProfile,
  NabInputError,
  prepareCorpus,
  readProfilesFile,
  readResultsDir,
  readThresholdsFile,
  readWindowsFile,
  toCorpusInputs,
  type ProfileEvaluation,
  type Thresholds,
} from '../../eval/nab/index.js';

/** The `nab` command group; every NAB subcommand attaches to this one instance. */
export function nabCommand(program: Command): Command {
  return (
    program.commands.find((c) => c.name() === 'nab') ??
    program.command('nab').description('Numenta Anomaly Benchmark (NAB v1.1) scoring')
  );
}

interface ScoreOptions {
  results: string;
  windows: string;
  thresholds?: string;
  profiles: string;
  json?: boolean;
}

export interface ProfileReport {
  normalizedScore: number;
  rawScore: number;
  nullScore: number;
  perfectScore: number;
  threshold: number;
  thresholdSource: 'given' | 'optimized';
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  windows: { total: number; scorable: number; detected: number };
}

/** Final NAB scores per detector and profile, as `anomalyd nab score --json` prints them. */
export type ScoreReport = Record<string, Record<string, ProfileReport>>;

export function register(program: Command): void {
  nabCommand(program)
    .command('score')
    .description('score NAB results (<detector>/<category>/<detector>_<file>.csv) per application profile, normalized as NAB does')
    .requiredOption('--results <dir>', 'results directory holding one directory per detector')
    .requiredOption('--windows <file>', 'label windows, e.g. labels/combined_windows.json')
    .requiredOption('--profiles <file>', 'application profiles, e.g. config/profiles.json')
    .option('--thresholds <file>', "thresholds per detector and profile; where none is given, NAB's sweep optimizes it")
    .option('--json', 'print the report as JSON')
    .action((opts: ScoreOptions) => {
      const report = asUsageErrors(() => scoreResults(opts));
      console.log(opts.json ? JSON.stringify(report, null, 2) : formatReport(report));
    });
}

function asUsageErrors<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof NabInputError || err instanceof RangeError) throw new UsageError(err.message);
    throw err;
  }
}

function scoreResults(opts: ScoreOptions): ScoreReport {
  const windows = readWindowsFile(opts.windows);
  const profiles = readProfilesFile(opts.profiles);
  const thresholds: Thresholds = opts.thresholds ? readThresholdsFile(opts.thresholds) : {};
  const report: ScoreReport = {};
  for (const results of readResultsDir(opts.results)) {
    const corpus = prepareCorpus(toCorpusInputs(results, windows, opts.windows));
    report[results.detector] = {};
    for (const [profile, costMatrix] of Object.entries(profiles)) {
      const given = thresholds[results.detector]?.[profile];
      report[results.detector][profile] = toReport(evaluateProfile(corpus, costMatrix, given));
    }
  }
  return report;
}

function toReport(e: ProfileEvaluation): ProfileReport {
  const { tp, fp, tn, fn, windows } = e.result;
  return {
    normalizedScore: e.normalizedScore,
    rawScore: e.rawScore,
    nullScore: e.nullScore,
    perfectScore: e.perfectScore,
    threshold: e.threshold,
    thresholdSource: e.thresholdSource,
    tp,
    fp,
    tn,
    fn,
    windows,
  };
}

function formatReport(report: ScoreReport): string {
  const detectors = Object.keys(report);
  const profiles = Object.keys(report[detectors[0]] ?? {});
  const table = (title: string, cell: (r: ProfileReport) => string): string[] => {
    const rows = [[title, ...profiles], ...detectors.map((d) => [d, ...profiles.map((p) => cell(report[d][p]))])];
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
    return rows.map((r) => r.map((v, c) => (c === 0 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join('  '));
  };
  return [
    ...table('NAB score (null 0, perfect 100)', (r) => r.normalizedScore.toFixed(2)),
    '',
    ...table('threshold', (r) => `${formatThreshold(r.threshold)}${r.thresholdSource === 'optimized' ? ' (optimized)' : ''}`),
    '',
    ...table('windows detected', (r) => `${r.windows.detected}/${r.windows.scorable}`),
  ].join('\n');
}

function formatThreshold(t: number): string {
  return Number.isFinite(t) ? String(Number(t.toPrecision(6))) : 'none';
}
