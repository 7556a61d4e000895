/** A labelled anomaly window as inclusive row indices into one file. */
export interface RowWindow {
  start: number;
  end: number;
}

/** NAB's default share of each file that is a probationary (unscored) period. */
export const DEFAULT_PROBATION_PERCENT = 0.15;

/**
 * Rows with index below this are probationary and ignored by the scorer:
 * min(floor(percent * rows), percent * 5000), i.e. at most 750 rows at 15 %.
 */
export function probationaryLength(numRows: number, probationPercent = DEFAULT_PROBATION_PERCENT): number {
  return Math.min(Math.floor(probationPercent * numRows), probationPercent * 5000);
}

/**
 * Maps windows given as [start, end] timestamps to row indices: the first row
 * carrying each limit's timestamp (NAB's `timestamps.index`). Both limits must
 * be timestamps of the file, and windows must be in order without overlap.
 */
export function locateWindows(
  timestamps: readonly number[],
  windows: readonly (readonly [number, number])[],
  fileName: string,
): RowWindow[] {
  const rowOf = new Map<number, number>();
  for (let i = timestamps.length - 1; i >= 0; i--) rowOf.set(timestamps[i], i);
  const located: RowWindow[] = [];
  windows.forEach(([startTime, endTime], k) => {
    const start = rowOf.get(startTime);
    const end = rowOf.get(endTime);
    const label = `${fileName}: window ${k + 1} [${iso(startTime)}, ${iso(endTime)}]`;
    if (start === undefined) throw new RangeError(`${label}: start is not a timestamp of the file`);
    if (end === undefined) throw new RangeError(`${label}: end is not a timestamp of the file`);
    if (end < start) throw new RangeError(`${label}: ends before it starts`);
    const prev = located[located.length - 1];
    if (prev && start <= prev.end) throw new RangeError(`${label}: overlaps or precedes the window before it`);
    located.push({ start, end });
  });
  return located;
}

function iso(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString().replace('T', ' ').replace('Z', '') : String(ms);
}
