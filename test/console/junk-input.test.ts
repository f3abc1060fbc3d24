/**
 * Junk in any console input (a NUL or another control character in a search, an id, a form
 * field; a day not in the calendar; a page link JavaScript's Date.parse reads and PostgreSQL does
 * not) is answered 400 with a sentence naming the field, before anything reaches SQL, and logs
 * nothing at error level. Over real HTTP against a console on PostgreSQL with a real Redis (the
 * sign-in throttle's counts): a NUL in the sign-in address is a bad address, not a Redis outage.
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

const EMAIL = 'junk@registry.example';
const PASSWORD = 'a long quiet passphrase';

const cursor = (at: string, id = 1) => Buffer.from(JSON.stringify([at, id])).toString('base64url');

describe('junk in console inputs', () => {
  let database: TestDatabase;
  let redis: RedisServer;
  let queue: SubmissionQueue;
  let console: Awaited<ReturnType<typeof buildConsole>>;
  let client: ConsoleClient;
  let submissionId: string;
  let rejectionId: number;
  const errors: string[] = [];

  beforeAll(async () => {
    [database, redis] = await Promise.all([openTestDatabase('postgres'), startRedis()]);
    const seed = validateSeed(DEMO_SEED);
    if (!seed.ok) throw new Error('the demo seed is invalid');
    const seeded = await seedRegistry(database.db, seed.value);
    if (!seeded.ok) throw new Error(seeded.error.message);
    const staff = await createStaffUser(database.db, EMAIL, PASSWORD, { oneTime: false });
    if (!staff.ok) throw new Error(staff.error.message);
    ({ submissionId, rejectionId } = await seedRejectedSubmission(database.db, {
      from: 'noc@demo-isp.example',
      subject: 'SWIP',
      range: '198.51.100.64/29',
      netName: 'JUNK-1',
      error: { code: 'E_OVERLAP', message: 'overlaps', field: '03' },
    }));
    queue = new SubmissionQueue({ kind: 'url', url: redis.url });
    console = await buildConsole({
      config: loadConfig({}),
      db: database.db,
      queue: consoleQueueFrom(queue),
      logger: {
        info: () => {},
        error: (object, message) => errors.push(`${message} ${JSON.stringify(object)}`),
      },
    });
    const address = await console.app.listen({ host: '127.0.0.1', port: 0 });
    client = new ConsoleClient(address);
    expect((await client.signIn(EMAIL, PASSWORD)).status).toBe(303);
  }, 120_000);
  afterAll(async () => {
    await console?.close();
    await queue?.close();
    await redis?.stop();
    await database?.close();
  });

  /** Refused with a sentence that names the field, and nothing logged as an error. */
  async function expectRefused(response: { status: number; body: string }, field: string): Promise<void> {
    expect(response.status, response.body.slice(0, 400)).toBe(400);
    const text = pageText(response.body);
    expect(text).toContain('E_BAD_INPUT');
    expect(text).toContain(field);
    expect(text).not.toContain('Something went wrong');
  }

  const junkGets: readonly [string, string][] = [
    ['/rejections?from=2026-13-45', '"from"'],
    ['/rejections?to=2026-02-30', '"to"'],
    ['/rejections?from=2026-12-07&to=2026-12-32', '"to"'],
    ['/rejections?from=0000-01-01', '"from"'],
    ['/rejections?from=yesterday', '"from"'],
    ['/rejections/next?to=2025-02-29', '"to"'],
    ['/validation?as-of=2026-02-30', '"as-of"'],
    ['/rejections?q=%00', '"q"'],
    ['/rejections?q=a%00b', '"q"'],
    ['/rejections?q=%01', '"q"'],
    ['/rejections?sender=%00', '"sender"'],
    ['/rejections?reason=%00', '"reason"'],
    ['/rejections?form=%00', '"form"'],
    ['/rejections?state=%00', '"state"'],
    ['/rejections?q=x&q=%00', '"q"'],
    ['/rejections?%00=x', 'U+0000'],
    ['/rejections/next?q=%00', '"q"'],
    ['/submissions/%00', '"id"'],
    ['/submissions/S1%0A', '"id"'],
    ['/submissions/S1?queue=%00', '"queue"'],
    ['/accounts?q=%00', '"q"'],
    ['/accounts?after=%00', '"after"'],
    ['/lookup?q=%00', '"q"'],
    ['/lookup?q=a%00b', '"q"'],
    ['/lookup?q=%1b[31m', '"q"'],
    // Page links Date.parse takes and PostgreSQL's ::timestamptz does not, in every order.
    ...['newest', 'oldest', 'sender', 'reason'].flatMap((sort): [string, string][] => [
      [`/rejections?sort=${sort}&after=${cursor('1')}`, 'after='],
      [`/rejections?sort=${sort}&after=${cursor('Dec 7')}`, 'after='],
      [`/rejections?sort=${sort}&after=${cursor('2026-02-30 10:00:00+00')}`, 'after='],
      [`/rejections?sort=${sort}&after=${cursor('2026-12-07 24:00:00+00')}`, 'after='],
    ]),
    ['/rejections?after=%00', '"after"'],
    ['/rejections?after=not-a-cursor', 'after='],
  ];

  it.each(junkGets)('GET %s is refused 400, naming %s', async (path, field) => {
    await expectRefused(await client.get(path), field);
  });

  it('a path that is no URL (a broken %-escape) is refused 400 by the router, with its sentence', async () => {
    const refused = await client.get('/submissions/%E0%A4');
    expect(refused.status).toBe(400);
    expect(refused.body).toContain('is not a valid url component');
  });

  it('POSTed fields holding a NUL are refused before anything is done', async () => {
    await client.get(`/submissions/${submissionId}`);
    const posts: readonly [string, Record<string, string>, string][] = [
      [`/rejections/${rejectionId}/dismiss`, { note: 'a\u0000b', answer: '' }, '"note"'],
      [`/rejections/${rejectionId}/dismiss`, { note: 'fine', answer: '\u0000' }, '"answer"'],
      [`/rejections/${rejectionId}/reprocess`, { note: '\u0000', message: '' }, '"note"'],
      [
        `/rejections/${rejectionId}/override`,
        { note: 'ok', message: 'x\u0000', waive: 'E_NOT_AUTHORIZED' },
        '"message"',
      ],
      [`/rejections/${rejectionId}/override`, { note: 'ok', waive: 'E_NOT_AUTHORIZED\u0000' }, '"waive"'],
      [`/rejections/${rejectionId}/reject`, { note: 'ok', reason: '\u0000' }, '"reason"'],
      [`/rejections/${rejectionId}/edit`, { note: 'ok', text: 'Template: X\u0000', basedOn: '1' }, '"text"'],
      [`/rejections/${rejectionId}/edit`, { note: 'ok', text: 'x', basedOn: '1\u0000' }, '"basedOn"'],
      [`/rejections/${rejectionId}/dismiss`, { note: 'ok', queue: '?q=\u0000' }, '"queue"'],
      ['/rejections/bulk', { action: 'dismiss', id: String(rejectionId), note: '\u0000' }, '"note"'],
      ['/rejections/bulk', { action: 'dismiss', id: `${rejectionId}\u0000`, note: 'ok' }, '"id"'],
      ['/audit/1/undo', { note: '\u0000' }, '"note"'],
      ['/validation/DEMO1-ARIN/validate', { note: '\u0000' }, '"note"'],
      [`/rejections/%00/dismiss`, { note: 'ok' }, '"id"'],
    ];
    for (const [path, form, field] of posts) {
      await expectRefused(await client.post(path, form), field);
    }
    // Staff's texts are bounded: an answer to the sender as long as a note may not be is refused.
    await client.get(`/submissions/${submissionId}`);
    const long = await client.post(`/rejections/${rejectionId}/dismiss`, {
      note: 'ok',
      answer: 'y'.repeat(5000),
    });
    expect(long.status).toBe(303);
    expect(pageText((await client.get(long.headers.get('location')!)).body)).toContain(
      'Not dismissed: keep the message to the sender under 4000 characters.',
    );
    // Nothing was done: the rejection is still open.
    const page = pageText((await client.get(`/submissions/${submissionId}`)).body);
    expect(page).not.toContain('dismissed');
  });

  it('an id written any other way than the console writes it (hex, exponent, sign, decimals, a leading zero) acts on no row', async () => {
    await client.get(`/submissions/${submissionId}`);
    const shapes = [
      `0x${rejectionId.toString(16)}`,
      `${rejectionId}e0`,
      `+${rejectionId}`,
      `${rejectionId}.0`,
      `0${rejectionId}`,
      ` ${rejectionId}`,
      '-1',
      '99999999999999999999',
      'abc',
    ];
    for (const id of shapes) {
      const encoded = encodeURIComponent(id);
      await expectRefused(
        await client.post(`/rejections/${encoded}/dismiss`, { note: 'ok', answer: '' }),
        '"id"',
      );
      await expectRefused(await client.post(`/rejections/${encoded}/reprocess`, { note: 'ok' }), '"id"');
      await expectRefused(await client.post(`/audit/${encoded}/undo`, { note: 'ok' }), '"id"');
      await expectRefused(await client.post(`/outbox/${encoded}/retry`, { note: 'ok' }), '"id"');
      // In a bulk action, beside a real row: nothing is done to either.
      await expectRefused(
        await client.post('/rejections/bulk', {
          action: 'dismiss',
          id: [String(rejectionId), id],
          note: 'ok',
        }),
        '"id"',
      );
    }
    await expectRefused(
      await client.post(`/rejections/${rejectionId}/edit`, { note: 'ok', text: 'x', basedOn: '0x1' }),
      '"basedOn"',
    );
    const [row] = await database.db
      .select({ state: tables.rejections.state })
      .from(tables.rejections)
      .where(eq(tables.rejections.id, rejectionId));
    expect(row?.state).toBe('open');
  });

  it('lines and tabs in a note are a note; real days and the page links the console makes still work', async () => {
    for (const path of [
      '/rejections?from=2024-02-29&to=2024-03-01',
      '/rejections?q=bakery',
      '/validation?as-of=2028-02-29',
      `/rejections?after=${cursor('2026-12-07 20:46:42.123456+00')}`,
      `/rejections?sort=sender&after=${cursor('2026-12-07 20:46:42+05:30', rejectionId)}`,
    ]) {
      expect((await client.get(path)).status, path).toBe(200);
    }
    await client.get(`/submissions/${submissionId}`);
    const dismissed = await client.post(`/rejections/${rejectionId}/dismiss`, {
      note: 'first line\n\tsecond line',
      answer: '',
    });
    expect(dismissed.status).toBe(303);
    const page = pageText((await client.get(dismissed.headers.get('location')!)).body);
    expect(page).toContain(`Rejection ${rejectionId} dismissed.`);
  });

  it('a NUL in the sign-in address is a bad address, not a Redis outage', async () => {
    const visitor = new ConsoleClient(client.baseUrl);
    await visitor.get('/login');
    const refused = await visitor.post('/login', { email: `${EMAIL}\u0000`, password: PASSWORD });
    await expectRefused(refused, '"email"');
    expect(refused.body).not.toContain('cannot reach Redis');
    // The real address still signs in.
    expect((await visitor.signIn(EMAIL, PASSWORD)).status).toBe(303);
  });

  it('logged nothing at error level', () => {
    expect(errors).toEqual([]);
  });
});
