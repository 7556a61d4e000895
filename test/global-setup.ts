import type { TestProject } from 'vitest/node';
import { startLocalKafka, type LocalKafka } from '../src/kafka/local-broker/index.js';
import { SETUP_COMMAND } from './support/tools.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Bootstrap addresses of the one Kafka broker shared by all tests, comma-separated. */
    kafkaBrokers: string;
  }
}

let kafka: LocalKafka | undefined;

/**
 * Starts one Kafka broker for the whole test run (or uses KAFKA_BROKERS when set) and exposes it as
 * `process.env.KAFKA_BROKERS` (inherited by the forked test workers) and as `inject('kafkaBrokers')`.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  try {
    kafka = await startLocalKafka({
      onProgress: (m) => process.stderr.write(`[kafka] ${m}\n`),
    });
  } catch (err) {
    throw new Error(
      `${(err as Error).message}\nThe integration tests need a Kafka broker: set KAFKA_BROKERS to use yours, or run ${SETUP_COMMAND}, ` +
        'which installs Java and Maven (apt: default-jre-headless, maven) and fetches the Kafka jars. `npm run test:unit` needs no broker.',
    );
  }
  const brokers = kafka.brokers.join(',');
  process.env.KAFKA_BROKERS = brokers;
  project.provide('kafkaBrokers', brokers);
  process.stderr.write(`[kafka] ${kafka.how} broker ready: ${brokers}\n`);
  return async () => {
    await kafka?.stop();
    kafka = undefined;
  };
}
