import type { LocalKafka } from './types.js';

/** Parses `KAFKA_BROKERS` (comma-separated `host:port`); undefined when unset or blank. */
export function brokersFromEnv(env: NodeJS.ProcessEnv): string[] | undefined {
  const raw = env.KAFKA_BROKERS?.trim();
  if (!raw) return undefined;
  const brokers = raw.split(',').map((b) => b.trim()).filter(Boolean);
  for (const b of brokers) {
    if (!/^[^\s:]+:\d{1,5}$/.test(b) && !/^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(b)) {
      throw new Error(`KAFKA_BROKERS: "${b}" is not host:port (expected e.g. KAFKA_BROKERS=127.0.0.1:9092,other:9092)`);
    }
  }
  return brokers;
}

export function kafkaFromEnv(brokers: string[]): LocalKafka {
  return { brokers, how: 'env', stop: async () => {} };
}
