import type { PipelineModel } from '../../pipeline/scoring-model.js';
import type { ScoringConfig } from '../../config/schema.js';
import { replaySeries } from '../../pipeline/replay.js';
import type { NabDataFile } from './data-files.js';

/**
 * Runs one file through the daemon's scoring pipeline as one stream and returns one anomaly
 * score per row: the transformed score of the window ending at that row, 0 while the first
 * window fills. NAB files repeat a few timestamps (clock changes), which the pipeline would reject
 * as duplicates; such a row's time is moved to 1 ms after the previous row's (calendar features
 * do not notice).
 */
export async function detectFile(file: NabDataFile, model: PipelineModel, scoring: ScoringConfig): Promise<{ scores: number[]; rawScores: number[] }> {
  const timestamps: number[] = [];
  for (const t of file.timestamps) timestamps.push(timestamps.length > 0 ? Math.max(t, timestamps[timestamps.length - 1] + 1) : t);
  const series = { file: file.path, columns: ['value'], rows: file.values.map((v) => [v]), timestamps };
  const result = await replaySeries(series, model, { stream: file.name, scoring, threshold: Number.MAX_VALUE });
  if (result.rejected.length > 0) throw new Error(`${file.path}: ${result.rejected.length} row(s) not scored: ${result.rejected[0].detail}`);
  return {
    scores: result.points.map((p) => p.score ?? 0),
    rawScores: result.points.map((p) => p.rawScore ?? 0),
  };
}
