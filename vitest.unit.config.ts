import { defineConfig } from 'vitest/config';

/** Pure unit tests (templates, mail, ip): no global setup, no servers. */
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/templates/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
  },
});
