// `npm test`: gets what the suite needs, then checks types and lint and runs every test once with
// vitest. Extra arguments go to vitest alone (e.g. `npm test -- src/registry`), without the checks.
//
// The checks run beside the suite, not before it: run first they added about a minute to the run
// (11:12 in all, the suite 10:08), and the suite mostly waits on its servers, so their CPU (about
// 20 s) fits in its idle time. Their output is held back and printed once they end; a failed check
// stops the suite at once and fails the run, as before.
import { spawn } from 'node:child_process';
import { ensureNodeModules, ensureSystemPackages, root } from './ensure-deps.mjs';

if (!ensureSystemPackages(['redis-server', 'postgresql', 'chromium', 'whois']) || !ensureNodeModules())
  process.exit(1);

/** Runs a node script; resolves with its exit status, and its output when `quiet` (else printed live). */
function run(args, { quiet = false } = {}) {
  const child = spawn(process.execPath, args, { cwd: root, stdio: quiet ? 'pipe' : 'inherit' });
  let output = '';
  if (quiet) {
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
  }
  const done = new Promise((resolve) => {
    child.once('close', (code, signal) => resolve({ status: code ?? (signal ? 1 : 0), output }));
  });
  return { child, done };
}

const only = process.argv.slice(2);
const suite = run(['node_modules/vitest/vitest.mjs', 'run', ...only]);
let stopping = false;
const stop = () => {
  stopping = true;
  suite.child.kill('SIGTERM');
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

const checks =
  only.length > 0
    ? []
    : [
        {
          name: 'the type check',
          // Incremental: a run after a few files changed checks those and what depends on them
          // (about 1 s of CPU instead of 10 with nothing changed); the state is kept in .cache/.
          args: [
            'node_modules/typescript/bin/tsc',
            '--noEmit',
            '-p',
            '.',
            '--incremental',
            '--tsBuildInfoFile',
            '.cache/typecheck.tsbuildinfo',
          ],
        },
        {
          name: 'lint (biome)',
          args: ['node_modules/@biomejs/biome/bin/biome', 'check', 'src', 'test', 'scripts', 'bench'],
        },
      ].map(({ name, args }) =>
        run(args, { quiet: true }).done.then(({ status, output }) => {
          if (output) process.stdout.write(`\nnpm test: ${name}:\n${output}`);
          if (status !== 0) {
            process.stderr.write(`npm test: ${name} failed; the suite is stopped\n`);
            if (!stopping) stop();
          }
          return status;
        }),
      );

const [suiteResult, ...checkStatuses] = await Promise.all([suite.done, ...checks]);
const failed = checkStatuses.some((status) => status !== 0);
process.exit(failed || stopping ? 1 : suiteResult.status);
