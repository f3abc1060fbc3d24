/**
 * The sign-in throttle's counts live in Redis. With Redis gone nobody signs in (503, a sentence),
 * rather than passwords being checked uncounted; once it is back, signing in works again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { consoleQueueFrom, createStaffUser } from '../../src/console/index.ts';
import { buildConsole } from '../../src/console/server.ts';
import { tables } from '../../src/db/index.ts';
import { SubmissionQueue } from '../../src/queue/index.ts';
import { openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { type RedisServer, startRedis } from '../support/redis-server.ts';

const EMAIL = 'outage@registry.example';
const PASSWORD = 'a long quiet passphrase';

describe('signing in while Redis is away', () => {
  let database: TestDatabase;
  let redis: RedisServer;
  let queue: SubmissionQueue;
  let console: Awaited<ReturnType<typeof buildConsole>>;

  beforeAll(async () => {
    [database, redis] = await Promise.all([openTestDatabase('pglite'), startRedis()]);
    const staff = await createStaffUser(database.db, EMAIL, PASSWORD, { oneTime: false });
    if (!staff.ok) throw new Error(staff.error.message);
    queue = new SubmissionQueue({ kind: 'url', url: redis.url });
    console = await buildConsole({ config: loadConfig({}), db: database.db, queue: consoleQueueFrom(queue) });
  });
  afterAll(async () => {
    await console?.close();
    await queue?.close();
    await redis?.stop();
    await database?.close();
  });

  async function signIn(): Promise<{ status: number; body: string }> {
    const form = await console.app.inject({ method: 'GET', url: '/login' });
    const token = /name="_csrf" value="([^"]+)"/.exec(form.body)?.[1] ?? '';
    const response = await console.app.inject({
      method: 'POST',
      url: '/login',
      headers: {
        cookie: form.cookies.map((c) => `${c.name}=${c.value}`).join('; '),
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload: new URLSearchParams({ _csrf: token, email: EMAIL, password: PASSWORD }).toString(),
    });
    return { status: response.statusCode, body: response.body };
  }

  it('refuses to check passwords uncounted, and signs in again once Redis is back', async () => {
    expect((await signIn()).status).toBe(303);
    await redis.pause();
    const attemptsBefore = (await database.db.select().from(tables.staffLoginAttempts)).length;
    const refused = await signIn();
    expect(refused.status).toBe(503);
    expect(refused.body).toContain(
      'Signing in is unavailable: the console cannot reach Redis, where sign-in attempts are counted.',
    );
    // Not checked, so not recorded as an attempt either.
    expect((await database.db.select().from(tables.staffLoginAttempts)).length).toBe(attemptsBefore);

    await redis.resume();
    let status = 0;
    for (let tries = 0; tries < 100 && status !== 303; tries++) {
      status = (await signIn()).status;
      if (status !== 303) {
        expect(status).toBe(503);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
    expect(status).toBe(303);
  });
});
