/**
 * The error catalogue (src/shared/error-codes.ts) is the one list of codes: the code compiles
 * against it, docs/error-codes.md is written from it, and no code is written anywhere in the
 * sources, views, reply texts or documents that it does not hold.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES_DOC, errorCodesDocument } from '../../scripts/error-codes-doc.ts';
import { ERROR_CODES, type ErrorCodeEntry, isErrorCode, problem } from '../../src/shared/index.ts';

const REPO = resolve(import.meta.dirname, '../..');

/** Words shaped like codes that are not codes: the format's placeholder, the metrics' overflow label. */
const NOT_CODES = new Set(['E_CODE', 'E_OTHER']);

function filesUnder(dir: string, keep: (name: string) => boolean): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return filesUnder(full, keep);
    return keep(name) ? [full] : [];
  });
}

function codesWrittenIn(files: readonly string[]): Map<string, string> {
  const where = new Map<string, string>();
  for (const file of files) {
    for (const [code] of readFileSync(file, 'utf8').matchAll(/\bE_[A-Z][A-Z0-9_]*[A-Z0-9]\b/g)) {
      if (!where.has(code)) where.set(code, relative(REPO, file));
    }
  }
  return where;
}

describe('the error catalogue', () => {
  it('is the only list: a code written in src/, the reply texts or the documents is in it', () => {
    const files = [
      ...filesUnder(join(REPO, 'src'), (n) => /\.(ts|mjs|eta|md|js)$/.test(n)),
      ...filesUnder(join(REPO, 'templates/replies'), (n) => n.endsWith('.txt')),
      ...filesUnder(join(REPO, 'docs'), (n) => n.endsWith('.md')),
      join(REPO, 'README.md'),
    ];
    const unknown = [...codesWrittenIn(files)]
      .filter(([code]) => !NOT_CODES.has(code) && !isErrorCode(code))
      .map(([code, file]) => `${code} (${file})`);
    expect(unknown).toEqual([]);
  });

  it('docs/error-codes.md is what `npm run docs:error-codes` writes from it', () => {
    expect(readFileSync(ERROR_CODES_DOC, 'utf8')).toBe(errorCodesDocument());
  });

  it('names refusal texts that exist, and every refusal text but default.txt is named by its code', () => {
    const dir = join(REPO, 'templates/replies/refusals');
    const named = Object.entries(ERROR_CODES).flatMap(([code, entry]: [string, ErrorCodeEntry]) =>
      entry.refusal ? [{ code, file: entry.refusal }] : [],
    );
    for (const { code, file } of named) expect(file).toBe(`${code}.txt`);
    expect(readdirSync(dir).sort()).toEqual(['default.txt', ...named.map((n) => n.file)].sort());
  });

  it('a misspelt code does not compile', () => {
    // @ts-expect-error E_NO_TEMPLATES is not in the catalogue (E_NO_TEMPLATE is)
    const misspelt = problem('E_NO_TEMPLATES', 'no template');
    expect(isErrorCode(misspelt.code)).toBe(false);
  });
});
