/**
 * `hostmasterd submit < msg.eml`, as an MTA pipe runs it on PostgreSQL: exit 0 with the
 * submission id printed when the message is stored (a listening daemon queues it; Redis is never
 * asked), 75 when the database is down (the MTA retries), 65 when the input is refused for good.
 */
import { spawn } from 'node:child_process';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_ACCEPTED, EXIT_DATAERR, EXIT_TEMPFAIL } from '../../src/commands/submit.ts';
import type { Config } from '../../src/config/index.ts';
import { type DatabaseHandle, openDatabase, tables } from '../../src/db/index.ts';
import { type SubmissionListener, startSubmissionListener } from '../../src/ingress/index.ts';
import { SubmissionQueue } from '../../src/queue/index.ts';
import { eventually } from '../ops/support/ops-http.ts';
import { REPO, submissionId } from '../pipeline/support/processes.ts';
import { createPostgresDatabase } from '../support/databases.ts';
import { freePort } from '../support/postgres-server.ts';
import { type RedisServer, startRedis } from '../support/redis-server.ts';
import { runSubmit, templateMail, testConfig } from './helpers.ts';

describe('submit from stdin (PostgreSQL and a Redis server)', () => {
  let redis: RedisServer;
  let databaseUrl: string;
  let database: DatabaseHandle;
  let queue: SubmissionQueue;
  let config: Config;
  /** The running daemon's half: it adds the job of what submit commits and notifies. */
  let listener: SubmissionListener;

  beforeAll(async () => {
    [redis, databaseUrl] = await Promise.all([startRedis(), createPostgresDatabase()]);
    database = await openDatabase({ kind: 'postgres', url: databaseUrl }, { migrate: false });
    queue = new SubmissionQueue({ kind: 'url', url: redis.url });
    listener = await startSubmissionListener({ url: databaseUrl, queue });
    config = testConfig({
      redisUrl: redis.url,
      database: { kind: 'postgres', url: databaseUrl },
      limits: { maxMessageBytes: 16 * 1024 },
    });
  });
  afterAll(async () => {
    await listener?.stop();
    await queue?.close();
    await database?.close();
    await redis?.stop();
  });

  const row = async (id: string) =>
    (await database.db.select().from(tables.submissions).where(eq(tables.submissions.id, id)))[0];

  it('accepts a message: exit 0, the id on stdout, stored via stdin, job queued by the listener', async () => {
    const raw = templateMail({ messageId: '<piped@isp.example>' });
    const run = await runSubmit(config, raw, ['bounce+123@isp.example', 'hostmaster@rir.example']);
    expect(run.code).toBe(EXIT_ACCEPTED);
    const id = submissionId(run.stdout);
    expect(id).toMatch(/^S[0-9A-Z]{26}$/);
    const stored = await row(id);
    expect(stored?.via).toBe('stdin');
    expect(stored?.raw.toString()).toBe(raw);
    expect(stored?.envelopeFrom).toBe('bounce+123@isp.example');
    await eventually(async () => expect(await queue.hasJob(id)).toBe(true), 30_000);

    // The MTA's retry of the same delivery (the same envelope): the stored one, not a second.
    const again = await runSubmit(config, raw, ['bounce+123@isp.example', 'hostmaster@rir.example']);
    expect(again.code).toBe(EXIT_ACCEPTED);
    expect(submissionId(again.stdout)).toBe(id);
  });

  it('drops the mbox "From " line some MTA pipes put first', async () => {
    const raw = templateMail({ messageId: '<mbox@isp.example>' });
    const run = await runSubmit(config, `From noc@isp.example Mon Mar  2 10:00:00 2026\n${raw}`);
    expect(run.code).toBe(EXIT_ACCEPTED);
    expect((await row(submissionId(run.stdout)))?.raw.toString()).toBe(raw);
  });

  it('refuses for good (65) empty input, something that is not a mail, and a message over the limit', async () => {
    const empty = await runSubmit(config, '');
    expect(empty.code).toBe(EXIT_DATAERR);
    expect(empty.stderr).toMatch(/E_EMPTY_MESSAGE/);
    const notMail = await runSubmit(config, 'hello, please add my network\n');
    expect(notMail.code).toBe(EXIT_DATAERR);
    expect(notMail.stderr).toMatch(/E_NOT_A_MAIL/);
    const big = await runSubmit(config, templateMail({ body: 'x'.repeat(20 * 1024) }));
    expect(big.code).toBe(EXIT_DATAERR);
    expect(big.stderr).toMatch(/E_MESSAGE_TOO_LARGE/);
  });

  it('accepts (0) with REDIS_URL unreachable: submit never asks Redis, the row is durable', async () => {
    const port = await freePort();
    const noRedis = testConfig({
      redisUrl: `redis://127.0.0.1:${port}`,
      database: { kind: 'postgres', url: databaseUrl },
    });
    const run = await runSubmit(noRedis, templateMail({ messageId: '<redis-down@isp.example>' }));
    expect(run).toMatchObject({ code: EXIT_ACCEPTED, stderr: '' });
    expect((await row(submissionId(run.stdout)))?.state).toBe('received');
  });

  it('asks the MTA to try again (75) while the database is unreachable', async () => {
    const port = await freePort();
    const down = {
      ...config,
      database: { kind: 'postgres' as const, url: `postgres://postgres@127.0.0.1:${port}/x` },
    };
    const run = await runSubmit(down, templateMail());
    expect(run.code).toBe(EXIT_TEMPFAIL);
    expect(run.stderr).toMatch(/E_DATABASE_UNAVAILABLE/);
  });

  it('works as a real child process: hostmasterd submit < msg.eml', async () => {
    const raw = templateMail({ messageId: '<child-process@isp.example>' });
    // From whatever directory the tests run in: the repository is found from this file.
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'submit'], {
      cwd: REPO,
      env: {
        PATH: process.env['PATH'],
        DATA_DIR: config.dataDir,
        DATABASE_URL: databaseUrl,
        REDIS_URL: redis.url,
        HOSTMASTER_ADDRESSES: 'hostmaster@rir.example',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.stdin.end(raw);
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const id = submissionId(stdout);
    expect((await row(id))?.messageId).toBe('<child-process@isp.example>');
    await eventually(async () => expect(await queue.hasJob(id)).toBe(true), 30_000);
  });
});
