/**
 * Parses a timestamp cell to epoch milliseconds, or returns null when it is not a timestamp.
 * Numbers below 1e11 are epoch seconds (1e11 s is the year 5138), larger ones epoch milliseconds.
 * Date-time strings without a zone (NAB's `2014-04-01 00:00:00`) are read as UTC.
 */
export function parseTimestamp(raw: string | number): number | null {
  if (typeof raw === 'number') return Number.isFinite(raw) ? (Math.abs(raw) < 1e11 ? raw * 1000 : raw) : null;
  const text = raw.trim();
  if (text === '') return null;
  if (/^-?\d+(\.\d+)?$/.test(text)) return parseTimestamp(Number(text));
  let iso = text.replace(/^(\d{4}-\d{2}-\d{2})[ T]/, '$1T');
  if (/T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(iso)) iso += 'Z';
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms;
}
