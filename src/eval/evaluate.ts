/**
 * Scores a replay against ground-truth labels: row-level classification and ranking metrics over
 * the scored rows, and episode-level counts (labelled anomaly ranges hit, false-alarm episodes).
 *
 * Label conventions:
 * - Row i's score is the score of the window that ends at row i, and it is judged against label[i].
 *   A spike labelled at one row r therefore counts as a true positive at r, while the following
 *   windows that still contain it (r+1 .. r+seqStep-1) count as false positives at row level.
 * - At episode level an alert episode covering windows ending at start..end looks at rows
 *   start-seqStep+1 .. end; it hits a labelled range when those rows overlap it.
 */
import { averagePrecision, rocAuc, type RankingMetric, type ThresholdMetrics } from './classification.js';

/** A scored (or still warming-up) row, as the replay reports it. */
export interface EvaluatedPoint {
  index: number;
  score: number | null;
  anomalous: boolean | null;
}

/** Inclusive row range. */
export interface RowRange {
  start: number;
  end: number;
}

export interface EvaluationInput {
  points: readonly EvaluatedPoint[];
  /** 0/1 per row, same length as points. */
  labels: readonly number[];
  threshold: number;
  /** Alert episodes as inclusive row ranges of the windows' last rows. */
  episodes: readonly RowRange[];
  /** Rows per window (the model's seqStep). */
  windowLength: number;
}

export interface EpisodeReport {
  /** Runs of label 1 that contain at least one scored row. */
  labelledRanges: number;
  /** Labelled ranges overlapped by at least one alert episode. */
  rangesHit: number;
  rangesMissed: RowRange[];
  /** Runs of label 1 lying wholly in the unscored first rows (cannot be detected). */
  rangesUnscored: number;
  alertEpisodes: number;
  /** Alert episodes that overlap no labelled range. */
  falseAlarms: number;
  falseAlarmEpisodes: RowRange[];
}

export interface EvaluationReport {
  rows: number;
  scoredRows: number;
  /** Rows before the first full window: no score, left out of every row-level number. */
  excludedRows: number;
  /** Label-1 rows among the excluded ones. */
  excludedPositives: number;
  /** Label-1 rows among the scored ones. */
  positives: number;
  threshold: number;
  /** Predicted anomalous = the pipeline's decision for the row's window (score > threshold). */
  rowLevel: ThresholdMetrics;
  rocAuc: RankingMetric;
  averagePrecision: RankingMetric;
  episodes: EpisodeReport;
}

/** A label that is not 0 or 1, with its row index. */
export class LabelError extends Error {
  override name = 'LabelError';
  constructor(
    readonly row: number,
    readonly label: number,
  ) {
    super(`label ${label} at row ${row} is not 0 or 1`);
  }
}

/** Index of the first label that is not 0 or 1, or -1. */
export function firstInvalidLabel(labels: readonly number[]): number {
  return labels.findIndex((l) => l !== 0 && l !== 1);
}

/** Maximal runs of label 1 as inclusive row ranges. */
export function labelRanges(labels: readonly number[]): RowRange[] {
  const ranges: RowRange[] = [];
  let start = -1;
  labels.forEach((l, i) => {
    if (l === 1 && start < 0) start = i;
    if (l !== 1 && start >= 0) {
      ranges.push({ start, end: i - 1 });
      start = -1;
    }
  });
  if (start >= 0) ranges.push({ start, end: labels.length - 1 });
  return ranges;
}

const overlaps = (a: RowRange, b: RowRange) => a.start <= b.end && b.start <= a.end;

export function evaluateReplay(input: EvaluationInput): EvaluationReport {
  const { points, labels, episodes, windowLength } = input;
  if (labels.length !== points.length) {
    throw new RangeError(`labels and points differ in length (${labels.length} vs ${points.length})`);
  }
  const bad = firstInvalidLabel(labels);
  if (bad >= 0) throw new LabelError(bad, labels[bad]);

  const scores: number[] = [];
  const scoredLabels: number[] = [];
  const m = { tp: 0, fp: 0, tn: 0, fn: 0 };
  let excludedPositives = 0;
  let firstScored = -1;
  points.forEach((p, i) => {
    if (p.score === null) {
      excludedPositives += labels[i];
      return;
    }
    if (firstScored < 0) firstScored = i;
    scores.push(p.score);
    scoredLabels.push(labels[i]);
    const predicted = p.anomalous === true;
    if (labels[i] === 1) predicted ? m.tp++ : m.fn++;
    else predicted ? m.fp++ : m.tn++;
  });
  const ratio = (num: number, den: number) => (den === 0 ? 0 : num / den);
  const rowLevel: ThresholdMetrics = {
    ...m,
    precision: ratio(m.tp, m.tp + m.fp),
    recall: ratio(m.tp, m.tp + m.fn),
    f1: ratio(2 * m.tp, 2 * m.tp + m.fp + m.fn),
  };
  const noScores: RankingMetric = { value: null, reason: 'no scored rows' };

  const ranges = labelRanges(labels);
  const scorable = firstScored < 0 ? [] : ranges.filter((r) => r.end >= firstScored);
  const covered = episodes.map((e) => ({ start: Math.max(0, e.start - windowLength + 1), end: e.end }));
  const rangesMissed = scorable.filter((r) => !covered.some((c) => overlaps(c, r)));
  const falseAlarmEpisodes = episodes.filter((_, k) => !ranges.some((r) => overlaps(covered[k], r))).map((e) => ({ start: e.start, end: e.end }));

  return {
    rows: points.length,
    scoredRows: scores.length,
    excludedRows: points.length - scores.length,
    excludedPositives,
    positives: scoredLabels.reduce((s, l) => s + l, 0),
    threshold: input.threshold,
    rowLevel,
    rocAuc: scores.length ? rocAuc(scores, scoredLabels) : noScores,
    averagePrecision: scores.length ? averagePrecision(scores, scoredLabels) : noScores,
    episodes: {
      labelledRanges: scorable.length,
      rangesHit: scorable.length - rangesMissed.length,
      rangesMissed,
      rangesUnscored: ranges.length - scorable.length,
      alertEpisodes: episodes.length,
      falseAlarms: falseAlarmEpisodes.length,
      falseAlarmEpisodes,
    },
  };
}
