import type { PipelineModel } from '../../pipeline/scoring-model.js';
import type { ScoringConfig } from '../../pipeline/score-transform.js';
import { replaySeries } from '../../pipeline/replay.js';
import type { NabDataFile } from './data-files.js';

/**
 * Runs one file through the daemon's scoring pipeline as one stream and returns one anomaly
 * score per row: the transformed score of the window ending at that row, 0 while the first
 * window fills. Events carry the row index as their time, because NAB files repeat a few
 * timestamps (clock changes) that the pipeline would reject as duplicates.
 */
export async function detectFile(file: NabDataFile, model: PipelineModel, scoring: ScoringConfig): Promise<{ scores: number[]; rawScores: number[] }> {
  const series = { file: file.path, columns: ['value'], rows: file.values.map((v) => [v]), timestamps: file.values.map(() => null) };
  const result = await replaySeries(series, model, { stream: file.name, scoring, threshold: Number.MAX_VALUE });
  if (result.rejected.length > 0) throw new Error(`${file.path}: ${result.rejected.length} row(s) not scored: ${result.rejected[0].detail}`);
  return {
    scores: result.points.map((p) => p.score ?? 0),
    rawScores: result.points.map((p) => p.rawScore ?? 0),
  };
}
