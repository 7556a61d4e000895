/** Earliest and latest event time accepted: the Unix epoch through 9999-12-31T23:59:59.999Z (what an ISO-8601 year holds). */
export const MIN_EVENT_TS = 0;
export const MAX_EVENT_TS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

// Calendar date, `T` (or a space), time to at least the minute, optional fraction, and an explicit zone.
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|z|[+-]\d{2}(?::?\d{2})?)$/;

export type EventTime = { ts: number } | { error: string };

/**
 * An event's timestamp: an ISO-8601 date-time with an explicit zone, or epoch milliseconds as an
 * integer number. `Date.parse` is not used: it reads "1" as 2001, "bad-45" as 2045 and rolls
 * "2024-02-30" over to March 1st. Every accepted value is a real calendar instant within
 * [MIN_EVENT_TS, MAX_EVENT_TS], so `toISOString` of it cannot throw.
 */
export function parseEventTime(raw: unknown): EventTime {
  if (typeof raw === 'number') {
    if (!Number.isInteger(raw)) return { error: 'epoch milliseconds must be an integer' };
    return inRange(raw);
  }
  if (typeof raw !== 'string') return { error: 'expected an ISO-8601 string or epoch milliseconds' };
  const m = ISO_8601.exec(raw);
  if (m === null) return { error: 'not an ISO-8601 date-time with a zone (e.g. 2026-11-22T10:00:00Z)' };
  const [, y, mo, d, h, mi, s = '0', frac = '', zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  const ms = Math.floor(Number(`0.${frac || '0'}`) * 1000);
  // Checked field by field (a date or time that does not exist: Feb 30, 24:00, 10:61); Date.UTC
  // alone would roll them over. It also reads years below 100 as 19xx; those are all before MIN_EVENT_TS.
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) {
    return { error: 'not a real calendar date and time' };
  }
  if (year < 100) return inRange(-1);
  let offsetMin = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const digits = zone.slice(1).replace(':', '');
    const zh = Number(digits.slice(0, 2));
    const zm = Number(digits.slice(2) || '0');
    if (zh > 23 || zm > 59) return { error: 'zone offset out of range' };
    offsetMin = (zone[0] === '-' ? -1 : 1) * (zh * 60 + zm);
  }
  return inRange(Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMin * 60_000);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1];
}

function inRange(ts: number): EventTime {
  if (ts < MIN_EVENT_TS || ts > MAX_EVENT_TS) return { error: 'outside 1970-01-01T00:00:00Z..9999-12-31T23:59:59.999Z' };
  return { ts };
}
