/**
 * A change notice to several addresses through the whole daemon, its relay answering each
 * recipient on its own: a POC template M over SMTP moves a POC to a new address, and its notice
 * goes to the old address and the new one. A relay that defers one of them (4xx) and takes the
 * other: each gets one copy, the deferred one after the retry, and the row ends `sent`. A relay
 * that refuses one for good (550): the other gets it, the row records who failed and why, and
 * staff read that on the submission page; a recipient still waiting is shown with the relay's
 * last answer for it, whole, as the row stores it.
 */
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaffUser } from '../../src/console/index.ts';
import { tables } from '../../src/db/index.ts';
import { pageText, type SignedInGet, signIn } from '../console/support/sign-in.ts';
import { BACKENDS } from '../support/databases.ts';
import { type Stack, startStack } from '../support/stack.ts';
import { fillForm, newRolePoc } from './support/forms.ts';
import { noticesFor, quietFor } from './support/outcomes.ts';
import { submit } from './support/session.ts';

const STAFF = { email: 'alice@registry.example', password: 'correct horse battery' };

describe.each(BACKENDS)(
  'a notice to several addresses, one of them deferred or refused by the relay (%s)',
  (backend) => {
    let stack: Stack;
    let get: SignedInGet;
    /** The relay's next answers to RCPT TO, per address (taken in turn; none left: accepted). */
    const answers = new Map<string, { code: number; message: string }[]>();

    beforeAll(async () => {
      stack = await startStack({
        backend,
        sink: { recipient: (address) => answers.get(address)?.shift() },
        outboxBackoff: { baseMs: 500, maxMs: 500 },
      });
      const staff = await createStaffUser(stack.database.db, STAFF.email, STAFF.password, { oneTime: false });
      if (!staff.ok) throw new Error(staff.error.message);
      get = await signIn(`http://127.0.0.1:${stack.daemon.consolePort}`, STAFF.email, STAFF.password);
    }, 120_000);
    afterAll(async () => {
      await stack?.close();
    });

    /**
     * A POC at `old`, then moved to `fresh` (its notice goes to both), the relay answering `old`
     * so for the move's notice: the move's submission id.
     */
    async function movePoc(
      name: string,
      old: string,
      fresh: string,
      relayAnswers: { code: number; message: string }[],
    ): Promise<string> {
      const created = await submit(stack, [newRolePoc(name, old)]);
      const handle = created.reply.parsed.blocks[0]!.handles[0]!;
      await quietFor(stack.sink, created.id);
      answers.set(old, relayAnswers);
      const moved = await submit(stack, [fillForm('ARIN-POC-5.1', { '01': 'M', '02': handle, '15': fresh })]);
      expect(moved.reply.parsed.status).toBe('APPROVED');
      return moved.id;
    }

    async function noticeRow(submissionId: string) {
      const [row] = await stack.database.db
        .select()
        .from(tables.outbox)
        .where(and(eq(tables.outbox.submissionId, submissionId), eq(tables.outbox.kind, 'notification')));
      return row;
    }

    it('the deferred address gets its one copy after the retry, the other its one copy at once', async () => {
      const id = await movePoc('Busy NOC', 'old1@contact.example', 'new1@contact.example', [
        { code: 451, message: '4.2.1 mailbox busy, try later' },
      ]);
      const notices = await noticesFor(stack.sink, id, 2);
      expect(notices.map((n) => n.to)).toEqual([['new1@contact.example'], ['old1@contact.example']]);
      expect(notices[1]!.messageId).toBe(notices[0]!.messageId);
      await quietFor(stack.sink, id);
      expect(await noticeRow(id)).toMatchObject({ state: 'sent', attempts: 2, lastError: null });
    });

    it('a refused address is recorded failed with the relay answer, the other gets it, and staff see who and why', async () => {
      const id = await movePoc('Gone NOC', 'gone2@contact.example', 'new2@contact.example', [
        { code: 550, message: '5.1.1 no such mailbox' },
      ]);
      const [notice] = await noticesFor(stack.sink, id, 1);
      expect(notice!.to).toEqual(['new2@contact.example']);
      await quietFor(stack.sink, id);
      const row = await noticeRow(id);
      expect(row).toMatchObject({ state: 'failed', attempts: 1 });
      expect(row?.recipientOutcomes['gone2@contact.example']).toMatchObject({
        state: 'failed',
        reply: '550 5.1.1 no such mailbox',
      });

      const page = await get(`/submissions/${id}`);
      expect(page.status).toBe(200);
      const text = pageText(page.body).replace(/\s+/g, ' ');
      expect(text).toContain('failed gone2@contact.example: 550 5.1.1 no such mailbox');
      expect(text).toContain('sent new2@contact.example');
    });

    it('a waiting address shows the relay answer as the relay gave it, "; " and all, escaped', async () => {
      // The console once read a waiting recipient's answer back out of the row's last error,
      // cut at "; ": this answer came out as "451 4.7.1 <busy3@contact.example>: greylisted".
      const answer = `4.7.1 <busy3@contact.example>: greylisted; retry in 5 minutes; see <https://relay.example/why?a=1&b=2> ${'and so on '.repeat(30)}end`;
      const id = await movePoc(
        'Slow NOC',
        'busy3@contact.example',
        'new3@contact.example',
        Array.from({ length: 50 }, () => ({ code: 451, message: answer })),
      );
      const deadline = Date.now() + 60_000;
      let row = await noticeRow(id);
      while (!row?.waitingAnswers['busy3@contact.example'] && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        row = await noticeRow(id);
      }
      expect(row?.waitingAnswers['busy3@contact.example']?.reply).toBe(`451 ${answer}`);
      const page = await get(`/submissions/${id}`);
      expect(page.status).toBe(200);
      // Still pending after the page was read: it was waiting while it was read (after ten
      // attempts it is failed, with the same answer, kept as its outcome).
      const state = (await noticeRow(id))?.state === 'pending' ? 'waiting' : 'failed';
      const text = pageText(page.body).replace(/\s+/g, ' ');
      expect(text).toContain(`${state} busy3@contact.example: 451 ${answer.replace(/\s+/g, ' ')}`);
      expect(page.body).toContain('see &lt;https://relay.example/why?a=1&amp;b=2&gt;');
      // The relay takes it now: the row ends before the next test (sent, or failed after ten attempts).
      answers.set('busy3@contact.example', []);
      while ((await noticeRow(id))?.state === 'pending' && Date.now() < deadline + 60_000)
        await new Promise((resolve) => setTimeout(resolve, 100));
    });
  },
);
