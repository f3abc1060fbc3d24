/**
 * `hostmasterd start` when an address it must listen on is taken: every listener (SMTP, the staff
 * console, the operations endpoints of a process without the console, public WHOIS and RDAP)
 * fails the same way, with
 * one sentence on stderr naming the address and the variable to change, and exit code 1. Before,
 * a taken console port printed a stack trace and the process never exited. The five daemons are
 * independent (each its own DATA_DIR, its database made beforehand, as a restart finds it) and
 * run at once.
 */
import fs from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareEmbeddedDatabase } from '../pipeline/support/prepared-database.ts';
import { processEnv, runCommand } from '../pipeline/support/processes.ts';
import { type RedisServer, startRedis } from '../support/redis-server.ts';

async function holdPort(): Promise<{ port: number; release(): Promise<void> }> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return { port, release: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('hostmasterd start with a port already taken', () => {
  let taken: Awaited<ReturnType<typeof holdPort>>;
  let redis: RedisServer;

  beforeAll(async () => {
    taken = await holdPort();
    redis = await startRedis();
  });
  afterAll(async () => {
    await taken?.release();
    await redis?.stop();
  });

  const cases = [
    { listener: 'SMTP', roles: [], variable: 'SMTP_PORT', code: 'E_SMTP_LISTEN' },
    { listener: 'the staff console', roles: [], variable: 'CONSOLE_PORT', code: 'E_CONSOLE_LISTEN' },
    {
      listener: 'the operations endpoints',
      roles: ['--role', 'worker'],
      variable: 'CONSOLE_PORT',
      code: 'E_OPS_LISTEN',
    },
    {
      listener: 'the public WHOIS service',
      roles: ['--role', 'public'],
      variable: 'WHOIS_PORT',
      code: 'E_WHOIS_LISTEN',
    },
    {
      listener: 'the public RDAP service',
      roles: ['--role', 'public'],
      variable: 'RDAP_PORT',
      code: 'E_RDAP_LISTEN',
    },
  ] as const;

  it.concurrent.each(cases)(
    '$listener on a taken $variable: one sentence on stderr, exit 1',
    async ({ roles, variable, code }) => {
      const env = await processEnv({
        REDIS_URL: redis.url,
        [variable]: String(taken.port),
      });
      await prepareEmbeddedDatabase(env['DATA_DIR']!);
      const run = await runCommand(['start', ...roles], env, undefined, 90_000);
      fs.rmSync(env['DATA_DIR']!, { recursive: true, force: true });
      expect(run.code, run.stderr).toBe(1);
      const lines = run.stderr.trim().split('\n');
      expect(lines, run.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(
        new RegExp(`^hostmasterd: ${code}: .*127\\.0\\.0\\.1:${taken.port}.*already in use.*${variable}`),
      );
      expect(run.stderr).not.toMatch(/\n\s+at /);
    },
    120_000,
  );
});
