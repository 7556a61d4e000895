import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // One Kafka broker for all tests; its bootstrap is in process.env.KAFKA_BROKERS.
    globalSetup: ['test/global-setup.ts'],
  },
});
