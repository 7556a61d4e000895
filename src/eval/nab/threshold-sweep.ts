import type { CostMatrix } from './cost-matrix.js';
import { prepareCorpus, type NabFileInput, type PreparedCorpus } from './corpus.js';
import { MAX_TP } from './sigmoid.js';

/** NAB's ThresholdScore: the raw corpus score when every row scoring >= threshold detects. */
export interface ThresholdScore {
  threshold: number;
  score: number;
  tp: number;
  tn: number;
  fp: number;
  fn: number;
  total: number;
}

/** NAB starts its sweep above every score in [0, 1]; wider score ranges start at +Infinity. */
const NAB_START_THRESHOLD = 1.1;

/**
 * NAB's Sweeper.calcScoreByThreshold over the whole corpus: the score at the
 * "nothing detected" threshold, then at every distinct anomaly score from the
 * highest down. Sorts the rows once (cached on the corpus) and updates the
 * score incrementally, so a sweep costs O(n log n) for n scorable rows.
 */
export function sweepThresholds(corpus: PreparedCorpus | readonly NabFileInput[], costMatrix: CostMatrix): ThresholdScore[] {
  const out: ThresholdScore[] = [];
  walkThresholds(asPrepared(corpus), costMatrix, (s) => out.push(s));
  return out;
}

/**
 * NAB's optimizer (nab/optimizer.py optimizeThreshold): the threshold of the
 * highest corpus score in the sweep; among equal scores the highest threshold
 * wins, as NAB's stable sort of the sweep does.
 */
export function optimizeThreshold(corpus: PreparedCorpus | readonly NabFileInput[], costMatrix: CostMatrix): ThresholdScore {
  let best: ThresholdScore | undefined;
  walkThresholds(asPrepared(corpus), costMatrix, (s) => {
    if (best === undefined || s.score > best.score) best = s;
  });
  // walkThresholds always emits the starting threshold.
  return best!;
}

function walkThresholds(c: PreparedCorpus, costMatrix: CostMatrix, emit: (s: ThresholdScore) => void): void {
  const order = descendingOrder(c);
  const parts = new Float64Array(c.windowCount);
  let score = 0;
  for (let w = 0; w < c.windowCount; w++) {
    if (!c.windowScorable[w]) continue;
    parts[w] = -costMatrix.fnWeight;
    score += parts[w];
  }
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let r = 0; r < c.windowOf.length; r++) if (c.windowOf[r] >= 0) fn++;
  let tn = c.windowOf.length - fn;

  const maxScore = order.length > 0 ? c.scores[order[0]] : 0;
  let threshold = maxScore < NAB_START_THRESHOLD ? NAB_START_THRESHOLD : Number.POSITIVE_INFINITY;
  for (let k = 0; k < order.length; k++) {
    const r = order[k];
    if (c.scores[r] !== threshold) {
      emit({ threshold, score, tp, tn, fp, fn, total: tp + tn + fp + fn });
      threshold = c.scores[r];
    }
    const w = c.windowOf[r];
    if (w < 0) {
      fp++;
      tn--;
      score += c.sigmoids[r] * costMatrix.fpWeight;
    } else {
      tp++;
      fn--;
      const earned = (c.sigmoids[r] * costMatrix.tpWeight) / MAX_TP;
      if (earned > parts[w]) {
        score += earned - parts[w];
        parts[w] = earned;
      }
    }
  }
  emit({ threshold, score, tp, tn, fp, fn, total: tp + tn + fp + fn });
}

function descendingOrder(c: PreparedCorpus): Uint32Array {
  if (!c.descendingOrder) {
    const order = new Uint32Array(c.scores.length);
    for (let i = 0; i < order.length; i++) order[i] = i;
    const s = c.scores;
    order.sort((a, b) => s[b] - s[a] || a - b);
    c.descendingOrder = order;
  }
  return c.descendingOrder;
}

function asPrepared(c: PreparedCorpus | readonly NabFileInput[]): PreparedCorpus {
  return Array.isArray(c) ? prepareCorpus(c) : (c as PreparedCorpus);
}
