/**
 * A customer's MTA talks to the ingress over real SMTP (nodemailer), against a real redis-server
 * and both database backends. What it is told must match what is durable: 250 with an id means
 * a row in `submissions` and a job in Redis; anything else means nothing was kept.
 */
import { eq, sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isDataRefusal, tables } from '../../src/db/index.ts';
import { type Ingress, SUBMISSION_ID_PATTERN, startIngress } from '../../src/ingress/index.ts';
import { SubmissionQueue } from '../../src/queue/index.ts';
import { BACKENDS, openTestDatabase, type TestDatabase } from '../support/databases.ts';
import { type RedisServer, startRedis } from '../support/redis-server.ts';
import { sendOverSmtp, submissionIdOf, templateMail, testConfig } from './helpers.ts';

describe.each(BACKENDS)('SMTP ingress on %s', (backend) => {
  let redis: RedisServer;
  let database: TestDatabase;
  let queue: SubmissionQueue;
  let ingress: Ingress;
  const extra: Ingress[] = [];

  beforeAll(async () => {
    [redis, database] = await Promise.all([startRedis(), openTestDatabase(backend)]);
    queue = new SubmissionQueue({ kind: 'url', url: redis.url }, { timeoutMs: 1_500 });
    const config = testConfig({ redisUrl: redis.url, limits: { maxMessageBytes: 64 * 1024 } });
    ingress = await startIngress({ config, db: database.db, queue });
  });
  afterEach(async () => {
    await Promise.all(extra.splice(0).map((i) => i.close()));
  });
  afterAll(async () => {
    await ingress?.close();
    await queue?.close();
    await database?.close();
    await redis?.stop();
  });

  const rowsFor = (id: string) =>
    database.db.select().from(tables.submissions).where(eq(tables.submissions.id, id));
  const countSubmissions = async () => (await database.db.select().from(tables.submissions)).length;

  it('accepts a template mail: 250 with the id, the raw bytes committed and the job in Redis', async () => {
    const raw = templateMail({
      subject: 'New customer =?utf-8?q?M=C3=BCller?= API-1111-2222-3333-ABCD',
      messageId: '<first@isp.example>',
    });
    const answer = await sendOverSmtp(ingress.port, raw, { from: 'Billing@ISP.example' });
    expect(answer.code).toBe(250);
    expect(answer.text).toMatch(/^2\.0\.0 Accepted as S/);
    const id = submissionIdOf(answer);
    expect(id).toMatch(SUBMISSION_ID_PATTERN);

    const [row] = await rowsFor(id);
    expect(row).toBeDefined();
    expect(row!.raw.toString('utf8')).toBe(raw);
    expect(row!.messageId).toBe('<first@isp.example>');
    expect(row!.fromAddress).toBe('noc@isp.example');
    expect(row!.subject).toBe('New customer Müller API-****-****-****-ABCD');
    expect(row!.raw.toString('utf8')).toContain('API-1111-2222-3333-ABCD');
    expect(row!.envelopeFrom).toBe('Billing@isp.example');
    expect(row!.envelopeTo).toEqual(['hostmaster@rir.example']);
    expect(row!.via).toBe('smtp');
    expect(row!.state).toBe('received');
    expect(row!.remoteAddress).toBe('127.0.0.1');
    expect(row!.sizeBytes).toBe(Buffer.byteLength(raw));

    const job = await queue.queue.getJob(id);
    expect(job?.data).toEqual({ kind: 'process', submissionId: id });
  });

  it('takes the hostmaster addresses in any letter case', async () => {
    const answer = await sendOverSmtp(ingress.port, templateMail(), { to: ['REGISTRATIONS@rir.EXAMPLE'] });
    expect(answer.code).toBe(250);
  });

  it('relays nothing: another recipient gets 550 5.1.1 and nothing is stored', async () => {
    const before = await countSubmissions();
    const answer = await sendOverSmtp(ingress.port, templateMail(), { to: ['someone@elsewhere.example'] });
    expect(answer.code).toBe(550);
    expect(answer.text).toMatch(/^5\.1\.1 .*no relaying/);
    expect(await countSubmissions()).toBe(before);
  });

  it('refuses a message over the size limit with 552, after reading it, and stores nothing', async () => {
    const before = await countSubmissions();
    const big = templateMail({ body: 'x'.repeat(100 * 1024) });
    const answer = await sendOverSmtp(ingress.port, big);
    expect(answer.code).toBe(552);
    expect(await countSubmissions()).toBe(before);
  });

  it('makes one submission of a duplicate delivery (same Message-ID, same bytes)', async () => {
    const raw = templateMail({ messageId: '<resent@isp.example>' });
    const first = submissionIdOf(await sendOverSmtp(ingress.port, raw));
    const second = submissionIdOf(await sendOverSmtp(ingress.port, raw));
    expect(second).toBe(first);
    const rows = await database.db
      .select()
      .from(tables.submissions)
      .where(eq(tables.submissions.messageId, '<resent@isp.example>'));
    expect(rows).toHaveLength(1);
    // Same Message-ID but different bytes is a different message.
    const edited = templateMail({ messageId: '<resent@isp.example>', subject: 'corrected' });
    expect(submissionIdOf(await sendOverSmtp(ingress.port, edited))).not.toBe(first);
  });

  it('holds off a delivery from another client while the first is undecided, then stores it only if the first was refused unverified', async () => {
    const raw = templateMail({ messageId: '<two-clients@isp.example>' });
    const first = submissionIdOf(await sendOverSmtp(ingress.port, raw, {}, '127.0.0.2'));
    // Undecided: its own client's retry is it; another client must come again later.
    expect(submissionIdOf(await sendOverSmtp(ingress.port, raw, {}, '127.0.0.2'))).toBe(first);
    const meanwhile = await sendOverSmtp(ingress.port, raw, {}, '127.0.0.1');
    expect(meanwhile.code).toBe(451);
    expect(meanwhile.text).toMatch(/still being checked/);
    const refusedUnverified = {
      state: 'done',
      refusalCode: 'E_SENDER_NOT_VERIFIED',
      answerTrust: 'none',
    } as const;
    await database.db
      .update(tables.submissions)
      .set(refusedUnverified)
      .where(eq(tables.submissions.id, first));
    const second = submissionIdOf(await sendOverSmtp(ingress.port, raw, {}, '127.0.0.1'));
    expect(second).not.toBe(first);
    expect(await queue.hasJob(second)).toBe(true);
    expect(submissionIdOf(await sendOverSmtp(ingress.port, raw, {}, '127.0.0.1'))).toBe(second);
    expect(submissionIdOf(await sendOverSmtp(ingress.port, raw, {}, '127.0.0.2'))).toBe(first);
    // Another envelope sender is another verdict too; while the second is undecided it waits.
    expect((await sendOverSmtp(ingress.port, raw, { from: 'relay@isp.example' }, '127.0.0.2')).code).toBe(
      451,
    );
    // Decided otherwise (applied and answered): every later delivery is it, from anywhere.
    await database.db
      .update(tables.submissions)
      .set({ state: 'done' })
      .where(eq(tables.submissions.id, second));
    for (const from of ['127.0.0.3', '127.0.0.2'])
      expect(submissionIdOf(await sendOverSmtp(ingress.port, raw, {}, from))).toBe(second);
    const rows = await database.db
      .select()
      .from(tables.submissions)
      .where(eq(tables.submissions.messageId, '<two-clients@isp.example>'));
    expect(rows).toHaveLength(2);
  });

  it('keeps a dry run by envelope and a real run of the same bytes apart', async () => {
    const dryIngress = await startIngress({
      config: testConfig({ redisUrl: redis.url, dryRunAddresses: ['dryrun@rir.example'] }),
      db: database.db,
      queue,
    });
    extra.push(dryIngress);
    const raw = templateMail({ messageId: '<dry-then-real@isp.example>' });
    const dry = submissionIdOf(await sendOverSmtp(dryIngress.port, raw, { to: ['dryrun@rir.example'] }));
    const real = submissionIdOf(await sendOverSmtp(dryIngress.port, raw));
    expect(real).not.toBe(dry);
    expect(submissionIdOf(await sendOverSmtp(dryIngress.port, raw, { to: ['dryrun@rir.example'] }))).toBe(
      dry,
    );
    expect(submissionIdOf(await sendOverSmtp(dryIngress.port, raw))).toBe(real);
  });

  it('re-adds the job of a duplicate whose job was lost, but not of one already handled', async () => {
    const raw = templateMail({ messageId: '<lost-job@isp.example>' });
    const id = submissionIdOf(await sendOverSmtp(ingress.port, raw));
    await (await queue.queue.getJob(id))!.remove();
    expect(submissionIdOf(await sendOverSmtp(ingress.port, raw))).toBe(id);
    expect(await queue.hasJob(id)).toBe(true);

    await (await queue.queue.getJob(id))!.remove();
    await database.db.update(tables.submissions).set({ state: 'done' }).where(eq(tables.submissions.id, id));
    expect(submissionIdOf(await sendOverSmtp(ingress.port, raw))).toBe(id);
    expect(await queue.hasJob(id)).toBe(false);
  });

  it('stores a message whose head holds NUL bytes or a Message-ID too long for the index (never 451 forever)', async () => {
    const nulSubject = templateMail({ subject: 'SWIP\u0000 batch', messageId: '<nul-subject@isp.example>' });
    const encodedNul = templateMail({
      subject: `=?utf-8?B?${Buffer.from('SWIP \u0000 batch').toString('base64')}?=`,
      messageId: '<nul\u0000id@isp.example>',
    });
    const longId = `<${'é'.repeat(950)}@isp.example>`;
    const longMessageId = templateMail({ messageId: longId });
    const ids: string[] = [];
    for (const raw of [nulSubject, encodedNul, longMessageId]) {
      const answer = await sendOverSmtp(ingress.port, raw);
      expect(answer.code, answer.text).toBe(250);
      ids.push(submissionIdOf(answer));
      const [row] = await rowsFor(ids.at(-1)!);
      // The record is the bytes as received; only the columns beside them are cleaned.
      expect(row!.raw.toString('utf8')).toBe(raw);
      expect(row!.subject ?? '').not.toContain('\u0000');
      expect(row!.messageId).not.toContain('\u0000');
    }
    const [long] = await rowsFor(ids[2]!);
    expect(longId.startsWith(long!.messageId)).toBe(true);
    // The long one is still recognised when it comes again.
    expect(submissionIdOf(await sendOverSmtp(ingress.port, longMessageId))).toBe(ids[2]);
  });

  it('tells a refusal of the data (sent again, refused again) from an outage', async () => {
    const refusedAs = async (statement: ReturnType<typeof sql>) =>
      database.db.execute(statement).then(
        () => 'accepted',
        (error: unknown) => (isDataRefusal(error) ? 'data refused' : 'other'),
      );
    expect(await refusedAs(sql`select ${'a\u0000b'}::text`)).toBe('data refused');
    expect(await refusedAs(sql`select 'x'::integer`)).toBe('data refused');
    expect(await refusedAs(sql`select * from no_such_table`)).toBe('other');
    expect(isDataRefusal(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(
      false,
    );
  });

  it('refuses what is not a mail at all with a permanent 550 5.6.0', async () => {
    const answer = await sendOverSmtp(ingress.port, 'just some words\r\nno headers here\r\n');
    expect(answer.code).toBe(550);
    expect(answer.text).toMatch(/^5\.6\.0 this is not an e-mail message/);
  });

  it('limits messages per sender per hour (counted in Redis, across ingress processes) with 451 4.7.1', async () => {
    const config = testConfig({ redisUrl: redis.url, limits: { perSenderPerHour: 2 } });
    const a = await startIngress({ config, db: database.db, queue });
    const b = await startIngress({ config, db: database.db, queue });
    extra.push(a, b);
    const from = `rate-${backend}@isp.example`;
    expect((await sendOverSmtp(a.port, templateMail({ from }), { from })).code).toBe(250);
    expect((await sendOverSmtp(b.port, templateMail({ from }), { from })).code).toBe(250);
    const refused = await sendOverSmtp(b.port, templateMail({ from }), { from });
    expect(refused.code).toBe(451);
    expect(refused.text).toMatch(/^4\.7\.1 .*limit is 2/);
    expect(refused.command).toBe('DATA');
    // Now b knows this sender is at its limit: the next try is refused before the message is sent.
    const early = await sendOverSmtp(b.port, templateMail({ from }), { from });
    expect(early).toMatchObject({ code: 451, command: 'MAIL FROM' });
    expect(early.text).toMatch(/^4\.7\.1 .*limit is 2/);
    // The header From counts too: another envelope sender does not get around it.
    const viaHeader = await sendOverSmtp(a.port, templateMail({ from }), { from: 'relay@forwarder.example' });
    expect(viaHeader.code).toBe(451);
    const other = `other-${backend}@isp.example`;
    expect((await sendOverSmtp(a.port, templateMail({ from: other }), { from: other })).code).toBe(250);
  });

  it("counts a sender per client: a stranger writing a customer's address in From or the envelope fills only its own count", async () => {
    const config = testConfig({ redisUrl: redis.url, limits: { perSenderPerHour: 2 } });
    const a = await startIngress({ config, db: database.db, queue });
    extra.push(a);
    const customer = `noc-${backend}@customer.example`;
    const stranger = '127.0.0.2';
    // The stranger, from its own client: the customer's address in From only, then in the envelope too.
    const forged = [
      await sendOverSmtp(
        a.port,
        templateMail({ from: customer }),
        { from: 'attacker@evil.example' },
        stranger,
      ),
      await sendOverSmtp(a.port, templateMail({ from: customer }), { from: customer }, stranger),
      await sendOverSmtp(a.port, templateMail({ from: customer }), { from: 'other@evil.example' }, stranger),
    ];
    expect(forged.map((answer) => answer.code)).toEqual([250, 250, 451]);
    expect(forged[2]?.text).toMatch(
      /^4\.7\.1 .* has sent 2 messages from 127\.0\.0\.2 in the last hour; the limit is 2/,
    );
    // The customer's own mail, from its own client, is taken: its count is its own.
    const own = await sendOverSmtp(a.port, templateMail({ from: customer }), { from: customer }, '127.0.0.1');
    expect(own.code).toBe(250);
  });

  it('answers 451 while Redis is down, keeps nothing half-done, and accepts again when it is back', async () => {
    await redis.pause();
    try {
      const raw = templateMail({ messageId: '<during-outage@isp.example>' });
      const answer = await sendOverSmtp(ingress.port, raw);
      expect(answer.code).toBe(451);
      expect(answer.text).toMatch(/^4\.3\.0 /);
    } finally {
      await redis.resume();
    }
    // The MTA retries: accepted, one submission, its job in Redis.
    const raw = templateMail({ messageId: '<during-outage@isp.example>' });
    let answer = await sendOverSmtp(ingress.port, raw);
    for (let i = 0; i < 40 && answer.code !== 250; i++) {
      await new Promise((r) => setTimeout(r, 100));
      answer = await sendOverSmtp(ingress.port, raw);
    }
    const id = submissionIdOf(answer);
    expect(await queue.hasJob(id)).toBe(true);
    const rows = await database.db
      .select()
      .from(tables.submissions)
      .where(eq(tables.submissions.messageId, '<during-outage@isp.example>'));
    expect(rows.map((r) => r.id)).toEqual([id]);
  });
});
