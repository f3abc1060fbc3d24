import { configDefaults, defineConfig } from 'vitest/config';
import LongestFirstSequencer from './test/support/sequencer.ts';
import { UNIT_FILES } from './test/support/unit-files.ts';

/**
 * Most tests wait on servers (SMTP round trips, Redis, PostgreSQL, Chromium) rather than compute,
 * so three files at a time fill CI's two cores better than vitest's default of one.
 */
const MAX_WORKERS = 3;

/**
 * Tests wait on events, each with a limit of its own; these are only the backstops, generous
 * because a CI machine may be busy (a Chromium test signing in twice took 30 s at a load of 10).
 */
const EACH_PROJECT = { testTimeout: 60_000, hookTimeout: 120_000 };

export default defineConfig({
  test: {
    maxWorkers: MAX_WORKERS,
    // Once a run, whichever files run: dist/, the PostgreSQL server and the PGlite snapshot.
    globalSetup: ['test/support/global-setup.ts'],
    sequence: { sequencer: LongestFirstSequencer },
    reporters: ['default', './test/support/summary-reporter.ts', './test/support/durations-reporter.ts'],
    projects: [
      {
        test: {
          name: 'servers',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...UNIT_FILES],
          pool: 'forks',
          ...EACH_PROJECT,
        },
      },
      {
        // Files that start nothing share worker processes and the modules loaded in them (unit-files.ts).
        test: { name: 'unit', include: [...UNIT_FILES], pool: 'forks', isolate: false, ...EACH_PROJECT },
      },
    ],
  },
});
