const PATTERN = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;

/**
 * Parses a NAB timestamp ("2014-04-10 07:15:00" in data and results files,
 * "2014-04-10 07:15:00.000000" in window files) into milliseconds since the
 * epoch, reading the wall-clock time as UTC. Returns null when the text is not
 * such a timestamp. Only equality and order matter to the scorer.
 */
export function parseNabTimestamp(text: string): number | null {
  const m = PATTERN.exec(text.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac] = m;
  const ms = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s);
  const date = new Date(ms);
  // Date.UTC rolls over out-of-range fields (e.g. 2014-02-30); reject those.
  if (date.getUTCMonth() !== +mo - 1 || date.getUTCDate() !== +d || date.getUTCHours() !== +h || date.getUTCMinutes() !== +mi) {
    return null;
  }
  return frac ? ms + Number(`0.${frac}`) * 1000 : ms;
}
