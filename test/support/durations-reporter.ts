/**
 * With RECORD_TEST_DURATIONS=1, writes the seconds each file took (its import and its tests) into
 * test/support/durations.json, which the sequencer starts the longest files by. Files this run
 * did not run keep their figures, so a run of a few files updates those alone. Record on a quiet
 * machine: under load every figure grows, but not evenly.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';
import { DURATIONS_FILE, readDurations } from './sequencer.ts';

export default class DurationsReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    if (process.env['RECORD_TEST_DURATIONS'] !== '1') return;
    const durations: Record<string, number> = { ...readDurations() };
    for (const module of testModules) {
      const { prepareDuration, collectDuration, duration } = module.diagnostic();
      const file = path.relative(module.project.config.root, module.moduleId).split(path.sep).join('/');
      durations[file] = Math.round((prepareDuration + collectDuration + duration) / 100) / 10;
    }
    const sorted = Object.fromEntries(Object.entries(durations).sort(([a], [b]) => a.localeCompare(b)));
    fs.writeFileSync(DURATIONS_FILE, `${JSON.stringify(sorted, null, 2)}\n`);
  }
}
