/**
 * A Monday's bulk dismissal over HTTP: a typo is dismissed, but a row whose sender was told a
 * person reads it (an unclear answer to a POC validation mail, staff25 F13) is left open and
 * named in the flash; the triage tab ("Needs a decision") holds it.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { consoleQueueFrom, createStaffUser } from '../../src/console/index.ts';
import { buildConsole } from '../../src/console/server.ts';
import { tables } from '../../src/db/index.ts';
import { SubmissionQueue } from '../../src/queue/index.ts';
import { DEMO_SEED, seedRegistry, validateSeed } from '../../src/registry/index.ts';
import { openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { type RedisServer, startRedis } from '../support/redis-server.ts';
import { ConsoleClient } from './support/http-client.ts';
import { seedRejectedSubmission } from './support/rows.ts';
import { pageText } from './support/sign-in.ts';

const EMAIL = 'monday@registry.example';
const PASSWORD = 'a long quiet passphrase';

describe('bulk dismissal and the rows that need a decision', () => {
  let database: TestDatabase;
  let redis: RedisServer;
  let queue: SubmissionQueue;
  let console: Awaited<ReturnType<typeof buildConsole>>;
  let client: ConsoleClient;

  beforeAll(async () => {
    [database, redis] = await Promise.all([openTestDatabase('pglite'), startRedis()]);
    const seed = validateSeed(DEMO_SEED);
    if (!seed.ok) throw new Error('the demo seed is invalid');
    const seeded = await seedRegistry(database.db, seed.value);
    if (!seeded.ok) throw new Error(seeded.error.message);
    const staff = await createStaffUser(database.db, EMAIL, PASSWORD, { oneTime: false });
    if (!staff.ok) throw new Error(staff.error.message);
    queue = new SubmissionQueue({ kind: 'url', url: redis.url });
    console = await buildConsole({
      config: loadConfig({}),
      db: database.db,
      queue: consoleQueueFrom(queue),
      logger: { info: () => {}, error: () => {} },
    });
    client = new ConsoleClient(await console.app.listen({ host: '127.0.0.1', port: 0 }));
    expect((await client.signIn(EMAIL, PASSWORD)).status).toBe(303);
  }, 120_000);
  afterAll(async () => {
    await console?.close();
    await queue?.close();
    await redis?.stop();
    await database?.close();
  });

  const stateOf = async (id: number) =>
    (
      await database.db
        .select({ state: tables.rejections.state })
        .from(tables.rejections)
        .where(eq(tables.rejections.id, id))
    )[0]?.state;

  it('dismisses the typo and leaves the unclear validation answer open, saying why', async () => {
    const typo = await seedRejectedSubmission(database.db, {
      from: 'noc@demo-isp.example',
      subject: 'SWIP',
      range: '198.51.100.64/29',
      netName: 'TYPO-1',
      error: { code: 'E_OVERLAP', message: 'overlaps' },
    });
    const unclear = await seedRejectedSubmission(database.db, {
      from: 'noc@demo-isp.example',
      subject: 'Re: annual validation DEMO1-ARIN',
      range: '198.51.100.72/29',
      netName: 'LEFT-1',
      error: {
        code: 'E_VALIDATION_UNCLEAR',
        message: 'not a plain confirmation; hostmaster staff will read it',
      },
    });
    const triage = pageText((await client.get('/rejections?view=triage')).body);
    expect(triage).toContain('annual validation DEMO1-ARIN');
    expect(triage).not.toContain('SWIP');

    for (const row of [typo, unclear]) {
      await client.get('/rejections');
      const done = await client.post('/rejections/bulk', {
        action: 'dismiss',
        id: String(row.rejectionId),
        note: 'Monday pile',
        back: '',
      });
      expect(done.status).toBe(303);
    }
    expect(await stateOf(typo.rejectionId)).toBe('dismissed');
    expect(await stateOf(unclear.rejectionId)).toBe('open');
    const flash = pageText((await client.get('/rejections')).body);
    expect(flash).toContain(`Rejection ${unclear.rejectionId} needs a decision`);
  }, 120_000);
});
