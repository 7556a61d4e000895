/** A numeric series read from a file: one row per observation, one column per feature. */
export interface Series {
  file: string;
  /** Feature names, one per value in each row. */
  columns: string[];
  rows: number[][];
  /** Epoch milliseconds per row, or null when the file has no timestamps. */
  timestamps: (number | null)[];
  /** Ground-truth labels (0/1) per row, present when the file has a `label` column/field. */
  labels?: number[];
}

export interface ReadSeriesOptions {
  /** Value columns to keep, in this order. Default: every numeric column except timestamp and label. */
  columns?: string[];
  /** Force the format instead of guessing from the extension (.ndjson/.jsonl → ndjson, else csv). */
  format?: 'csv' | 'ndjson';
}

/** A file that cannot be read as a series. The message names the file, the 1-based line when there is one, and the problem. */
export class SeriesReadError extends Error {
  override name = 'SeriesReadError';
  constructor(
    readonly file: string,
    readonly line: number | null,
    readonly problem: string,
  ) {
    super(line === null ? `${file}: ${problem}` : `${file}:${line}: ${problem}`);
  }
}

/** Flattens rows into a row-major Float32Array [rows][features]. */
export function seriesToMatrix(series: Pick<Series, 'rows' | 'columns'>): Float32Array {
  const f = series.columns.length;
  const out = new Float32Array(series.rows.length * f);
  series.rows.forEach((row, i) => out.set(row, i * f));
  return out;
}
