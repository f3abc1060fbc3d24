/**
 * The rooms of src/ (docs/architecture.md section 2), enforced rather than drawn: every import of
 * every source file (tests may import anything) is read (the patterns below), and
 * - an import from another room goes through that room's face, `<room>/index.ts`;
 * - a room uses only the rooms the table below lets it use, so data keeps flowing one way
 *   (ingress -> queue -> worker -> registry -> replies) and nothing downstream reaches back
 *   into the ingress.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');

/** Which rooms each room may import from (besides itself). Files directly in src/ are the command's. */
const MAY_USE: Readonly<Record<string, readonly string[]>> = {
  shared: [],
  config: ['shared'],
  observability: ['config', 'ip', 'shared'],
  db: ['config', 'shared'],
  ip: ['shared'],
  mail: ['shared'],
  templates: ['ip', 'shared'],
  reading: ['mail', 'templates', 'shared'],
  registry: ['db', 'ip', 'shared'],
  auth: ['registry', 'db', 'config', 'shared'],
  queue: ['config', 'shared'],
  // Composing replies stores nothing: `hostmasterd lint` reads them without loading the database.
  replies: ['queue', 'config', 'shared'],
  outbox: ['replies', 'db', 'config', 'shared'],
  ingress: ['db', 'queue', 'config', 'mail', 'ip', 'shared'],
  public: ['registry', 'validation', 'db', 'queue', 'ip', 'config', 'shared'],
  validation: ['db', 'replies', 'queue', 'config', 'shared'],
  worker: [
    'mail',
    'reading',
    'templates',
    'auth',
    'registry',
    'replies',
    'outbox',
    'validation',
    'db',
    'queue',
    'config',
    'ip',
    'shared',
  ],
  console: [
    'registry',
    'db',
    'queue',
    'ingress',
    'replies',
    // A staff retry of undelivered mail (retryFailedMail).
    'outbox',
    'mail',
    // Records' fields named in their forms' words, as customers read them (recordAsForm).
    'templates',
    'ip',
    'config',
    'observability',
    'validation',
    'shared',
  ],
  commands: [
    'auth',
    'config',
    'console',
    'db',
    'ingress',
    'ip',
    'mail',
    'observability',
    'public',
    'queue',
    'registry',
    'replies',
    'outbox',
    'shared',
    'templates',
    'validation',
    'worker',
  ],
};

interface RoomImport {
  readonly file: string;
  readonly specifier: string;
  readonly from: string;
  readonly to: string;
  readonly target: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.test.ts') ? [path] : [];
  });
}

/** The room of a path under src/: its first folder, or `commands` for the files directly in src/ (cli.ts, daemon.ts). */
function roomOf(path: string): string {
  const parts = relative(SRC, path).split('/');
  return parts.length === 1 ? 'commands' : (parts[0] ?? 'commands');
}

/**
 * A statement that starts a line with `import` or `export` and names a module after `from`
 * (the clause between holds names, braces, commas, `*`, `as`, `type`: never `(`, `=`, `;` or a
 * quote, so code and strings are not taken for one); a bare `import '...'`; a dynamic `import('...')`.
 * Doc comments do not match: their lines start with `*`.
 */
const STATIC_IMPORT = /^[ \t]*(?:import|export)\b[^;()='"`]*?\bfrom\s*['"]([^'"]+)['"]/gm;
const BARE_IMPORT = /^[ \t]*import\s*['"]([^'"]+)['"]/gm;
const DYNAMIC_IMPORT = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Every relative import of the text (static, type-only, re-exports, bare, dynamic `import()`). */
function relativeImports(file: string, text: string): RoomImport[] {
  const specifiers = [STATIC_IMPORT, BARE_IMPORT, DYNAMIC_IMPORT].flatMap((pattern) =>
    [...text.matchAll(pattern)].map((match) => ({ at: match.index, specifier: match[1] ?? '' })),
  );
  return specifiers
    .sort((a, b) => a.at - b.at)
    .map(({ specifier }) => specifier)
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => {
      const target = resolve(dirname(file), specifier);
      return {
        file: relative(SRC, file),
        specifier,
        from: roomOf(file),
        to: roomOf(target),
        target: relative(SRC, target),
      };
    });
}

function crossRoomImports(): RoomImport[] {
  return sourceFiles(SRC)
    .flatMap((file) => relativeImports(file, readFileSync(file, 'utf8')))
    .filter((imported) => imported.from !== imported.to);
}

const describeImport = (i: RoomImport): string => `${i.file} imports '${i.specifier}' (${i.from} -> ${i.to})`;

describe('rooms', () => {
  it('reads every kind of relative import, including type-only, re-exports and dynamic ones', () => {
    const file = join(SRC, 'worker', 'example.ts');
    const text = [
      "import { a } from '../mail/decode.ts';",
      "import type { B } from '../db/schema.ts';",
      "export { c } from '../ingress/index.ts';",
      'import {\n  d,\n  e,\n} from "../templates/index.ts";',
      "const f = await import('../registry/index.ts');",
      "import 'node:fs';",
      "import './side-effect.ts';",
      "/** a doc comment naming `import { g } from '../console/index.ts'` is no import */",
      'const text = \'import x from "../console/index.ts"\';',
    ].join('\n');
    expect(relativeImports(file, text).map((i) => i.target)).toEqual([
      'mail/decode.ts',
      'db/schema.ts',
      'ingress/index.ts',
      'templates/index.ts',
      'registry/index.ts',
      'worker/side-effect.ts',
    ]);
    expect(roomOf(join(SRC, 'cli.ts'))).toBe('commands');
  });

  it('every room is in the table', () => {
    const rooms = readdirSync(SRC, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
    expect(rooms.filter((room) => !(room in MAY_USE))).toEqual([]);
  });

  it('every room others may use has a face (index.ts)', () => {
    // commands/ is the top: no room may import it, so it needs no face.
    const rooms = readdirSync(SRC, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && entry.name !== 'commands')
      .map((entry) => entry.name);
    const faceless = rooms.filter((room) => !readdirSync(join(SRC, room)).includes('index.ts'));
    expect(faceless).toEqual([]);
  });

  it('an import from another room goes through its index.ts, never ../room/file.ts', () => {
    const throughTheBackDoor = crossRoomImports().filter(
      (i) => i.to === 'commands' || i.target !== `${i.to}/index.ts`,
    );
    expect(throughTheBackDoor.map(describeImport)).toEqual([]);
  });

  it('a room uses only the rooms it may use: nothing downstream reaches back into the ingress', () => {
    const against = crossRoomImports().filter((i) => !(MAY_USE[i.from] ?? []).includes(i.to));
    expect(against.map(describeImport)).toEqual([]);
    const intoIngress = crossRoomImports().filter(
      (i) =>
        i.to === 'ingress' &&
        ['worker', 'replies', 'outbox', 'registry', 'auth', 'mail', 'templates'].includes(i.from),
    );
    expect(intoIngress.map(describeImport)).toEqual([]);
  });
});
