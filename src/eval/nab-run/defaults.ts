import type { ScoringConfig } from '../../pipeline/score-transform.js';
import type { FileModelOptions } from './file-model.js';

/** The detector `anomalyd nab run` uses unless told otherwise (tuned on the NAB subset; see docs/NAB.md). */
export const NAB_RUN_DEFAULTS: { model: FileModelOptions; scoring: ScoringConfig } = {
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
  },
  scoring: {
    method: 'likelihood',
    window: 1000,
    shortWindow: 10,
    learningPeriod: 100,
    minStdRatio: 0.1,
    suppress: 50,
    spatial: true,
    spatialTolerance: 0.02,
  },
};
