import type { Alert } from '../../pipeline/types.js';

const colors = { open: '\x1b[31m', update: '\x1b[33m', resolved: '\x1b[32m' } as const;

/**
 * One readable line per alert, e.g.
 * `10:42:07 OPEN     fw-03     score 0.4120 > 0.0014  peak 2026-11-29T10:30Z  worst value 23500 (expected ~9400)`.
 * The value shown is the peak window's step with the largest reconstruction error.
 */
export function alertLine(a: Alert, color = false): string {
  const worst = a.peak.stepErrors.reduce((best, e, i, all) => (e > all[best] ? i : best), 0);
  const value = a.peak.values[worst]?.[0];
  const expected = a.peak.reconstruction[worst]?.[0];
  const state = a.state.toUpperCase().padEnd(8);
  const body =
    `${state} ${a.stream.padEnd(9)} score ${a.score.toFixed(4)} ${a.state === 'resolved' ? '<' : '>'} ${a.threshold.toFixed(4)}` +
    `  peak ${a.peakTs === null ? `row ${a.peakIndex}` : `${a.peakTs.slice(0, 16)}Z`}  worst value ${value?.toFixed(0)} (expected ~${expected?.toFixed(0)})` +
    (a.state === 'resolved' ? `  episode ${a.startTs?.slice(11, 16) ?? a.startIndex}–${a.endTs?.slice(11, 16) ?? a.endIndex}` : '');
  const time = new Date().toTimeString().slice(0, 8);
  return color ? `${time} ${colors[a.state]}${body}\x1b[0m` : `${time} ${body}`;
}
