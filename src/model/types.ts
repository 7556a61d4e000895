export type ModelKind = 'gru' | 'lstm' | 'dense';
export type ScalerKind = 'minmax' | 'zscore' | 'log1p';

export interface ScalerParams {
  kind: ScalerKind;
  /** Per feature. minmax: min,max. zscore: mean,std. log1p: min,max of log1p(x) (min-max after log1p). */
  a: number[];
  b: number[];
}

export type ThresholdMethod =
  | { method: 'percentile'; q: number }
  | { method: 'mean+k*std'; k: number }
  | { method: 'max' }
  | { method: 'fixed'; value: number };

export interface ModelMetadata {
  formatVersion: 1;
  kind: ModelKind;
  seqStep: number;
  features: number;
  featureNames: string[];
  scaler: ScalerParams;
  threshold: {
    value: number;
    calibration: ThresholdMethod & { windows: number; source: string };
  };
  training: {
    source: string;
    rows: number;
    windows: number;
    epochs: number;
    /** 1-based epoch whose weights were kept (early stopping restores the best validation loss). */
    bestEpoch?: number;
    /** Loss and validation loss of the kept epoch. */
    finalLoss: number;
    finalValLoss: number | null;
    seed: number | null;
    units: number;
    /** Std of the Gaussian input noise of denoising training (scaled units); absent or 0 for a plain autoencoder. */
    noise?: number;
    trainedAt: string;
    /** Per-feature min/max/mean/std of the raw training data. */
    summary: { min: number[]; max: number[]; mean: number[]; std: number[] };
  };
}

export interface BatchScores {
  /** Per-window MSE in scaled space, length n. */
  mse: Float32Array;
  /** Per-window per-step MSE over features, length n*seqStep. */
  stepErrors: Float32Array;
  /** Reconstruction in scaled space, length n*seqStep*features. */
  reconstruction: Float32Array;
}

/** A loaded model ready to score batches of already-scaled windows. */
export interface ScoringModel {
  readonly name: string;
  readonly dir: string;
  readonly meta: ModelMetadata;
  /** windows: scaled, row-major [n][seqStep][features]. One predict call for the whole batch. */
  score(windows: Float32Array, n: number): Promise<BatchScores>;
  dispose(): void;
}
