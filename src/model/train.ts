import * as tf from '@tensorflow/tfjs';
import { readSeries } from '../data/read-series.js';
import { seriesToMatrix, type Series } from '../data/series.js';
import { augmentedFeatureCount, augmentedFeatureNames, augmentValues, ownFeatureError, withCalendarScaling } from '../pipeline/feature-augment.js';
import { buildAutoencoder } from './architectures.js';
import { selectBackend, type BackendLog, type BackendPreference } from './backend.js';
import { Scaler } from './scaler.js';
import { reconstructionErrors } from './scorer.js';
import { calibrateThreshold, meanStd } from './threshold.js';
import type { FeatureAugment, ModelKind, ModelMetadata, ScalerKind, ThresholdMethod } from './types.js';
import { permutation, seededRandom, slidingWindows } from './windows.js';

export interface TrainOptions {
  /** A series file (CSV/NDJSON, see readSeries) or an already-read series. */
  input: string | Series;
  /** Value columns to train on (file input only). Default: every numeric column. */
  columns?: string[];
  kind?: ModelKind;
  seqStep?: number;
  units?: number;
  epochs?: number;
  batchSize?: number;
  scaler?: ScalerKind;
  threshold?: ThresholdMethod;
  /** Fraction of windows, taken from the end of the series, held out for validation and threshold calibration. 0 disables. */
  validationSplit?: number;
  /** Stop after this many epochs without a better validation loss (training loss when there is no validation). */
  patience?: number;
  /** Seeds weight initialisation and shuffling; null trains non-deterministically. */
  seed?: number | null;
  learningRate?: number;
  /**
   * Standard deviation (in scaled units) of Gaussian noise added to the training inputs while the
   * targets stay clean: a denoising autoencoder, which learns to pull unusual points back to the
   * normal shape instead of copying them. 0 trains a plain autoencoder.
   */
  noise?: number;
  /**
   * Calendar features appended to each row from its timestamp (every row needs one); recorded in
   * the metadata so the pipeline appends the same features to each event.
   */
  augment?: FeatureAugment;
  backend?: BackendPreference;
  log?: BackendLog;
}

export const TRAIN_DEFAULTS = {
  kind: 'gru' as ModelKind,
  seqStep: 5,
  units: 50,
  epochs: 300,
  batchSize: 32,
  scaler: 'minmax' as ScalerKind,
  threshold: { method: 'max' } as ThresholdMethod,
  validationSplit: 0.1,
  patience: 30,
  seed: null as number | null,
  learningRate: 0.001,
  noise: 0.02,
};

export interface EpochProgress {
  /** 1-based. */
  epoch: number;
  epochs: number;
  loss: number;
  valLoss: number | null;
  /** This epoch has the best (validation) loss so far and its weights are kept. */
  best: boolean;
}

export interface TrainResult {
  model: tf.LayersModel;
  meta: ModelMetadata;
  history: { loss: number[]; valLoss: (number | null)[] };
  /** Scores (scaled MSE) of the calibration windows under the kept weights. */
  calibrationScores: Float32Array;
}

export class TrainError extends Error {
  override name = 'TrainError';
}

function positiveInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw new TrainError(`${name} must be a positive integer, got ${v}`);
  return v;
}

/**
 * Trains an autoencoder on normal data. Windows slide with stride 1. With a validation split, the
 * last fraction of windows is held out: training uses only windows that share no row with them
 * (seqStep - 1 windows at the boundary are dropped), the scaler is fitted on the training rows,
 * early stopping watches validation loss and restores the best epoch's weights, and the threshold
 * is calibrated on the held-out windows' scores.
 */
export async function trainModel(options: TrainOptions, onProgress?: (p: EpochProgress) => void): Promise<TrainResult> {
  const o = { ...TRAIN_DEFAULTS, ...stripUndefined(options) };
  const seqStep = positiveInt('seqStep', o.seqStep);
  const units = positiveInt('units', o.units);
  const epochs = positiveInt('epochs', o.epochs);
  const batchSize = positiveInt('batchSize', o.batchSize);
  const patience = positiveInt('patience', o.patience);
  if (!(o.validationSplit >= 0 && o.validationSplit < 1)) throw new TrainError(`validationSplit must be in [0, 1), got ${o.validationSplit}`);
  if (!(o.noise >= 0)) throw new TrainError(`noise must be ≥ 0, got ${o.noise}`);
  if (o.seed !== null && !Number.isInteger(o.seed)) throw new TrainError(`seed must be an integer, got ${o.seed}`);

  await selectBackend(o.backend ?? 'auto', o.log);
  const read = typeof options.input === 'string' ? await readSeries(options.input, { columns: o.columns }) : options.input;
  const augment = o.augment !== undefined && augmentedFeatureCount(o.augment) > 0 ? o.augment : undefined;
  const series = augment ? augmentSeries(read, augment) : read;
  const file = series.file;
  const features = series.columns.length;
  const rows = series.rows.length;
  const raw = seriesToMatrix(series);
  const windowCount = rows - seqStep + 1;
  if (windowCount < 1) throw new TrainError(`${file}: ${rows} row(s) is too few for one window of seqStep ${seqStep}`);

  const valCount = o.validationSplit > 0 ? Math.ceil(windowCount * o.validationSplit) : 0;
  const trainCount = valCount > 0 ? windowCount - valCount - (seqStep - 1) : windowCount;
  if (trainCount < 1 || (valCount > 0 && valCount < 2)) {
    throw new TrainError(
      `${file}: ${rows} row(s) give ${windowCount} window(s) of seqStep ${seqStep}, too few to hold out ${o.validationSplit} for validation ` +
        `and keep training windows (need at least ${seqStep - 1 + 3} windows; use more data or --validation-split 0)`,
    );
  }
  const trainRows = valCount > 0 ? trainCount + seqStep - 1 : rows;
  let scaler: Scaler;
  try {
    scaler = Scaler.fit(o.scaler, raw.subarray(0, trainRows * features), features);
    if (augment) scaler = new Scaler(withCalendarScaling(scaler.params, augment));
  } catch (err) {
    throw new TrainError(`${file}: ${(err as Error).message}`);
  }
  const windows = slidingWindows(scaler.transform(raw), rows, features, seqStep);
  const per = seqStep * features;
  const trainWindows = windows.subarray(0, trainCount * per);
  const valWindows = valCount > 0 ? windows.subarray((windowCount - valCount) * per) : null;

  const model = buildAutoencoder({ kind: o.kind, seqStep, features, units, seed: o.seed, learningRate: o.learningRate });
  const random = o.seed === null ? Math.random : seededRandom(o.seed ^ 0x5eed);
  const xVal = valWindows ? tf.tensor3d(valWindows, [valCount, seqStep, features]) : null;
  const shuffled = new Float32Array(trainWindows.length);
  const noisy = o.noise > 0 ? new Float32Array(trainWindows.length) : null;
  const gaussian = gaussianSource(random);
  const history: TrainResult['history'] = { loss: [], valLoss: [] };
  let best: { epoch: number; loss: number; valLoss: number | null; weights: tf.Tensor[] } | null = null;
  try {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      // tfjs's own shuffle draws from Math.random; shuffling here with a seeded PRNG keeps runs reproducible.
      const order = permutation(trainCount, random);
      for (let i = 0; i < trainCount; i++) shuffled.set(trainWindows.subarray(order[i] * per, order[i] * per + per), i * per);
      const y = tf.tensor3d(shuffled, [trainCount, seqStep, features]);
      let x = y;
      if (noisy) {
        for (let i = 0; i < shuffled.length; i++) noisy[i] = shuffled[i] + o.noise * gaussian();
        x = tf.tensor3d(noisy, [trainCount, seqStep, features]);
      }
      let h: tf.History;
      try {
        h = await model.fit(x, y, { epochs: 1, batchSize, shuffle: false, verbose: 0, validationData: xVal ? [xVal, xVal] : undefined });
      } finally {
        x.dispose();
        y.dispose();
      }
      const loss = Number(h.history.loss[0]);
      const valLoss = xVal ? Number(h.history.val_loss[0]) : null;
      if (!Number.isFinite(loss)) throw new TrainError(`${file}: training diverged at epoch ${epoch} (loss ${loss}); try another scaler or a smaller learning rate`);
      history.loss.push(loss);
      history.valLoss.push(valLoss);
      const monitored = valLoss ?? loss;
      const isBest = best === null || monitored < (best.valLoss ?? best.loss);
      if (isBest) {
        best?.weights.forEach((w) => w.dispose());
        best = { epoch, loss, valLoss, weights: model.getWeights().map((w) => w.clone()) };
      }
      onProgress?.({ epoch, epochs, loss, valLoss, best: isBest });
      if (best && epoch - best.epoch >= patience) break;
    }
    model.setWeights(best!.weights);
  } finally {
    best?.weights.forEach((w) => w.dispose());
    xVal?.dispose();
  }

  const calibration = valWindows ?? trainWindows;
  const calibrationCount = valWindows ? valCount : trainCount;
  const reconstruction = tf.tidy(
    () => model.predict(tf.tensor3d(calibration, [calibrationCount, seqStep, features]), { batchSize: calibrationCount }) as tf.Tensor,
  );
  const recon = (await reconstruction.data()) as Float32Array;
  reconstruction.dispose();
  // With calendar features the pipeline scores the error of the stream's own values only; calibrate on the same.
  const own = features - augmentedFeatureCount(augment);
  const calibrationScores =
    own < features
      ? Float32Array.from({ length: calibrationCount }, (_, w) =>
          ownFeatureError(calibration.subarray(w * per, (w + 1) * per), recon.subarray(w * per, (w + 1) * per), features, own, (x, out, offset) => out.set(x, offset)),
        )
      : reconstructionErrors(calibration, recon, calibrationCount, seqStep, features).mse;
  const threshold = calibrateThreshold(calibrationScores, o.threshold);
  if (!(threshold > 0)) throw new TrainError(`${file}: calibrated threshold is ${threshold}; use --threshold fixed:VALUE`);

  const summary = { min: [] as number[], max: [] as number[], mean: [] as number[], std: [] as number[] };
  for (let f = 0; f < features; f++) {
    const col = series.rows.map((r) => r[f]);
    const { mean, std } = meanStd(col);
    summary.min.push(Math.min(...col));
    summary.max.push(Math.max(...col));
    summary.mean.push(mean);
    summary.std.push(std);
  }
  const b = best!;
  const meta: ModelMetadata = {
    formatVersion: 1,
    kind: o.kind,
    seqStep,
    features,
    featureNames: [...series.columns],
    ...(augment ? { augment } : {}),
    scaler: scaler.params,
    threshold: {
      value: threshold,
      calibration: {
        ...o.threshold,
        windows: calibrationCount,
        source: valWindows ? `validation windows (last ${valCount} of ${windowCount})` : `training windows (${trainCount})`,
      },
    },
    training: {
      source: file,
      rows,
      windows: trainCount,
      epochs: history.loss.length,
      bestEpoch: b.epoch,
      finalLoss: b.loss,
      finalValLoss: b.valLoss,
      seed: o.seed,
      units,
      noise: o.noise,
      trainedAt: new Date().toISOString(),
      summary,
    },
  };
  return { model, meta, history, calibrationScores };
}

/** The series with its rows' calendar features appended; every row needs a timestamp. */
function augmentSeries(series: Series, augment: FeatureAugment): Series {
  const missing = series.timestamps.findIndex((t) => t === null);
  if (missing >= 0) {
    throw new TrainError(`${series.file}: row ${missing + 1} has no timestamp; calendar features (${augmentedFeatureNames(augment).join(', ')}) need one on every row`);
  }
  return {
    ...series,
    columns: [...series.columns, ...augmentedFeatureNames(augment)],
    rows: series.rows.map((row, i) => augmentValues(row, series.timestamps[i]!, augment)),
  };
}

/** Standard normal draws (Box–Muller) from a uniform source. */
function gaussianSource(random: () => number): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    const u = 1 - random();
    const v = random();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
