import { readFileSync } from 'node:fs';
import path from 'node:path';
import { writeScoreChart } from '../../plot/score-chart.js';
import type { RowSpan } from '../../plot/score-chart.js';
import { locateWindows, NabInputError, readResultsCsv, readWindowsFile } from '../nab/index.js';
import { resultsPath } from './results-file.js';

/** Rows whose score reaches the threshold, as one-row spans (NAB counts each such row as a detection). */
export function detectionRows(scores: readonly number[], threshold: number): RowSpan[] {
  const rows: RowSpan[] = [];
  scores.forEach((s, i) => {
    if (s >= threshold) rows.push({ start: i, end: i });
  });
  return rows;
}

/**
 * Charts one results file with the project's score chart: the value on top, the anomaly score
 * and the threshold below, labelled windows and detections (rows at or above the threshold)
 * shaded. Writes `<out>/<detector>_<file>.png` and returns its path.
 */
export async function plotResultsFile(outDir: string, detector: string, name: string, windowsFile: string, threshold: number): Promise<string> {
  const file = resultsPath(outDir, detector, name);
  const results = readResultsCsv(file, name);
  const values = valueColumn(file);
  const windows = readWindowsFile(windowsFile).get(name) ?? [];
  const labelRanges = locateWindows(results.timestamps, windows, name);
  const detections = detectionRows(results.anomalyScores, threshold);
  const png = path.join(outDir, `${detector}_${path.basename(name, '.csv')}.png`);
  // The optimizer's threshold is +Infinity when detecting nothing scores best; draw it just above the scores.
  const drawn = Number.isFinite(threshold) ? threshold : Math.max(1.1, ...results.anomalyScores);
  const thresholdText = Number.isFinite(threshold) ? String(Number(threshold.toPrecision(6))) : 'none';
  await writeScoreChart(
    {
      title: `${detector} on ${name}`,
      subtitle: `threshold ${thresholdText}: ${detections.length} detection(s), ${labelRanges.length} labelled window(s)`,
      timestamps: results.timestamps,
      values: values.map((v) => [v]),
      columns: ['value'],
      scores: results.anomalyScores,
      threshold: drawn,
      episodes: detections,
      labelRanges,
      logScore: false,
    },
    png,
  );
  return png;
}

/** The `value` column of a results file written by `writeResultsFile`. */
function valueColumn(file: string): number[] {
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  const col = lines[0].split(',').indexOf('value');
  if (col < 0) throw new NabInputError(`${file}: header "${lines[0]}" lacks a value column`);
  return lines.slice(1).map((l, i) => {
    const v = Number(l.split(',')[col]);
    if (!Number.isFinite(v)) throw new NabInputError(`${file}: line ${i + 2}: value is not a number`);
    return v;
  });
}
