/**
 * Threshold and ranking metrics for anomaly scores against 0/1 labels.
 *
 * Conventions (shared with NAB's scorer): a row is predicted positive when
 * `score >= threshold`. Ranking metrics follow scikit-learn exactly:
 * - `rocAuc` = `roc_auc_score`: trapezoidal area under the ROC curve whose
 *   points sit at the distinct score values (tied scores move together).
 * - `averagePrecision` = `average_precision_score`: sum over distinct score
 *   thresholds (descending) of (R_n - R_{n-1}) * P_n, no interpolation.
 */

export interface ConfusionMatrix {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

export interface ThresholdMetrics extends ConfusionMatrix {
  precision: number;
  recall: number;
  f1: number;
}

/** A ranking metric, or why it is undefined for these labels. */
export type RankingMetric = { value: number; reason?: undefined } | { value: null; reason: string };

function checkInputs(scores: readonly number[], labels: readonly number[]): void {
  if (scores.length !== labels.length) {
    throw new RangeError(`scores and labels differ in length (${scores.length} vs ${labels.length})`);
  }
  for (let i = 0; i < scores.length; i++) {
    if (!Number.isFinite(scores[i])) throw new RangeError(`score at index ${i} is not a finite number: ${scores[i]}`);
    if (labels[i] !== 0 && labels[i] !== 1) throw new RangeError(`label at index ${i} is not 0 or 1: ${labels[i]}`);
  }
}

export function confusionMatrix(scores: readonly number[], labels: readonly number[], threshold: number): ConfusionMatrix {
  checkInputs(scores, labels);
  const m: ConfusionMatrix = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (let i = 0; i < scores.length; i++) {
    const predicted = scores[i] >= threshold;
    if (labels[i] === 1) predicted ? m.tp++ : m.fn++;
    else predicted ? m.fp++ : m.tn++;
  }
  return m;
}

/**
 * Precision, recall and F1 at a threshold. A ratio whose denominator is zero
 * is 0, as scikit-learn's default `zero_division="warn"` returns (it also warns).
 */
export function thresholdMetrics(scores: readonly number[], labels: readonly number[], threshold: number): ThresholdMetrics {
  const m = confusionMatrix(scores, labels, threshold);
  const precision = ratio(m.tp, m.tp + m.fp);
  const recall = ratio(m.tp, m.tp + m.fn);
  // sklearn computes F1 as 2tp / (2tp + fp + fn), which is 0 when tp = 0.
  const f1 = ratio(2 * m.tp, 2 * m.tp + m.fp + m.fn);
  return { ...m, precision, recall, f1 };
}

export function precision(scores: readonly number[], labels: readonly number[], threshold: number): number {
  return thresholdMetrics(scores, labels, threshold).precision;
}

export function recall(scores: readonly number[], labels: readonly number[], threshold: number): number {
  return thresholdMetrics(scores, labels, threshold).recall;
}

export function f1(scores: readonly number[], labels: readonly number[], threshold: number): number {
  return thresholdMetrics(scores, labels, threshold).f1;
}

function ratio(num: number, den: number): number {
  return den === 0 ? 0 : num / den;
}

/** Cumulative (fp, tp) counts at each distinct score, highest score first. */
function rankedCounts(scores: readonly number[], labels: readonly number[]): { fps: number[]; tps: number[] } {
  const order = scores.map((_, i) => i).sort((a, b) => scores[b] - scores[a]);
  const fps: number[] = [];
  const tps: number[] = [];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    if (labels[i] === 1) tp++;
    else fp++;
    const next = order[k + 1];
    if (next === undefined || scores[next] !== scores[i]) {
      fps.push(fp);
      tps.push(tp);
    }
  }
  return { fps, tps };
}

/** scikit-learn's roc_auc_score for binary labels; null when a class is absent. */
export function rocAuc(scores: readonly number[], labels: readonly number[]): RankingMetric {
  checkInputs(scores, labels);
  const positives = labels.reduce<number>((s, l) => s + l, 0);
  const negatives = labels.length - positives;
  if (positives === 0 || negatives === 0) {
    return { value: null, reason: `ROC AUC is undefined: only one class present in labels (${positives} positive, ${negatives} negative)` };
  }
  const { fps, tps } = rankedCounts(scores, labels);
  let area = 0;
  let prevFpr = 0;
  let prevTpr = 0;
  for (let k = 0; k < fps.length; k++) {
    const fpr = fps[k] / negatives;
    const tpr = tps[k] / positives;
    area += ((fpr - prevFpr) * (tpr + prevTpr)) / 2;
    prevFpr = fpr;
    prevTpr = tpr;
  }
  return { value: area };
}

/**
 * scikit-learn's average_precision_score for binary labels. With no positive
 * label scikit-learn warns and returns 0; here that case is reported as
 * undefined instead, since recall has no meaning without positives.
 */
export function averagePrecision(scores: readonly number[], labels: readonly number[]): RankingMetric {
  checkInputs(scores, labels);
  const positives = labels.reduce<number>((s, l) => s + l, 0);
  if (positives === 0) {
    return { value: null, reason: 'average precision is undefined: no positive labels' };
  }
  const { fps, tps } = rankedCounts(scores, labels);
  let ap = 0;
  let prevRecall = 0;
  for (let k = 0; k < tps.length; k++) {
    const r = tps[k] / positives;
    const p = tps[k] / (tps[k] + fps[k]);
    ap += (r - prevRecall) * p;
    prevRecall = r;
  }
  return { value: ap };
}
