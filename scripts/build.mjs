// `npm run build`, and what bin/hostmasterd, `npm start` and `npm test` call when dist/ is older
// than src/: compiles src/ to dist/ with tsc, without its type check (`npm run typecheck` is that),
// so a build is about a second. The daemon and the CLI then run plain JavaScript: no TypeScript
// is compiled while `hostmasterd submit` starts, once per message piped in by an MTA.
//
// - Source maps point at src/ (bin/hostmasterd turns them on), so stack traces name src/ lines.
// - The console's files that are not TypeScript (views, stylesheet, script) are copied beside
//   the compiled modules, which find them next to themselves as the sources do.
// - dist/ has the same depth as src/, so paths from a module to the repository (drizzle/,
//   templates/) are the same compiled or not.
// - Several processes may find dist/ stale at once (tests, an MTA's parallel pipes): one builds
//   under a lock while the others wait; the build goes to a directory of its own that replaces
//   dist/ whole, so no process ever reads a half-written module.
// Plain JavaScript: it runs before anything is compiled.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DIST = path.join(root, 'dist');
/** The bundled CLI, for the commands run once per message. */
export const BUNDLE_DIR = 'bundle';
/** The packages bundled with our modules: many small ESM files, no files read beside them. */
const BUNDLED_PACKAGES = new Set(['drizzle-orm']);
const SRC = path.join(root, 'src');
const STAMP = path.join(DIST, '.sources');
const LOCK = path.join(root, '.dist-lock');
/** A lock older than this was left by a build that died (a build takes a few seconds). */
const LOCK_STALE_MS = 120_000;
/** What else decides the output besides src/ (this file too: a build that changed what it makes, as
 * when it began to bundle, rebuilds a dist/ that is current by its sources). */
// package.json too: the bundle leaves its dependencies out, so moving one changes the bundle.
const BUILD_INPUTS = ['tsconfig.json', 'tsconfig.build.json', 'scripts/build.mjs', 'package.json'];

const isSource = (name) => !name.endsWith('.test.ts');

/**
 * What the sources look like: how many files src/ and the build's settings hold, and the sums of
 * their modification times and sizes (a folder's time changes when a file is added, removed or
 * renamed). Sums, not the newest time: a file put back with an older time (a restored backup,
 * `cp -p`) changes them too. dist/ is current when it was built from sources that looked the same.
 */
export function sourcesSignature() {
  let count = 0;
  let times = 0;
  let sizes = 0;
  const add = (file) => {
    const stat = fs.statSync(file);
    count++;
    times += stat.mtimeMs;
    sizes += stat.size;
  };
  const visit = (dir) => {
    add(dir);
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) visit(file);
      else if (isSource(entry.name)) add(file);
    }
  };
  visit(SRC);
  for (const name of BUILD_INPUTS) add(path.join(root, name));
  return `${count}:${times}:${sizes}`;
}

/** Whether dist/ is missing or was built from sources that have changed since. */
export function isStale() {
  try {
    return fs.readFileSync(STAMP, 'utf8') !== sourcesSignature();
  } catch {
    return true;
  }
}

function copyAssets(from, to) {
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) copyAssets(source, target);
    else if (!entry.name.endsWith('.ts') && !entry.name.endsWith('.md')) {
      fs.mkdirSync(to, { recursive: true });
      fs.copyFileSync(source, target);
    }
  }
}

/** esbuild, when installed (it comes with tsx); undefined without it. */
function esbuildOrNothing() {
  try {
    return createRequire(path.join(root, 'package.json'))('esbuild');
  } catch {
    return undefined;
  }
}

/** Bundles src/cli.ts into out/bundle/. Answers an error sentence or undefined (also without esbuild). */
function bundleCli(out) {
  const esbuild = esbuildOrNothing();
  if (!esbuild) return undefined;
  const { dependencies = {} } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const external = Object.keys(dependencies)
    .filter((name) => !BUNDLED_PACKAGES.has(name))
    .flatMap((name) => [name, `${name}/*`]);
  try {
    esbuild.buildSync({
      absWorkingDir: root,
      entryPoints: [path.join(SRC, 'cli.ts')],
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      outdir: path.join(out, BUNDLE_DIR),
      sourcemap: true,
      external,
      logLevel: 'silent',
    });
    return undefined;
  } catch (error) {
    return `esbuild failed: ${error.message}`;
  }
}

/** Compiles into a fresh directory and puts it in dist/'s place. Answers an error sentence or undefined. */
function compile() {
  const signature = sourcesSignature();
  const out = path.join(root, `.dist-build-${process.pid}`);
  fs.rmSync(out, { recursive: true, force: true });
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  if (!fs.existsSync(tsc)) {
    return 'the TypeScript compiler is not installed (node_modules/typescript): run npm ci, then npm run build';
  }
  const run = spawnSync(
    process.execPath,
    [tsc, '-p', path.join(root, 'tsconfig.build.json'), '--noCheck', '--outDir', out],
    { cwd: root, encoding: 'utf8' },
  );
  if (run.status !== 0) {
    fs.rmSync(out, { recursive: true, force: true });
    return `tsc failed (${run.status ?? run.signal}):\n${run.stdout}${run.stderr}`;
  }
  copyAssets(SRC, out);
  const bundleFailure = bundleCli(out);
  if (bundleFailure) {
    fs.rmSync(out, { recursive: true, force: true });
    return bundleFailure;
  }
  fs.writeFileSync(path.join(out, '.sources'), signature);
  const old = path.join(root, `.dist-old-${process.pid}`);
  if (fs.existsSync(DIST)) fs.renameSync(DIST, old);
  fs.renameSync(out, DIST);
  fs.rmSync(old, { recursive: true, force: true });
  return undefined;
}

const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

function takeLock() {
  for (;;) {
    try {
      fs.mkdirSync(LOCK);
      return;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    }
    try {
      if (Date.now() - fs.statSync(LOCK).mtimeMs > LOCK_STALE_MS)
        fs.rmSync(LOCK, { recursive: true, force: true });
    } catch {
      // Gone in between: try again.
    }
    sleep(100);
  }
}

/**
 * Builds dist/ when it is stale; answers undefined when dist/ is current (built now or before),
 * else why it could not be built.
 */
export function ensureBuilt({ quiet = false } = {}) {
  if (!isStale()) return undefined;
  try {
    takeLock();
  } catch (error) {
    // A checkout this user may not write to (installed read-only): say why, run what we can.
    return `cannot write beside ${DIST}: ${error.message}`;
  }
  try {
    // Another process may have built while this one waited for the lock.
    if (!isStale()) return undefined;
    if (!quiet)
      process.stderr.write('hostmasterd: compiling src/ to dist/ (dist/ is missing or older than src/)\n');
    return compile();
  } catch (error) {
    return `the build failed: ${error.message}`;
  } finally {
    fs.rmSync(LOCK, { recursive: true, force: true });
  }
}

/** Where a running daemon's own copy of dist/ lives: `.dist-run-<pid>`, beside dist/ (same depth). */
const PIN_PREFIX = '.dist-run-';

function linkTree(from, to) {
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) linkTree(source, target);
    else {
      try {
        fs.linkSync(source, target);
      } catch {
        fs.copyFileSync(source, target);
      }
    }
  }
}

/** The copies of daemons that are gone (killed before their exit handler ran). */
function removeDeadPins() {
  for (const name of fs.readdirSync(root)) {
    if (!name.startsWith(PIN_PREFIX)) continue;
    const pid = Number(name.slice(PIN_PREFIX.length));
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
      continue;
    } catch (error) {
      // EPERM: alive, another user's.
      if (error.code === 'EPERM') continue;
    }
    fs.rmSync(path.join(root, name), { recursive: true, force: true });
  }
}

/**
 * A copy of dist/ for this process to run from, for as long as it lives (removed at its exit), made
 * of hard links in a moment under the build's lock. A daemon keeps loading modules after it started
 * (reading threads as mail arrives, the console's views): when a command after a `git pull`
 * rebuilds dist/ under it, those must still come from the build it started with, not the next one.
 * Answers the copy's folder, or undefined (and dist/ is used) when one cannot be made.
 */
export function pinBuild() {
  const pin = path.join(root, `${PIN_PREFIX}${process.pid}`);
  try {
    takeLock();
  } catch {
    return undefined;
  }
  try {
    removeDeadPins();
    fs.rmSync(pin, { recursive: true, force: true });
    linkTree(DIST, pin);
  } catch {
    fs.rmSync(pin, { recursive: true, force: true });
    return undefined;
  } finally {
    fs.rmSync(LOCK, { recursive: true, force: true });
  }
  process.on('exit', () => fs.rmSync(pin, { recursive: true, force: true }));
  return pin;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const force = process.argv.includes('--force');
  if (force) fs.rmSync(STAMP, { force: true });
  const failure = ensureBuilt({ quiet: true });
  if (failure) {
    process.stderr.write(`npm run build: ${failure}\n`);
    process.exit(1);
  }
}
