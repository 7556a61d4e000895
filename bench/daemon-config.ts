import type { LoadedConfig } from '../src/config/load.js';
import { configSchema } from '../src/config/schema.js';

export interface BenchDaemonConfig {
  brokers: string[];
  topic: string;
  groupId: string;
  alerts: string;
  deadLetter: string;
  /** Overrides of `inference` (maxBatch, maxLatencyMs); schema defaults otherwise. */
  inference?: { maxBatch?: number; maxLatencyMs?: number };
}

/** A validated daemon config as `anomalyd run` would load it, with schema defaults for everything not named. */
export function benchDaemonConfig(c: BenchDaemonConfig): LoadedConfig {
  const config = configSchema.parse({
    kafka: { brokers: c.brokers, clientId: 'anomalyd-bench', groupId: c.groupId },
    // The synthetic traffic is dated from 2026-01-01 but produced now, and the latency figures need the
    // message timestamp to be the produce time: no skew check between the two.
    input: { topics: [c.topic], fromBeginning: true, maxTimestampSkewMs: 0 },
    alerts: { topic: c.alerts },
    deadLetter: { topic: c.deadLetter },
    metrics: { enabled: false },
    ...(c.inference ? { inference: c.inference } : {}),
    models: { 'eps-gru': '(in memory)' },
    streams: [{ match: '*', model: 'eps-gru' }],
  });
  return { file: '(bench)', config, modelDirs: { 'eps-gru': '(in memory)' } };
}
