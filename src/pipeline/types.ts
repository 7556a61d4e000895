import type { StreamEpisodeSnapshot } from './episodes.js';
import type { ScoreTransformSnapshot } from './score-transform.js';
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
}

export type AlertState = 'open' | 'update' | 'resolved';

export interface Alert {
  /** Deterministic: derived from stream, model and the episode's start. Same episode → same id across open/update/resolved. */
  alertId: string;
  state: AlertState;
  stream: string;
  model: string;
  /** Score of the window that caused this alert message (peak score for open/update; last score for resolved). */
  score: number;
  threshold: number;
  startIndex: number;
  peakIndex: number;
  endIndex: number | null;
  startTs: string;
  peakTs: string;
  endTs: string | null;
  peak: {
    score: number;
    values: number[][];
    reconstruction: number[][];
    stepErrors: number[];
  };
}

/** Why an event was not scored. Every rejected event reaches the dead-letter sink. */
export type RejectReason =
  | 'invalid_json'
  | 'missing_field'
  | 'non_finite_value'
  | 'wrong_feature_count'
  | 'invalid_timestamp'
  | 'no_matching_model'
  | 'out_of_order'
  | 'duplicate_timestamp';

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
  /**
   * Every stream whose state this batch changed, with its whole state as of the end of this batch
   * (empty unless the pipeline was built with `snapshots`). Delivered with the batch, the state
   * always matches the offsets committed with it. A null snapshot means the stream was dropped for
   * good (a changelog tombstone); the pipeline emits none yet.
   */
  state: { stream: string; snapshot: StreamSnapshot | null }[];
}

/**
 * STATE CONTRACT. Each per-stream state holder of the pipeline implements
 * `snapshot(stream): unknown | undefined` (plain JSON, typed arrays as number arrays; undefined =
 * a fresh stream's state) and `restore(stream, state | undefined)`; the pipeline gathers them into
 * one versioned record per stream, which the daemon keeps in its compacted changelog topic.
 */
export interface StreamSnapshot {
  v: 1;
  windows: WindowsSnapshot;
  episode?: StreamEpisodeSnapshot;
  scoring?: ScoreTransformSnapshot;
}
