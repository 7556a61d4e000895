import { readFileSync } from 'node:fs';
import { Kafka, logLevel, type KafkaConfig as KafkaJsConfig, type SASLOptions } from 'kafkajs';
import type { KafkaConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import { registerCompressionCodecs } from './compression/codecs.js';
import { kafkajsLogLevel } from './kafkajs-log-level.js';

/** A kafkajs client from anomalyd's kafka config, logging through the daemon's logger, with every Kafka codec registered. */
export function createKafka(cfg: KafkaConfig, log: Logger): Kafka {
  registerCompressionCodecs();
  const kafkaLog = log.child({ component: 'kafkajs' });
  const options: KafkaJsConfig = {
    clientId: cfg.clientId,
    brokers: cfg.brokers,
    connectionTimeout: cfg.connectionTimeoutMs,
    retry: {
      initialRetryTime: cfg.retry.initialRetryTimeMs,
      maxRetryTime: cfg.retry.maxRetryTimeMs,
      retries: cfg.retry.retries,
    },
    // kafkajs' INFO lines are routine chatter; WARN and above reach our log.
    logLevel: logLevel.WARN,
    logCreator: () => ({ namespace, level, log }) => {
      const { message, ...extra } = log;
      kafkaLog[kafkajsLogLevel(namespace, level, message, extra)]({ ...extra, namespace }, message);
    },
  };
  return new Kafka({ ...options, ...kafkaJsSecurity(cfg) });
}

/** kafkajs' `ssl` and `sasl` options from anomalyd's kafka config (certificate files are read here). */
export function kafkaJsSecurity(cfg: Pick<KafkaConfig, 'ssl' | 'sasl'>): Pick<KafkaJsConfig, 'ssl' | 'sasl'> {
  const out: Pick<KafkaJsConfig, 'ssl' | 'sasl'> = {};
  if (cfg.ssl === true) out.ssl = true;
  else if (cfg.ssl) {
    const read = (f?: string) => (f ? readFileSync(f, 'utf8') : undefined);
    out.ssl = { ca: read(cfg.ssl.ca), cert: read(cfg.ssl.cert), key: read(cfg.ssl.key), rejectUnauthorized: cfg.ssl.rejectUnauthorized };
  }
  if (cfg.sasl) out.sasl = { mechanism: cfg.sasl.mechanism, username: cfg.sasl.username, password: cfg.sasl.password } as SASLOptions;
  return out;
}
