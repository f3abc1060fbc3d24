/**
 * The first start on an empty DATA_DIR prepares the embedded database in a process of its own.
 *
 * PGlite runs initdb and the migrations inside the process's WebAssembly memory, which grows and
 * is never given back: a daemon that did its own first start sat at ~340 MB idle (peak ~765),
 * where a restart on the same DATA_DIR sits at ~250 (bench/results/cli-profile.md, item 4).
 * Closing PGlite and opening it again in the same process did not lower it. So `start` runs
 * `hostmasterd migrate` as a child when the database has never been created, waits for it to
 * exit, and then opens a prepared database like any restart.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { DatabaseTarget } from '../config/index.ts';
import { ProblemError, problem } from '../shared/index.ts';

/** PostgreSQL writes PG_VERSION once initdb has made the data directory. */
export function embeddedDatabaseExists(dataDir: string): boolean {
  return fs.existsSync(path.join(dataDir, 'PG_VERSION'));
}

/**
 * Node flags the child must share (a loader, source maps), without those that make the child
 * write files or listen (profilers, the inspector), which belong to the daemon alone.
 */
function childNodeFlags(flags: readonly string[]): string[] {
  return flags.filter((flag) => !/^--(cpu-prof|heap-prof|prof|inspect|diagnostic-dir)/.test(flag));
}

/** What the child said last, without the command name each of its lines starts with. */
function lastWords(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const said = lines.findLast((line) => line.startsWith('hostmasterd: ')) ?? lines.at(-1) ?? '';
  return said.replace(/^hostmasterd: /, '');
}

/**
 * Creates and migrates the embedded database in a child process when it does not exist yet;
 * does nothing for PostgreSQL or an existing database (its migrations, if any, run as the
 * daemon opens it). Throws E_DATABASE_UNAVAILABLE with the child's own sentence when it fails.
 */
export async function prepareEmbeddedDatabase(
  target: DatabaseTarget,
  cli: { readonly script: string; readonly nodeFlags: readonly string[] } = {
    script: process.argv[1]!,
    nodeFlags: process.execArgv,
  },
): Promise<void> {
  if (target.kind !== 'pglite' || target.dataDir === 'memory://') return;
  if (embeddedDatabaseExists(target.dataDir)) return;
  // Its own process group: Ctrl-C at a terminal (or a signal to the daemon's group) is the
  // daemon's to handle, which finishes starting and then stops; the child dies with the daemon.
  const child = spawn(process.execPath, [...childNodeFlags(cli.nodeFlags), cli.script, 'migrate'], {
    env: process.env,
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  const stopChild = () => child.kill('SIGTERM');
  process.once('exit', stopChild);
  child.once('close', () => process.off('exit', stopChild));
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const outcome = await new Promise<{ code: number | null; signal: string | null; error?: Error }>(
    (resolve) => {
      child.once('error', (error) => resolve({ code: null, signal: null, error }));
      child.once('close', (code, signal) => resolve({ code, signal }));
    },
  );
  if (outcome.code === 0) return;
  const why =
    outcome.error?.message ??
    (lastWords(stderr) ||
      (outcome.signal ? `it was stopped by ${outcome.signal}` : `it exited with ${outcome.code}`));
  throw new ProblemError(
    problem(
      'E_DATABASE_UNAVAILABLE',
      `the first start could not create the embedded database in ${target.dataDir} (hostmasterd migrate, run apart): ${why}`,
    ),
  );
}
