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

/** Calendar features appended to each event's values before windowing (src/pipeline/feature-augment.ts). */
export interface FeatureAugment {
  /** Phase of the UTC day: (1 + sin)/2 and (1 + cos)/2 of 2π · (time of day / 24 h). */
  timeOfDay?: boolean;
  /** Phase of the UTC week (Monday 00:00 = 0), encoded the same way. */
  dayOfWeek?: boolean;
}

export interface ModelMetadata {
  formatVersion: 1;
  kind: ModelKind;
  seqStep: number;
  features: number;
  featureNames: string[];
  /**
   * Absent for a model of the stream's own values only. Present: the last feature(s) of
   * `featureNames` are calendar features computed from each event's timestamp, not sent by the stream.
   */
  augment?: FeatureAugment;
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
  /** How the forward pass runs: one TensorFlow graph, fused tf ops, or model.predict (scorer.ts). */
  readonly route?: 'graph' | 'fused' | 'predict';
  /** Why faster routes were declined for this model, one line each. */
  readonly declined?: readonly string[];
  /** windows: scaled, row-major [n][seqStep][features]. One predict call for the whole batch. */
  score(windows: Float32Array, n: number): Promise<BatchScores>;
  dispose(): void;
}
