import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { describeIssue, formatPath } from '../../config/issues.js';
import type { IncidentLabels } from './score.js';

const isoTime = z.string().refine((s) => Number.isFinite(Date.parse(s)), { message: 'an ISO-8601 time' });

const labelsSchema = z
  .object({
    cadenceSeconds: z.number().positive(),
    start: isoTime,
    end: isoTime,
    warmupEnd: isoTime,
    streams: z.record(z.string().min(1), z.array(z.object({ kind: z.string().min(1), start: isoTime, end: isoTime }))),
  })
  .refine((l) => Date.parse(l.warmupEnd) < Date.parse(l.end), { message: 'warmupEnd before end', path: ['warmupEnd'] });

/** A labels file that cannot be used: the message names the file, the field and what was expected. */
export class LabelsError extends Error {
  override name = 'LabelsError';
}

/** Reads a socbench-style labels.json (`cadenceSeconds`, `start`, `end`, `warmupEnd`, `streams`: stream → ranges). */
export function readIncidentLabels(file: string): IncidentLabels {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new LabelsError(`${file}: cannot read labels: ${(err as Error).message}`);
  }
  return parseIncidentLabels(raw, file);
}

export function parseIncidentLabels(raw: unknown, file: string): IncidentLabels {
  const r = labelsSchema.safeParse(raw);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `  ${formatPath(i.path) || '(root)'}: ${describeIssue(i)}`);
    throw new LabelsError(`${file}: invalid labels\n${issues.join('\n')}`);
  }
  const l = r.data;
  return {
    cadenceSeconds: l.cadenceSeconds,
    start: Date.parse(l.start),
    end: Date.parse(l.end),
    warmupEnd: Date.parse(l.warmupEnd),
    streams: new Map(Object.entries(l.streams).map(([s, ranges]) => [s, ranges.map((x) => ({ kind: x.kind, start: Date.parse(x.start), end: Date.parse(x.end) }))])),
  };
}
