import type { CostMatrix } from './cost-matrix.js';
import { prepareCorpus, type NabFileInput, type PreparedCorpus } from './corpus.js';
import { MAX_TP } from './sigmoid.js';

/** Row counts as NAB reports them: scorable rows only, a row in a window is a positive. */
export interface RowCounts {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

export interface FileScore extends RowCounts {
  name: string;
  /** NAB's raw score of the file at the threshold. */
  score: number;
  windowsDetected: number;
  windowsMissed: number;
}

export interface CorpusScore extends RowCounts {
  threshold: number;
  /** NAB's raw score of the corpus: the sum of the file scores. */
  score: number;
  windows: { total: number; scorable: number; detected: number };
  files: FileScore[];
}

/**
 * NAB's raw score at one threshold (nab/scorer.py scoreDataSet summed over
 * files, as in the "Totals" row). A row detects when its anomaly score is
 * >= threshold. Each scorable window counts once: the best (i.e. earliest)
 * detection in it earns tpWeight * sigmoid / scaledSigmoid(-1), and a window
 * with no detection costs -fnWeight. Each detection outside windows adds
 * fpWeight * its sigmoid (negative). Probationary rows are ignored.
 */
export function scoreCorpus(
  corpus: PreparedCorpus | readonly NabFileInput[],
  costMatrix: CostMatrix,
  threshold: number,
): CorpusScore {
  const c = isPrepared(corpus) ? corpus : prepareCorpus(corpus);
  const parts = new Float64Array(c.windowCount);
  const hit = new Uint8Array(c.windowCount);
  const files: FileScore[] = [];
  const total: CorpusScore = {
    threshold,
    score: 0,
    tp: 0,
    fp: 0,
    tn: 0,
    fn: 0,
    windows: { total: c.windowCount, scorable: c.scorableWindowCount, detected: 0 },
    files,
  };

  for (const f of c.files) {
    for (let w = f.windowStart; w < f.windowEnd; w++) parts[w] = -costMatrix.fnWeight;
    let fpScore = 0;
    const counts: RowCounts = { tp: 0, fp: 0, tn: 0, fn: 0 };
    for (let r = f.rowStart; r < f.rowEnd; r++) {
      const w = c.windowOf[r];
      if (c.scores[r] >= threshold) {
        if (w < 0) {
          counts.fp++;
          fpScore += c.sigmoids[r] * costMatrix.fpWeight;
        } else {
          counts.tp++;
          hit[w] = 1;
          const earned = (c.sigmoids[r] * costMatrix.tpWeight) / MAX_TP;
          if (earned > parts[w]) parts[w] = earned;
        }
      } else if (w < 0) counts.tn++;
      else counts.fn++;
    }
    // Summed in NAB's order: the false-positive part first, then each window.
    let score = 0 + fpScore;
    let detected = 0;
    let missed = 0;
    for (let w = f.windowStart; w < f.windowEnd; w++) {
      if (!c.windowScorable[w]) continue;
      score += parts[w];
      if (hit[w]) detected++;
      else missed++;
    }
    files.push({ name: f.name, score, ...counts, windowsDetected: detected, windowsMissed: missed });
    total.score += score;
    total.tp += counts.tp;
    total.fp += counts.fp;
    total.tn += counts.tn;
    total.fn += counts.fn;
    total.windows.detected += detected;
  }
  return total;
}

function isPrepared(c: PreparedCorpus | readonly NabFileInput[]): c is PreparedCorpus {
  return !Array.isArray(c);
}
