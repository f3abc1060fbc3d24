// `npm start`: gets what the daemon needs on embedded defaults, compiles src/ to dist/ when the
// sources changed, then runs `hostmasterd start` with the daemon's node flags and malloc settings
// (daemon-node-flags.mjs).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { ensureBuilt } from './build.mjs';
import { DAEMON_NODE_FLAGS, daemonEnvironment } from './daemon-node-flags.mjs';
import { ensureNodeModules, ensureSystemPackages, root } from './ensure-deps.mjs';

const needsRedis = !process.env.REDIS_URL;
if ((needsRedis && !ensureSystemPackages(['redis-server'])) || !ensureNodeModules()) process.exit(1);
const buildFailure = ensureBuilt();
if (buildFailure) {
  process.stderr.write(`npm start: could not compile src/ to dist/: ${buildFailure}\n`);
  process.exit(1);
}
const launcher = path.join(root, 'bin', 'hostmasterd');
const child = spawn(process.execPath, [...DAEMON_NODE_FLAGS, launcher, 'start', ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: daemonEnvironment(process.env),
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
