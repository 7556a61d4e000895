import { z } from 'zod';
import { COMPRESSION_NAMES } from '../kafka/compression/names.js';
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
  /**
   * Largest distance between an event's own timestamp and its Kafka message timestamp (0: no check).
   * Seven days: a shipper's backlog after a long outage still gets in, a typo'd year does not; a replay
   * of historical data passes when its producer sets the message timestamp to the event time.
   */
  maxTimestampSkewMs: z.number().int().min(0).default(7 * 24 * 3_600_000),
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

export const inferenceSchema = z
  .strictObject({
    backend: z.enum(['auto', 'tensorflow', 'wasm', 'cpu']).default('auto'),
    maxBatch: positiveInt.default(1024),
    maxLatencyMs: positiveInt.default(50),
    /** A scoring worker that has not answered a batch after this long is hung: it is restarted and the batch retried. */
    timeoutMs: positiveInt.default(30_000),
    /** Restarts of a scoring worker for one batch (crash or timeout) before the daemon gives up and exits 1. */
    maxRetries: z.number().int().min(0).default(2),
  })
  .prefault({});

export const daemonSchema = z
  .strictObject({
    /** Events fetched but not yet delivered; above it fetching waits. */
    maxInFlight: positiveInt.default(20_000),
    /** Bytes (keys and values) of those events; above it fetching waits too. */
    maxInFlightBytes: positiveInt.default(64 * 1024 * 1024),
    /** Outgoing messages (key, value and headers) larger than this are parked, not sent; below the broker's default 1 MiB message.max.bytes. */
    maxMessageBytes: positiveInt.default(1_000_000),
    /** Streams held at once; events of further new streams are dead-lettered as stream_limit (0: no cap). */
    maxActiveStreams: z.number().int().min(0).default(100_000),
    /** A stream without an event for this long (event time, against the newest event seen) is evicted (0: never). */
    idleEvictAfterMs: z.number().int().min(0).default(24 * 3_600_000),
    shutdownTimeoutMs: positiveInt.default(15_000),
  })
  .prefault({});

export const configSchema = z
  .strictObject({
    kafka: kafkaSchema,
    input: inputSchema,
    alerts: z
      .strictObject({
        topic: z.string().min(1).default('anomalyd.alerts'),
        /** Codec of produced alert and dead-letter batches. */
        compression: z.enum(COMPRESSION_NAMES).default('none'),
      })
      .prefault({}),
    deadLetter: z
      .strictObject({ topic: z.string().min(1).default('anomalyd.dead-letter') })
      .default({ topic: 'anomalyd.dead-letter' }),
    metrics: z
      .strictObject({
        enabled: z.boolean().default(true),
        host: z.string().min(1).default('0.0.0.0'),
        port: z.number().int().min(0).max(65535).default(9464),
        /** Streams beyond this many get folded into stream="__other__" in per-stream metrics. */
        maxStreamLabels: positiveInt.default(1000),
      })
      .default({ enabled: true, host: '0.0.0.0', port: 9464, maxStreamLabels: 1000 }),
    inference: inferenceSchema,
    daemon: daemonSchema,    logging: z
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
export type KafkaConfig = AnomalydConfig['kafka'];
export type StreamRule = AnomalydConfig['streams'][number];
export type AlertPolicy = StreamRule['alert'];
export type ScoringRule = StreamRule['scoring'];
