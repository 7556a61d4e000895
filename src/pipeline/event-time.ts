/** Earliest and latest event time accepted: the Unix epoch through 9999-12-31T23:59:59.999Z (what an ISO-8601 year holds). */
export const MIN_EVENT_TS = 0;
export const MAX_EVENT_TS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

export type EventTime = { ts: number } | { error: string };

/**
 * An event's timestamp: an ISO-8601 date-time with an explicit zone, or epoch milliseconds as an
 * integer number. `Date.parse` is not used: it reads "1" as 2001, "bad-45" as 2045 and rolls
 * "2024-02-30" over to March 1st. Every accepted value is a real calendar instant within
 * [MIN_EVENT_TS, MAX_EVENT_TS], so `toISOString` of it cannot throw.
 *
 * The accepted text: a calendar date, `T` (or a space), a time to at least the minute, an optional
 * fraction of the second (`.` or `,`, one to nine digits) and an explicit zone (`Z`, `±HH`, `±HHMM`
 * or `±HH:MM`). Read character by character: it runs once per event, and a regular expression's
 * match array and substrings were ~430 bytes of garbage an event.
 */
export function parseEventTime(raw: unknown): EventTime {
  if (typeof raw === 'number') {
    if (!Number.isInteger(raw)) return { error: 'epoch milliseconds must be an integer' };
    return inRange(raw);
  }
  if (typeof raw !== 'string') return { error: 'expected an ISO-8601 string or epoch milliseconds' };
  const t = raw;
  const n = t.length;
  const sep = t.charCodeAt(10);
  if (
    n < 17 ||
    t.charCodeAt(4) !== DASH ||
    t.charCodeAt(7) !== DASH ||
    (sep !== T && sep !== SPACE) ||
    t.charCodeAt(13) !== COLON
  ) {
    return NOT_ISO;
  }
  const year = digits(t, 0, 4);
  const month = digits(t, 5, 2);
  const day = digits(t, 8, 2);
  const hour = digits(t, 11, 2);
  const minute = digits(t, 14, 2);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0) return NOT_ISO;
  let at = 16;
  let second = 0;
  let ms = 0;
  if (t.charCodeAt(at) === COLON) {
    second = digits(t, at + 1, 2);
    if (second < 0) return NOT_ISO;
    at += 3;
    const mark = t.charCodeAt(at);
    if (mark === DOT || mark === COMMA) {
      let end = at + 1;
      while (end < n && isDigit(t.charCodeAt(end))) end++;
      const count = end - at - 1;
      if (count < 1 || count > 9) return NOT_ISO;
      // The fraction's first three digits, padded: the milliseconds, truncated.
      for (let i = 1; i <= 3; i++) ms = ms * 10 + (i <= count ? t.charCodeAt(at + i) - ZERO : 0);
      at = end;
    }
  }
  let offsetMin = 0;
  const zone = t.charCodeAt(at);
  if (zone === UPPER_Z || zone === LOWER_Z) {
    if (at + 1 !== n) return NOT_ISO;
  } else if (zone === PLUS || zone === MINUS) {
    const zh = digits(t, at + 1, 2);
    if (zh < 0) return NOT_ISO;
    let zm = 0;
    const rest = n - (at + 3);
    if (rest === 2 || (rest === 3 && t.charCodeAt(at + 3) === COLON)) {
      zm = digits(t, n - 2, 2);
      if (zm < 0) return NOT_ISO;
    } else if (rest !== 0) return NOT_ISO;
    if (zh > 23 || zm > 59) return { error: 'zone offset out of range' };
    offsetMin = (zone === MINUS ? -1 : 1) * (zh * 60 + zm);
  } else {
    return NOT_ISO;
  }
  // Checked field by field (a date or time that does not exist: Feb 30, 24:00, 10:61); Date.UTC
  // alone would roll them over. It also reads years below 100 as 19xx; those are all before MIN_EVENT_TS.
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) {
    return { error: 'not a real calendar date and time' };
  }
  if (year < 100) return inRange(-1);
  return inRange(Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMin * 60_000);
}

const NOT_ISO: EventTime = { error: 'not an ISO-8601 date-time with a zone (e.g. 2026-11-22T10:00:00Z)' };
const ZERO = 48;
const DASH = 45;
const COLON = 58;
const DOT = 46;
const COMMA = 44;
const SPACE = 32;
const T = 84;
const PLUS = 43;
const MINUS = 45;
const UPPER_Z = 90;
const LOWER_Z = 122;

function isDigit(c: number): boolean {
  return c >= ZERO && c <= ZERO + 9;
}

/** The `count` decimal digits of `t` from `at` as a number; -1 when any of them is not a digit (or is missing). */
function digits(t: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const c = t.charCodeAt(i);
    if (!isDigit(c)) return -1;
    value = value * 10 + (c - ZERO);
  }
  return value;
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
