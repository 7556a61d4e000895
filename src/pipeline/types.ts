import type { StreamEpisodeSnapshot } from './episodes.js';
import type { SilenceSnapshot } from './silence.js';
import type { WindowsSnapshot } from './windows.js';

/** One metric observation of one stream, as it enters the pipeline (decoded from Kafka or read from a file). */
export interface MetricEvent<S = unknown> {
  stream: string;
  /** Epoch milliseconds. */
  ts: number;
  /** One value per feature; length must equal the stream model's `features`. */
  values: number[];
  /** Position of the event in its stream. A replay sets the 0-based file row; the daemon leaves it unset and the window stage counts. */
  index?: number;
  /** Opaque provenance carried through the pipeline untouched (the daemon puts the Kafka partition/offset here). */
  source?: S;
  /** Wall-clock ms when the event was received, for event-to-score latency. */
  receivedAt?: number;
}

/** A full rolling window of one stream, ready for scoring. Values are raw (unscaled), row-major [seqStep][features]. */
export interface Window {
  stream: string;
  model: string;
  /** Index of the window's last point. */
  index: number;
  /** Timestamp (epoch ms) of the window's last point. */
  ts: number;
  values: Float32Array;
  seqStep: number;
  features: number;
  /** receivedAt of the window's last event. */
  receivedAt?: number;
}

export interface ScoredWindow extends Window {
  /** The anomaly score compared with the threshold: the reconstruction MSE after the stream's scoring transform. */
  score: number;
  /** Reconstruction MSE in scaled space, before the scoring transform (the pipeline always sets it). */
  rawScore?: number;
  threshold: number;
  anomalous: boolean;
  /** Reconstruction in raw units, row-major [seqStep][features]. */
  reconstruction: Float32Array;
  /** Per-step MSE over features, length seqStep. */
  stepErrors: Float32Array;
  /** Expected value of the newest point (raw units) from the stream's seasonal context, once it knows one. */
  expected?: number;
  /** (value − expected) / expected of the newest point. */
  deviation?: number;
  /** What the scorer calls the window's anomaly when it is one. */
  kind?: AlertKind;
  /** The stream's event cadence (ms between events), learned online; absent until learned. */
  cadenceMs?: number;
}

export type AlertState = 'open' | 'update' | 'resolved';

/**
 * What kind of misbehaviour an episode is: a value far above (`spike`) or below (`drop`, `zero`) what
 * the stream sends at this time, a lasting deviation (`shift`), a daily rhythm gone (`flat`), or no
 * events at all (`silence`).
 */
export const ALERT_KINDS = ['spike', 'drop', 'zero', 'shift', 'flat', 'silence'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** Version of the alert message layout; consumers can tell new fields from old messages. */
export const ALERT_SCHEMA_VERSION = 2;

export interface Alert {
  schemaVersion: typeof ALERT_SCHEMA_VERSION;
  /** Deterministic: derived from stream, model and the episode's start. Same episode → same id across open/update/resolved. */
  alertId: string;
  state: AlertState;
  kind: AlertKind;
  stream: string;
  model: string;
  /** Score of the window that caused this alert message (peak score for open/update; last score for resolved). */
  score: number;
  threshold: number;
  startIndex: number;
  peakIndex: number;
  endIndex: number | null;
  /** ISO-8601 times of the start, peak and end windows' last events; null when the input has no time (a file without a timestamp column). */
  startTs: string | null;
  peakTs: string | null;
  endTs: string | null;
  /** Event time at which this message's decision was made (the newest event or watermark the pipeline had seen). */
  detectedAt: string | null;
  /** Expected value at the peak from the stream's seasonal context (null while it is learning, and for silences). */
  expected: number | null;
  /** Relative deviation (value − expected) / expected at the peak. */
  deviation: number | null;
  /** Why a `resolved` episode ended other than by resolveAfter normal windows: `evicted` (the stream went idle and its state was dropped). */
  reason?: 'evicted';
  peak: {
    score: number;
    values: number[][];
    reconstruction: number[][];
    stepErrors: number[];
  };
}

/** Why an event was not scored. Every rejected event reaches the dead-letter sink. */
export const REJECT_REASONS = [
  'invalid_json',
  'missing_field',
  'non_finite_value',
  'value_out_of_range',
  'wrong_feature_count',
  'invalid_timestamp',
  'timestamp_skew',
  'stream_id_too_long',
  'no_matching_model',
  'out_of_order',
  'duplicate_timestamp',
  'stream_limit',
  'undecodable',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export interface Rejected<S = unknown> {
  reason: RejectReason;
  detail: string;
  stream?: string;
  source?: S;
}

/** Inference work done for one model within a batch. */
export interface InferenceStat {
  model: string;
  backend: string;
  windows: number;
  seconds: number;
}

/**
 * What one micro-batch did. Every event that entered the pipeline appears in exactly one
 * BatchResult (scored, still warming up, or rejected), and batches come out in arrival order,
 * so a consumer may commit `sources` once it has delivered `alerts` and `rejected`.
 */
export interface BatchResult<S = unknown> {
  scored: ScoredWindow[];
  alerts: Alert[];
  rejected: Rejected<S>[];
  /** Provenance of every event this batch completes, in arrival order. */
  sources: S[];
  /** Number of events this batch completes (scored + warming up + rejected). */
  events: number;
  inference: InferenceStat[];
  /** Streams evicted at the end of this batch, after everything before in arrival order was judged. */
  evicted?: string[];
  /**
   * Every stream whose state this batch changed, with its whole state as of the end of this batch
   * (empty unless the pipeline was built with `snapshots`). Delivered with the batch, the state
   * always matches the offsets committed with it. A null snapshot means the stream was dropped for
   * good (a changelog tombstone): it was evicted.
   */
  state: { stream: string; snapshot: StreamSnapshot | null }[];
}

/**
 * STATE CONTRACT. Each per-stream state holder of the pipeline implements
 * `snapshot(stream): unknown | undefined` (plain data: objects, arrays, numbers, strings, null and
 * typed arrays, copied; undefined = a fresh stream's state) and `restore(stream, state | undefined)`,
 * which also reads a typed array's JSON form (a number array, NaN as null) from earlier releases;
 * the pipeline gathers them into one versioned record per stream, which the daemon keeps in its
 * compacted changelog topic (src/kafka/state-record.ts).
 */
export interface StreamSnapshot {
  v: 2;
  /** Stage-time state (as of the batch's last event of the stream): its windows, level and cadence. */
  windows: WindowsSnapshot;
  baseline?: { level: { logMean: number; count: number }; cadence: { gaps: number[]; lastTs: number } };
  /** Finish-time state. */
  episode?: StreamEpisodeSnapshot;
  /** The stream's scorer (StreamScoreTransform or ContextScorer snapshot), tagged with its method. */
  scoring?: unknown;
  silence?: SilenceSnapshot;
  /** The event-time clock when the stream's last event arrived (the eviction index). */
  lastSeen?: number;
}
