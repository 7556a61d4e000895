import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse } from 'csv-parse/sync';
import { SeriesReadError, type ReadSeriesOptions, type Series } from './series.js';
import { parseTimestamp } from './timestamp.js';

const TIMESTAMP_NAMES = new Set(['timestamp', 'ts']);
const LABEL_NAME = 'label';

/**
 * Reads a series file: CSV without header (one or more values per line), CSV with a header
 * (optional `timestamp`/`ts` column, optional `label` column), or NDJSON (`{"ts":..,"value":..}`
 * or `{"ts":..,"values":[..]}` per line).
 */
export async function readSeries(file: string, options: ReadSeriesOptions = {}): Promise<Series> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a file' : (err as Error).message;
    throw new SeriesReadError(file, null, `cannot read: ${why}`);
  }
  const format = options.format ?? (['.ndjson', '.jsonl'].includes(extname(file).toLowerCase()) ? 'ndjson' : 'csv');
  const series = format === 'ndjson' ? parseNdjson(file, text, options) : parseCsv(file, text, options);
  if (series.rows.length === 0) throw new SeriesReadError(file, null, 'empty file: no data rows');
  return series;
}

function parseNumber(cell: unknown): number | null {
  if (typeof cell === 'number') return Number.isFinite(cell) ? cell : null;
  if (typeof cell !== 'string' || cell.trim() === '') return null;
  const n = Number(cell);
  return Number.isFinite(n) ? n : null;
}

function describe(cell: unknown): string {
  if (cell === undefined || cell === null || (typeof cell === 'string' && cell.trim() === '')) return 'empty value';
  return `non-numeric value ${JSON.stringify(cell)}`;
}

interface CsvRecord {
  record: string[];
  info: { lines: number };
}

export function parseCsv(file: string, text: string, options: ReadSeriesOptions = {}): Series {
  let records: CsvRecord[];
  try {
    records = parse(text, { info: true, skip_empty_lines: true, relax_column_count: true, trim: true, bom: true }) as unknown as CsvRecord[];
  } catch (err) {
    const e = err as Error & { lines?: number };
    throw new SeriesReadError(file, e.lines ?? null, `malformed CSV: ${e.message}`);
  }
  if (records.length === 0) return { file, columns: [], rows: [], timestamps: [] };

  const first = records[0];
  const numericCells = first.record.filter((c) => parseNumber(c) !== null).length;
  const hasHeader = numericCells === 0;
  if (!hasHeader && numericCells !== first.record.length) {
    const bad = first.record.find((c) => parseNumber(c) === null);
    throw new SeriesReadError(file, first.info.lines, `${describe(bad)} (a header line must name every column; a data line must be all numbers)`);
  }
  const header = hasHeader ? first.record : first.record.length === 1 ? ['value'] : first.record.map((_, i) => `value${i + 1}`);
  const data = hasHeader ? records.slice(1) : records;
  if (data.length === 0) return { file, columns: header, rows: [], timestamps: [] };

  const lower = header.map((h) => h.toLowerCase());
  const tsIndex = hasHeader ? lower.findIndex((h) => TIMESTAMP_NAMES.has(h)) : -1;
  const labelIndex = hasHeader ? lower.indexOf(LABEL_NAME) : -1;
  let valueIndexes: number[];
  if (options.columns && options.columns.length > 0) {
    valueIndexes = options.columns.map((name) => {
      const i = header.indexOf(name);
      if (i < 0) throw new SeriesReadError(file, null, `no column named "${name}" (columns: ${header.join(', ')})`);
      return i;
    });
  } else {
    valueIndexes = header
      .map((_, i) => i)
      .filter((i) => i !== tsIndex && i !== labelIndex && parseNumber(data[0].record[i]) !== null);
    if (valueIndexes.length === 0) {
      throw new SeriesReadError(file, data[0].info.lines, `no numeric value column (columns: ${header.join(', ')})`);
    }
  }

  const rows: number[][] = [];
  const timestamps: (number | null)[] = [];
  const labels: number[] = [];
  for (const { record, info } of data) {
    if (record.length !== header.length) {
      throw new SeriesReadError(file, info.lines, `ragged row: expected ${header.length} field(s), found ${record.length}`);
    }
    const row = valueIndexes.map((i) => {
      const v = parseNumber(record[i]);
      if (v === null) throw new SeriesReadError(file, info.lines, `${describe(record[i])} in column "${header[i]}"`);
      return v;
    });
    rows.push(row);
    if (tsIndex >= 0) {
      const ts = parseTimestamp(record[tsIndex]);
      if (ts === null) throw new SeriesReadError(file, info.lines, `invalid timestamp ${JSON.stringify(record[tsIndex])}`);
      timestamps.push(ts);
    } else timestamps.push(null);
    if (labelIndex >= 0) {
      const l = parseNumber(record[labelIndex]);
      if (l === null) throw new SeriesReadError(file, info.lines, `${describe(record[labelIndex])} in column "${header[labelIndex]}"`);
      labels.push(l);
    }
  }
  const series: Series = { file, columns: valueIndexes.map((i) => header[i]), rows, timestamps };
  if (labelIndex >= 0) series.labels = labels;
  return series;
}

export function parseNdjson(file: string, text: string, options: ReadSeriesOptions = {}): Series {
  const rows: number[][] = [];
  const timestamps: (number | null)[] = [];
  const labels: number[] = [];
  let columns: string[] | null = options.columns && options.columns.length > 0 ? options.columns : null;
  let anyLabel = false;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    const lineNo = i + 1;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch (err) {
      throw new SeriesReadError(file, lineNo, `invalid JSON: ${(err as Error).message}`);
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
      throw new SeriesReadError(file, lineNo, 'expected a JSON object per line');
    }
    const o = obj as Record<string, unknown>;
    let row: number[];
    if (options.columns && options.columns.length > 0) {
      row = options.columns.map((name) => {
        const v = parseNumber(o[name]);
        if (v === null) throw new SeriesReadError(file, lineNo, `${describe(o[name])} in field "${name}"`);
        return v;
      });
    } else if ('values' in o) {
      if (!Array.isArray(o.values)) throw new SeriesReadError(file, lineNo, '"values" must be an array of numbers');
      row = o.values.map((cell, j) => {
        const v = parseNumber(cell);
        if (v === null) throw new SeriesReadError(file, lineNo, `${describe(cell)} at values[${j}]`);
        return v;
      });
    } else if ('value' in o) {
      const v = parseNumber(o.value);
      if (v === null) throw new SeriesReadError(file, lineNo, `${describe(o.value)} in field "value"`);
      row = [v];
    } else {
      throw new SeriesReadError(file, lineNo, 'missing "value" or "values" field');
    }
    if (columns === null) columns = row.length === 1 && 'value' in o ? ['value'] : row.map((_, j) => `value${j + 1}`);
    if (row.length !== columns.length) {
      throw new SeriesReadError(file, lineNo, `ragged row: expected ${columns.length} value(s), found ${row.length}`);
    }
    rows.push(row);
    const rawTs = o.ts ?? o.timestamp;
    if (rawTs === undefined || rawTs === null) timestamps.push(null);
    else {
      const ts = typeof rawTs === 'number' || typeof rawTs === 'string' ? parseTimestamp(rawTs) : null;
      if (ts === null) throw new SeriesReadError(file, lineNo, `invalid timestamp ${JSON.stringify(rawTs)}`);
      timestamps.push(ts);
    }
    if ('label' in o) {
      const l = parseNumber(o.label);
      if (l === null) throw new SeriesReadError(file, lineNo, `${describe(o.label)} in field "label"`);
      labels.push(l);
      anyLabel = true;
    } else if (anyLabel) throw new SeriesReadError(file, lineNo, 'missing "label" field (earlier lines have one)');
  }
  const series: Series = { file, columns: columns ?? [], rows, timestamps };
  if (anyLabel) {
    if (labels.length !== rows.length) throw new SeriesReadError(file, null, 'some lines have a "label" field and some do not');
    series.labels = labels;
  }
  return series;
}
