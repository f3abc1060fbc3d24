/**
 * A reply the relay refused for good is work for staff: through the whole daemon, a customer's
 * Reassign-Simple is approved and its reply goes to its Reply-To, which the relay (an SMTP sink on
 * loopback) refuses with 550. The queue page counts it and leads to the undelivered-mail page;
 * the submission page shows the failure and a "send again" form (CSRF token, note for the audit
 * log). Once the relay takes the address, the retry delivers the reply once, the row is `sent`,
 * and the audit row names staff; a second retry of a sent row does nothing.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaffUser } from '../../src/console/index.ts';
import { tables } from '../../src/db/index.ts';
import { DEMO_API_KEY } from '../../src/registry/index.ts';
import { simpleReassignment } from '../pipeline/support/forms.ts';
import { parseReply } from '../support/reply-reader.ts';
import { mail, type Stack, startStack } from '../support/stack.ts';
import { ConsoleClient } from './support/http-client.ts';
import { pageText } from './support/sign-in.ts';

const STAFF = { email: 'alice@registry.example', password: 'correct horse battery' };
const GONE = 'gone@demo-isp.example';

describe('a reply the relay refused for good, sent again by staff', () => {
  let stack: Stack;
  let client: ConsoleClient;
  let refuseGone = true;

  beforeAll(async () => {
    stack = await startStack({
      backend: 'postgres',
      sink: {
        recipient: (address) =>
          refuseGone && address === GONE ? { code: 550, message: '5.1.1 no such user' } : undefined,
      },
    });
    const staff = await createStaffUser(stack.database.db, STAFF.email, STAFF.password, { oneTime: false });
    if (!staff.ok) throw new Error(staff.error.message);
    client = new ConsoleClient(`http://127.0.0.1:${stack.daemon.consolePort}`);
    expect((await client.signIn(STAFF.email, STAFF.password)).status).toBe(303);
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  async function outboxRow(submissionId: string) {
    const [row] = await stack.database.db
      .select()
      .from(tables.outbox)
      .where(eq(tables.outbox.submissionId, submissionId));
    return row;
  }

  async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
    for (let i = 0; i < 600; i++) {
      const value = await probe();
      if (value !== undefined) return value;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`${what} did not happen within 60 s`);
  }

  it('is shown as failed with a retry, and the retry delivers it once', async () => {
    const id = await stack.send(
      mail({
        subject: `SWIP ${DEMO_API_KEY}`,
        headers: { 'Reply-To': GONE },
        body: `${simpleReassignment({ range: '198.51.100.160/28', name: 'GONE-CUST' })}\n`,
      }),
    );
    await stack.processed(id);
    const failed = await until('the reply failing', async () => {
      const row = await outboxRow(id);
      return row?.state === 'failed' ? row : undefined;
    });
    expect(failed.recipients).toEqual([GONE]);
    expect(failed.lastError).toContain('550 5.1.1 no such user');
    expect(stack.sink.accepted).toHaveLength(0);

    // Findable: the queue counts it and leads to the list, which links the submission.
    const queue = pageText((await client.get('/rejections')).body).replace(/\s+/g, ' ');
    expect(queue).toContain('1 mail could not be delivered');
    const list = await client.get('/undelivered');
    expect(list.body).toContain(`href="/submissions/${id}#outbox-${failed.id}"`);
    expect(pageText(list.body)).toContain(GONE);

    const page = await client.get(`/submissions/${id}`);
    const text = pageText(page.body).replace(/\s+/g, ' ');
    expect(text).toContain(`${GONE}: 550 5.1.1 no such user`);
    expect(page.body).toContain(`action="/outbox/${failed.id}/retry"`);
    expect(text).toContain(`Send again to ${GONE}`);

    // No token, no retry; no note, no retry.
    const forged = await client.request('POST', `/outbox/${failed.id}/retry`, { form: { note: 'x' } });
    expect(forged.status).toBe(403);
    const noNote = await client.post(`/outbox/${failed.id}/retry`, { note: ' ' });
    expect(noNote.status).toBe(303);
    expect((await outboxRow(id))?.state).toBe('failed');

    refuseGone = false;
    await client.get(`/submissions/${id}`);
    const retried = await client.post(`/outbox/${failed.id}/retry`, {
      note: 'the customer created the mailbox',
    });
    expect(retried.status).toBe(303);
    expect(retried.headers.get('location')).toBe(`/submissions/${id}#outbox-${failed.id}`);
    const banner = pageText((await client.get(retried.headers.get('location')!)).body);
    expect(banner).toContain(`is queued to be sent again to ${GONE}`);

    await stack.sink.waitFor(1, 60_000);
    const sent = await until('the row marked sent', async () => {
      const row = await outboxRow(id);
      return row?.state === 'sent' ? row : undefined;
    });
    expect(sent.messageId).toBe(failed.messageId);
    expect(stack.sink.accepted).toHaveLength(1);
    expect(stack.sink.accepted[0]!.rcptTo).toEqual([GONE]);
    const reply = await parseReply(stack.sink.accepted[0]!.raw);
    if (!reply.ok) throw new Error('the reply does not parse');
    expect(reply.value.status).toBe('APPROVED');
    expect(reply.value.submissionId).toBe(id);

    const audit = await stack.database.db
      .select()
      .from(tables.auditLog)
      .where(eq(tables.auditLog.action, 'console.retry-mail'));
    expect(audit).toEqual([
      expect.objectContaining({
        actor: `staff:${STAFF.email}`,
        objectType: 'outbox',
        objectHandle: failed.messageId,
        submissionId: id,
        note: 'the customer created the mailbox',
        after: { state: 'pending', recipients: [GONE] },
      }),
    ]);

    // A sent row is not sent again: the page offers no retry, and a stale form does nothing.
    const again = await client.post(`/outbox/${failed.id}/retry`, { note: 'twice' });
    expect(pageText((await client.get(again.headers.get('location')!)).body)).toContain(
      'is sent, not failed',
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(stack.sink.accepted).toHaveLength(1);
    expect((await client.get(`/submissions/${id}`)).body).not.toContain(
      `action="/outbox/${failed.id}/retry"`,
    );
    expect(pageText((await client.get('/rejections')).body)).not.toContain('could not be delivered');
  });
});
