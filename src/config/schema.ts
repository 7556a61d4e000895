import { z } from 'zod';
import { COMPRESSION_NAMES } from '../kafka/compression/names.js';
import { streamRegexProblem } from '../pipeline/stream-regex.js';

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

export const kafkaSchema = z
  .strictObject({
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
    /** Accept settings that expose traffic or credentials (see insecureKafkaSettings); they are logged as warnings. */
    allowInsecure: z.boolean().default(false),
  })
  .refine((k) => k.allowInsecure || typeof k.ssl !== 'object' || k.ssl.rejectUnauthorized, {
    message:
      "kafka.allowInsecure: true alongside ssl.rejectUnauthorized: false (without certificate verification anyone on the path can read and alter the traffic, SASL credentials included); better: name the broker's CA in ssl.ca",
    path: ['ssl', 'rejectUnauthorized'],
  })
  .refine((k) => k.allowInsecure || k.sasl?.mechanism !== 'plain' || k.ssl !== false, {
    message: 'kafka.ssl with sasl.mechanism plain (PLAIN sends the password in clear text), or kafka.allowInsecure: true to accept that',
    path: ['sasl', 'mechanism'],
  });

/** The settings `allowInsecure` lets through, in words for a startup warning. */
export function insecureKafkaSettings(k: z.infer<typeof kafkaSchema>): string[] {
  const found: string[] = [];
  if (typeof k.ssl === 'object' && !k.ssl.rejectUnauthorized) found.push("kafka.ssl.rejectUnauthorized is false: the broker's certificate is not verified");
  if (k.sasl?.mechanism === 'plain' && k.ssl === false) found.push('kafka.sasl.mechanism is plain without kafka.ssl: the password crosses the network in clear text');
  return found;
}

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

/**
 * The seasonal context of the `context` scoring method (src/pipeline/scoring/context.ts): each stream's
 * expected value at this time of day, learned online, and how far the newest value lies from it.
 */
export const contextSchema = z.strictObject({
  /** A point is anomalous when its relative deviation from the expected value is at least this… */
  minDeviation: z.number().positive().default(0.6),
  /** …and its log-deviation is at least this many of the stream's typical deviations. */
  minZ: z.number().positive().default(4),
  /** Sustained deviation (CUSUM of the z-scores, each clipped to ±zClip): slack subtracted per point. */
  cusumSlack: z.number().min(0).default(2),
  /** CUSUM level that marks a sustained deviation (a shift or a broken rhythm). */
  cusumThreshold: z.number().positive().default(20),
  /** The CUSUM counts only while the point's own relative deviation is at least this. */
  cusumMinDeviation: z.number().min(0).default(0.1),
  zClip: z.number().positive().default(6),
  /** Broken rhythm: over the last this many hours the expected values move but the series does not (0: off). */
  rhythmHours: z.number().min(0).default(6),
  /** …the expected values move: the std of their logs within those hours is at least this… */
  rhythmMinSpread: z.number().positive().default(0.08),
  /** …and the series' own logs spread less than this fraction of that. */
  rhythmMaxRatio: z.number().positive().default(0.2),
  /**
   * Flattened series: CUSUM level of the evidence that the series moves less than its usual noise
   * while it sits off its expected level (0: off; docs/DETECTION.md).
   */
  flatThreshold: z.number().min(0).default(10),
  /** …each point adds its |z| (capped at 3) less this… */
  flatLevelSlack: z.number().min(0).default(1.25),
  /** …and takes away at most this much. */
  flatClip: z.number().positive().default(4),
  /**
   * While the context is still learning, the autoencoder alone alerts when its error is this many
   * times its threshold (alone, at 1× every bump of a small source alerts; docs/DETECTION.md).
   */
  learningErrorFactor: z.number().min(1).default(8),
  /** Weekdays a time of day must have been seen before the context judges it (until then the autoencoder decides alone). */
  minDays: z.number().int().min(1).max(255).default(2),
  /** Smallest typical log-deviation assumed (a near-noiseless source must not turn every wiggle into certainty). */
  minSigma: z.number().positive().default(0.03),
  /** Per day, the weight of the newest day in the expected value of a time of day (exponential forgetting). */
  profileRate: z.number().gt(0).max(1).default(0.5),
  /** Learning rate of the typical deviation. */
  sigmaRate: z.number().gt(0).max(1).default(0.05),
  /** Per weekend point, the learning rate of the weekend level (Saturday and Sunday, UTC). */
  weekendRate: z.number().gt(0).max(1).default(0.1),
  /** Anomalous points teach the context at this fraction of the rate, so an incident does not become the norm at once. */
  anomalyRateFactor: z.number().min(0).max(1).default(0.1),
  /** A point's update of the context is clipped to this many typical deviations. */
  updateClip: z.number().positive().default(3),
  /**
   * A point deviation must also be confirmed by the autoencoder: the window's reconstruction error
   * above the model's threshold. While the context is still learning the autoencoder decides alone.
   */
  autoencoderGate: z.boolean().default(true),
});

/** What the threshold is compared with: the reconstruction error, transformed per stream (src/pipeline/scoring). */
export const scoringSchema = z.strictObject({
  method: z.enum(['raw', 'smoothed', 'likelihood', 'loglikelihood', 'context']).default('context'),
  /**
   * `level`: the autoencoder sees each stream divided by its own level, learned online, times the
   * mean of the model's training data, so one model serves sources of any scale; `none`: raw values.
   */
  normalize: z.enum(['level', 'none']).default('level'),
  window: positiveInt.default(2000),
  shortWindow: positiveInt.default(10),
  learningPeriod: z.number().int().min(0).default(300),
  minStdRatio: z.number().min(0).default(0.1),
  suppress: z.number().int().min(0).default(0),
  spatial: z.boolean().default(false),
  spatialTolerance: z.number().min(0).default(0.02),
  seasonalPeriod: z.number().int().min(0).default(0),
  seasonalDays: positiveInt.default(7),
  seasonalShortWindow: positiveInt.default(30),
  context: contextSchema.prefault({}),
});

export type ScoringConfig = z.infer<typeof scoringSchema>;
export type ContextConfig = z.infer<typeof contextSchema>;
/** Every scoring default, from the schema: the one place they are written. */
export const SCORING_DEFAULTS: ScoringConfig = scoringSchema.parse({});

/** Silence detection: a stream that stops reporting opens an episode of kind `silence`. */
export const silenceSchema = z.strictObject({
  /** Cadences without an event before a silence episode opens (0: off). The cadence is learned per stream. */
  after: z.number().min(0).default(2),
});
export const SILENCE_DEFAULTS = silenceSchema.parse({});

export const streamRuleSchema = z
  .strictObject({
    match: z.string().min(1).optional().describe('glob on the stream id'),
    regex: z.string().min(1).optional().describe('regular expression on the stream id'),
    model: z.string().min(1),
    threshold: z.number().positive().optional(),
    alert: alertPolicySchema.prefault({}),
    scoring: scoringSchema.prefault({}),
    silence: silenceSchema.prefault({}),
  })
  .refine((r) => (r.match === undefined) !== (r.regex === undefined), {
    message: 'exactly one of `match` (glob) or `regex`',
  })
  .superRefine((r, ctx) => {
    const problem = r.regex === undefined ? null : streamRegexProblem(r.regex);
    if (problem !== null) {
      ctx.addIssue({
        code: 'custom',
        path: ['regex'],
        message: `a valid regular expression in RE2 syntax, which matches in linear time (no lookaround, no backreferences): ${problem}`,
      });
    }
  })
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
    /** A stream without an event for this long (event time, against the newest event accepted in its partition) is evicted (0: never). */
    idleEvictAfterMs: z.number().int().min(0).default(24 * 3_600_000),
    shutdownTimeoutMs: positiveInt.default(15_000),
    /** The consumer-group session: a member silent this long (crashed, frozen) loses its partitions. */
    sessionTimeoutMs: positiveInt.default(30_000),
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
    /** The per-stream state changelog (compacted; one record per stream, written in the same transaction as its alerts). */
    state: z
      .strictObject({
        /** Default: `<kafka.groupId>.state` (see changelogTopic). */
        topic: z.string().min(1).optional(),
      })
      .prefault({}),
    /** Exactly-once delivery: one transactional producer per input partition. */
    delivery: z
      .strictObject({
        /** Default: `anomalyd.<kafka.groupId>` (see transactionalIdPrefix); a partition's id is `<prefix>.<topic>.<partition>`. */
        transactionalIdPrefix: z.string().min(1).optional(),
        /** The broker aborts a transaction left open this long (by a crashed daemon). */
        transactionTimeoutMs: positiveInt.default(60_000),
      })
      .prefault({}),
    metrics: z
      .strictObject({
        enabled: z.boolean().default(true),
        /**
         * Loopback by default: the endpoints show stream ids and their latest values. A scraper on another
         * host needs a reachable address (0.0.0.0 in a container) and, outside a trusted network, webConfigFile.
         */
        host: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(9464),
        /** Streams beyond this many get folded into stream="__other__" in per-stream metrics. */
        maxStreamLabels: positiveInt.default(1000),
        /** TLS and basic auth: a web config file in the Prometheus exporter-toolkit format (relative to this file). */
        webConfigFile: z.string().min(1).optional(),
        /** /healthz and /readyz without basic auth (TLS still applies): for Kubernetes probes, which cannot send a Secret's credentials. */
        probesWithoutAuth: z.boolean().default(false),
      })
      .default({ enabled: true, host: '127.0.0.1', port: 9464, maxStreamLabels: 1000, probesWithoutAuth: false }),
    inference: inferenceSchema,
    daemon: daemonSchema,
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
export type SilencePolicy = StreamRule['silence'];
