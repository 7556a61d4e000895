import { readFileSync } from 'node:fs';
import { Kafka, logLevel, type KafkaConfig as KafkaJsConfig, type SASLOptions } from 'kafkajs';
import type { KafkaConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import { registerCompressionCodecs } from './compression/codecs.js';

const levels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

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
      // kafkajs logs every error response ("Response JoinGroup ...", e.g. a coordinator still loading)
      // before its own retry handles it; failures that outlast the retries reach us as exceptions.
      const retriedByKafkajs = namespace === 'Connection' && message.startsWith('Response ');
      kafkaLog[retriedByKafkajs ? 'debug' : (levels[level] ?? 'info')]({ ...extra, namespace }, message);
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
