import { Counter, Gauge, type Registry } from 'prom-client';
import type { ScoredWindow } from '../pipeline/types.js';
import { OTHER_STREAM, type StreamLabeler } from './streamLabels.js';

/** Latest scored window of one (stream, model), plus windows scored since the last scrape. */
export interface SeriesState {
  model: string;
  score: number;
  threshold: number;
  anomalous: boolean;
  /** Last row of the window (one value per feature), raw units; a plain array costs less per stream than a typed one. */
  last: number[];
  /** Expected value of the last point from the stream's seasonal context; NaN while it is still learning. */
  expected: number;
  pendingWindows: number;
}

/** Per stream, one state per model: nearly always one, so an array rather than a Map per stream. */
type ByStream = Map<string, SeriesState[]>;

/** What `stream="__other__"` shows for one model: the folded stream with the highest latest score, and whether any folded stream is anomalous. */
export interface FoldedSummary {
  top: SeriesState;
  anyAnomalous: boolean;
}

/**
 * Per-stream gauges and the per-stream window counter.
 *
 * The hot path only writes plain fields of a cached state object per (stream, model); label
 * objects are built once per scrape in the metrics' `collect` hooks, not once per window.
 */
export class StreamSeries {
  private readonly own: ByStream = new Map();
  private readonly folded: ByStream = new Map();
  private foldedSummary: Map<string, FoldedSummary> | undefined;
  /** Every family with a (stream, model) series, so a forgotten stream's series can be removed. */
  private readonly families: (Gauge<'stream' | 'model'> | Counter<'stream' | 'model'>)[] = [];
  private readonly lastValue: Gauge<'stream' | 'model' | 'feature'>;

  constructor(
    private readonly labeler: StreamLabeler,
    registry: Registry,
  ) {
    const series = this;
    this.families.push(new Gauge({
      name: 'anomalyd_stream_anomaly_score',
      help: 'Anomaly score (reconstruction MSE in scaled space) of the latest scored window of the stream. stream="__other__": highest latest score among folded streams.',
      labelNames: ['stream', 'model'],
      registers: [registry],
      collect() {
        series.forEachSeries((labels, s) => this.set(labels, s.score), (labels, f) => this.set(labels, f.top.score));
      },
    }));
    this.families.push(new Gauge({
      name: 'anomalyd_stream_threshold',
      help: 'Alert threshold applied to the stream (calibrated by the model or overridden in config). stream="__other__": threshold of the folded stream with the highest score.',
      labelNames: ['stream', 'model'],
      registers: [registry],
      collect() {
        series.forEachSeries((labels, s) => this.set(labels, s.threshold), (labels, f) => this.set(labels, f.top.threshold));
      },
    }));
    this.families.push(new Gauge({
      name: 'anomalyd_stream_anomalous',
      help: '1 when the latest scored window of the stream is above its threshold, else 0. stream="__other__": 1 when any folded stream is anomalous.',
      labelNames: ['stream', 'model'],
      registers: [registry],
      collect() {
        series.forEachSeries(
          (labels, s) => this.set(labels, s.anomalous ? 1 : 0),
          (labels, f) => this.set(labels, f.anyAnomalous ? 1 : 0),
        );
      },
    }));
    this.lastValue = new Gauge({
      name: 'anomalyd_stream_last_value',
      help: 'Latest value of the stream in raw units (for EPS streams: events per second). Multivariate streams carry a 0-based feature label; univariate ones have none. stream="__other__": value of the folded stream with the highest score.',
      labelNames: ['stream', 'model', 'feature'],
      registers: [registry],
      collect() {
        const setLast = (labels: { stream: string; model: string }, s: SeriesState): void => {
          if (s.last.length === 1) {
            this.set(labels, s.last[0]);
            return;
          }
          for (let f = 0; f < s.last.length; f++) this.set({ ...labels, feature: String(f) }, s.last[f]);
        };
        series.forEachSeries(setLast, (labels, f) => setLast(labels, f.top));
      },
    });
    this.families.push(new Counter({
      name: 'anomalyd_stream_windows_scored_total',
      help: 'Windows scored per stream; once a stream has warmed up, one per event. Its rate is the rate at which the stream reports.',
      labelNames: ['stream', 'model'],
      registers: [registry],
      collect() {
        series.forEachSeries(
          (labels, s) => {
            if (s.pendingWindows > 0) this.inc(labels, s.pendingWindows);
            s.pendingWindows = 0;
          },
          (labels) => {
            let pending = 0;
            for (const byModel of series.folded.values()) {
              const s = byModel.find((m) => m.model === labels.model);
              if (s === undefined) continue;
              pending += s.pendingWindows;
              s.pendingWindows = 0;
            }
            if (pending > 0) this.inc(labels, pending);
          },
        );
      },
    }));
  }

  observe(w: ScoredWindow): void {
    const folded = this.labeler.label(w.stream) === OTHER_STREAM;
    const table = folded ? this.folded : this.own;
    const byModel = table.get(w.stream);
    const at = byModel === undefined ? -1 : byModel.findIndex((m) => m.model === w.model);
    let s = at < 0 ? undefined : byModel![at];
    if (s === undefined || s.last.length !== w.features) {
      s = { model: w.model, score: 0, threshold: 0, anomalous: false, last: new Array<number>(w.features).fill(0), expected: NaN, pendingWindows: 0 };
      // A stream's first state goes into an array of exactly one: an empty array grown by a store
      // reserves 17 slots (~150 bytes a stream).
      if (byModel === undefined) table.set(w.stream, [s]);
      else if (at < 0) byModel.push(s);
      else byModel[at] = s;
    }
    s.score = w.score;
    s.threshold = w.threshold;
    s.anomalous = w.anomalous;
    const lastRow = (w.seqStep - 1) * w.features;
    for (let f = 0; f < w.features; f++) s.last[f] = w.values[lastRow + f];
    s.expected = w.expected ?? NaN;
    s.pendingWindows++;
    if (folded) this.foldedSummary = undefined;
  }

  forget(stream: string): void {
    const byModel = this.own.get(stream);
    for (const s of byModel ?? []) {
      const model = s.model;
      for (const family of this.families) family.remove({ stream, model });
      if (s.last.length === 1) this.lastValue.remove({ stream, model });
      else for (let f = 0; f < s.last.length; f++) this.lastValue.remove({ stream, model, feature: String(f) });
    }
    this.own.delete(stream);
    // Windows it scored but no scrape reported yet are dropped with it.
    if (this.folded.delete(stream)) this.foldedSummary = undefined;
  }

  /** Calls `own` for each labelled (stream, model) and `other` for each model's `__other__` summary. */
  forEachSeries(
    own: (labels: { stream: string; model: string }, s: SeriesState) => void,
    other: (labels: { stream: string; model: string }, f: FoldedSummary) => void,
  ): void {
    for (const [stream, byModel] of this.own) {
      for (const s of byModel) own({ stream, model: s.model }, s);
    }
    for (const [model, f] of this.summarizeFolded()) other({ stream: OTHER_STREAM, model }, f);
  }

  private summarizeFolded(): Map<string, FoldedSummary> {
    if (this.foldedSummary !== undefined) return this.foldedSummary;
    const summary = new Map<string, FoldedSummary>();
    for (const byModel of this.folded.values()) {
      for (const s of byModel) {
        const f = summary.get(s.model);
        if (f === undefined) summary.set(s.model, { top: s, anyAnomalous: s.anomalous });
        else {
          if (s.score > f.top.score) f.top = s;
          f.anyAnomalous ||= s.anomalous;
        }
      }
    }
    this.foldedSummary = summary;
    return summary;
  }
}
