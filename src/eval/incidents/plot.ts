import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { RowSpan } from '../../plot/score-chart.js';
import { writeScoreChart } from '../../plot/score-chart.js';
import { logger } from '../../log.js';
import type { Alert } from '../../pipeline/types.js';
import type { EpisodeOpen, IncidentLabels, IncidentScore, LabelledRange, ScoredIncident } from './score.js';

/** One stream's scored windows as the replay saw them: time, newest value, what the detector expected there, score. */
export interface StreamTrace {
  ts: number[];
  value: number[];
  /** NaN where the stream's scoring gives no expected value. */
  expected: number[];
  score: number[];
  threshold: number;
}

/** Collects every stream's scored windows during a replay, for the charts. */
export class StreamTraces {
  private readonly traces = new Map<string, StreamTrace>();

  add(stream: string, ts: number, value: number, expected: number | undefined, score: number, threshold: number): void {
    let t = this.traces.get(stream);
    if (t === undefined) {
      t = { ts: [], value: [], expected: [], score: [], threshold };
      this.traces.set(stream, t);
    }
    t.ts.push(ts);
    t.value.push(value);
    t.expected.push(expected ?? NaN);
    t.score.push(score);
    t.threshold = threshold;
  }

  get(stream: string): StreamTrace | undefined {
    return this.traces.get(stream);
  }
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** How much of the series a chart shows around what it is about. */
const BEFORE = 2 * DAY;
const AFTER = DAY;

interface Episode {
  start: number;
  end: number;
}

/**
 * One PNG per missed incident and per false alarm in `dir`: the stream's values around it, its score against
 * the threshold, the labelled ranges (green) and the alert episodes (red). Returns the files written.
 */
export async function plotIncidents(
  dir: string,
  score: IncidentScore,
  labels: IncidentLabels,
  alerts: readonly Alert[],
  traces: StreamTraces,
): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const log = logger();
  const total = score.incidents.filter((i) => !i.found).length + score.falseAlarms.length;
  let lastProgress = Date.now();
  const episodes = episodesByStream(alerts, traces);
  const files: string[] = [];
  const draw = async (name: string, stream: string, from: number, to: number, title: string, subtitle: string) => {
    const trace = traces.get(stream);
    if (trace === undefined) return;
    const first = trace.ts.findIndex((t) => t >= from);
    if (first < 0) return;
    let last = first;
    while (last + 1 < trace.ts.length && trace.ts[last + 1] <= to) last++;
    const ts = trace.ts.slice(first, last + 1);
    const spans = (ranges: readonly { start: number; end: number }[]) =>
      ranges.filter((r) => r.end >= from && r.start <= to).flatMap((r) => rowSpan(ts, r.start, r.end));
    const file = join(dir, name);
    const expected = trace.expected.slice(first, last + 1);
    // The expected value is drawn as a second line when the stream's scoring gives one (vega leaves NaN points out).
    const withExpected = expected.some((e) => !Number.isNaN(e));
    await writeScoreChart(
      {
        title,
        subtitle,
        timestamps: ts,
        values: trace.value.slice(first, last + 1).map((v, i) => (withExpected ? [v, expected[i]] : [v])),
        columns: withExpected ? ['value', 'expected'] : ['value'],
        scores: trace.score.slice(first, last + 1),
        threshold: trace.threshold,
        episodes: spans(episodes.get(stream) ?? []),
        labelRanges: spans(labels.streams.get(stream) ?? []),
      },
      file,
    );
    files.push(file);
    if (Date.now() - lastProgress >= 5000) {
      lastProgress = Date.now();
      log.info({ dir, charts: files.length, of: total }, `${files.length} of ${total} charts written`);
    }
  };
  for (const m of score.incidents.filter((i) => !i.found)) {
    const to = m.kind === 'shift' ? m.start + 2 * DAY : m.end + AFTER;
    await draw(`missed-${safe(m.stream)}-${m.kind}-${stamp(m.start)}.png`, m.stream, m.start - BEFORE, to, `${m.stream}: ${m.kind} missed`, describeRange(m));
  }
  for (const f of score.falseAlarms) {
    await draw(`false-${safe(f.stream)}-${stamp(f.startTs)}.png`, f.stream, f.startTs - BEFORE, f.startTs + AFTER, `${f.stream}: false alarm`, describeOpen(f, labels));
  }
  return files;
}

/** Episodes from the alert messages; one still open at the end of the replay lasts until the stream's last window. */
function episodesByStream(alerts: readonly Alert[], traces: StreamTraces): Map<string, Episode[]> {
  const byId = new Map<string, { stream: string; start: number; end: number | null }>();
  for (const a of alerts) {
    if (a.startTs === null) continue;
    const e = byId.get(a.alertId) ?? { stream: a.stream, start: Date.parse(a.startTs), end: null };
    if (a.endTs !== null) e.end = Date.parse(a.endTs);
    byId.set(a.alertId, e);
  }
  const out = new Map<string, Episode[]>();
  for (const e of byId.values()) {
    const end = e.end ?? traces.get(e.stream)?.ts.at(-1) ?? e.start;
    out.set(e.stream, [...(out.get(e.stream) ?? []), { start: e.start, end }]);
  }
  return out;
}

/**
 * The rows a time range covers. A range with no row inside it (a silence: no events at all) is drawn over the
 * gap, from the last row before it to the first row after it.
 */
export function rowSpan(ts: readonly number[], start: number, end: number): RowSpan[] {
  if (ts.length === 0) return [];
  let first = ts.findIndex((t) => t >= start);
  if (first < 0) first = ts.length;
  let last = first - 1;
  while (last + 1 < ts.length && ts[last + 1] <= end) last++;
  if (last >= first) return [{ start: first, end: last }];
  return [{ start: Math.max(0, first - 1), end: Math.min(ts.length - 1, first) }];
}

function describeRange(r: ScoredIncident | LabelledRange): string {
  return `labelled ${r.kind} ${iso(r.start)} – ${iso(r.end)} UTC · green: labelled ranges, red: alert episodes`;
}

function describeOpen(o: EpisodeOpen, labels: IncidentLabels): string {
  const n = labels.streams.get(o.stream)?.length ?? 0;
  return `episode opened ${iso(o.startTs)} UTC, in no labelled range (the stream has ${n}) · green: labelled ranges, red: alert episodes`;
}

const iso = (t: number) => new Date(t).toISOString().slice(0, 16).replace('T', ' ');
const stamp = (t: number) => new Date(t).toISOString().slice(0, 16).replace(/[-:]/g, '');
const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_');
