// `npm test`: gets what the suite needs, then checks types and lint and runs every test once with
// vitest. Extra arguments go to vitest alone (e.g. `npm test -- src/registry`).
import { spawnSync } from 'node:child_process';
import { ensureNodeModules, ensureSystemPackages, root } from './ensure-deps.mjs';

if (!ensureSystemPackages(['redis-server', 'postgresql', 'chromium', 'whois']) || !ensureNodeModules())
  process.exit(1);

const run = (args) => spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' }).status ?? 1;
const only = process.argv.slice(2);
if (only.length === 0) {
  if (run(['node_modules/typescript/bin/tsc', '--noEmit', '-p', '.']) !== 0) {
    process.stderr.write('npm test: the type check failed\n');
    process.exit(1);
  }
  if (run(['node_modules/@biomejs/biome/bin/biome', 'check', 'src', 'test', 'scripts', 'bench']) !== 0) {
    process.stderr.write('npm test: lint (biome) failed\n');
    process.exit(1);
  }
}
process.exit(run(['node_modules/vitest/vitest.mjs', 'run', ...only]));
