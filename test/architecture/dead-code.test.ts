/**
 * No dead code behind an export: every function, class or value a file of src/ exports is used
 * somewhere (src/, the tests, the benchmarks, the scripts), not only re-exported by a room's face.
 * An export nobody uses reads as part of a room's contract while nothing holds it to one.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const REPO = resolve(import.meta.dirname, '../..');

/** Read by tools through the module's exports rather than by name (drizzle-kit reads every table). */
const READ_WHOLE = new Set(['src/db/schema.ts']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (name === 'node_modules' || name === 'fixtures' || name === 'results') return [];
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return /\.(ts|mts|mjs|js|eta)$/.test(name) ? [full] : [];
  });
}

/** How often each word is written, re-export lines (`export { a } from`, a room's face) left out. */
function wordCounts(files: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => !/^export\s+(type\s+)?\{[^}]*\}\s+from\s/.test(line))
      .join('\n')
      // a re-export list split over several lines
      .replace(/^export\s+\{[^}]*\}\s+from\s+'[^']+';/gm, '');
    for (const [word] of text.matchAll(/[A-Za-z_$][\w$]*/g)) counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  return counts;
}

describe('exports', () => {
  it('every exported function, class and value of src/ is used somewhere besides its declaration', () => {
    const files = ['src', 'test', 'bench', 'scripts'].flatMap((dir) => sourceFiles(join(REPO, dir)));
    const counts = wordCounts(files);
    const unused: string[] = [];
    for (const file of files.filter((f) => relative(REPO, f).startsWith('src/'))) {
      if (READ_WHOLE.has(relative(REPO, file))) continue;
      const text = readFileSync(file, 'utf8');
      for (const [, name] of text.matchAll(
        /^export\s+(?:async\s+)?(?:function\*?|const|let|class)\s+([\w$]+)/gm,
      )) {
        if ((counts.get(name!) ?? 0) < 2) unused.push(`${relative(REPO, file)}: ${name}`);
      }
    }
    expect(unused).toEqual([]);
  });
});
