import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { locateWindows } from '../nab/index.js';
import type { NabDataFile } from './data-files.js';

/** NAB's label column: 1 for rows inside a labelled window, else 0. */
export function rowLabels(file: NabDataFile, windows: readonly (readonly [number, number])[]): number[] {
  const labels = new Array<number>(file.values.length).fill(0);
  for (const w of locateWindows(file.timestamps, windows, file.name)) labels.fill(1, w.start, w.end + 1);
  return labels;
}

/** The path NAB gives a detector's results for a data file: `<out>/<detector>/<category>/<detector>_<file>.csv`. */
export function resultsPath(outDir: string, detector: string, name: string): string {
  const [category, file] = name.split('/');
  return path.join(outDir, detector, category, `${detector}_${file}`);
}

/**
 * Writes a results file as NAB does: `timestamp,value,anomaly_score,raw_score,label` (NAB's own
 * numenta detector also keeps its raw score beside the final one; the scorer reads only
 * timestamp and anomaly_score).
 */
export function writeResultsFile(
  outDir: string,
  detector: string,
  file: NabDataFile,
  scores: readonly number[],
  labels: readonly number[],
  rawScores: readonly number[],
): string {
  const target = resultsPath(outDir, detector, file.name);
  mkdirSync(path.dirname(target), { recursive: true });
  const lines = ['timestamp,value,anomaly_score,raw_score,label'];
  for (let i = 0; i < file.values.length; i++) {
    lines.push(`${file.timestampTexts[i]},${file.values[i]},${scores[i]},${rawScores[i]},${labels[i]}`);
  }
  writeFileSync(target, lines.join('\n') + '\n');
  return target;
}
