import { dockerEngineReachable, startWithTestcontainers } from './docker.js';
import { brokersFromEnv, kafkaFromEnv } from './from-env.js';
import { startMavenKafka } from './maven-broker.js';
import { defaultCacheDir } from './repo-root.js';
import type { LocalKafka, StartLocalKafkaOptions } from './types.js';
import { waitForBroker, type ClientSecurity } from './wait-ready.js';

export type { LocalKafka, LocalKafkaMechanism, LocalKafkaSecurity, StartLocalKafkaOptions } from './types.js';
export { quietKafkaLogging } from './kafkajs-quiet.js';
export { waitForBroker, localSecurityToKafkaJs, type ClientSecurity } from './wait-ready.js';
export { resolveKafkaJars, kafkaVersion } from './maven-jars.js';
export { defaultCacheDir } from './repo-root.js';
export { dockerEngineReachable } from './docker.js';

/**
 * A Kafka cluster for local runs and tests, from the first source that is available:
 * 1. `KAFKA_BROKERS` in the environment (an existing cluster; `stop()` does nothing);
 * 2. a reachable Docker engine → a broker container via testcontainers;
 * 3. Java 17+ and Maven → Apache Kafka jars from Maven Central, run as a child JVM.
 * With `secure`, always 3., with a SASL_SSL client listener.
 * Resolves only once the broker answers a kafkajs metadata request.
 */
export async function startLocalKafka(opts: StartLocalKafkaOptions = {}): Promise<LocalKafka> {
  const env = opts.env ?? process.env;
  const readyTimeoutMs = opts.readyTimeoutMs ?? 120_000;

  const via = opts.via ?? 'auto';
  const maven = () =>
    startMavenKafka({
      port: opts.port,
      cacheDir: opts.cacheDir ?? defaultCacheDir(),
      env,
      readyTimeoutMs,
      onProgress: opts.onProgress,
      secure: opts.secure,
    });

  // A secured broker is always one we start, from the Maven jars: its CA and credentials are made here.
  if (opts.secure) {
    if (via === 'testcontainers') throw new Error('a secured local broker (SASL_SSL) runs from the Maven jars only: use --via maven or auto');
    return maven();
  }

  if (via === 'auto') {
    const fromEnv = brokersFromEnv(env);
    if (fromEnv) return ready(kafkaFromEnv(fromEnv), readyTimeoutMs, opts.clientSecurity);
  }

  if (via === 'testcontainers' || (via === 'auto' && (await dockerEngineReachable(env)))) {
    opts.onProgress?.('starting a Kafka container with testcontainers');
    return ready(await startWithTestcontainers(opts.port), readyTimeoutMs);
  }

  return maven();
}

/** Waits until `kafka` serves clients; stops it (if ours) and rethrows when it does not. */
async function ready(kafka: LocalKafka, timeoutMs: number, security?: ClientSecurity): Promise<LocalKafka> {
  try {
    await waitForBroker(kafka.brokers, { timeoutMs, security });
    return kafka;
  } catch (err) {
    await kafka.stop().catch(() => {});
    throw err;
  }
}
