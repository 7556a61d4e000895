import type { ScoringConfig } from '../../config/schema.js';
import type { AlertKind } from '../types.js';

/** What a stream's scorer is told about its next window. */
export interface ScoreInput {
  /** The window's reconstruction MSE (in the model's scaled space). */
  raw: number;
  /** The stream's own values of the window's newest point (one per feature); read during the call only, its array is reused. */
  latest: ArrayLike<number>;
  /** The model's reconstruction of the newest point's first value, in raw units. */
  reconstructedLatest: number;
  /** Epoch ms of the newest point. */
  ts: number;
  /** The stream's learned cadence, when known. */
  cadenceMs: number | undefined;
  /** The stream's learned level (see level.ts), when known. */
  level: number | undefined;
  /**
   * Whether the reconstruction error can be judged on its own: the model sees raw values, or the
   * stream's level (what its windows are normalised by) has a day of events behind it.
   */
  errorTrusted: boolean;
  /** The reconstruction-error threshold of the stream's route. */
  errorThreshold: number;
}

/** What a scorer makes of a window: the score compared with `threshold`, and what explains it. */
export interface ScoreOutput {
  score: number;
  /** The threshold the score is compared with; absent: the route's reconstruction-error threshold. */
  threshold?: number;
  /** Expected value of the newest point, in raw units, once the stream's context knows one. */
  expected?: number;
  /** (value − expected) / expected. */
  deviation?: number;
  kind?: AlertKind;
}

/** One stream's scoring state under one rule: windows in, scores out, in the stream's order. */
export interface StreamScorer {
  /** Whether the scorer is the one `config` (a rule's scoring) makes: a changed rule starts the stream's scoring afresh. */
  follows(config: ScoringConfig): boolean;
  score(input: ScoreInput): ScoreOutput;
  /** The scorer's state as plain JSON. */
  snapshot(): unknown;
  /** Gives back what it holds in rows shared with other streams' scorers; its holder drops it with this. */
  release(): void;
  /** Takes over a `snapshot` of a scorer under the same configuration; throws when it does not fit. */
  restore(snap: never): void;
}
