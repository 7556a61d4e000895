import { defineConfig } from 'vitest/config';

// `npm run test:unit`: the pure tests beside the code (src/**/*.test.ts). No Kafka broker, no
// Prometheus, kcat, Java or validators; the global setup that starts the broker is not loaded.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
