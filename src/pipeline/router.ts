import picomatch from 'picomatch';
import { SCORING_DEFAULTS, SILENCE_DEFAULTS, type AlertPolicy, type ScoringConfig, type SilencePolicy } from '../config/schema.js';
import { compileStreamRegex } from './stream-regex.js';

export interface RouteRule {
  match?: string;
  regex?: string;
  model: string;
  threshold?: number;
  alert: AlertPolicy;
  scoring?: ScoringConfig;
  silence?: SilencePolicy;
}

/** What the pipeline needs to know about a model to route and window a stream. */
export interface ModelShape {
  seqStep: number;
  features: number;
  threshold: number;
}

export interface Route {
  model: string;
  seqStep: number;
  features: number;
  threshold: number;
  policy: AlertPolicy;
  scoring: ScoringConfig;
  /** Cadences without an event before a silence episode opens (0: off). */
  silenceAfter: number;
}

/**
 * Maps a stream id to its model, threshold and alert policy: the first rule that matches wins.
 * The pipeline asks once per stream and keeps the answer in the stream's record.
 */
export class StreamRouter {
  private readonly compiled: { test: (s: string) => boolean; route: Route }[];

  constructor(rules: readonly RouteRule[], models: ReadonlyMap<string, ModelShape>) {
    this.compiled = rules.map((rule, i) => {
      const shape = models.get(rule.model);
      if (!shape) throw new Error(`streams[${i}].model: no model named "${rule.model}" is loaded`);
      const test = rule.regex !== undefined ? compileStreamRegex(rule.regex) : picomatch(rule.match ?? '*', { dot: true });
      return {
        test,
        route: {
          model: rule.model,
          seqStep: shape.seqStep,
          features: shape.features,
          threshold: rule.threshold ?? shape.threshold,
          policy: rule.alert,
          scoring: rule.scoring ?? SCORING_DEFAULTS,
          silenceAfter: rule.silence?.after ?? SILENCE_DEFAULTS.after,
        },
      };
    });
  }

  route(stream: string): Route | null {
    return this.compiled.find((c) => c.test(stream))?.route ?? null;
  }
}
