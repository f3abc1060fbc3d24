import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    pool: 'forks',
    // Most tests wait on servers (SMTP round trips, Redis, PostgreSQL, Chromium) rather than
    // compute, so three files at a time fill CI's two cores better than vitest's default of one.
    maxWorkers: 3,
    // Tests wait on events, each with a limit of its own; this is only the backstop, generous
    // because a CI machine may be busy (a Chromium test signing in twice took 30 s at a load of 10).
    testTimeout: 60_000,
    hookTimeout: 120_000,
    globalSetup: ['test/support/global-setup.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
