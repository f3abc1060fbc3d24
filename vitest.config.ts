import { configDefaults, defineConfig } from 'vitest/config';
import { ISOLATED_FILES } from './test/support/isolated-files.ts';
import LongestFirstSequencer from './test/support/sequencer.ts';

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

/**
 * Nearly every file runs in a shared worker process (isolate: false): a worker goes on from one
 * file to the next with the modules it has loaded, where an isolated file gets a fresh process
 * that imports the daemon's modules, mailparser, drizzle and PGlite (its WebAssembly compiled
 * again) before its first test. That import was most of the suite's CPU: an earlier whole-suite
 * measurement had the files' import time sum about 835 s in a run of 1,021 s of vitest's CPU
 * with every server file isolated, and 114 s in 679 s shared. Measured again on 22 files (14 of
 * them server files, 8 that were shared already) on a machine at a load of 25-33: 179 -> 148 s of
 * CPU, import summed 591 -> 248 s; the same 261 tests passed, the same 3 (PGlite on disk) timed out.
 * What this asks of a file: it stops what it starts (servers, clients, child processes, threads)
 * and puts back what it changes in the process (spies, clocks, listeners). Files that cannot share
 * run isolated, in a project of their own (test/support/isolated-files.ts says which and why); a
 * process a failed test leaves running is killed after its file (test/support/file-teardown.ts).
 * The sequencer starts the isolated files first, so a shared worker is rarely ended early for
 * them (vitest hands a shared worker on only to a file of the same project).
 */
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
          name: 'shared',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...ISOLATED_FILES],
          pool: 'forks',
          isolate: false,
          setupFiles: ['test/support/file-teardown.ts'],
          ...EACH_PROJECT,
        },
      },
      {
        test: { name: 'isolated', include: [...ISOLATED_FILES], pool: 'forks', isolate: true, ...EACH_PROJECT },
      },
    ],
  },
});
