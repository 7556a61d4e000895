import { readFileSync } from 'node:fs';
import type { EpisodeOpen } from './score.js';

export interface AlertOpens {
  opens: EpisodeOpen[];
  /** `open` messages that carry no usable start time (an untimed replay): they cannot be placed, so they are not scored. */
  untimed: number;
}

/**
 * The episode opens among alert messages, as socbench reads them: `state: "open"` only, its `stream` and its
 * `startTs` (ISO-8601, or epoch ms; `ts` when `startTs` is absent).
 */
export function opensOf(messages: Iterable<unknown>): AlertOpens {
  const opens: EpisodeOpen[] = [];
  let untimed = 0;
  for (const m of messages) {
    if (m === null || typeof m !== 'object') continue;
    const a = m as Record<string, unknown>;
    if (a.state !== 'open' || typeof a.stream !== 'string') continue;
    const when = a.startTs || a.ts;
    const t = typeof when === 'number' ? when : typeof when === 'string' ? Date.parse(when) : NaN;
    if (!Number.isFinite(t)) {
      untimed++;
      continue;
    }
    opens.push({ stream: a.stream, startTs: t, ...(typeof a.alertId === 'string' ? { alertId: a.alertId } : {}) });
  }
  return { opens, untimed };
}

/** The opens of an alerts NDJSON file (one alert message a line, as the daemon publishes them). Errors name the file and line. */
export function readAlertOpens(file: string): AlertOpens {
  const lines = readFileSync(file, 'utf8').split('\n');
  const messages: unknown[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      messages.push(JSON.parse(line));
    } catch (err) {
      throw new Error(`${file}:${i + 1}: not a JSON alert: ${(err as Error).message}`);
    }
  });
  return opensOf(messages);
}
