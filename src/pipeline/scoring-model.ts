import type { BatchScores, FeatureAugment } from '../model/types.js';

/** What the pipeline needs from a model: its shape, its scaling and batched scoring. */
export interface PipelineModel {
  readonly name: string;
  readonly backend: string;
  readonly seqStep: number;
  /** Input features of the model, calendar features included. */
  readonly features: number;
  /** Calendar features the pipeline appends to each event of this model's streams (from the model's metadata). */
  readonly augment?: FeatureAugment;
  /**
   * The typical level of the model's training data (its mean): a stream normalised by its own level
   * is multiplied by this, so the model sees it at the scale it was trained on.
   */
  readonly levelReference?: number;
  /** Calibrated threshold from the model's metadata; a stream rule may override it. */
  readonly threshold: number;
  /** Scale one raw window into `out` at `offset` (both row-major [seqStep][features]). */
  scaleInto(raw: Float32Array, out: Float32Array, offset: number): void;
  /** Scaled values back to raw units, in place. */
  unscaleInPlace(scaled: Float32Array): void;
  /** False while the model's scoring thread is being restarted; absent when it scores in process. */
  healthy?(): boolean;
  /** One predict call for n scaled windows. */
  score(windows: Float32Array, n: number): Promise<BatchScores>;
}
