import type { Command } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Series } from '../../data/index.js';
import { evaluateReplay, firstInvalidLabel, labelRanges, type EvaluationReport } from '../../eval/evaluate.js';
import type { RankingMetric } from '../../eval/classification.js';
import { UsageError } from '../errors.js';
import { readInput, replayFile, replayMode, withFileReplayOptions, writeReplayChart, type FileReplayOptions } from '../file-replay.js';
import { replayEventsFile } from '../events-replay.js';
import { LabelsError, readIncidentLabels } from '../../eval/incidents/labels.js';
import { opensOf } from '../../eval/incidents/opens.js';
import { plotIncidents, StreamTraces } from '../../eval/incidents/plot.js';
import { formatIncidentReport, incidentReportJson } from '../../eval/incidents/report.js';
import { scoreIncidents } from '../../eval/incidents/score.js';
import { logger } from '../../log.js';

interface EvaluateCliOptions extends FileReplayOptions {
  json?: boolean;
  labels?: string;
  alerts?: string;
}

export function register(program: Command): void {
  const command = withFileReplayOptions(
    program
      .command('evaluate')
      .description(
        'replay labelled data through the scoring pipeline and score the detections: with --model, one file with a label column ' +
          '(precision, recall, F1, ROC-AUC, AP, episode hits); with --config, an events file of many sources against labelled incidents ' +
          '(recall per kind, false alarms per source-day, delay)',
      ),
    'with --model: CSV with a header holding the value column(s) and a 0/1 `label` column, or NDJSON with a "label" field; with --config: NDJSON events, one a line, in time order',
    'with --model: write a chart of values, scores, alert episodes and labelled ranges (PNG; SVG when the name ends in .svg); ' +
      'with --config: a directory, one PNG per missed incident and per false alarm',
  )
    .option('--labels <file>', 'with --config: labelled incidents per source (socbench labels.json: cadenceSeconds, warmupEnd, end, streams)')
    .option('-a, --alerts <file>', 'with --config: also write the replayed alerts as NDJSON')
    .option('--json', 'print the report as JSON');
  command.action(async (opts: EvaluateCliOptions) => {
    if (replayMode(command, opts) === 'config') return evaluateIncidents(opts);
    if (opts.labels !== undefined || opts.alerts !== undefined) {
      throw new UsageError(`${opts.labels !== undefined ? '--labels' : '--alerts'}: only with --config (with --model the labels are the input's label column)`);
    }
    const series = await readLabelledSeries(opts);
    const replay = await replayFile(opts, series);
    const { model, result, episodes } = replay;
    const report = evaluateReplay({
      points: result.points,
      labels: series.labels!,
      threshold: result.threshold,
      episodes,
      windowLength: model.seqStep,
    });
    if (opts.plot) await writeReplayChart(opts.plot, opts, series, replay, chartSubtitle(report), labelRanges(series.labels!));
    const meta = { file: opts.input, model: opts.model!, columns: series.columns, windowLength: model.seqStep };
    if (opts.json) process.stdout.write(JSON.stringify({ ...meta, ...report }, null, 2) + '\n');
    else process.stdout.write(formatReport(report, meta));
  });
}

/** `--config --input events.ndjson --labels labels.json`: the daemon's pipeline over every source, scored as socbench scores it. */
async function evaluateIncidents(opts: EvaluateCliOptions): Promise<void> {
  if (opts.labels === undefined) throw new UsageError('--labels FILE is needed with --config (labelled incidents per source, as socbench\'s labels.json)');
  let labels;
  try {
    labels = readIncidentLabels(opts.labels);
  } catch (err) {
    if (err instanceof LabelsError) throw new UsageError(err.message);
    throw err;
  }
  const traces = opts.plot ? new StreamTraces() : undefined;
  const { result } = await replayEventsFile({
    config: opts.config!,
    input: opts.input,
    backend: opts.backend,
    onScored: traces && ((w, value) => traces.add(w.stream, w.ts, value[0], w.expected, w.score, w.threshold)),
  });
  if (opts.alerts) writeFileSync(opts.alerts, result.alerts.map((a) => JSON.stringify(a) + '\n').join(''));
  const { opens, untimed } = opensOf(result.alerts);
  const score = scoreIncidents(labels, opens);
  const meta = { input: opts.input, config: opts.config!, labels: opts.labels, events: result.events, untimedOpens: untimed };
  if (opts.plot && traces) {
    const files = await plotIncidents(opts.plot, score, labels, result.alerts, traces);
    logger().info({ dir: opts.plot, charts: files.length }, 'charts of missed incidents and false alarms written');
  }
  if (opts.json) process.stdout.write(JSON.stringify(incidentReportJson(score, meta), null, 2) + '\n');
  else process.stdout.write(formatIncidentReport(score, labels, meta));
}

/** Reads the series and checks it has 0/1 labels; errors name the file (and the line of a bad label). */
async function readLabelledSeries(opts: EvaluateCliOptions): Promise<Series> {
  const file = opts.input;
  const series = await readInput(opts);
  if (!series.labels) {
    throw new UsageError(`${file}: no label column: evaluate needs a header with a "label" column (0 = normal, 1 = anomaly) next to the value column(s)`);
  }
  const bad = firstInvalidLabel(series.labels);
  if (bad >= 0) {
    const line = dataLine(file, bad);
    throw new UsageError(`${file}${line === null ? '' : `:${line}`}: label ${series.labels[bad]} is not 0 or 1`);
  }
  return series;
}

/** 1-based file line of data row `row` (after the header for CSV, skipping blank lines). */
function dataLine(file: string, row: number): number | null {
  const text = readFileSync(file, 'utf8');
  if (['.ndjson', '.jsonl'].includes(extname(file).toLowerCase())) {
    let seen = -1;
    const lines = text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) if (lines[i].trim() !== '' && ++seen === row) return i + 1;
    return null;
  }
  const records = parse(text, { info: true, skip_empty_lines: true, relax_column_count: true, trim: true, bom: true }) as unknown as {
    info: { lines: number };
  }[];
  return records[row + 1]?.info.lines ?? null;
}

const pct = (x: number) => x.toFixed(3);
const metric = (m: RankingMetric) => (m.value === null ? `n/a (${m.reason})` : pct(m.value));
const ranges = (rs: readonly { start: number; end: number }[], what = 'rows') =>
  rs.length === 0 ? '' : ` (${what} ${rs.slice(0, 8).map((r) => (r.start === r.end ? `${r.start}` : `${r.start}-${r.end}`)).join(', ')}${rs.length > 8 ? ', …' : ''})`;

function chartSubtitle(r: EvaluationReport): string {
  const e = r.episodes;
  return (
    `threshold ${r.threshold.toPrecision(4)} · ${e.alertEpisodes} alert episode(s), ${e.falseAlarms} false alarm(s) · ` +
    `${e.rangesHit}/${e.labelledRanges} labelled range(s) hit · ROC-AUC ${metric(r.rocAuc)}`
  );
}

/** The report as aligned plain text for a terminal. */
export function formatReport(r: EvaluationReport, meta: { file: string; model: string; columns: string[]; windowLength: number }): string {
  const m = r.rowLevel;
  const e = r.episodes;
  const rows: [string, string][] = [
    ['file', meta.file],
    ['model', `${meta.model} (window ${meta.windowLength}, columns ${meta.columns.join(', ')})`],
    ['threshold', String(r.threshold)],
    ['rows', `${r.rows} (${r.scoredRows} scored, ${r.excludedRows} before the first full window excluded${r.excludedPositives ? `, ${r.excludedPositives} of them labelled 1` : ''})`],
    ['labelled anomalous rows', `${r.positives} of ${r.scoredRows} scored`],
    ['', ''],
    ['row level (score > threshold)', ''],
    ['  precision', pct(m.precision)],
    ['  recall', pct(m.recall)],
    ['  F1', pct(m.f1)],
    ['  ROC-AUC', metric(r.rocAuc)],
    ['  average precision', metric(r.averagePrecision)],
    ['', ''],
    ['episode level', ''],
    ['  labelled ranges hit', `${e.rangesHit} of ${e.labelledRanges}${ranges(e.rangesMissed, 'missed: rows')}`],
    ...(e.rangesUnscored ? [['  labelled ranges unscored', `${e.rangesUnscored} (wholly before the first full window)`] as [string, string]] : []),
    ['  alert episodes', String(e.alertEpisodes)],
    ['  false alarms', `${e.falseAlarms}${ranges(e.falseAlarmEpisodes)}`],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  const lines = rows.map(([k, v]) => (k === '' ? '' : `${k.padEnd(w)}  ${v}`.trimEnd()));
  const cell = (x: number | string, width: number) => String(x).padStart(width);
  const cw = Math.max(11, ...[m.tp, m.fp, m.tn, m.fn].map((x) => String(x).length));
  lines.push(
    '',
    'confusion matrix (scored rows)',
    `${''.padEnd(14)}${cell('flagged', cw)}${cell('not flagged', cw + 2)}`,
    `${'label 1'.padEnd(14)}${cell(m.tp, cw)}${cell(m.fn, cw + 2)}`,
    `${'label 0'.padEnd(14)}${cell(m.fp, cw)}${cell(m.tn, cw + 2)}`,
  );
  return lines.join('\n') + '\n';
}
