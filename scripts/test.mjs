// `npm test`: gets what the suite needs, then runs every test once with vitest.
// Extra arguments go to vitest (e.g. `npm test -- src/registry`).
import { spawnSync } from 'node:child_process';
import { ensureNodeModules, ensureSystemPackages, root } from './ensure-deps.mjs';

if (!ensureSystemPackages(['redis-server', 'postgresql', 'chromium']) || !ensureNodeModules())
  process.exit(1);
const result = spawnSync(
  process.execPath,
  ['node_modules/vitest/vitest.mjs', 'run', ...process.argv.slice(2)],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
process.exit(result.status ?? 1);
