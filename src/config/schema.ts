import { z } from 'zod';
import { SCORING_DEFAULTS } from '../pipeline/score-transform.js';

const positiveInt = z.number().int().positive();

const brokers = z
  .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
  .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((b) => b.trim()).filter((b) => b.length > 0))
  .pipe(z.array(z.string().regex(/^[^\s:]+:\d+$/, 'host:port')).min(1, 'at least one broker host:port'));

const ssl = z.union([
  z.boolean(),
  z.strictObject({
    ca: z.string().optional().describe('path to a PEM file'),
    cert: z.string().optional(),
    key: z.string().optional(),
    rejectUnauthorized: z.boolean().default(true),
  }),
]);

const sasl = z.strictObject({
  mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
  username: z.string().min(1),
  password: z.string().min(1),
});

export const kafkaSchema = z.strictObject({
  brokers,
  clientId: z.string().min(1).default('anomalyd'),
  groupId: z.string().min(1).default('anomalyd'),
  ssl: ssl.default(false),
  sasl: sasl.optional(),
  connectionTimeoutMs: positiveInt.default(10_000),
  /** Startup and reconnect backoff. */
  retry: z
    .strictObject({
      initialRetryTimeMs: positiveInt.default(300),
      maxRetryTimeMs: positiveInt.default(30_000),
      retries: z.number().int().min(0).default(10),
    })
    .default({ initialRetryTimeMs: 300, maxRetryTimeMs: 30_000, retries: 10 }),
});

export const inputSchema = z.strictObject({
  topics: z.array(z.string().min(1)).min(1),
  fromBeginning: z.boolean().default(false),
  fields: z
    .strictObject({
      stream: z.string().min(1).default('stream'),
      timestamp: z.string().min(1).default('ts'),
      value: z.string().min(1).default('value'),
      values: z.string().min(1).default('values'),
    })
    .default({ stream: 'stream', timestamp: 'ts', value: 'value', values: 'values' }),
});

export const alertPolicySchema = z.strictObject({
  /** Consecutive above-threshold windows before an episode opens. */
  openAfter: positiveInt.default(1),
  /** Consecutive below-threshold windows before an open episode resolves. */
  resolveAfter: positiveInt.default(5),
});

/** Post-processing of the reconstruction error before the threshold (src/pipeline/score-transform.ts). */
export const scoringSchema = z.strictObject({
  method: z.enum(['raw', 'smoothed', 'likelihood', 'loglikelihood']).default(SCORING_DEFAULTS.method),
  window: positiveInt.default(SCORING_DEFAULTS.window),
  shortWindow: positiveInt.default(SCORING_DEFAULTS.shortWindow),
  learningPeriod: z.number().int().min(0).default(SCORING_DEFAULTS.learningPeriod),
  minStdRatio: z.number().min(0).default(SCORING_DEFAULTS.minStdRatio),
  suppress: z.number().int().min(0).default(SCORING_DEFAULTS.suppress),
  spatial: z.boolean().default(SCORING_DEFAULTS.spatial),
  spatialTolerance: z.number().min(0).default(SCORING_DEFAULTS.spatialTolerance),
  seasonalPeriod: z.number().int().min(0).default(SCORING_DEFAULTS.seasonalPeriod),
  seasonalDays: positiveInt.default(SCORING_DEFAULTS.seasonalDays),
  seasonalShortWindow: positiveInt.default(SCORING_DEFAULTS.seasonalShortWindow),
});

export const streamRuleSchema = z
  .strictObject({
    match: z.string().min(1).optional().describe('glob on the stream id'),
    regex: z.string().min(1).optional().describe('regular expression on the stream id'),
    model: z.string().min(1),
    threshold: z.number().positive().optional(),
    alert: alertPolicySchema.default({ openAfter: 1, resolveAfter: 5 }),
    scoring: scoringSchema.default(SCORING_DEFAULTS),
  })
  .refine((r) => (r.match === undefined) !== (r.regex === undefined), {
    message: 'exactly one of `match` (glob) or `regex`',
  })
  .refine(
    (r) => {
      if (r.regex === undefined) return true;
      try {
        new RegExp(r.regex);
        return true;
      } catch {
        return false;
      }
    },
    { message: 'a valid regular expression', path: ['regex'] },
  )
  .refine((r) => (r.scoring.method !== 'likelihood' && r.scoring.method !== 'loglikelihood') || (r.threshold !== undefined && r.threshold < 1), {
    message: 'a threshold below 1 (e.g. 0.9999) when scoring.method is likelihood or loglikelihood: their scores lie in [0, 1], the model calibrated threshold is an MSE',
    path: ['threshold'],
  })
  .refine((r) => !r.scoring.spatial || r.scoring.method === 'likelihood' || r.scoring.method === 'loglikelihood', {
    message: 'scoring.spatial needs scoring.method likelihood or loglikelihood (a new extreme scores 1, the top of their range)',
    path: ['scoring', 'spatial'],
  })
  .refine((r) => r.scoring.seasonalPeriod === 0 || r.scoring.method === 'likelihood' || r.scoring.method === 'loglikelihood', {
    message: 'scoring.seasonalPeriod needs scoring.method likelihood or loglikelihood (its deviation is judged as a likelihood)',
    path: ['scoring', 'seasonalPeriod'],
  });

export const configSchema = z
  .strictObject({
    kafka: kafkaSchema,
    input: inputSchema,
    alerts: z.strictObject({ topic: z.string().min(1).default('anomalyd.alerts') }).default({ topic: 'anomalyd.alerts' }),
    deadLetter: z
      .strictObject({ topic: z.string().min(1).default('anomalyd.dead-letter') })
      .default({ topic: 'anomalyd.dead-letter' }),
    /** The per-stream state changelog (compacted; one record per stream, written in the same transaction as its alerts). */
    state: z
      .strictObject({
        /** Default: `<kafka.groupId>.state` (see changelogTopic). */
        topic: z.string().min(1).optional(),
      })
      .default({}),
    /** Exactly-once delivery: one transactional producer per input partition. */
    delivery: z
      .strictObject({
        /** Default: `anomalyd.<kafka.groupId>` (see transactionalIdPrefix); a partition's id is `<prefix>.<topic>.<partition>`. */
        transactionalIdPrefix: z.string().min(1).optional(),
        /** The broker aborts a transaction left open this long (by a crashed daemon). */
        transactionTimeoutMs: positiveInt.default(60_000),
      })
      .default({ transactionTimeoutMs: 60_000 }),
    metrics: z
      .strictObject({
        enabled: z.boolean().default(true),
        host: z.string().min(1).default('0.0.0.0'),
        port: z.number().int().min(0).max(65535).default(9464),
        /** Streams beyond this many get folded into stream="__other__" in per-stream metrics. */
        maxStreamLabels: positiveInt.default(1000),
      })
      .default({ enabled: true, host: '0.0.0.0', port: 9464, maxStreamLabels: 1000 }),
    inference: z
      .strictObject({
        backend: z.enum(['auto', 'tensorflow', 'wasm', 'cpu']).default('auto'),
        maxBatch: positiveInt.default(1024),
        maxLatencyMs: positiveInt.default(50),
      })
      .default({ backend: 'auto', maxBatch: 1024, maxLatencyMs: 50 }),
    daemon: z
      .strictObject({
        /** Events fetched but not yet committed; above it partitions are paused. */
        maxInFlight: positiveInt.default(20_000),
        shutdownTimeoutMs: positiveInt.default(15_000),
        /** The consumer-group session: a member silent this long (crashed, frozen) loses its partitions. */
        sessionTimeoutMs: positiveInt.default(30_000),
      })
      .default({ maxInFlight: 20_000, shutdownTimeoutMs: 15_000, sessionTimeoutMs: 30_000 }),
    logging: z
      .strictObject({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info') })
      .default({ level: 'info' }),
    /** Model name → model directory (relative paths resolve against the config file's folder). */
    models: z.record(z.string().min(1), z.string().min(1)).refine((m) => Object.keys(m).length > 0, {
      message: 'at least one model',
    }),
    /** First matching rule wins. */
    streams: z.array(streamRuleSchema).min(1),
  });

/** Cross-field checks, run on the raw tree so they are reported together with schema errors. */
export function crossCheck(raw: unknown): { path: (string | number)[]; message: string }[] {
  const cfg = raw as { models?: unknown; streams?: unknown };
  if (!cfg || typeof cfg.models !== 'object' || cfg.models === null || !Array.isArray(cfg.streams)) return [];
  const names = Object.keys(cfg.models);
  return cfg.streams.flatMap((rule: unknown, i) => {
    const model = (rule as { model?: unknown } | null)?.model;
    return typeof model === 'string' && !names.includes(model)
      ? [{ path: ['streams', i, 'model'], message: `expected a model named in \`models\` (one of: ${names.join(', ')})` }]
      : [];
  });
}

export type AnomalydConfig = z.infer<typeof configSchema>;

/** The state changelog topic: `state.topic`, by default `<groupId>.state`. */
export function changelogTopic(config: Pick<AnomalydConfig, 'state' | 'kafka'>): string {
  return config.state.topic ?? `${config.kafka.groupId}.state`;
}

/** Prefix of the per-partition transactional ids: `delivery.transactionalIdPrefix`, by default `anomalyd.<groupId>`. */
export function transactionalIdPrefix(config: Pick<AnomalydConfig, 'delivery' | 'kafka'>): string {
  return config.delivery.transactionalIdPrefix ?? `anomalyd.${config.kafka.groupId}`;
}
export type KafkaConfig = AnomalydConfig['kafka'];
export type StreamRule = AnomalydConfig['streams'][number];
export type AlertPolicy = StreamRule['alert'];
export type ScoringRule = StreamRule['scoring'];
