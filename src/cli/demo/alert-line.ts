import type { Alert } from '../../pipeline/types.js';

const colors = { open: '\x1b[31m', update: '\x1b[33m', resolved: '\x1b[32m' } as const;

/**
 * One readable line per alert, e.g.
 * `10:42:07 OPEN     fw-03     spike    score 2.5863 > 1.0000  peak 2026-11-29T10:30Z  value 24916 (expected ~17239, +45%)`.
 * The value is the peak window's newest one against what the stream usually sends at that time; while
 * the stream's context is still learning, the model's reconstruction of the step it got most wrong.
 */
export function alertLine(a: Alert, color = false): string {
  const state = a.state.toUpperCase().padEnd(8);
  const head = `${state} ${a.stream.padEnd(9)} ${a.kind.padEnd(8)} score ${a.score.toFixed(4)} ${a.state === 'resolved' ? '<' : '>'} ${a.threshold.toFixed(4)}`;
  const peak = `peak ${a.peakTs === null ? `row ${a.peakIndex}` : `${a.peakTs.slice(0, 16)}Z`}`;
  let what: string;
  if (a.kind === 'silence') what = `no event since ${a.startTs?.slice(0, 16) ?? `row ${a.startIndex}`}Z`;
  else if (a.expected !== null) {
    const value = a.peak.values[a.peak.values.length - 1]?.[0];
    const pct = a.deviation === null ? '' : `, ${a.deviation >= 0 ? '+' : ''}${(a.deviation * 100).toFixed(0)}%`;
    what = `${peak}  value ${value?.toFixed(0)} (expected ~${a.expected.toFixed(0)}${pct})`;
  } else {
    const worst = a.peak.stepErrors.reduce((best, e, i, all) => (e > all[best] ? i : best), 0);
    what = `${peak}  worst value ${a.peak.values[worst]?.[0]?.toFixed(0)} (reconstructed ~${a.peak.reconstruction[worst]?.[0]?.toFixed(0)})`;
  }
  const episode = a.state === 'resolved' ? `  episode ${a.startTs?.slice(11, 16) ?? a.startIndex}–${a.endTs?.slice(11, 16) ?? a.endIndex}` : '';
  const time = new Date().toTimeString().slice(0, 8);
  const body = `${head}  ${what}${episode}`;
  return color ? `${time} ${colors[a.state]}${body}\x1b[0m` : `${time} ${body}`;
}
