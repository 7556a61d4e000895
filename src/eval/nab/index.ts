export type { CostMatrix } from './cost-matrix.js';
export { prepareCorpus, type NabFileInput, type PreparedCorpus, type PreparedFile } from './corpus.js';
export { evaluateProfile, type ProfileEvaluation } from './evaluate.js';
export { baselineScores, normalizeScore, type Baselines } from './normalize.js';
export {
  NabInputError,
  readProfilesFile,
  readResultsCsv,
  readResultsDir,
  readThresholdsFile,
  readWindowsFile,
  toCorpusInputs,
  type DetectorResults,
  type ResultsFile,
  type Thresholds,
  type WindowsByFile,
} from './results-io.js';
export { scoreCorpus, type CorpusScore, type FileScore, type RowCounts } from './scoring.js';
export { MAX_TP, scaledSigmoid } from './sigmoid.js';
export { optimizeThreshold, sweepThresholds, type ThresholdScore } from './threshold-sweep.js';
export { parseNabTimestamp } from './timestamps.js';
export { DEFAULT_PROBATION_PERCENT, locateWindows, probationaryLength, type RowWindow } from './windows.js';
