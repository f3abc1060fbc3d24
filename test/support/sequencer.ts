/**
 * The order files start in: longest first, by the seconds each took in a whole run on a quiet
 * machine (test/support/durations.json, written by the durations reporter). Several files run at
 * once; a long file started last runs on alone while the other workers sit idle, and on a fresh
 * clone (CI) vitest has no timings of its own to sort by. A file not in the list (a new one) is
 * taken as a server test of middling length; a file with no servers takes well under a second and
 * fills the gaps at the end.
 *
 * Files that run isolated (a process of their own) go first, whatever their length: vitest hands a
 * shared worker on to the next file only if that file runs shared too, so an isolated file met
 * midway ends a worker that had its modules loaded (vitest.config.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

export const DURATIONS_FILE = path.join(import.meta.dirname, 'durations.json');

/** What a file missing from the list is taken to last, in seconds: about a server test's median. */
const UNLISTED_SECONDS = 8;

export type Durations = Readonly<Record<string, number>>;

export function readDurations(): Durations {
  try {
    return JSON.parse(fs.readFileSync(DURATIONS_FILE, 'utf8')) as Durations;
  } catch {
    return {};
  }
}

export default class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const durations = readDurations();
    const root = this.ctx.config.root;
    const expected = (spec: TestSpecification) =>
      durations[path.relative(root, spec.moduleId).split(path.sep).join('/')] ?? UNLISTED_SECONDS;
    const isolated = (spec: TestSpecification) => (spec.project.config.isolate === false ? 1 : 0);
    return [...files].sort((a, b) => isolated(a) - isolated(b) || expected(b) - expected(a));
  }
}
