import type { BatchScores } from '../model/types.js';

/** What the pipeline needs from a model: its shape, its scaling and batched scoring. */
export interface PipelineModel {
  readonly name: string;
  readonly backend: string;
  readonly seqStep: number;
  readonly features: number;
  /** Calibrated threshold from the model's metadata; a stream rule may override it. */
  readonly threshold: number;
  /** Scale one raw window into `out` at `offset` (both row-major [seqStep][features]). */
  scaleInto(raw: Float32Array, out: Float32Array, offset: number): void;
  /** Scaled values back to raw units, in place. */
  unscaleInPlace(scaled: Float32Array): void;
  /** One predict call for n scaled windows. */
  score(windows: Float32Array, n: number): Promise<BatchScores>;
}
