import type { ScoringConfig } from '../../config/schema.js';
import type { StreamStateStore } from '../stream-records.js';
import { ContextScorer, newContextRows, type ContextRows } from './context.js';
import type { ScoreInput, ScoreOutput, StreamScorer } from './scorer.js';
import { StreamScoreTransform } from './transform.js';

export type { ScoreInput, ScoreOutput, StreamScorer } from './scorer.js';
export { CadenceTracker } from './cadence.js';
export { LevelTracker } from './level.js';

/** The scorer of one stream under `config.method`; a context scorer keeps its numbers in `rows`. */
export function createStreamScorer(config: ScoringConfig, rows?: ContextRows): StreamScorer {
  return config.method === 'context' ? new ContextScorer(config.context, rows) : new StreamScoreTransform(config);
}

/** The scoring state of every stream; a stream's state starts on its first window (and anew if its rule changes). */
export class StreamScorers {
  /** Its scorers' shared rows: they live as long as these scorers, so a pipeline dropped whole frees them. */
  private readonly rows = newContextRows();

  constructor(private readonly streams: StreamStateStore<StreamScorer> = new Map<string, StreamScorer>()) {}

  score(stream: string, config: ScoringConfig, input: ScoreInput): ScoreOutput {
    let scorer = this.streams.get(stream);
    if (scorer === undefined || !scorer.follows(config)) {
      scorer?.release();
      scorer = createStreamScorer(config, this.rows);
      this.streams.set(stream, scorer);
    }
    return scorer.score(input);
  }

  /** The stream's scorer state, with the method it belongs to; undefined before its first window. */
  snapshot(stream: string): unknown {
    return this.streams.get(stream)?.snapshot();
  }

  /**
   * The stream's scorer from `snap` under `config` (the stream's rule now). A snapshot of another
   * method or shape (the rule changed) starts the stream afresh, as a changed rule does anyway.
   */
  restore(stream: string, config: ScoringConfig | undefined, snap: unknown): void {
    this.streams.get(stream)?.release();
    this.streams.delete(stream);
    if (config === undefined || snap === undefined || snap === null) return;
    const scorer = createStreamScorer(config, this.rows);
    try {
      (scorer.restore as (s: unknown) => void)(snap);
    } catch {
      scorer.release();
      return;
    }
    this.streams.set(stream, scorer);
  }

  drop(predicate: (stream: string) => boolean): void {
    for (const stream of [...this.streams.keys()]) {
      if (!predicate(stream)) continue;
      this.streams.get(stream)?.release();
      this.streams.delete(stream);
    }
  }
}
