/**
 * `hostmasterd start` on a terminal writes human log lines (time, level label, message, fields),
 * not JSON with epoch milliseconds and numeric levels; piped, it writes JSON. The terminal is
 * made by script(1); the run ends early on a taken console port so it needs no stop, on a DATA_DIR
 * whose database is made beforehand (the first start's own lines are not what this is about).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { preparedEmbeddedEnv } from '../pipeline/support/prepared-database.ts';
import { REPO, runCommand } from '../pipeline/support/processes.ts';

async function underTerminal(command: string, env: Record<string, string>): Promise<string> {
  const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: REPO, env, stdio: 'pipe' });
  let output = '';
  child.stdout.on('data', (c: Buffer) => {
    output += c.toString('utf8');
  });
  child.stdin.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  await new Promise((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  return output.replace(/\r\n/g, '\n');
}

describe('log lines of hostmasterd start', () => {
  it('are human lines on a terminal and JSON through a pipe, each key once', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = String((taken.address() as net.AddressInfo).port);
    const dataDirs: string[] = [];
    try {
      // Embedded Redis: its start line is the one that had `pid` twice. The two runs, each on a
      // DATA_DIR of its own (its database and redis-server), go at once.
      const onTerminal = await preparedEmbeddedEnv({ LOG_LEVEL: 'info', CONSOLE_PORT: port });
      const throughPipe = await preparedEmbeddedEnv({ LOG_LEVEL: 'info', CONSOLE_PORT: port });
      dataDirs.push(onTerminal['DATA_DIR']!, throughPipe['DATA_DIR']!);
      const [terminal, piped] = await Promise.all([
        underTerminal(`${path.join(REPO, 'bin', 'hostmasterd')} start`, onTerminal),
        runCommand(['start'], throughPipe, undefined, 90_000),
      ]);
      expect(terminal).toMatch(
        /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} INFO {2}embedded redis-server started socketPath=\S+ redisPid=\d+$/m,
      );
      expect(terminal).not.toContain('{"level"');

      const lines = piped.stdout.split('\n').filter((line) => line.startsWith('{'));
      const started = lines.find((line) => line.includes('embedded redis-server started'));
      expect(started, piped.stdout).toBeDefined();
      expect(started!.match(/"pid":/g)).toHaveLength(1);
      expect(JSON.parse(started!)).toMatchObject({
        level: 30,
        pid: expect.any(Number),
        redisPid: expect.any(Number),
      });
    } finally {
      await new Promise((resolve) => taken.close(resolve));
      for (const dataDir of dataDirs) fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 240_000);
});
