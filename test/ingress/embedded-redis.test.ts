/**
 * The embedded default: `hostmasterd start` without REDIS_URL runs its own redis-server on a unix
 * socket under DATA_DIR, whose append-only file keeps queued jobs across a restart.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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
      // Its owner was killed (kill -9 of the daemon): the leftover server is replaced.
      other.kill('SIGKILL');
      await new Promise((r) => other.once('exit', r));
      const replacement = await startEmbeddedRedis(options);
      expect(replacement.pid).not.toBe(running.pid);
      expect(() => process.kill(running.pid, 0)).toThrow();
      await replacement.stop();
    } finally {
      await running.stop();
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
