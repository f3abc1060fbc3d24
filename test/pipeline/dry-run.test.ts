/**
 * Dry runs over real SMTP: asked by the Subject, by X-Hostmaster-Dry-Run, or by mail to
 * DRY_RUN_ADDRESS, in both reply styles, on both backends. A dry run is answered with the
 * statuses a real run would get and `Dry-run: yes`, and leaves the registry, tickets, notices,
 * the rejection queue, the sequences and counters and the reply counts in Redis as they were;
 * the submission is kept, marked. The same message sent for real afterwards is applied, numbered
 * as if the dry run never happened. A DKIM signature that authorized a dry run is used up: the
 * same signed mail with its (unsigned) dry-run mark taken off is refused, not applied.
 */
import { eq, sql } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaffUser } from '../../src/console/index.ts';
import { type Executor, queryRows, tables } from '../../src/db/index.ts';
import { DEMO_API_KEY } from '../../src/registry/index.ts';
import { pageText, type SignedInGet, signIn } from '../console/support/sign-in.ts';
import { BACKENDS } from '../support/databases.ts';
import { dkimSignMessage, stubResolver } from '../support/dkim.ts';
import { mail, type Stack, startStack } from '../support/stack.ts';
import { fillForm, simpleReassignment } from './support/forms.ts';
import { type Reply, repliesFor, rowCount, settledFor } from './support/outcomes.ts';

/** Everything a run may leave behind, counted. */
async function footprint(db: Executor) {
  const count = (table: string) => rowCount(db, table);
  const [seq] = await queryRows<{ last: string; called: boolean }>(
    db,
    sql`SELECT last_value::text AS last, is_called AS called FROM customer_handle_seq`,
  );
  const counters = await queryRows<{ name: string; last: string }>(
    db,
    sql`SELECT name, last::text FROM handle_counters ORDER BY name`,
  );
  const ticketCounters = await queryRows<{ day: string; last: string }>(
    db,
    sql`SELECT day::text, last::text FROM ticket_counters ORDER BY day`,
  );
  return {
    nets: await count('nets'),
    customers: await count('customers'),
    pocs: await count('pocs'),
    orgs: await count('orgs'),
    tickets: await count('tickets'),
    rejections: await count('rejections'),
    auditRows: await count('audit_log'),
    templateRows: await count('submission_templates'),
    notices: await count(`outbox WHERE kind = 'notification'`),
    customerSequence: seq,
    counters,
    ticketCounters,
  };
}

const STYLES = ['digest', 'per-template'] as const;
const CASES = BACKENDS.flatMap((backend) => STYLES.map((style) => [backend, style] as const));

describe.each(CASES)('dry runs (%s, %s replies)', (backend, style) => {
  let stack: Stack;
  let redis: Redis;
  let console: SignedInGet;
  beforeAll(async () => {
    stack = await startStack({
      backend,
      env: { REPLY_STYLE: style, DRY_RUN_ADDRESS: 'hostmaster-test@localhost' },
    });
    redis = new Redis(stack.redis.url);
    const staff = await createStaffUser(
      stack.database.db,
      'alice@registry.example',
      'correct horse battery',
      {
        oneTime: false,
      },
    );
    if (!staff.ok) throw new Error(staff.error.message);
    console = await signIn(
      `http://127.0.0.1:${stack.daemon.consolePort}`,
      'alice@registry.example',
      'correct horse battery',
    );
  });
  afterAll(async () => {
    redis?.disconnect();
    await stack?.close();
  });

  /** hostmasterd_templates_total, summed over its series: what the registry handled. */
  async function templatesCounted(): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${stack.daemon.consolePort}/metrics`)).text();
    return text
      .split('\n')
      .filter((line) => line.startsWith('hostmasterd_templates_total{'))
      .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
  }

  let n = 0;
  const templates = (third: number, customer = `Dry Customer ${third}`) => [
    simpleReassignment({
      range: `198.51.100.${64 + third * 8}/29`,
      name: `DEMO-DRY-${third}`,
      customer,
    }),
    fillForm('ARIN-POC-5.1', { '01': 'M', '02': 'DEMO1-ARIN', '13': `+1-555-01${40 + third}` }),
    // Refused by a registry rule: outside every net of ours.
    simpleReassignment({ range: '192.0.2.0/29', name: 'DEMO-OUTSIDE' }),
  ];
  async function send(options: {
    subject?: string;
    headers?: Readonly<Record<string, string>>;
    to?: readonly string[];
    third: number;
    customer?: string;
  }) {
    n++;
    const raw = mail({
      subject: options.subject ?? `SWIP ${DEMO_API_KEY}`,
      body: `Hello,\n\n${templates(options.third, options.customer).join('\n')}\nThanks\n`,
      messageId: `<dry${Date.now()}.${n}@demo-isp.example>`,
      ...(options.headers ? { headers: { ...options.headers } } : {}),
    });
    const id = await stack.send(raw, options.to ? { to: [...options.to] } : {});
    const replies = await repliesFor(stack.sink, id, style === 'digest' ? 1 : 3);
    return { id, replies };
  }

  function expectDryAnswer(replies: readonly Reply[]) {
    const blocks = replies.flatMap((r) => r.parsed.blocks);
    expect(blocks.map((b) => b.status)).toEqual(['APPROVED', 'APPROVED', 'REJECTED']);
    for (const reply of replies) {
      expect(reply.parsed.dryRun).toBe(true);
      expect(reply.parsed.headers?.dryRun).toBe(true);
      expect(reply.mail.rcptTo).toEqual(['noc@demo-isp.example']);
    }
    for (const block of blocks) {
      expect(block.ticket).toBeUndefined();
      expect(block.handles).toEqual([]);
      expect(block.notes.at(-1)).toMatch(/^dry run: a real run would (apply|refuse)/);
    }
    expect(blocks[2]!.errors[0]?.code).toBe('E_NOT_WITHIN_PARENT');
  }

  it.each([
    ['the Subject', { subject: `SWIP DRY-RUN ${DEMO_API_KEY}` }, 'the Subject says DRY-RUN'],
    ['the header', { headers: { 'X-Hostmaster-Dry-Run': 'yes' } }, 'X-Hostmaster-Dry-Run: yes'],
    [
      'the dry-run address',
      { to: ['hostmaster-test@localhost'] },
      'sent to the dry-run address hostmaster-test@localhost',
    ],
  ] as const)('asked by %s: the would-be statuses, and nothing changed anywhere', async (_, how, mark) => {
    const before = await footprint(stack.database.db);
    const rateKeys = (await redis.keys('*reply-rate*')).length;
    const counted = await templatesCounted();
    const { id, replies } = await send({ ...how, third: 1 });
    expectDryAnswer(replies);
    await settledFor(stack.sink, stack.database.db, id);
    expect(await footprint(stack.database.db)).toEqual(before);
    expect((await redis.keys('*reply-rate*')).length).toBe(rateKeys);
    expect(await templatesCounted()).toBe(counted);
    const [row] = await stack.database.db
      .select()
      .from(tables.submissions)
      .where(eq(tables.submissions.id, id));
    expect(row).toMatchObject({ state: 'done', dryRun: mark });
    // Kept, and shown to staff as what it was.
    const page = await console(`/submissions/${id}`);
    expect(page.status).toBe(200);
    expect(pageText(page.body).replace(/\s+/g, ' ')).toContain(
      `Dry runyes (${mark}): every rule was run and undone`,
    );
  });

  it('the same templates sent for real afterwards are applied, numbered as if no dry run happened', async () => {
    const before = await footprint(stack.database.db);
    const counted = await templatesCounted();
    const { id, replies } = await send({ third: 1 });
    const blocks = replies.flatMap((r) => r.parsed.blocks);
    expect(blocks.map((b) => b.status)).toEqual(['APPROVED', 'APPROVED', 'REJECTED']);
    expect(replies.every((r) => r.parsed.dryRun === undefined)).toBe(true);
    const after = await footprint(stack.database.db);
    expect(after.nets).toBe(before.nets + 1);
    expect(after.tickets).toBe(before.tickets + 3);
    expect(after.rejections).toBe(before.rejections + 1);
    // What the dry runs did not send, nor count: the POC's change notice, the templates.
    expect(after.notices).toBeGreaterThan(before.notices);
    expect(await templatesCounted()).toBe(counted + 3);
    // The first customer a dry run would have numbered is the one this real run got.
    const customer = blocks[0]!.handles.find((h) => h.startsWith('C'));
    const expected = Number(before.customerSequence!.last) + (before.customerSequence!.called ? 1 : 0);
    expect(customer).toBe(`C${String(expected).padStart(8, '0')}`);
    const [row] = await stack.database.db
      .select()
      .from(tables.submissions)
      .where(eq(tables.submissions.id, id));
    expect(row?.dryRun).toBeNull();
  });

  it('a dry run over what is now taken says what a real run would: the resend APPROVED, another customer E_OVERLAP', async () => {
    const before = await footprint(stack.database.db);
    const same = await send({ subject: `dry-run ${DEMO_API_KEY}`, third: 1 });
    expect(same.replies.flatMap((r) => r.parsed.blocks)[0]).toMatchObject({
      status: 'APPROVED',
      handles: [],
    });
    const other = await send({ subject: `dry-run ${DEMO_API_KEY}`, third: 1, customer: 'Someone Else Ltd' });
    expect(other.replies.flatMap((r) => r.parsed.blocks)[0]).toMatchObject({
      status: 'REJECTED',
      errors: [expect.objectContaining({ code: 'E_OVERLAP' })],
    });
    expect(await footprint(stack.database.db)).toEqual(before);
  });
});

describe.each(BACKENDS)('a dry run authorized by DKIM (%s)', (backend) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ backend, resolver: stubResolver({ dkimDomains: ['demo-isp.example'] }) });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('uses up its signature: the same signed mail without the dry-run mark is refused, never applied', async () => {
    const signedMail = await dkimSignMessage(
      mail({
        subject: 'SWIP',
        body: simpleReassignment({ range: '198.51.100.200/29', name: 'DEMO-DKIM-DRY' }),
        messageId: `<dkim-dry${Date.now()}@demo-isp.example>`,
      }),
      'demo-isp.example',
    );
    // The mark is put on top, outside the signature: whoever relays the mail can take it off.
    const dry = await stack.send(Buffer.concat([Buffer.from('X-Hostmaster-Dry-Run: yes\r\n'), signedMail]));
    const [answer] = await repliesFor(stack.sink, dry);
    expect(answer!.parsed.dryRun).toBe(true);
    expect(answer!.parsed.blocks[0]?.status).toBe('APPROVED');

    const replayed = await stack.send(signedMail);
    const [refusal] = await repliesFor(stack.sink, replayed);
    expect(refusal!.parsed.dryRun).toBeUndefined();
    expect(refusal!.parsed.refusal?.code).toBe('E_REPLAYED_SIGNATURE');
    const nets = await stack.database.db
      .select()
      .from(tables.nets)
      .where(eq(tables.nets.name, 'DEMO-DKIM-DRY'));
    expect(nets).toEqual([]);
  });
});
