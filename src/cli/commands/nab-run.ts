import { InvalidArgumentError, Option, type Command } from 'commander';
import path from 'node:path';
import { NAB_RUN_DEFAULTS, runNab, type NabRunReport } from '../../eval/nab-run/index.js';
import type { SeasonalPeriod } from '../../eval/nab-run/defaults.js';
import { NabInputError } from '../../eval/nab/index.js';
import type { BackendPreference } from '../../model/backend.js';
import type { ModelKind, ScalerKind } from '../../model/types.js';
import type { ScoringConfig } from '../../config/schema.js';
import { UsageError } from '../errors.js';
import { nabCommand } from './nab-score.js';

/** The scoring knobs are ScoringConfig's own fields; only the seasonal period may also be "day". */
interface RunCliOptions extends Omit<ScoringConfig, 'seasonalPeriod'> {
  data: string;
  windows: string;
  out: string;
  profiles?: string;
  json?: boolean;
  files?: string;
  plotFile?: string;
  backend: BackendPreference;
  kind: ModelKind;
  seqStep: number;
  units: number;
  epochs: number;
  scaler: ScalerKind;
  seed: number;
  noise: number;
  timeOfDay?: boolean;
  dayOfWeek?: boolean;
  seasonalPeriod: SeasonalPeriod;
}

const count = (min: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected a whole number ≥ ${min}, got "${v}"`);
  return n;
};

const nonNegative = (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`expected a number ≥ 0, got "${v}"`);
  return n;
};

export function register(program: Command): void {
  const m = NAB_RUN_DEFAULTS.model;
  const s = NAB_RUN_DEFAULTS.scoring;
  nabCommand(program)
    .command('run')
    .description(
      "run anomalyd's detector over a NAB data directory (per file: train on the probationary rows, score every row through the pipeline), write NAB results and score them per profile",
    )
    .requiredOption('--data <dir>', 'NAB data directory: <category>/<file>.csv with timestamp,value')
    .requiredOption('--windows <file>', 'label windows, e.g. labels/combined_windows.json')
    .requiredOption('--out <dir>', 'results directory; files go to <out>/anomalyd/<category>/anomalyd_<file>.csv')
    .option('--profiles <file>', 'application profiles (default: <data>/../config/profiles.json)')
    .option('--files <glob>', 'only data files whose "category/file.csv" matches, e.g. "realKnownCause/*"')
    .option('--plot-file <name>', 'also chart this data file (e.g. realKnownCause/nyc_taxi.csv) to <out>/anomalyd_<file>.png')
    .option('--json', 'print the report as JSON')
    .option('--backend <name>', 'auto | tensorflow | wasm | cpu', 'auto')
    .addOption(new Option('--kind <kind>', 'autoencoder').choices(['gru', 'lstm', 'dense']).default(m.kind))
    .option('--seq-step <n>', 'window length', count(2), m.seqStep)
    .option('--units <n>', 'recurrent units', count(1), m.units)
    .option('--epochs <n>', 'maximum training epochs per file', count(1), m.epochs)
    .addOption(new Option('--scaler <kind>', 'scaling fitted on the probationary rows').choices(['minmax', 'zscore', 'log1p']).default(m.scaler))
    .option('--seed <n>', 'training seed', count(0), m.seed)
    .option('--noise <x>', 'denoising: std of the noise added to the scaled training inputs (0: plain autoencoder)', nonNegative, m.noise)
    .option('--time-of-day', `also feed the model the phase of the day (UTC) of each row${m.timeOfDay ? ' (default)' : ''}`)
    .option('--no-time-of-day', `no time-of-day features${m.timeOfDay ? '' : ' (default)'}`)
    .option('--day-of-week', `also feed the model the phase of the week (UTC) of each row${m.dayOfWeek ? ' (default)' : ''}`)
    .option('--no-day-of-week', `no day-of-week features${m.dayOfWeek ? '' : ' (default)'}`)
    .addOption(new Option('--method <method>', 'scoring.method').choices(['raw', 'smoothed', 'likelihood', 'loglikelihood']).default(s.method))
    .option('--window <n>', 'scoring.window', count(1), s.window)
    .option('--short-window <n>', 'scoring.shortWindow', count(1), s.shortWindow)
    .option('--learning-period <n>', 'scoring.learningPeriod', count(0), s.learningPeriod)
    .option('--min-std-ratio <x>', 'scoring.minStdRatio', nonNegative, s.minStdRatio)
    .option('--suppress <n>', 'scoring.suppress', count(0), s.suppress)
    .option('--spatial', `scoring.spatial: score 1 when a value leaves the range seen so far${s.spatial ? ' (default)' : ''}`)
    .option('--no-spatial', `turn scoring.spatial off${s.spatial ? '' : ' (default)'}`)
    .option('--spatial-tolerance <x>', 'scoring.spatialTolerance', nonNegative, s.spatialTolerance)
    .option(
      '--seasonal-period <n|day>',
      'scoring.seasonalPeriod in rows; "day": one day at each file\'s median sampling interval; 0: off',
      (v: string) => (v === 'day' ? 'day' : count(0)(v)),
      NAB_RUN_DEFAULTS.seasonalPeriod,
    )
    .option('--seasonal-days <n>', 'scoring.seasonalDays', count(1), s.seasonalDays)
    .option('--seasonal-short-window <n>', 'scoring.seasonalShortWindow', count(1), s.seasonalShortWindow)
    .action(async (opts: RunCliOptions) => {
      const profiles = opts.profiles ?? path.join(opts.data, '..', 'config', 'profiles.json');
      let report: NabRunReport;
      try {
        report = await runNab(
          {
            dataDir: opts.data,
            windowsFile: opts.windows,
            profilesFile: profiles,
            outDir: opts.out,
            files: opts.files,
            detector: 'anomalyd',
            backend: opts.backend,
            model: { ...m, kind: opts.kind, seqStep: opts.seqStep, units: opts.units, epochs: opts.epochs, scaler: opts.scaler, seed: opts.seed, noise: opts.noise,
              timeOfDay: opts.timeOfDay ?? m.timeOfDay,
              dayOfWeek: opts.dayOfWeek ?? m.dayOfWeek,
            },
            scoring: {
              ...s,
              method: opts.method,
              window: opts.window,
              shortWindow: opts.shortWindow,
              learningPeriod: opts.learningPeriod,
              minStdRatio: opts.minStdRatio,
              suppress: opts.suppress,
              spatial: opts.spatial ?? s.spatial,
              spatialTolerance: opts.spatialTolerance,
              seasonalPeriod: 0,
              seasonalDays: opts.seasonalDays,
              seasonalShortWindow: opts.seasonalShortWindow,
            },
            seasonalPeriod: opts.seasonalPeriod,
          },
          (f) =>
            process.stderr.write(
              `[${f.position}/${f.total}] ${f.name}: ${f.rows} rows, trained on ${f.trainRows} (${f.epochs} epochs), ${f.seconds.toFixed(1)} s\n`,
            ),
        );
      } catch (err) {
        if (err instanceof NabInputError || err instanceof RangeError) throw new UsageError(err.message);
        throw err;
      }
      if (opts.plotFile) {
        const { plotResultsFile } = await import('../../eval/nab-run/plot.js');
        const threshold = report.profiles.standard?.threshold ?? Object.values(report.profiles)[0]?.threshold ?? Infinity;
        const png = await plotResultsFile(opts.out, report.detector, opts.plotFile, opts.windows, threshold);
        process.stderr.write(`chart: ${png}\n`);
      }
      console.log(opts.json ? JSON.stringify(report, null, 2) : formatReport(report));
    });
}

function formatReport(r: NabRunReport): string {
  const header = ['profile', 'score', 'threshold', 'windows detected', 'FP rows'];
  const rows = Object.entries(r.profiles).map(([name, p]) => [
    name,
    p.normalizedScore.toFixed(2),
    Number.isFinite(p.threshold) ? String(Number(p.threshold.toPrecision(6))) : 'none',
    `${p.windows.detected}/${p.windows.scorable}`,
    String(p.fp),
  ]);
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((row) => row[c].length)));
  const table = all.map((row) => row.map((v, c) => (c === 0 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join('  '));
  return [
    `NAB scores of ${r.detector} (null 0, perfect 100): ${r.files} files, ${r.rows} rows, ${r.seconds.toFixed(1)} s on ${r.backend}`,
    ...table,
  ].join('\n');
}
