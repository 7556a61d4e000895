import type { Alert } from '../../pipeline/types.js';

const colors = { open: '\x1b[31m', update: '\x1b[33m', resolved: '\x1b[32m' } as const;

/** One readable line per alert, e.g. `10:42:07 OPEN     fw-03  score 0.412 > 0.021  at 2026-11-29T10:30Z  value 23500 (expected ~9400)`. */
export function alertLine(a: Alert, color = false): string {
  const last = a.peak.values.length - 1;
  const value = a.peak.values[last]?.[0];
  const expected = a.peak.reconstruction[last]?.[0];
  const state = a.state.toUpperCase().padEnd(8);
  const body =
    `${state} ${a.stream.padEnd(9)} score ${a.score.toFixed(4)} ${a.state === 'resolved' ? '<' : '>'} ${a.threshold.toFixed(4)}` +
    `  peak ${a.peakTs.slice(0, 16)}Z  value ${value?.toFixed(0)} (expected ~${expected?.toFixed(0)})` +
    (a.state === 'resolved' ? `  episode ${a.startTs.slice(11, 16)}–${a.endTs?.slice(11, 16)}` : '');
  const time = new Date().toTimeString().slice(0, 8);
  return color ? `${time} ${colors[a.state]}${body}\x1b[0m` : `${time} ${body}`;
}
