/**
 * Answers to the validation mail as people's mail servers deliver them, over SMTP, the answer to
 * each read back as a billing system would (parseValidationAnswer): the reviewer's CORRECT above a
 * corporate disclaimer (no "-- " before it, after a closing, under Outlook's rule) and "Yes, this is
 * still correct. Nothing has changed." validate (they were refused E_VALIDATION_UNCLEAR); an answer
 * that says CORRECT and asks for a change in the same breath is still left to staff.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { runValidationRound } from '../../src/validation/index.ts';
import { type Stack, startStack } from '../support/stack.ts';
import { replyTo, validationAnswerFor, waitForValidationMails } from './support.ts';

const DAY = 24 * 60 * 60 * 1000;

/** The reviewer's answers (findings 7), each above the quoted mail as the POC's mail program put it. */
const VALIDATES: Readonly<Record<string, string>> = {
  'nothing has changed': 'Yes, this is still correct. Nothing has changed.',
  'a disclaimer': [
    'CORRECT',
    '',
    'John Smith',
    'Demo ISP NOC',
    '',
    'This e-mail and any attachments are confidential. If you are not the intended recipient, please notify the sender and do not copy or forward it.',
  ].join('\n'),
  'a disclaimer after a closing': [
    'CORRECT',
    '',
    'Regards,',
    'Ann',
    '',
    'CONFIDENTIALITY NOTICE: This message is intended only for the addressee. If you are not the intended recipient, you must not use, copy or disclose it.',
  ].join('\n'),
  "a disclaimer under Outlook's rule": [
    'CORRECT',
    '',
    '________________________________',
    'This email is confidential. If you are not the intended recipient please delete it.',
  ].join('\n'),
};

const LEFT_TO_STAFF: Readonly<Record<string, string>> = {
  'CORRECT except': 'CORRECT except the phone number, which is now +1-703-555-0199',
  'CORRECT and a change': 'CORRECT\n\nbut our street address changed last month.\n\nRegards,\nAnn',
};

describe('answers to the validation mail with a footer (PostgreSQL)', () => {
  let stack: Stack;
  const cases = [...Object.entries(VALIDATES), ...Object.entries(LEFT_TO_STAFF)];
  const handle = (i: number) => `ANS${i}-ARIN`;

  beforeAll(async () => {
    stack = await startStack({
      backend: 'postgres',
      env: { VALIDATION_MAILS_PER_HOUR: '3600000', VALIDATION_RUN_AT: 'off' },
    });
    await stack.database.db.insert(tables.pocs).values(
      cases.map((_, i) => ({
        handle: handle(i),
        kind: 'role' as const,
        lastName: `Answering NOC ${i}`,
        emails: [`answer-${i}@demo-isp.example`],
      })),
    );
    const round = await runValidationRound(
      {
        db: stack.database.db,
        config: stack.config,
        logger: silentLogger(),
        metrics: stack.daemon.metrics.worker,
      },
      new Date(Date.now() + 366 * DAY),
    );
    await waitForValidationMails(stack.sink, round.mailed.length);
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  it('validates the answers that say CORRECT above a footer, and leaves the ones asking for a change to staff', async () => {
    const mails = await waitForValidationMails(stack.sink, cases.length);
    const sent = await Promise.all(
      cases.map(async ([, words], i) =>
        stack.send(replyTo(mails.find((m) => m.handle === handle(i))!, words)),
      ),
    );
    const answers = await Promise.all(sent.map((id) => validationAnswerFor(stack.sink, id)));
    const outcome = (i: number) => answers[i]!.answer.refused?.code ?? answers[i]!.answer.status;
    expect(Object.fromEntries(cases.map(([name], i) => [name, outcome(i)]))).toEqual({
      ...Object.fromEntries(Object.keys(VALIDATES).map((name) => [name, 'VALIDATED'])),
      ...Object.fromEntries(Object.keys(LEFT_TO_STAFF).map((name) => [name, 'E_VALIDATION_UNCLEAR'])),
    });
    for (const [i, [name]] of cases.entries()) {
      const [row] = await stack.database.db
        .select()
        .from(tables.pocs)
        .where(eq(tables.pocs.handle, handle(i)));
      expect([name, row?.validationState]).toEqual([name, name in VALIDATES ? 'valid' : 'pending']);
    }
  }, 120_000);
});
