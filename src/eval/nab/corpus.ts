import { scaledSigmoid } from './sigmoid.js';
import { DEFAULT_PROBATION_PERCENT, locateWindows, probationaryLength } from './windows.js';

/** One corpus file's detector output and its labelled windows. */
export interface NabFileInput {
  /** Corpus-relative data file name, e.g. "realKnownCause/nyc_taxi.csv". */
  name: string;
  /**
   * Row timestamps in milliseconds, in file order. Real NAB files repeat a few
   * timestamps (clock changes); windows are matched by timestamp as NAB does.
   */
  timestamps: readonly number[];
  /** One anomaly score per row (NAB expects [0, 1]). */
  anomalyScores: readonly number[];
  /** Anomaly windows as [start, end] timestamps (ms), each a timestamp of the file. */
  windows: readonly (readonly [number, number])[];
}

export interface PreparedFile {
  name: string;
  rows: number;
  probationaryRows: number;
  /** Range of this file's scorable rows in the corpus arrays: [rowStart, rowEnd). */
  rowStart: number;
  rowEnd: number;
  /** Range of this file's windows in the corpus window ids: [windowStart, windowEnd). */
  windowStart: number;
  windowEnd: number;
}

/**
 * A corpus reduced to what NAB's Sweeper needs, independent of the profile:
 * the scorable (non-probationary) rows of every file with their anomaly score,
 * the unweighted scaled-sigmoid value NAB gives a detection on that row, and
 * the window the row lies in.
 */
export interface PreparedCorpus {
  files: PreparedFile[];
  probationPercent: number;
  /** Anomaly score of each scorable row. */
  scores: Float64Array;
  /** Unweighted scaled sigmoid of each scorable row (see prepareCorpus). */
  sigmoids: Float64Array;
  /** Corpus window id of each scorable row, or -1 outside every window. */
  windowOf: Int32Array;
  /** Every labelled window of the files. */
  windowCount: number;
  /** 1 where a window has at least one scorable row; only those earn or lose points. */
  windowScorable: Uint8Array;
  scorableWindowCount: number;
  /** Scorable rows ordered by descending anomaly score; computed on first sweep. */
  descendingOrder?: Uint32Array;
}

/**
 * Walks each file as nab/sweeper.py calcSweepScore does. A row inside a window
 * gets scaledSigmoid(-(end - i + 1) / width), width = end - start + 1 rows; a row
 * outside every window gets scaledSigmoid(|prevEnd - i| / (prevWidth - 1)) for
 * the closest preceding window, or -1 when no window precedes it. Rows below
 * the probationary length are dropped, and a window none of whose rows is
 * scorable is ignored entirely (neither detected nor missed).
 */
export function prepareCorpus(
  files: readonly NabFileInput[],
  options: { probationPercent?: number } = {},
): PreparedCorpus {
  const probationPercent = options.probationPercent ?? DEFAULT_PROBATION_PERCENT;
  const seen = new Set<string>();
  let totalRows = 0;
  for (const f of files) {
    if (seen.has(f.name)) throw new RangeError(`${f.name}: appears twice in the corpus`);
    seen.add(f.name);
    checkFile(f);
    totalRows += f.timestamps.length;
  }

  const scores = new Float64Array(totalRows);
  const sigmoids = new Float64Array(totalRows);
  const windowOf = new Int32Array(totalRows);
  const windowScorableList: number[] = [];
  const prepared: PreparedFile[] = [];
  let row = 0;

  for (const f of files) {
    const windows = locateWindows(f.timestamps, f.windows, f.name);
    const windowStart = windowScorableList.length;
    for (let k = 0; k < windows.length; k++) windowScorableList.push(0);
    const probation = probationaryLength(f.timestamps.length, probationPercent);
    const rowStart = row;

    let next = 0;
    let current = -1;
    let prevEnd = -1;
    let prevWidth = 0;
    for (let i = 0; i < f.timestamps.length; i++) {
      // Enter and leave windows on timestamp equality, as NAB does, so repeated
      // timestamps behave the same; positions use the first row of each limit.
      const t = f.timestamps[i];
      if (next < windows.length && t === f.windows[next][0]) current = next++;
      let sigmoid: number;
      if (current >= 0) {
        const w = windows[current];
        sigmoid = scaledSigmoid(-(w.end - i + 1) / (w.end - w.start + 1));
      } else if (prevEnd < 0) {
        sigmoid = -1;
      } else {
        // A one-row window makes this x / 0 = Infinity, i.e. -1 (NAB divides by zero there).
        sigmoid = scaledSigmoid(Math.abs(prevEnd - i) / (prevWidth - 1));
      }
      if (i >= probation) {
        scores[row] = f.anomalyScores[i];
        sigmoids[row] = sigmoid;
        windowOf[row] = current >= 0 ? windowStart + current : -1;
        if (current >= 0) windowScorableList[windowStart + current] = 1;
        row++;
      }
      if (current >= 0 && t === f.windows[current][1]) {
        prevEnd = i;
        prevWidth = windows[current].end - windows[current].start + 1;
        current = -1;
      }
    }
    prepared.push({
      name: f.name,
      rows: f.timestamps.length,
      probationaryRows: Math.min(f.timestamps.length, Math.ceil(probation)),
      rowStart,
      rowEnd: row,
      windowStart,
      windowEnd: windowScorableList.length,
    });
  }

  const windowScorable = Uint8Array.from(windowScorableList);
  return {
    files: prepared,
    probationPercent,
    scores: scores.subarray(0, row),
    sigmoids: sigmoids.subarray(0, row),
    windowOf: windowOf.subarray(0, row),
    windowCount: windowScorable.length,
    windowScorable,
    scorableWindowCount: windowScorable.reduce((s, v) => s + v, 0),
  };
}

function checkFile(f: NabFileInput): void {
  if (f.timestamps.length !== f.anomalyScores.length) {
    throw new RangeError(`${f.name}: ${f.timestamps.length} timestamps but ${f.anomalyScores.length} anomaly scores`);
  }
  for (let i = 0; i < f.timestamps.length; i++) {
    if (!Number.isFinite(f.anomalyScores[i])) {
      throw new RangeError(`${f.name}: row ${i + 1}: anomaly score is not a finite number (${f.anomalyScores[i]})`);
    }
  }
}
