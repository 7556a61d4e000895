import path from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { writeChart } from '../../plot/render.js';
import { readResultsCsv, readWindowsFile } from '../nab/index.js';
import { resultsPath } from './results-file.js';
import { readFileSync } from 'node:fs';

/**
 * Charts one results file: the value on top, the anomaly score below, labelled windows shaded and
 * the threshold drawn. Writes `<out>/<detector>_<file>.png` and returns its path.
 */
export async function plotResultsFile(outDir: string, detector: string, name: string, windowsFile: string, threshold?: number): Promise<string> {
  const file = resultsPath(outDir, detector, name);
  const results = readResultsCsv(file, name);
  const values = readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => Number(l.split(',')[1]));
  const rows = results.timestamps.map((t, i) => ({ t, value: values[i], score: results.anomalyScores[i] }));
  const windows = (readWindowsFile(windowsFile).get(name) ?? []).map(([start, end]) => ({ start, end }));
  const shade = { data: { values: windows }, mark: { type: 'rect', color: '#f4b6b6', opacity: 0.5 }, encoding: { x: { field: 'start', type: 'temporal' }, x2: { field: 'end' } } };
  const line = (field: string, title: string) => ({
    data: { values: rows },
    mark: { type: 'line', strokeWidth: 1 },
    encoding: { x: { field: 't', type: 'temporal', title: null }, y: { field, type: 'quantitative', title } },
  });
  const scoreLayers: object[] = [shade, line('score', 'anomaly score')];
  if (threshold !== undefined && Number.isFinite(threshold)) {
    scoreLayers.push({ data: { values: [{ threshold }] }, mark: { type: 'rule', color: 'gray', strokeDash: [4, 4] }, encoding: { y: { field: 'threshold', type: 'quantitative' } } });
  }
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `${detector} on ${name}`,
    vconcat: [
      { width: 900, height: 200, layer: [shade, line('value', 'value')] },
      { width: 900, height: 120, layer: scoreLayers },
    ],
  } as TopLevelSpec;
  const png = path.join(outDir, `${detector}_${path.basename(name, '.csv')}.png`);
  await writeChart(spec, png);
  return png;
}
