import { from, lastValueFrom, reduce } from 'rxjs';
import type { AlertPolicy } from '../config/schema.js';
import type { Series } from '../data/series.js';
import { augmentedFeatureCount, augmentedFeatureNames } from './feature-augment.js';
import { ScoringPipeline } from './pipeline.js';
import { StreamRouter } from './router.js';
import { scoringSchema, type ScoringConfig } from '../config/schema.js';
import type { PipelineModel } from './scoring-model.js';
import type { Alert, MetricEvent, Rejected } from './types.js';

export interface ReplayOptions {
  stream?: string;
  /** Overrides the model's calibrated threshold. */
  threshold?: number;
  policy?: AlertPolicy;
  /** Post-processing of the reconstruction error (default: MODEL_ONLY_SCORING, the raw MSE). */
  scoring?: ScoringConfig;
  maxBatch?: number;
}

/** One file row and what the detector made of it (score is null while the first window fills). */
export interface ReplayPoint {
  index: number;
  ts: number | null;
  values: number[];
  score: number | null;
  /** Reconstruction MSE before the scoring transform. */
  rawScore: number | null;
  threshold: number | null;
  anomalous: boolean | null;
}

export interface ReplayResult {
  points: ReplayPoint[];
  alerts: Alert[];
  rejected: Rejected[];
  threshold: number;
}

export const defaultPolicy: AlertPolicy = { openAfter: 1, resolveAfter: 5 };

/**
 * A single file replayed with `--model` judges the model alone: its reconstruction error against its
 * threshold, on the file's own scale. The full detector (seasonal context, level normalisation) is
 * what a config's stream rule sets up: `replay --config`.
 */
export const MODEL_ONLY_SCORING: ScoringConfig = scoringSchema.parse({ method: 'raw', normalize: 'none' });

/**
 * Runs a file through the daemon's scoring pipeline as one stream. Row i becomes an event with
 * index i and the row's timestamp (or i, when the file has none), so alert indices are file rows.
 */
export async function replaySeries(series: Series, model: PipelineModel, opts: ReplayOptions = {}): Promise<ReplayResult> {
  const own = model.features - augmentedFeatureCount(model.augment);
  if (series.columns.length !== own) {
    const added = model.augment ? ` (it adds ${augmentedFeatureNames(model.augment).join(', ')} itself)` : '';
    throw new Error(`${series.file}: has ${series.columns.length} value column(s) (${series.columns.join(', ')}) but model "${model.name}" expects ${own}${added}`);
  }
  if (model.augment) {
    const missing = series.timestamps.findIndex((t) => t === null);
    if (missing >= 0) throw new Error(`${series.file}: row ${missing + 1} has no timestamp, which model "${model.name}" needs for its calendar features`);
  }
  if (series.rows.length < model.seqStep) {
    throw new Error(`${series.file}: ${series.rows.length} row(s) is too few for one window of ${model.seqStep}`);
  }
  const stream = opts.stream ?? 'replay';
  const pipeline = new ScoringPipeline({
    router: new StreamRouter(
      [{ match: '**', model: model.name, threshold: opts.threshold, alert: opts.policy ?? defaultPolicy, scoring: opts.scoring ?? MODEL_ONLY_SCORING }],
      new Map([[model.name, model]]),
    ),
    models: new Map([[model.name, model]]),
    maxBatch: opts.maxBatch ?? 1024,
    maxLatencyMs: 1000,
  });
  const events: MetricEvent[] = series.rows.map((values, index) => ({ stream, ts: series.timestamps[index] ?? index, values, index }));
  const points: ReplayPoint[] = series.rows.map((values, index) => ({
    index,
    ts: series.timestamps[index],
    values,
    score: null,
    rawScore: null,
    threshold: null,
    anomalous: null,
  }));
  const out = await lastValueFrom(
    from(events).pipe(
      pipeline.operator(),
      reduce(
        (acc, batch) => {
          for (const w of batch.scored) {
            const p = points[w.index];
            p.score = w.score;
            p.rawScore = w.rawScore ?? w.score;
            p.threshold = w.threshold;
            p.anomalous = w.anomalous;
          }
          acc.alerts.push(...batch.alerts);
          acc.rejected.push(...batch.rejected);
          return acc;
        },
        { alerts: [] as Alert[], rejected: [] as Rejected[] },
      ),
    ),
  );
  return { points, alerts: out.alerts.map((a) => withRowTimes(a, series.timestamps)), rejected: out.rejected, threshold: opts.threshold ?? model.threshold };
}

/**
 * An alert's times are its rows' timestamps. A row without one was fed to the pipeline with its index as the
 * (ordering) timestamp, which is no time at all: its *Ts field is null rather than a date in January 1970.
 */
function withRowTimes(alert: Alert, timestamps: readonly (number | null)[]): Alert {
  const at = (index: number | null, ts: string | null) => (index !== null && timestamps[index] === null ? null : ts);
  return { ...alert, startTs: at(alert.startIndex, alert.startTs), peakTs: at(alert.peakIndex, alert.peakTs), endTs: at(alert.endIndex, alert.endTs) };
}

/** `index,timestamp,<value columns>,score,threshold,anomalous`; empty score cells while the first window fills. */
export function pointsToCsv(points: readonly ReplayPoint[], columns: readonly string[]): string {
  const lines = [['index', 'timestamp', ...columns, 'score', 'threshold', 'anomalous'].join(',')];
  for (const p of points) {
    lines.push(
      [
        p.index,
        p.ts === null ? '' : new Date(p.ts).toISOString(),
        ...p.values,
        p.score ?? '',
        p.threshold ?? '',
        p.anomalous === null ? '' : p.anomalous ? 1 : 0,
      ].join(','),
    );
  }
  return lines.join('\n') + '\n';
}

/** Episodes as [startIndex, endIndex] from the alert messages (endIndex = last scored row for an episode still open). */
export function episodesOf(alerts: readonly Alert[], lastIndex: number): { alertId: string; start: number; end: number; peak: number; score: number }[] {
  const byId = new Map<string, { alertId: string; start: number; end: number; peak: number; score: number }>();
  for (const a of alerts) {
    byId.set(a.alertId, { alertId: a.alertId, start: a.startIndex, end: a.endIndex ?? lastIndex, peak: a.peakIndex, score: a.peak.score });
  }
  return [...byId.values()];
}
