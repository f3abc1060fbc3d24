/**
 * PostgreSQL goes down under a running ingress: senders are told 451 (their MTA keeps the
 * message and retries) and nothing is queued, nor counted against the sender's hourly limit;
 * when it is back, the retry is accepted.
 * Uses a PostgreSQL server of its own, since stopping the shared one would break other tests.
 */
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase, tables } from '../../src/db/index.ts';
import { type Ingress, startIngress } from '../../src/ingress/index.ts';
import { SubmissionQueue } from '../../src/queue/index.ts';
import { type PostgresServer, startPostgres } from '../support/postgres-server.ts';
import { type RedisServer, startRedis } from '../support/redis-server.ts';
import { sendOverSmtp, submissionIdOf, templateMail, testConfig } from './helpers.ts';

describe('database outage', () => {
  let postgres: PostgresServer;
  let redis: RedisServer;
  let database: DatabaseHandle;
  let queue: SubmissionQueue;
  let ingress: Ingress;

  beforeAll(async () => {
    [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
    database = await openDatabase({ kind: 'postgres', url: postgres.url });
    queue = new SubmissionQueue({ kind: 'url', url: redis.url }, { timeoutMs: 1_000 });
    // Two messages an hour for the sender: the 451s of the outage must not use them up.
    const config = testConfig({ redisUrl: redis.url, limits: { perSenderPerHour: 2 } });
    ingress = await startIngress({ config, db: database.db, queue });
  });
  afterAll(async () => {
    await ingress?.close();
    await queue?.close();
    await database?.close();
    await redis?.stop();
    postgres?.stop();
  });

  it('answers 451 while PostgreSQL is stopped and accepts the retry once it is back', async () => {
    const raw = templateMail({ messageId: '<db-outage@isp.example>' });
    expect((await sendOverSmtp(ingress.port, templateMail())).code).toBe(250);

    // The test server runs with synchronous_commit=off and stops with -m immediate: flush first,
    // or the schema and the first submission would be lost with the WAL buffers.
    await database.db.execute(sql`CHECKPOINT`);
    postgres.pause();
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        const answer = await sendOverSmtp(ingress.port, raw);
        expect(answer.code).toBe(451);
        expect(answer.text).toMatch(/^4\.3\.0 The registry database is unreachable/);
      }
      expect((await queue.counts())['waiting']).toBe(1);
    } finally {
      postgres.resume();
    }

    // The retry is the sender's second accepted message: within its limit of 2.
    const id = submissionIdOf(await sendOverSmtp(ingress.port, raw));
    const rows = await database.db
      .select({ id: tables.submissions.id })
      .from(tables.submissions)
      .where(eq(tables.submissions.messageId, '<db-outage@isp.example>'));
    expect(rows).toEqual([{ id }]);
    expect(await queue.hasJob(id)).toBe(true);
    // Accepted messages do count: a third is over the limit.
    const third = await sendOverSmtp(ingress.port, templateMail());
    expect(third.code).toBe(451);
    expect(third.text).toMatch(/^4\.7\.1 .*limit is 2/);
  });
});
