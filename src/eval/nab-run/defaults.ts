import { scoringSchema, type ScoringConfig } from '../../config/schema.js';
import type { FileModelOptions } from './file-model.js';

/** The detector `anomalyd nab run` uses unless told otherwise (tuned on the NAB subset; see docs/NAB.md). */
export const NAB_RUN_DEFAULTS: { model: FileModelOptions; scoring: ScoringConfig; seasonalPeriod: SeasonalPeriod } = {
  model: {
    kind: 'dense',
    seqStep: 5,
    units: 16,
    epochs: 30,
    patience: 5,
    batchSize: 32,
    scaler: 'minmax',
    seed: 7,
    noise: 0.1,
    timeOfDay: false,
    dayOfWeek: false,
  },
  // Only where it differs from the stream rule's defaults (the schema): NAB's files are single
  // series judged on their own scale, so the model sees raw values (no level normalisation).
  scoring: scoringSchema.parse({
    method: 'likelihood',
    normalize: 'none',
    window: 1000,
    learningPeriod: 100,
    suppress: 50,
    spatial: true,
    // Set per file from `seasonalPeriod` below.
    seasonalPeriod: 0,
  }),
  seasonalPeriod: 'day',
};

/** scoring.seasonalPeriod per file: a number of rows, or 'day': one day at the file's median sampling interval. */
export type SeasonalPeriod = number | 'day';

/** Rows per day at the median interval between consecutive timestamps (0 when that is not a positive time). */
export function rowsPerDay(timestamps: readonly number[]): number {
  const gaps = timestamps.slice(1).map((t, i) => t - timestamps[i]).sort((a, b) => a - b);
  const median = gaps[gaps.length >> 1];
  return median > 0 ? Math.round(86_400_000 / median) : 0;
}
