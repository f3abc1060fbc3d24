// Gets what `npm start` and `npm test` need on a fresh machine of this kind: npm packages
// (npm ci, from the committed lock file) and Debian packages (installed when we are root,
// otherwise named so the user can install them). Plain JavaScript: it runs before node_modules exists.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', cwd: root, ...options });
  return result.status === 0;
}

function hasCommand(file) {
  return (
    fs.existsSync(file) || spawnSync('sh', ['-c', `command -v ${file}`], { stdio: 'ignore' }).status === 0
  );
}

function postgresPresent() {
  if (hasCommand('pg_ctl') && hasCommand('initdb')) return true;
  if (!fs.existsSync('/usr/lib/postgresql')) return false;
  return fs
    .readdirSync('/usr/lib/postgresql')
    .some((v) => fs.existsSync(`/usr/lib/postgresql/${v}/bin/pg_ctl`));
}

const SYSTEM_PACKAGES = {
  'redis-server': () => hasCommand('redis-server'),
  postgresql: postgresPresent,
  chromium: () => fs.existsSync('/usr/bin/chromium'),
  // Debian's whois client: the public WHOIS tests ask through it.
  whois: () => fs.existsSync('/usr/bin/whois'),
};

export function ensureSystemPackages(names) {
  const missing = names.filter((name) => !SYSTEM_PACKAGES[name]());
  if (missing.length === 0) return true;
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || !hasCommand('apt-get')) {
    process.stderr.write(`hostmasterd needs these Debian packages: ${missing.join(' ')}\n`);
    process.stderr.write(`install them with: sudo apt-get install -y ${missing.join(' ')}\n`);
    return false;
  }
  process.stderr.write(`installing Debian packages: ${missing.join(' ')}\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!run('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { env })) {
    run('apt-get', ['update'], { env });
    if (!run('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { env })) return false;
  }
  return true;
}

/**
 * Whether node_modules holds every package of the lock file at its version, read from npm's own
 * record of what it installed (node_modules/.package-lock.json). A lock file that is newer but
 * names the same packages (a checkout, a merge, a package moved between dependencies and
 * devDependencies) needs no `npm ci`. Optional packages (other platforms' binaries) may be absent.
 */
function installedMatchesLock(marker, lock) {
  try {
    const installed = JSON.parse(fs.readFileSync(marker, 'utf8')).packages ?? {};
    const wanted = JSON.parse(fs.readFileSync(lock, 'utf8')).packages ?? {};
    return Object.entries(wanted).every(
      ([where, pkg]) =>
        where === '' ||
        pkg.link ||
        installed[where]?.version === pkg.version ||
        (pkg.optional && !installed[where]),
    );
  } catch {
    return false;
  }
}

export function ensureNodeModules() {
  const marker = path.join(root, 'node_modules', '.package-lock.json');
  const lock = path.join(root, 'package-lock.json');
  if (fs.existsSync(marker) && fs.statSync(marker).mtimeMs >= fs.statSync(lock).mtimeMs - 1000) return true;
  if (installedMatchesLock(marker, lock)) return true;
  process.stderr.write('installing npm dependencies (npm ci)\n');
  return run('npm', ['ci', '--no-audit', '--no-fund']);
}
