import type { CostMatrix } from './cost-matrix.js';
import { prepareCorpus, type NabFileInput, type PreparedCorpus } from './corpus.js';
import { baselineScores, normalizeScore } from './normalize.js';
import { scoreCorpus, type CorpusScore } from './scoring.js';
import { optimizeThreshold } from './threshold-sweep.js';

export interface ProfileEvaluation {
  threshold: number;
  /** "given" when the caller fixed the threshold, "optimized" when NAB's sweep chose it. */
  thresholdSource: 'given' | 'optimized';
  rawScore: number;
  nullScore: number;
  perfectScore: number;
  normalizedScore: number;
  result: CorpusScore;
}

/**
 * One detector under one profile, as NAB's runner does it: optimize the
 * threshold unless one is given, score the corpus at it, normalize.
 */
export function evaluateProfile(
  corpus: PreparedCorpus | readonly NabFileInput[],
  costMatrix: CostMatrix,
  threshold?: number,
): ProfileEvaluation {
  const c = Array.isArray(corpus) ? prepareCorpus(corpus) : (corpus as PreparedCorpus);
  const chosen = threshold ?? optimizeThreshold(c, costMatrix).threshold;
  const result = scoreCorpus(c, costMatrix, chosen);
  const baselines = baselineScores(c, costMatrix);
  return {
    threshold: chosen,
    thresholdSource: threshold === undefined ? 'optimized' : 'given',
    rawScore: result.score,
    ...baselines,
    normalizedScore: normalizeScore(result.score, baselines),
    result,
  };
}
