/**
 * The embedded default: `hostmasterd start` without REDIS_URL runs its own redis-server on a unix
 * socket under DATA_DIR, whose append-only file keeps queued jobs across a restart.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { pingRedisSocket, SubmissionQueue, startEmbeddedRedis } from '../../src/queue/index.ts';
import { ProblemError } from '../../src/shared/errors.ts';

const dirs: string[] = [];
function dataDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hm-emb-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('embedded redis-server', () => {
  it('starts on a unix socket with no TCP port, keeps jobs across a restart, and stops', async () => {
    const dir = dataDir();
    const socketPath = path.join(dir, 'redis', 'redis.sock');
    const options = { socketPath, dir: path.join(dir, 'redis') };

    const first = await startEmbeddedRedis(options);
    expect(await pingRedisSocket(socketPath)).toBe(true);
    const queue = new SubmissionQueue(first);
    expect((await queue.enqueue({ kind: 'process', submissionId: 'S0000000000KEPT' })).ok).toBe(true);
    expect(await queue.redis.config('GET', 'port')).toEqual(['port', '0']);
    expect(await queue.redis.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
    expect(await queue.redis.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
    await queue.close();
    await first.stop();
    expect(await pingRedisSocket(socketPath)).toBe(false);
    expect(() => process.kill(first.pid, 0)).toThrow();
    expect(fs.existsSync(path.join(options.dir, 'appendonlydir'))).toBe(true);

    const second = await startEmbeddedRedis(options);
    const again = new SubmissionQueue(second);
    try {
      expect(await again.hasJob('S0000000000KEPT')).toBe(true);
    } finally {
      await again.close();
      await second.stop();
      await second.stop();
    }
  });

  it('fails with one clear sentence when the redis-server binary is missing', async () => {
    const dir = dataDir();
    const error = await startEmbeddedRedis({
      socketPath: path.join(dir, 'r.sock'),
      dir,
      binary: 'redis-server-not-installed-here',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProblemError);
    expect((error as ProblemError).problem.code).toBe('E_REDIS_MISSING');
    expect((error as ProblemError).message).toMatch(
      /^E_REDIS_MISSING: redis-server-not-installed-here was not found; install it with apt-get install redis-server/,
    );
  });

  it('refuses a second daemon on the same DATA_DIR, but replaces a server left behind by a killed one', async () => {
    const dir = dataDir();
    const options = { socketPath: path.join(dir, 'r.sock'), dir };
    const running = await startEmbeddedRedis(options);
    try {
      // Another live process owns it: refuse.
      const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
      fs.writeFileSync(path.join(dir, 'hostmasterd.owner'), String(other.pid));
      const refused = await startEmbeddedRedis(options).catch((e: unknown) => e);
      expect((refused as ProblemError).problem?.code).toBe('E_REDIS_IN_USE');
      other.kill('SIGKILL');
      await new Promise((r) => other.once('exit', r));
    } finally {
      await running.stop();
    }
    // A daemon killed with SIGKILL leaves its server running, owned by a dead process: replaced.
    const leftover = spawn(
      'redis-server',
      [
        '--port',
        '0',
        '--unixsocket',
        options.socketPath,
        '--dir',
        dir,
        '--pidfile',
        path.join(dir, 'redis.pid'),
        '--save',
        '',
      ],
      { stdio: 'ignore' },
    );
    const leftoverExited = new Promise((r) => leftover.once('exit', r));
    const dead = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    await new Promise((r) => dead.once('exit', r));
    fs.writeFileSync(path.join(dir, 'hostmasterd.owner'), String(dead.pid));
    for (let i = 0; i < 200 && !(await pingRedisSocket(options.socketPath)); i++) await sleep(25);
    const replacement = await startEmbeddedRedis(options);
    try {
      await leftoverExited;
      expect(replacement.pid).not.toBe(leftover.pid);
      expect(await pingRedisSocket(options.socketPath)).toBe(true);
    } finally {
      await replacement.stop();
    }
  });

  it('starts its server again when it dies unasked, with the queued jobs; gives up, saying so, when it cannot', async () => {
    const dir = dataDir();
    // A stand-in binary that runs the real server while the switch file is there, and fails after.
    const switchFile = path.join(dir, 'may-start');
    fs.writeFileSync(switchFile, '');
    const binary = path.join(dir, 'redis-server-switch');
    fs.writeFileSync(
      binary,
      `#!/bin/sh\n[ -e ${switchFile} ] || { echo "not today" >&2; exit 1; }\nexec redis-server "$@"\n`,
      {
        mode: 0o755,
      },
    );
    const options = {
      socketPath: path.join(dir, 'r.sock'),
      dir,
      binary,
      restartDelaysMs: [50, 100, 200],
    };
    const server = await startEmbeddedRedis(options);
    const queue = new SubmissionQueue(server);
    try {
      expect((await queue.enqueue({ kind: 'process', submissionId: 'S0000000000KILL' })).ok).toBe(true);
      const first = server.pid;
      process.kill(first, 'SIGKILL');
      for (
        let i = 0;
        i < 2_000 && (server.pid === first || !(await pingRedisSocket(options.socketPath)));
        i++
      ) {
        await sleep(25);
      }
      expect(server.pid).not.toBe(first);
      // The client reconnects by itself and finds the job the append-only file kept.
      for (let i = 0; i < 400 && !(await queue.hasJob('S0000000000KILL').catch(() => false)); i++)
        await sleep(25);
      expect(await queue.hasJob('S0000000000KILL')).toBe(true);

      fs.rmSync(switchFile);
      process.kill(server.pid, 'SIGKILL');
      const failure = await server.failed;
      expect(failure.code).toBe('E_REDIS_FAILED');
      expect(failure.message).toMatch(/exited and did not start again after 3 tries: .*not today/);
    } finally {
      await queue.close();
      await server.stop();
    }
  });

  it('says so when the socket path is too long for the system', async () => {
    const dir = dataDir();
    const error = await startEmbeddedRedis({
      socketPath: path.join(dir, 'x'.repeat(120), 'r.sock'),
      dir,
    }).catch((e: unknown) => e);
    expect((error as ProblemError).problem.code).toBe('E_REDIS_SOCKET_PATH');
  });
});
