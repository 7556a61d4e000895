import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import picomatch from 'picomatch';
import { NabInputError, parseNabTimestamp } from '../nab/index.js';

/** One NAB data file: `timestamp,value` rows. */
export interface NabDataFile {
  /** Corpus-relative name, e.g. "realKnownCause/nyc_taxi.csv". */
  name: string;
  path: string;
  /** Timestamps as written in the file (results files repeat them verbatim). */
  timestampTexts: string[];
  timestamps: number[];
  values: number[];
}

/**
 * The data files of a NAB data directory (`<category>/<file>.csv`), sorted by name. `glob`
 * filters on the corpus-relative name, e.g. "realKnownCause/*" or "**\/nyc_taxi.csv".
 */
export function listDataFiles(dataDir: string, glob?: string): { name: string; path: string }[] {
  if (!isDirectory(dataDir)) throw new NabInputError(`${dataDir}: no such data directory`);
  const keep = glob ? picomatch(glob) : () => true;
  const files: { name: string; path: string }[] = [];
  for (const category of readdirSync(dataDir).sort()) {
    const dir = path.join(dataDir, category);
    if (category.startsWith('.') || !isDirectory(dir)) continue;
    for (const file of readdirSync(dir).sort()) {
      const name = `${category}/${file}`;
      if (file.endsWith('.csv') && keep(name)) files.push({ name, path: path.join(dir, file) });
    }
  }
  if (files.length === 0) {
    throw new NabInputError(`${dataDir}: no data files${glob ? ` match "${glob}"` : ''} (expected <category>/<file>.csv)`);
  }
  return files;
}

/** Reads a NAB data CSV: header `timestamp,value`, then one row per observation. */
export function readDataFile(file: string, name: string): NabDataFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new NabInputError(`${file}: cannot read: ${(err as Error).message}`);
  }
  const lines = text.split(/\r?\n/);
  const header = lines[0].split(',').map((h) => h.trim());
  const tCol = header.indexOf('timestamp');
  const vCol = header.indexOf('value');
  if (tCol < 0 || vCol < 0) throw new NabInputError(`${file}: header "${lines[0]}" lacks a timestamp and a value column`);
  const out: NabDataFile = { name, path: file, timestampTexts: [], timestamps: [], values: [] };
  for (let i = 1; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    const cells = lines[i].split(',');
    const tText = (cells[tCol] ?? '').trim();
    const t = parseNabTimestamp(tText);
    const v = Number(cells[vCol]);
    if (t === null) throw new NabInputError(`${file}:${i + 1}: "${tText}" is not a timestamp`);
    if (cells[vCol] === undefined || cells[vCol].trim() === '' || !Number.isFinite(v)) {
      throw new NabInputError(`${file}:${i + 1}: value "${cells[vCol] ?? ''}" is not a number`);
    }
    out.timestampTexts.push(tText);
    out.timestamps.push(t);
    out.values.push(v);
  }
  if (out.values.length === 0) throw new NabInputError(`${file}: has no data rows`);
  return out;
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}
