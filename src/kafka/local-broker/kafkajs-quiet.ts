import { logLevel, type KafkaConfig, type logCreator } from 'kafkajs';

/**
 * kafkajs logs retriable errors (coordinator loading, leader moving) at ERROR to the console.
 * For probes and tests that retry on their own, those lines are noise; this silences them.
 */
export const quietKafkaLogging: Pick<KafkaConfig, 'logLevel' | 'logCreator'> = {
  logLevel: logLevel.NOTHING,
  logCreator: (() => () => {}) satisfies logCreator,
};
