import { Kafka, type KafkaConfig } from 'kafkajs';
import { quietKafkaLogging } from './kafkajs-quiet.js';
import type { LocalKafkaSecurity } from './types.js';

/** kafkajs' TLS and SASL settings, as the readiness check passes them on. */
export type ClientSecurity = Pick<KafkaConfig, 'ssl' | 'sasl'>;

/** What a kafkajs client needs to reach a broker started with `secure: true`. */
export function localSecurityToKafkaJs(s: LocalKafkaSecurity): ClientSecurity {
  return { ssl: { ca: [s.caPem] }, sasl: { mechanism: s.mechanism, username: s.username, password: s.password } };
}

export interface WaitForBrokerOptions {
  timeoutMs: number;
  /** TLS/SASL for the check; a broker started secure passes its own. */
  security?: LocalKafkaSecurity | ClientSecurity;
  /** Checked before each attempt; a returned error aborts the wait (e.g. the broker process died). */
  abortReason?: () => Error | undefined;
}

/**
 * Resolves once a kafkajs admin client can connect and read cluster metadata with at least one broker,
 * i.e. the cluster really serves clients (an open port alone is not enough in KRaft mode).
 */
export async function waitForBroker(brokers: string[], { timeoutMs, abortReason, security }: WaitForBrokerOptions): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const kafka = new Kafka({
    ...(security && 'caPem' in security ? localSecurityToKafkaJs(security) : security),
    clientId: 'anomalyd-readiness',
    brokers,
    connectionTimeout: 1_000,
    requestTimeout: 5_000,
    retry: { retries: 0 },
    ...quietKafkaLogging,
  });
  let lastError: unknown;
  for (;;) {
    const aborted = abortReason?.();
    if (aborted) throw aborted;
    const admin = kafka.admin({ retry: { retries: 0 } });
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      if (cluster.brokers.length > 0 && cluster.controller !== null) return;
      lastError = new Error('cluster metadata lists no brokers or no controller yet');
    } catch (err) {
      lastError = err;
    } finally {
      await admin.disconnect().catch(() => {});
    }
    if (Date.now() >= deadline) {
      const why = lastError instanceof Error ? lastError.message : String(lastError);
      throw new Error(`Kafka at ${brokers.join(',')} did not accept clients within ${Math.round(timeoutMs / 1000)} s (last error: ${why})`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
