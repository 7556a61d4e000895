import { InvalidArgumentError, Option, type Command } from 'commander';
import cliProgress from 'cli-progress';
import { SeriesReadError } from '../../data/series.js';
import { logger } from '../../log.js';
import { BackendUnavailableError, type BackendPreference } from '../../model/backend.js';
import { saveModel } from '../../model/store.js';
import { formatThresholdMethod, parseThresholdMethod } from '../../model/threshold.js';
import { TRAIN_DEFAULTS, TrainError, trainModel, type EpochProgress } from '../../model/train.js';
import type { FeatureAugment, ModelKind, ScalerKind } from '../../model/types.js';
import { UsageError } from '../errors.js';

interface TrainCliOptions {
  input: string;
  out: string;
  kind: ModelKind;
  seqStep: number;
  units: number;
  epochs: number;
  batchSize: number;
  scaler: ScalerKind;
  threshold: string;
  validationSplit: number;
  patience: number;
  seed?: number;
  noise: number;
  timeFeatures?: string[] | boolean;
  columns?: string[];
  backend: BackendPreference;
  plot?: string;
}

const int = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer`);
  return n;
};

export function register(program: Command): void {
  program
    .command('train')
    .description('train an autoencoder on a series of normal data and write a model directory')
    .requiredOption('-i, --input <file>', 'series file: CSV (one value per line, or with a header) or NDJSON')
    .requiredOption('-o, --out <dir>', 'model directory to write (model.json, weights.bin, anomalyd.json)')
    .addOption(new Option('--kind <kind>', 'architecture').choices(['gru', 'lstm', 'dense']).default(TRAIN_DEFAULTS.kind))
    .option('--seq-step <n>', 'window length', int('--seq-step'), TRAIN_DEFAULTS.seqStep)
    .option('--units <n>', 'recurrent units (dense: first layer width)', int('--units'), TRAIN_DEFAULTS.units)
    .option('--epochs <n>', 'maximum epochs', int('--epochs'), TRAIN_DEFAULTS.epochs)
    .option('--batch-size <n>', 'windows per gradient step', int('--batch-size'), TRAIN_DEFAULTS.batchSize)
    .addOption(new Option('--scaler <kind>', 'feature scaling').choices(['minmax', 'zscore', 'log1p']).default(TRAIN_DEFAULTS.scaler))
    .option(
      '--threshold <method>',
      'calibration: percentile[:q] | mean+k*std[:k] | max | fixed:value',
      formatThresholdMethod(TRAIN_DEFAULTS.threshold),
    )
    .option(
      '--validation-split <f>',
      'fraction of windows (the end of the series) held out for early stopping and threshold calibration',
      (v) => {
        const n = Number(v);
        if (!(n >= 0 && n < 1)) throw new InvalidArgumentError('--validation-split must be in [0, 1)');
        return n;
      },
      TRAIN_DEFAULTS.validationSplit,
    )
    .option('--patience <n>', 'epochs without improvement before stopping', int('--patience'), TRAIN_DEFAULTS.patience)
    .option('--seed <n>', 'seed for weights and shuffling (reproducible training)', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('--seed must be a non-negative integer');
      return n;
    })
    .option(
      '--noise <std>',
      'denoising: std of Gaussian noise added to training inputs, in scaled units (0 = plain autoencoder)',
      (v) => {
        const n = Number(v);
        if (!(n >= 0)) throw new InvalidArgumentError('--noise must be a number ≥ 0');
        return n;
      },
      TRAIN_DEFAULTS.noise,
    )
    .option(
      '--time-features [kinds]',
      'append calendar features computed from each row\'s timestamp (UTC): time-of-day (default), day-of-week, comma-separated; ' +
        'recorded in the model so the daemon appends them to each event',
      (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean),
    )
    .option('--columns <names>', 'comma-separated value columns (default: every numeric column)', (v) =>
      v.split(',').map((s) => s.trim()).filter(Boolean),
    )
    .addOption(new Option('--backend <name>', 'tensorflow.js backend').choices(['auto', 'tensorflow', 'wasm', 'cpu']).default('auto'))
    .option('--plot <file>', 'write the loss curve as PNG (or SVG when the name ends in .svg)')
    .action(async (opts: TrainCliOptions) => {
      let threshold;
      try {
        threshold = parseThresholdMethod(opts.threshold);
      } catch (err) {
        throw new UsageError(`--threshold: ${(err as Error).message}`);
      }
      const augment = timeFeatures(opts.timeFeatures);
      const log = logger();
      const progress = createProgress();
      let result;
      try {
        result = await trainModel(
          {
            input: opts.input,
            columns: opts.columns,
            kind: opts.kind,
            seqStep: opts.seqStep,
            units: opts.units,
            epochs: opts.epochs,
            batchSize: opts.batchSize,
            scaler: opts.scaler,
            threshold,
            validationSplit: opts.validationSplit,
            patience: opts.patience,
            seed: opts.seed ?? null,
            noise: opts.noise,
            augment,
            backend: opts.backend,
            log,
          },
          progress.update,
        );
      } catch (err) {
        if (err instanceof SeriesReadError || err instanceof TrainError || err instanceof BackendUnavailableError) {
          throw new UsageError(err.message);
        }
        throw err;
      } finally {
        progress.stop();
      }
      const { model, meta, history } = result;
      await saveModel(opts.out, model, meta);
      model.dispose();
      if (opts.plot) {
        const [{ writeChart }, { lossChartSpec }] = await Promise.all([import('../../plot/render.js'), import('../../plot/loss-chart.js')]);
        await writeChart(lossChartSpec(history, { title: `${meta.kind} autoencoder on ${meta.training.source}`, bestEpoch: meta.training.bestEpoch }), opts.plot);
      }
      const t = meta.training;
      console.log(
        `${opts.out}: ${meta.kind} seqStep ${meta.seqStep} features ${meta.features} [${meta.featureNames.join(', ')}]; ` +
          `${t.epochs} epoch(s), kept ${t.bestEpoch}, loss ${t.finalLoss.toPrecision(4)}` +
          (t.finalValLoss === null ? '' : `, val_loss ${t.finalValLoss.toPrecision(4)}`) +
          `; threshold ${meta.threshold.value.toPrecision(4)} (${formatThresholdMethod(meta.threshold.calibration)} over ${meta.threshold.calibration.source})` +
          (opts.plot ? `; loss curve ${opts.plot}` : ''),
      );
    });
}

/** A live bar on a terminal; one plain line per epoch on stderr otherwise (logs, CI). */
function createProgress(): { update: (p: EpochProgress) => void; stop: () => void } {
  const fmt = (v: number | null) => (v === null ? '-' : v.toExponential(3));
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { stream: process.stderr, format: 'training [{bar}] {value}/{total} epochs | loss {loss} | val_loss {val_loss}', hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update: (p) => {
        if (!started) {
          bar.start(p.epochs, 0, { loss: '-', val_loss: '-' });
          started = true;
        }
        bar.update(p.epoch, { loss: fmt(p.loss), val_loss: fmt(p.valLoss) });
      },
      stop: () => {
        if (started) bar.stop();
      },
    };
  }
  return {
    update: (p) =>
      process.stderr.write(`epoch ${p.epoch}/${p.epochs} loss=${fmt(p.loss)} val_loss=${fmt(p.valLoss)}${p.best ? ' (best)' : ''}\n`),
    stop: () => {},
  };
}

/** `--time-features` (no value: time of day) as the model's augmentation. */
function timeFeatures(kinds: string[] | boolean | undefined): FeatureAugment | undefined {
  if (kinds === undefined || kinds === false) return undefined;
  const list = kinds === true ? ['time-of-day'] : kinds;
  const augment: FeatureAugment = {};
  for (const k of list) {
    if (k === 'time-of-day') augment.timeOfDay = true;
    else if (k === 'day-of-week') augment.dayOfWeek = true;
    else throw new UsageError(`--time-features: unknown feature "${k}" (expected time-of-day, day-of-week)`);
  }
  return augment;
}
