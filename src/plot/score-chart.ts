import type { TopLevelSpec } from 'vega-lite';
import { writeChart } from './render.js';

/** Inclusive row range. */
export interface RowSpan {
  start: number;
  end: number;
}

export interface ScoreChartInput {
  title: string;
  subtitle?: string;
  /** Epoch milliseconds per row; null (or all null) plots against the row index. */
  timestamps: readonly (number | null)[] | null;
  /** Row-major values, one array per row. */
  values: readonly (readonly number[])[];
  /** Names of the value columns (default: value, value2, ...). */
  columns?: readonly string[];
  /** Anomaly score per row; null while the first window fills. */
  scores: readonly (number | null)[];
  threshold: number;
  /** Alert episodes as row ranges. */
  episodes: readonly RowSpan[];
  /** Labelled anomaly ranges (ground truth), as row ranges. */
  labelRanges?: readonly RowSpan[];
  /** Log-scale the score axis: 'auto' does when the positive scores span three decades or more. */
  logScore?: boolean | 'auto';
  width?: number;
}

const EPISODE = 'alert episode';
const LABELLED = 'labelled anomaly';
const SCORE = 'anomaly score';
const THRESHOLD = 'threshold';
const VALUE_COLORS = ['#1f4e79', '#2e8b57', '#8b5a2b', '#6a3d9a', '#b15928', '#17becf'];

/** True when the positive scores span at least `decades` orders of magnitude. */
export function spansDecades(scores: readonly (number | null)[], decades = 3): boolean {
  let lo = Infinity;
  let hi = 0;
  for (const s of scores) {
    if (s === null || !(s > 0)) continue;
    lo = Math.min(lo, s);
    hi = Math.max(hi, s);
  }
  return hi > 0 && hi / lo >= 10 ** decades;
}

/** One tick per power of ten, in exponent notation, instead of vega's crowded 1-2-5 log ticks. */
function logAxis(ys: readonly number[]): object {
  const positive = ys.filter((y) => y > 0);
  if (positive.length === 0) return {};
  const lo = Math.floor(Math.log10(positive.reduce((a, b) => Math.min(a, b))));
  const hi = Math.ceil(Math.log10(positive.reduce((a, b) => Math.max(a, b))));
  const values = Array.from({ length: hi - lo + 1 }, (_, k) => 10 ** (lo + k));
  return { values, format: '~e' };
}

/**
 * Two panels sharing the x axis (timestamp when every row has one, else row index): the value(s)
 * on top, the anomaly score and its threshold below. Alert episodes are shaded in both panels,
 * labelled anomaly ranges in another shade.
 */
export function scoreChartSpec(input: ScoreChartInput): TopLevelSpec {
  const n = input.values.length;
  const ts = input.timestamps;
  const temporal = ts !== null && ts.length === n && n > 0 && ts.every((t) => t !== null);
  const xOf = (i: number) => (temporal ? (ts![i] as number) : i);
  // Half a row's spacing either side, so a one-row range is still a visible band.
  const step = n > 1 ? (xOf(n - 1) - xOf(0)) / (n - 1) : 1;
  const columns = input.values[0]?.map((_, j) => input.columns?.[j] ?? (j === 0 ? 'value' : `value${j + 1}`)) ?? ['value'];

  const valueRows: { x: number; series: string; y: number }[] = [];
  input.values.forEach((row, i) => row.forEach((y, j) => valueRows.push({ x: xOf(i), series: columns[j], y })));
  const log = input.logScore === 'auto' || input.logScore === undefined ? spansDecades(input.scores) : input.logScore;
  const scoreRows: { x: number; series: string; y: number }[] = [];
  input.scores.forEach((s, i) => {
    if (s !== null && (!log || s > 0)) scoreRows.push({ x: xOf(i), series: SCORE, y: s });
  });

  // A band is at least 1/250 of the axis wide, so a one-row range stays visible on a long series.
  const minWidth = Math.max(step, (xOf(Math.max(0, n - 1)) - xOf(0) + step) / 250);
  const spans = [
    ...input.episodes.map((r) => ({ kind: EPISODE, r })),
    ...(input.labelRanges ?? []).map((r) => ({ kind: LABELLED, r })),
  ].map(({ kind, r }) => {
    const from = xOf(Math.max(0, r.start)) - step / 2;
    const to = xOf(Math.min(n - 1, r.end)) + step / 2;
    const pad = Math.max(0, minWidth - (to - from)) / 2;
    return { kind, x: from - pad, x2: to + pad };
  });
  const shadeKinds = input.labelRanges ? [LABELLED, EPISODE] : [EPISODE];

  const xType = temporal ? 'temporal' : 'quantitative';
  const xTitle = temporal ? 'time' : 'row';
  const width = input.width ?? 960;
  const strokeDomain = [...columns, SCORE, THRESHOLD];
  const strokeRange = [...columns.map((_, j) => VALUE_COLORS[j % VALUE_COLORS.length]), '#444444', '#d62728'];
  const stroke = {
    field: 'series',
    type: 'nominal',
    title: null,
    scale: { domain: strokeDomain, range: strokeRange },
    legend: { orient: 'top', direction: 'horizontal', symbolType: 'stroke' },
  };
  const x = {
    field: 'x',
    type: xType,
    title: xTitle,
    scale: { domain: [xOf(0) - step / 2, xOf(Math.max(0, n - 1)) + step / 2], nice: false },
    axis: { grid: false },
  };
  // Labelled ranges are drawn over the episodes, stronger, so a detected anomaly still shows its label.
  const shade = {
    data: { values: spans },
    mark: { type: 'rect' },
    encoding: {
      opacity: { condition: { test: `datum.kind === '${LABELLED}'`, value: 0.55 }, value: 0.35 },
      x: { field: 'x', type: xType },
      x2: { field: 'x2' },
      fill: {
        field: 'kind',
        type: 'nominal',
        title: null,
        scale: { domain: shadeKinds, range: input.labelRanges ? ['#2ca02c', '#f28e8e'] : ['#f28e8e'] },
        legend: { orient: 'top', direction: 'horizontal', symbolType: 'square' },
      },
    },
  };
  const line = (values: object[], yTitle: string, yScale: object, yAxis: object, xTitled = true) => ({
    data: { values },
    mark: { type: 'line', strokeWidth: 1.2, interpolate: 'linear' },
    encoding: {
      x: xTitled ? x : { ...x, title: null },
      y: { field: 'y', type: 'quantitative', title: yTitle, scale: yScale, axis: yAxis },
      stroke,
    },
  });
  const thresholdRule = {
    data: { values: [{ series: THRESHOLD, y: input.threshold }] },
    mark: { type: 'rule', strokeDash: [6, 4], strokeWidth: 1.5 },
    encoding: { y: { field: 'y', type: 'quantitative' }, stroke },
  };

  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: input.title, subtitle: input.subtitle, anchor: 'start', fontSize: 15, subtitleFontSize: 12 },
    config: { font: 'DejaVu Sans', axis: { labelFontSize: 11, titleFontSize: 12 }, legend: { labelFontSize: 12 }, view: { stroke: '#bbbbbb' } },
    spacing: 12,
    vconcat: [
      { width, height: 230, layer: [shade, line(valueRows, columns.length === 1 ? columns[0] : 'value', { zero: false }, {}, false)] },
      {
        width,
        height: 170,
        layer: [shade, line(scoreRows, log ? 'anomaly score (log)' : 'anomaly score', log ? { type: 'log' } : { zero: true }, log ? logAxis([...scoreRows.map((r) => r.y), input.threshold]) : {}), thresholdRule],
      },
    ],
    resolve: { scale: { x: 'shared' } },
  } as TopLevelSpec;
}

/** Writes the chart as PNG, or as SVG when the file name ends in .svg. */
export async function writeScoreChart(input: ScoreChartInput, file: string): Promise<void> {
  await writeChart(scoreChartSpec(input), file);
}
