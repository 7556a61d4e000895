import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import type { CostMatrix } from './cost-matrix.js';
import type { NabFileInput } from './corpus.js';
import { parseNabTimestamp } from './timestamps.js';

/** Bad NAB input: the message names the file and the problem. */
export class NabInputError extends Error {
  override name = 'NabInputError';
}

/** Windows per corpus file ("category/file.csv"), as [start, end] timestamps in ms. */
export type WindowsByFile = Map<string, [number, number][]>;

/** Thresholds per detector and profile (NAB's config/thresholds.json). */
export type Thresholds = Record<string, Record<string, number>>;

/** One results CSV of a detector. */
export interface ResultsFile {
  /** Corpus-relative data file name, e.g. "realKnownCause/nyc_taxi.csv". */
  name: string;
  path: string;
  timestamps: number[];
  anomalyScores: number[];
}

export interface DetectorResults {
  detector: string;
  files: ResultsFile[];
}

function readJson(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new NabInputError(`${file}: cannot read the ${what}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new NabInputError(`${file}: the ${what} is not valid JSON: ${(err as Error).message}`);
  }
}

function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, file: string, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `  ${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
  throw new NabInputError(`${file}: not a valid ${what}:\n${problems.join('\n')}`);
}

const windowsSchema = z.record(z.string(), z.array(z.tuple([z.string(), z.string()])));

/** Reads NAB's combined_windows.json: {"category/file.csv": [[start, end], ...]}. */
export function readWindowsFile(file: string): WindowsByFile {
  const raw = parseOrThrow(windowsSchema, readJson(file, 'windows file'), file, 'NAB windows file');
  const out: WindowsByFile = new Map();
  for (const [name, windows] of Object.entries(raw)) {
    out.set(
      name,
      windows.map(([start, end], k) => {
        const s = parseNabTimestamp(start);
        const e = parseNabTimestamp(end);
        if (s === null) throw new NabInputError(`${file}: ${name} window ${k + 1}: start "${start}" is not a timestamp`);
        if (e === null) throw new NabInputError(`${file}: ${name} window ${k + 1}: end "${end}" is not a timestamp`);
        return [s, e];
      }),
    );
  }
  return out;
}

const weight = z.number().refine(Number.isFinite, 'must be a finite number');
const profilesSchema = z.record(
  z.string(),
  z.object({ CostMatrix: z.object({ tpWeight: weight, fpWeight: weight, fnWeight: weight, tnWeight: weight.optional() }) }),
);

/** Reads NAB's config/profiles.json into a cost matrix per profile name. */
export function readProfilesFile(file: string): Record<string, CostMatrix> {
  const raw = parseOrThrow(profilesSchema, readJson(file, 'profiles file'), file, 'NAB profiles file');
  if (Object.keys(raw).length === 0) throw new NabInputError(`${file}: defines no profile`);
  return Object.fromEntries(Object.entries(raw).map(([name, p]) => [name, p.CostMatrix]));
}

const thresholdsSchema = z.record(z.string(), z.record(z.string(), z.object({ threshold: weight }).loose()));

/** Reads NAB's config/thresholds.json: {detector: {profile: {threshold, score}}}. */
export function readThresholdsFile(file: string): Thresholds {
  const raw = parseOrThrow(thresholdsSchema, readJson(file, 'thresholds file'), file, 'NAB thresholds file');
  return Object.fromEntries(
    Object.entries(raw).map(([detector, byProfile]) => [
      detector,
      Object.fromEntries(Object.entries(byProfile).map(([profile, t]) => [profile, t.threshold])),
    ]),
  );
}

/** Reads one results CSV: a header with `timestamp` and `anomaly_score` columns (others are ignored). */
export function readResultsCsv(file: string, name: string): ResultsFile {
  let rows: string[][];
  try {
    rows = parse(readFileSync(file, 'utf8'), { skip_empty_lines: true, trim: true, relax_column_count: true });
  } catch (err) {
    throw new NabInputError(`${file}: cannot read as CSV: ${(err as Error).message}`);
  }
  const header = rows[0];
  if (!header) throw new NabInputError(`${file}: is empty; expected a header with timestamp,anomaly_score`);
  const tCol = header.indexOf('timestamp');
  const sCol = header.indexOf('anomaly_score');
  if (tCol < 0 || sCol < 0) {
    throw new NabInputError(`${file}: header "${header.join(',')}" lacks a timestamp and an anomaly_score column`);
  }
  const timestamps: number[] = [];
  const anomalyScores: number[] = [];
  for (let i = 1; i < rows.length; i++) {
    const t = parseNabTimestamp(rows[i][tCol] ?? '');
    const text = rows[i][sCol] ?? '';
    const s = text === '' ? Number.NaN : Number(text);
    if (t === null) throw new NabInputError(`${file}: line ${i + 1}: "${rows[i][tCol] ?? ''}" is not a timestamp`);
    if (!Number.isFinite(s)) throw new NabInputError(`${file}: line ${i + 1}: anomaly_score "${text}" is not a number`);
    timestamps.push(t);
    anomalyScores.push(s);
  }
  return { name, path: file, timestamps, anomalyScores };
}

function subdirectories(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
    .map((d) => d.name)
    .sort();
}

/**
 * Reads a NAB results directory: `<detector>/<category>/<detector>_<file>.csv`.
 * Files directly under a detector directory (NAB's `<detector>_<profile>_scores.csv`) are not results and are skipped.
 */
export function readResultsDir(dir: string): DetectorResults[] {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    // reported below
  }
  if (!isDir) throw new NabInputError(`${dir}: no such results directory`);
  const detectors = subdirectories(dir);
  if (detectors.length === 0) throw new NabInputError(`${dir}: holds no detector directory (<detector>/<category>/<detector>_<file>.csv)`);
  return detectors.map((detector) => {
    const files: ResultsFile[] = [];
    for (const category of subdirectories(path.join(dir, detector))) {
      const categoryDir = path.join(dir, detector, category);
      for (const entry of readdirSync(categoryDir).sort()) {
        if (!entry.endsWith('.csv') || entry.startsWith('.')) continue;
        const file = path.join(categoryDir, entry);
        const prefix = `${detector}_`;
        if (!entry.startsWith(prefix)) throw new NabInputError(`${file}: results file name must start with "${prefix}"`);
        files.push(readResultsCsv(file, `${category}/${entry.slice(prefix.length)}`));
      }
    }
    if (files.length === 0) throw new NabInputError(`${path.join(dir, detector)}: holds no results file`);
    return { detector, files };
  });
}

/** Pairs every results file with its windows; a file the windows file does not list is an error. */
export function toCorpusInputs(results: DetectorResults, windows: WindowsByFile, windowsFile: string): NabFileInput[] {
  return results.files.map((f) => {
    const w = windows.get(f.name);
    if (!w) throw new NabInputError(`${f.path}: ${windowsFile} has no entry "${f.name}"`);
    return { name: f.name, timestamps: f.timestamps, anomalyScores: f.anomalyScores, windows: w };
  });
}
