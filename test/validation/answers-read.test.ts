/**
 * How an answer to a validation mail is read, over SMTP, as the POC writes it: only a bare
 * confirmation validates. A question ("Correct?"), a change in any wording ("the phone is now
 * ..."), a complaint ("Who are you?"), "unsubscribe", a record line: each is told it was not
 * validated and lands where staff decide (the triage tab, "Needs a decision"), and the POC stays
 * pending. Then the same POC's plain CORRECT validates it.
 */
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listRejections } from '../../src/console/rejection-queue.ts';
import { tables } from '../../src/db/index.ts';
import { DEMO_API_KEY } from '../../src/registry/index.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { runValidationRound } from '../../src/validation/index.ts';
import { personPoc } from '../pipeline/support/forms.ts';
import { replyFor } from '../pipeline/support/outcomes.ts';
import { mail, type Stack, startStack } from '../support/stack.ts';
import { replyTo, validationAnswerFor, validationMails, waitForValidationMails } from './support.ts';

const DAY = 24 * 60 * 60 * 1000;

/** What testers wrote (trust25 F1, faults25 F5, staff25 F13) and variants of the same class. */
const NOT_A_PLAIN_YES: readonly string[] = [
  'Correct?',
  'Correct? Who are you and why do you have our data?',
  'CORRECT\n\nOur phone number is now +1 555 0111, the old one is disconnected.',
  'CORRECT\nWho are you? I never registered anything with you.',
  'ok\nthe phone is 555-0111 now',
  'All correct bar the zip code',
  'yes it is correct save for the zip',
  'CORRECT\nThis person is deceased.',
  'CORRECT\nUnsubscribe',
  'CORRECT\nPhone: +1-555-0111',
  'I left Demo ISP, I am not the right contact for this anymore. Please remove me and write to jane@demo-isp.example instead.',
];

describe('reading an answer to a validation mail', () => {
  let stack: Stack;
  const asOf = new Date(Date.now() + 366 * DAY);

  beforeAll(async () => {
    stack = await startStack({
      backend: 'pglite',
      env: {
        VALIDATION_MAILS_PER_HOUR: '3600000',
        VALIDATION_RUN_AT: 'off',
        REPLY_LIMIT_PER_RECIPIENT_PER_HOUR: '1000',
      },
    });
    // More POCs of Demo ISP's people, so one answer can name several.
    await stack.database.db.insert(tables.pocs).values(
      ['A', 'B', 'C', 'D'].map((x) => ({
        handle: `VALX${x}1-ARIN`,
        kind: 'role' as const,
        lastName: `Val ${x}`,
        emails: [`val-${x.toLowerCase()}@demo-isp.example`],
      })),
    );
    await runValidationRound(
      {
        db: stack.database.db,
        config: stack.config,
        logger: silentLogger(),
        metrics: stack.daemon.metrics.worker,
      },
      asOf,
    );
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  it('anything beyond a plain confirmation is not validated: the POC is told so and staff decide it', async () => {
    const mails = await waitForValidationMails(stack.sink, 6);
    const demo = mails.find((m) => m.handle === 'DEMO1-ARIN')!;
    for (const words of NOT_A_PLAIN_YES) {
      const id = await stack.send(replyTo(demo, words));
      const { mail, answer } = await validationAnswerFor(stack.sink, id);
      expect(answer, words).toMatchObject({ status: 'REJECTED', refused: { code: 'E_VALIDATION_UNCLEAR' } });
      expect(answer.refused?.message).toContain('hostmaster staff will read it');
      expect(mail.rcptTo).toEqual(['noc@demo-isp.example']);
      // Where staff decide: the triage tab holds it.
      const triage = await listRejections(stack.database.db, { state: 'open', view: 'triage', search: id });
      expect(
        triage.rows.map((r) => r.reasonCode),
        words,
      ).toEqual(['E_VALIDATION_UNCLEAR']);
    }
    const [poc] = await stack.database.db
      .select()
      .from(tables.pocs)
      .where(eq(tables.pocs.handle, 'DEMO1-ARIN'));
    expect(poc?.validationState).toBe('pending');

    const plain = await stack.send(replyTo(demo, 'Hi,\n\nCORRECT\n\nThanks,\nAnn'));
    const { answer } = await validationAnswerFor(stack.sink, plain);
    expect(answer).toMatchObject({ status: 'VALIDATED', handle: 'DEMO1-ARIN' });

    // Its token spent, an answer with words still goes to staff, not away under E_VALIDATION_USED.
    const late = await stack.send(
      replyTo(demo, 'CORRECT\nBut I am leaving next week, write to jane@demo-isp.example'),
    );
    const after = await validationAnswerFor(stack.sink, late);
    expect(after.answer).toMatchObject({ status: 'REJECTED', refused: { code: 'E_VALIDATION_UNCLEAR' } });
    const rows = await stack.database.db
      .select({ code: tables.rejections.reasonCode })
      .from(tables.rejections)
      .where(and(eq(tables.rejections.submissionId, late), eq(tables.rejections.state, 'open')));
    expect(rows.map((r) => r.code)).toEqual(['E_VALIDATION_UNCLEAR']);
  }, 300_000);

  const stateOf = async (handle: string) =>
    (await stack.database.db.select().from(tables.pocs).where(eq(tables.pocs.handle, handle)))[0]
      ?.validationState;

  it('one answer naming two POCs by their tokens validates both and says so for each', async () => {
    const mails = await validationMails(stack.sink);
    const a = mails.find((m) => m.handle === 'VALXA1-ARIN')!;
    const b = mails.find((m) => m.handle === 'VALXB1-ARIN')!;
    const id = await stack.send(
      replyTo(a, `CORRECT\n\nValidation-Token: ${a.token}\nValidation-Token: ${b.token}`, { quote: false }),
    );
    const { mail: caught, answer } = await validationAnswerFor(stack.sink, id);
    expect(answer).toMatchObject({ status: 'VALIDATED', handle: 'VALXA1-ARIN' });
    expect(caught.raw).toContain('Also in this answer: POC VALXB1-ARIN');
    expect(await stateOf('VALXA1-ARIN')).toBe('valid');
    expect(await stateOf('VALXB1-ARIN')).toBe('valid');
  }, 120_000);

  it('CORRECT beside a template: the template is processed and the reply says the answer was not read', async () => {
    const c = (await validationMails(stack.sink)).find((m) => m.handle === 'VALXC1-ARIN')!;
    const raw = mail({
      subject: `Re: annual validation ${DEMO_API_KEY}`,
      body: `CORRECT\n\nAlso please register this:\n\n${personPoc('Readbeside', 'Rita', 'rita@demo-isp.example')}\nValidation-Token: ${c.token}\n`,
      headers: { 'In-Reply-To': c.messageId },
    });
    const id = await stack.send(raw);
    const reply = await replyFor(stack.sink, id);
    expect(reply.parsed.blocks[0]).toMatchObject({ status: 'APPROVED' });
    const note = reply.parsed.notApplied?.find((p) => p.code === 'E_VALIDATION_NOT_READ');
    expect(note?.message).toContain('for POC VALXC1-ARIN');
    expect(await stateOf('VALXC1-ARIN')).toBe('pending');
  }, 120_000);

  it("a stranger naming the validation mail only by its Message-ID validates nothing; the POC's own address does", async () => {
    const d = (await validationMails(stack.sink)).find((m) => m.handle === 'VALXD1-ARIN')!;
    const stranger = await stack.send(
      replyTo(d, 'CORRECT', { from: 'someone@elsewhere.example', quote: false }),
    );
    await expect
      .poll(
        async () => {
          const [row] = await stack.database.db
            .select({ code: tables.rejections.reasonCode })
            .from(tables.rejections)
            .where(eq(tables.rejections.submissionId, stranger));
          return row?.code;
        },
        { timeout: 60_000 },
      )
      .toBe('E_VALIDATION_TOKEN_NEEDED');
    expect(await stateOf('VALXD1-ARIN')).toBe('pending');
    const own = await stack.send(replyTo(d, 'CORRECT', { quote: false }));
    const { answer } = await validationAnswerFor(stack.sink, own);
    expect(answer).toMatchObject({ status: 'VALIDATED', handle: 'VALXD1-ARIN' });
  }, 120_000);
});
