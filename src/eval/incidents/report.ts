import type { IncidentLabels, IncidentScore } from './score.js';

export interface IncidentReportMeta {
  input: string;
  config: string;
  labels: string;
  events: number;
  /** `open` messages without a start time: not scored. */
  untimedOpens: number;
}

const iso = (t: number) => new Date(t).toISOString().replace('.000Z', 'Z');
const ratio = (x: number | null) => (x === null ? 'n/a' : x.toFixed(3));
/** One false alarm in 2,500 source-days is 0.0004, not 0.000. */
const perDay = (x: number) => (x === 0 || x >= 0.01 ? x.toFixed(3) : x.toFixed(4));

/** The score as JSON: socbench.py's fields (same names, same values), then what was missed and what was false. */
export function incidentReportJson(score: IncidentScore, meta: IncidentReportMeta): object {
  return {
    ...meta,
    recall: score.recall,
    found: score.found,
    labelled: score.labelled,
    byKind: score.byKind,
    byKindCounts: score.byKindCounts,
    falsePerStreamDay: score.falsePerStreamDay,
    falseEpisodes: score.falseEpisodes,
    streamDays: score.streamDays,
    medianDelayPoints: score.medianDelayPoints,
    unlabelledStreamOpens: score.unlabelledStreamOpens,
    incidents: score.incidents.map((i) => ({ stream: i.stream, kind: i.kind, start: iso(i.start), end: iso(i.end), found: i.found, delay: i.delay })),
    falseAlarms: score.falseAlarms.map((f) => ({ stream: f.stream, startTs: iso(f.startTs), alertId: f.alertId })),
  };
}

/** The score as a table for a terminal. */
export function formatIncidentReport(score: IncidentScore, labels: IncidentLabels, meta: IncidentReportMeta): string {
  const cadence = labels.cadenceSeconds % 60 === 0 ? `${labels.cadenceSeconds / 60} min` : `${labels.cadenceSeconds} s`;
  const lines = [
    `events   ${meta.input} (${meta.events} lines)`,
    `config   ${meta.config}`,
    `labels   ${meta.labels}: ${labels.streams.size} sources, ${score.labelled} labelled incidents, scored from ${iso(labels.warmupEnd)} to ${iso(labels.end)}`,
    '',
    `${'kind'.padEnd(9)}${'found'.padStart(7)}${'labelled'.padStart(10)}${'recall'.padStart(9)}`,
  ];
  const row = (kind: string, found: number, total: number) =>
    `${kind.padEnd(9)}${String(found).padStart(7)}${String(total).padStart(10)}${ratio(total > 0 ? found / total : null).padStart(9)}`;
  for (const [kind, [found, total]] of Object.entries(score.byKindCounts)) lines.push(row(kind, found, total));
  lines.push(row('all', score.found, score.labelled), '');
  lines.push(
    `false alarms per source-day  ${perDay(score.falsePerStreamDay)}  (${score.falseEpisodes} episode(s) opened after warm-up in no labelled range, over ${score.streamDays.toFixed(1)} source-days)`,
    `median delay                 ${score.medianDelayPoints === null ? 'n/a' : `${score.medianDelayPoints} cadence(s)`}  (${cadence} each; from a range's start to the first episode opening in it, over ${score.found} found)`,
  );
  if (score.unlabelledStreamOpens > 0) lines.push(`not scored: ${score.unlabelledStreamOpens} episode(s) on sources the labels do not list`);
  if (meta.untimedOpens > 0) lines.push(`not scored: ${meta.untimedOpens} episode(s) without a start time`);
  return lines.join('\n') + '\n';
}
