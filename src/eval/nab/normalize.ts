import type { CostMatrix } from './cost-matrix.js';
import type { PreparedCorpus } from './corpus.js';

export interface Baselines {
  /** Raw score of NAB's null detector: no detection, so every scorable window is missed. */
  nullScore: number;
  /** Raw score NAB calls perfect: tpWeight for every labelled window. */
  perfectScore: number;
}

/**
 * Baselines over the scored files. NAB's null detector emits a constant 0.5
 * below its threshold, so it never detects: -fnWeight per scorable window and
 * no false positive. NAB's perfect score is tpWeight times the number of
 * labelled windows (nab/runner.py normalize).
 */
export function baselineScores(corpus: PreparedCorpus, costMatrix: CostMatrix): Baselines {
  return {
    nullScore: -costMatrix.fnWeight * corpus.scorableWindowCount,
    perfectScore: costMatrix.tpWeight * corpus.windowCount,
  };
}

/** NAB's final score: 100 * (raw - null) / (perfect - null); 0 is the null detector, 100 perfect. */
export function normalizeScore(rawScore: number, baselines: Baselines): number {
  const span = baselines.perfectScore - baselines.nullScore;
  if (!(span > 0)) {
    throw new RangeError(
      `cannot normalize: the perfect score (${baselines.perfectScore}) does not exceed the null score (${baselines.nullScore}); the corpus needs at least one labelled window`,
    );
  }
  return (100 * (rawScore - baselines.nullScore)) / span;
}
