import type { AnomalydConfig } from '../config/schema.js';
import { ScoringPipeline, type PipelineOptions } from './pipeline.js';
import { StreamRouter } from './router.js';
import type { PipelineModel } from './scoring-model.js';

/**
 * The scoring pipeline a configuration describes: its stream rules over its models, batched as its
 * `inference` section says. `anomalyd run` and `anomalyd replay --config` both build theirs here,
 * so a replay is scored exactly as the daemon would score the same events.
 */
export function pipelineFromConfig<S>(
  config: AnomalydConfig,
  models: ReadonlyMap<string, PipelineModel>,
  hooks: Pick<PipelineOptions<S>, 'laneOf' | 'snapshots'> = {},
): ScoringPipeline<S> {
  const shapes = new Map([...models].map(([name, m]) => [name, { seqStep: m.seqStep, features: m.features, threshold: m.threshold }]));
  return new ScoringPipeline<S>({
    router: new StreamRouter(config.streams, shapes),
    models,
    maxBatch: config.inference.maxBatch,
    maxLatencyMs: config.inference.maxLatencyMs,
    maxActiveStreams: config.daemon.maxActiveStreams,
    idleEvictAfterMs: config.daemon.idleEvictAfterMs,
    ...hooks,
  });
}
