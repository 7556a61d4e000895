import { evaluateProfile, prepareCorpus, type CostMatrix, type NabFileInput, type ProfileEvaluation } from '../nab/index.js';

export interface ProfileScore {
  normalizedScore: number;
  rawScore: number;
  threshold: number;
  tp: number;
  fp: number;
  fn: number;
  windows: { total: number; scorable: number; detected: number };
}

/** Scores a detector's corpus per profile at the threshold NAB's optimizer picks for that profile. */
export function evaluateRun(files: readonly NabFileInput[], profiles: Readonly<Record<string, CostMatrix>>): Record<string, ProfileScore> {
  const corpus = prepareCorpus(files);
  return Object.fromEntries(Object.entries(profiles).map(([name, cost]) => [name, toScore(evaluateProfile(corpus, cost))]));
}

function toScore(e: ProfileEvaluation): ProfileScore {
  const { tp, fp, fn, windows } = e.result;
  return { normalizedScore: e.normalizedScore, rawScore: e.rawScore, threshold: e.threshold, tp, fp, fn, windows };
}
