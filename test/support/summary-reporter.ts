/**
 * Prints one plain closing line, `Tests: N passed, N failed`, that CI reads whatever the runner.
 */
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      // A failed hook or import fails the file while its tests show as skipped: count it.
      const failedTests = [...module.children.allTests()].some((t) => t.result().state === 'failed');
      if (module.state() === 'failed' && !failedTests) failed++;
    }
    process.stdout.write(`\nTests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
