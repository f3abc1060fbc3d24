/**
 * The compiled build (dist/, what bin/hostmasterd runs, and the image, which has no tsx) starts
 * every thread of its own without the TypeScript loader: a thread does not share its parent's
 * loader hooks, so an entry that imports a `.ts` file fails there, and only there (the tests
 * run the sources through tsx). The console's raw view did: every submission page of a compiled
 * daemon answered 500 ("Cannot find module .../raw-view-thread.ts").
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { REPO } from '../pipeline/support/processes.ts';

const DIST = path.join(REPO, 'dist');
const KEY = 'API-0A1B-2C3D-4E5F-6071';

/**
 * Runs a module's text in a plain node (no loader hooks, as the image runs dist/). From a file:
 * a thread inherits its process's flags, and `--input-type` refuses to start one.
 */
function plainNode(moduleText: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hm-threads-'));
  const script = path.join(dir, 'run.mjs');
  fs.writeFileSync(script, moduleText);
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [script], {
      cwd: REPO,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  }).finally(() => fs.rmSync(dir, { recursive: true, force: true }));
}

describe("the compiled build's threads", () => {
  it("shows a stored message in the console's raw view thread, keys hidden, without tsx", async () => {
    const rawView = path.join(DIST, 'console/raw-view.js');
    expect(fs.existsSync(rawView)).toBe(true);
    const raw = `From: ISP <noc@isp.example>\r\nSubject: SWIP\r\n\r\nTemplate: ARIN-POC-5.1\r\n00. API Key: ${KEY}\r\n`;
    const run = await plainNode(
      [
        `const { showRawMessages } = await import(${JSON.stringify(pathToFileURL(rawView).href)});`,
        `const views = await showRawMessages([Buffer.from(${JSON.stringify(raw)})]);`,
        'process.stdout.write(JSON.stringify(views));',
        'process.exit(0);',
      ].join('\n'),
    );
    expect(run.stderr).not.toMatch(/Cannot find module|ERR_MODULE_NOT_FOUND|ERR_UNKNOWN_FILE_EXTENSION/);
    expect(run.code).toBe(0);
    const views = JSON.parse(run.stdout) as { raw: string }[];
    expect(views).toHaveLength(1);
    expect(views[0]!.raw).toContain('Template: ARIN-POC-5.1');
    expect(views[0]!.raw).not.toContain(KEY);
  });

  it("opens the embedded database in the daemon's thread of its own, without tsx", async () => {
    const open = path.join(DIST, 'db/open.js');
    expect(fs.existsSync(open)).toBe(true);
    const run = await plainNode(
      [
        `const { openDatabase } = await import(${JSON.stringify(pathToFileURL(open).href)});`,
        "const handle = await openDatabase({ kind: 'pglite', dataDir: 'memory://' }, { migrate: false, ownThread: true });",
        "const { rows } = await handle.db.$client.query('select 40 + 2 as answer');",
        'await handle.close();',
        'process.stdout.write(JSON.stringify(rows));',
      ].join('\n'),
    );
    expect(run.stderr).not.toMatch(/Cannot find module|ERR_MODULE_NOT_FOUND|ERR_UNKNOWN_FILE_EXTENSION/);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual([{ answer: 42 }]);
  });

  it('has no thread entry in dist/ that loads TypeScript, but those only the sources start', () => {
    const entries = fs
      .readdirSync(DIST, { recursive: true })
      .map(String)
      .filter((file) => file.endsWith('.js') && !file.startsWith('bundle'))
      .filter((file) => /new Worker\(/.test(fs.readFileSync(path.join(DIST, file), 'utf8')));
    // Each module that starts a thread from a file picks a compiled entry when it is compiled.
    for (const file of entries) {
      const text = fs.readFileSync(path.join(DIST, file), 'utf8');
      const urls = [...text.matchAll(/new URL\('\.\/([^']+)'/g)].map((m) => m[1]!);
      for (const url of urls.filter((u) => /\.(m?js)$/.test(u))) {
        const target = path.join(DIST, path.dirname(file), url);
        expect(fs.existsSync(target), `${file} starts ${url}`).toBe(true);
        const loadsTypeScript = /import\(['"][^'"]+\.ts['"]\)|from ['"][^'"]+\.ts['"]/.test(
          fs.readFileSync(target, 'utf8'),
        );
        if (loadsTypeScript)
          expect(text, `${file} starts ${url} only from the sources`).toMatch(/endsWith\('\.ts'\)/);
      }
    }
  });
});
