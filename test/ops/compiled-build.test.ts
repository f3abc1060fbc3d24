/**
 * bin/hostmasterd runs the compiled CLI (dist/), compiling it first when src/ changed, in a copy
 * of the repository made for each test (the repository's own dist/ serves the other tests):
 * a fresh clone runs with nothing built, an edit is compiled before the next command, stack
 * traces name src/ lines, parallel commands compile once, the image's shape (dist/ without src/)
 * runs without looking for sources, and without a compiler the sources still run, said so.
 * lint and submit run the bundle the same build makes (dist/bundle/), or dist/ without esbuild.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_API_KEY } from '../../src/registry/index.ts';
import {
  embeddedEnv,
  outboxFiles,
  processEnv,
  REPO,
  runCommandIn,
  spawnDaemonProcess,
} from '../pipeline/support/processes.ts';
import { parseReply } from '../support/reply-reader.ts';

const COPIED = ['bin', 'src', 'drizzle', 'templates', 'package.json', 'tsconfig.json', 'tsconfig.build.json'];
const COMPILING = /compiling src\/ to dist\//g;
const clones: string[] = [];

/** A clone as git would give it: sources, no dist/, the repository's node_modules. */
function freshClone(nodeModules = path.join(REPO, 'node_modules')): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hm-clone-'));
  clones.push(dir);
  for (const name of COPIED) fs.cpSync(path.join(REPO, name), path.join(dir, name), { recursive: true });
  fs.mkdirSync(path.join(dir, 'scripts'));
  fs.copyFileSync(path.join(REPO, 'scripts/build.mjs'), path.join(dir, 'scripts/build.mjs'));
  fs.symlinkSync(fs.realpathSync(nodeModules), path.join(dir, 'node_modules'));
  return dir;
}

afterEach(() => {
  for (const dir of clones.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('the compiled build', () => {
  it('compiles a fresh clone on its first command, and not again while src/ is unchanged', async () => {
    const clone = freshClone();
    const env = await processEnv({});
    const first = await runCommandIn(clone, ['help'], env, undefined, 120_000);
    expect(first.stderr.match(COMPILING)?.length).toBe(1);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Usage: hostmasterd');
    expect(fs.existsSync(path.join(clone, 'dist/cli.js'))).toBe(true);
    expect(fs.existsSync(path.join(clone, 'dist/cli.js.map'))).toBe(true);
    expect(fs.existsSync(path.join(clone, 'dist/bundle/cli.js'))).toBe(true);
    expect(fs.existsSync(path.join(clone, 'dist/bundle/cli.js.map'))).toBe(true);
    // What the console reads beside its modules is copied; no test file is compiled.
    expect(fs.existsSync(path.join(clone, 'dist/console/views/layout.eta'))).toBe(true);
    expect(fs.existsSync(path.join(clone, 'dist/console/console.css'))).toBe(true);
    expect(
      fs.readdirSync(path.join(clone, 'dist'), { recursive: true }).filter((f) => /\.test\./.test(String(f))),
    ).toEqual([]);

    const second = await runCommandIn(clone, ['help'], env, undefined, 60_000);
    expect(second.code).toBe(0);
    expect(second.stderr).not.toMatch(COMPILING);
  });

  it('compiles an edit before the next command (even one with an older time), and its stack trace names the src/ line', async () => {
    const clone = freshClone();
    const env = await processEnv({});
    expect((await runCommandIn(clone, ['help'], env, undefined, 120_000)).code).toBe(0);

    const file = path.join(clone, 'src/commands/outbox.ts');
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    const at = lines.findIndex((l) => l.startsWith('export async function outboxCommand(')) + 1;
    lines.splice(at, 0, "  throw new Error('an edit made after the first build');");
    const before = fs.statSync(file).mtime;
    fs.writeFileSync(file, lines.join('\n'));
    // As a restored backup or `cp -p` leaves it: older than the build.
    const dayEarlier = new Date(before.getTime() - 86_400_000);
    fs.utimesSync(file, dayEarlier, dayEarlier);

    const edited = await runCommandIn(clone, ['outbox'], env, undefined, 120_000);
    expect(edited.stderr.match(COMPILING)?.length).toBe(1);
    expect(edited.code).toBe(1);
    expect(edited.stderr).toContain('an edit made after the first build');
    // Line numbers count from 1: the inserted line is line at + 1; the column is the `new`'s.
    expect(edited.stderr).toContain(`${path.join(clone, 'src/commands/outbox.ts')}:${at + 1}:9`);
    expect(edited.stderr).not.toContain('dist/commands/outbox.js');

    // lint runs the bundle, rebuilt by the same check; its stack trace names the src/ line too.
    const lintFile = path.join(clone, 'src/commands/lint.ts');
    const lintLines = fs.readFileSync(lintFile, 'utf8').split('\n');
    const lintAt = lintLines.findIndex((l) => l.startsWith('export async function lintCommand(')) + 1;
    lintLines.splice(lintAt, 0, "  throw new Error('an edit to lint');");
    fs.writeFileSync(lintFile, lintLines.join('\n'));
    const lint = await runCommandIn(clone, ['lint', 'no-such-file'], env, undefined, 120_000);
    expect(lint.stderr.match(COMPILING)?.length).toBe(1);
    expect(lint.code).toBe(1);
    expect(lint.stderr).toContain('an edit to lint');
    expect(lint.stderr).toContain(`${lintFile}:${lintAt + 1}:`);
    expect(lint.stderr).not.toContain('/dist/');
  });

  it('a new source file or a changed build makes dist/ stale too, and a file removed from src/ leaves dist/', async () => {
    const clone = freshClone();
    const env = await processEnv({});
    expect((await runCommandIn(clone, ['help'], env, undefined, 120_000)).code).toBe(0);
    fs.writeFileSync(path.join(clone, 'src/shared/added.ts'), 'export const added = 1;\n');
    const added = await runCommandIn(clone, ['help'], env, undefined, 120_000);
    expect(added.stderr.match(COMPILING)?.length).toBe(1);
    expect(fs.existsSync(path.join(clone, 'dist/shared/added.js'))).toBe(true);
    fs.rmSync(path.join(clone, 'src/shared/added.ts'));
    const removed = await runCommandIn(clone, ['help'], env, undefined, 120_000);
    expect(removed.stderr.match(COMPILING)?.length).toBe(1);
    expect(fs.existsSync(path.join(clone, 'dist/shared/added.js'))).toBe(false);
    // A changed build (as when it began to make dist/bundle/) rebuilds a dist/ current by its sources.
    fs.appendFileSync(path.join(clone, 'scripts/build.mjs'), '// changed\n');
    const rebuilt = await runCommandIn(clone, ['help'], env, undefined, 120_000);
    expect(rebuilt.stderr.match(COMPILING)?.length).toBe(1);
  });

  it('a daemon keeps running the build it started with when a later command rebuilds dist/', async () => {
    const clone = freshClone();
    const env = await embeddedEnv();
    const demo = await runCommandIn(clone, ['demo'], env, undefined, 180_000);
    expect(demo.code, demo.stderr).toBe(0);
    const daemon = spawnDaemonProcess([], env, { repo: clone });
    try {
      await daemon.running(180_000);
      // The next build's reading thread cannot start: the daemon starts its first one for the mail
      // below, after that build replaced dist/.
      const thread = path.join(clone, 'src/reading/thread.ts');
      fs.writeFileSync(thread, `throw new Error('the next build');\n${fs.readFileSync(thread, 'utf8')}`);
      const rebuilt = await runCommandIn(clone, ['help'], env, undefined, 120_000);
      expect(rebuilt.stderr.match(COMPILING)?.length).toBe(1);

      const client = nodemailer.createTransport({
        host: '127.0.0.1',
        port: Number(env['SMTP_PORT']),
        ignoreTLS: true,
      });
      await client.sendMail({
        envelope: { from: 'noc@demo-isp.example', to: ['hostmaster@localhost'] },
        raw: fs
          .readFileSync(path.join(REPO, 'test/fixtures/mail/reassign-simple-5.3.eml'), 'utf8')
          .replace(/^Subject: .*$/m, `Subject: SWIP ${DEMO_API_KEY}`),
      });
      client.close();
      const [reply] = await outboxFiles(path.join(env['DATA_DIR']!, 'outbox'), 1, 120_000);
      const parsed = await parseReply(reply!);
      if (!parsed.ok) throw new Error(parsed.error.message);
      expect(parsed.value.blocks[0]?.status).toBe('APPROVED');
    } finally {
      expect(await daemon.stop()).toBe(0);
      fs.rmSync(env['DATA_DIR']!, { recursive: true, force: true });
    }
    // Its copy of the build went with it.
    expect(fs.readdirSync(clone).filter((f) => f.startsWith('.dist-'))).toEqual([]);
  }, 600_000);

  it('commands started together on a stale clone compile once and all run', async () => {
    const clone = freshClone();
    const env = await processEnv({});
    const runs = await Promise.all(
      Array.from({ length: 4 }, () => runCommandIn(clone, ['help'], env, undefined, 180_000)),
    );
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    expect(runs.every((r) => r.stdout.includes('Usage: hostmasterd'))).toBe(true);
    expect(runs.reduce((n, r) => n + (r.stderr.match(COMPILING)?.length ?? 0), 0)).toBe(1);
    expect(fs.readdirSync(clone).filter((f) => f.startsWith('.dist-'))).toEqual([]);
  });

  it('the image shape (dist/ without src/ or scripts/) runs dist/ without looking for sources', async () => {
    const clone = freshClone();
    const env = await processEnv({});
    expect((await runCommandIn(clone, ['help'], env, undefined, 120_000)).code).toBe(0);
    fs.rmSync(path.join(clone, 'src'), { recursive: true });
    fs.rmSync(path.join(clone, 'scripts'), { recursive: true });
    const image = await runCommandIn(clone, ['help'], env, undefined, 60_000);
    expect(image.code).toBe(0);
    expect(image.stdout).toContain('Usage: hostmasterd');
    expect(image.stderr).toBe('');
    // The bundled lint finds the reply texts and forms beside the repository as dist/ does.
    const form = path.join(clone, 'form.txt');
    fs.copyFileSync(path.join(REPO, 'test/fixtures/mail/crlf-net-mod-5.0.eml'), form);
    const lint = await runCommandIn(clone, ['lint', form], env, undefined, 60_000);
    expect(lint.stderr).toBe('');
    expect(lint.code).toBe(0);
    expect(lint.stdout).toContain('Template 1 of 1: ARIN-NET-MOD-5.0');
  });

  it('without esbuild it makes no bundle, and lint runs dist/', async () => {
    const modules = fs.mkdtempSync(path.join(os.tmpdir(), 'hm-modules-'));
    clones.push(modules);
    const real = fs.realpathSync(path.join(REPO, 'node_modules'));
    for (const name of fs.readdirSync(real)) {
      if (name !== 'esbuild') fs.symlinkSync(path.join(real, name), path.join(modules, name));
    }
    const clone = freshClone(modules);
    const file = path.join(REPO, 'test/fixtures/mail/crlf-net-mod-5.0.eml');
    const run = await runCommandIn(clone, ['lint', file], await processEnv({}), undefined, 120_000);
    expect(run.stderr.match(COMPILING)?.length).toBe(1);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Template 1 of 1: ARIN-NET-MOD-5.0');
    expect(fs.existsSync(path.join(clone, 'dist/cli.js'))).toBe(true);
    expect(fs.existsSync(path.join(clone, 'dist/bundle'))).toBe(false);
  });

  it('without a TypeScript compiler it says so and runs the sources through tsx', async () => {
    // node_modules without typescript: every other package linked from the repository's.
    const modules = fs.mkdtempSync(path.join(os.tmpdir(), 'hm-modules-'));
    clones.push(modules);
    const real = fs.realpathSync(path.join(REPO, 'node_modules'));
    for (const name of fs.readdirSync(real)) {
      if (name !== 'typescript') fs.symlinkSync(path.join(real, name), path.join(modules, name));
    }
    const clone = freshClone(modules);
    const run = await runCommandIn(clone, ['help'], await processEnv({}), undefined, 120_000);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Usage: hostmasterd');
    expect(run.stderr).toContain('could not compile src/ to dist/: the TypeScript compiler is not installed');
    expect(run.stderr).toContain('running the sources through tsx instead');
  });
});
