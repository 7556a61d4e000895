import { selectBackend, type BackendPreference } from '../../model/backend.js';
import type { ScoringConfig } from '../../config/schema.js';
import { NabInputError, probationaryLength, readProfilesFile, readWindowsFile, type NabFileInput } from '../nab/index.js';
import { listDataFiles, readDataFile } from './data-files.js';
import { rowsPerDay, type SeasonalPeriod } from './defaults.js';
import { detectFile } from './detect-file.js';
import { evaluateRun, type ProfileScore } from './evaluate-run.js';
import { trainFileModel, type FileModelOptions } from './file-model.js';
import { rowLabels, writeResultsFile } from './results-file.js';

export interface NabRunOptions {
  dataDir: string;
  windowsFile: string;
  profilesFile: string;
  outDir: string;
  /** Glob on "category/file.csv". */
  files?: string;
  detector: string;
  model: FileModelOptions;
  scoring: ScoringConfig;
  /** scoring.seasonalPeriod of each file (0 turns the seasonal rule off). */
  seasonalPeriod: SeasonalPeriod;
  backend: BackendPreference;
}

export interface FileDone {
  /** 1-based. */
  position: number;
  total: number;
  name: string;
  rows: number;
  trainRows: number;
  epochs: number;
  seconds: number;
  resultsFile: string;
}

export interface NabRunReport {
  detector: string;
  backend: string;
  files: number;
  rows: number;
  seconds: number;
  model: FileModelOptions;
  scoring: ScoringConfig;
  seasonalPeriod: SeasonalPeriod;
  profiles: Record<string, ProfileScore>;
}

/**
 * Runs the detector over every data file as NAB's runner does: per file, train on the
 * probationary rows only, score every row through the scoring pipeline, write NAB results;
 * then optimize the threshold per profile and score the corpus. Files run one after another:
 * TensorFlow already spreads each batch over the cores.
 */
export async function runNab(o: NabRunOptions, onFile?: (done: FileDone) => void): Promise<NabRunReport> {
  const started = performance.now();
  const windows = readWindowsFile(o.windowsFile);
  const profiles = readProfilesFile(o.profilesFile);
  const listed = listDataFiles(o.dataDir, o.files);
  for (const f of listed) {
    if (!windows.has(f.name)) throw new NabInputError(`${o.windowsFile}: has no windows entry for ${f.name}`);
  }
  const backend = await selectBackend(o.backend);
  const inputs: NabFileInput[] = [];
  let rows = 0;
  for (const [i, entry] of listed.entries()) {
    const fileStarted = performance.now();
    const file = readDataFile(entry.path, entry.name);
    const fileWindows = windows.get(entry.name)!;
    let labels: number[];
    try {
      labels = rowLabels(file, fileWindows);
    } catch (err) {
      throw new NabInputError(`${o.windowsFile}: ${(err as Error).message}`);
    }
    const trainRows = Math.max(probationaryLength(file.values.length), 0);
    const minRows = o.model.seqStep + 20;
    if (trainRows < minRows) {
      throw new NabInputError(`${entry.path}: its probationary period has ${trainRows} row(s); training needs at least ${minRows}`);
    }
    const trained = await trainFileModel(entry.name, file.values.slice(0, trainRows), file.timestamps.slice(0, trainRows), backend, o.model);
    let scores: number[];
    let rawScores: number[];
    try {
      const seasonalPeriod = o.seasonalPeriod === 'day' ? rowsPerDay(file.timestamps) : o.seasonalPeriod;
      ({ scores, rawScores } = await detectFile(file, trained.model, { ...o.scoring, seasonalPeriod }));
    } finally {
      trained.dispose();
    }
    const resultsFile = writeResultsFile(o.outDir, o.detector, file, scores, labels, rawScores);
    inputs.push({ name: entry.name, timestamps: file.timestamps, anomalyScores: scores, windows: fileWindows });
    rows += file.values.length;
    onFile?.({
      position: i + 1,
      total: listed.length,
      name: entry.name,
      rows: file.values.length,
      trainRows,
      epochs: trained.epochs,
      seconds: (performance.now() - fileStarted) / 1000,
      resultsFile,
    });
  }
  const scored = evaluateRun(inputs, profiles);
  return {
    detector: o.detector,
    backend,
    files: inputs.length,
    rows,
    seconds: (performance.now() - started) / 1000,
    model: o.model,
    scoring: o.scoring,
    seasonalPeriod: o.seasonalPeriod,
    profiles: scored,
  };
}
