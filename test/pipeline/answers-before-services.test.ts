/**
 * Which way a message without a template goes when two readings fit: a complaint that answers
 * our mail and starts with "Help!" is a complaint for staff, not a request for the guide (a bare
 * "help" answering our reply still gets the guide); and a dry run of an answer to our mail (a
 * question about a ticket, an answer to a POC validation mail) is told exactly that a dry run
 * handles no such mail, not that it holds no template.
 */

import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { runValidationRound } from '../../src/validation/index.ts';
import { dkimSignMessage, stubResolver } from '../support/dkim.ts';
import { mail, type Stack, startStack } from '../support/stack.ts';
import { replyTo, validationMails, waitForValidationMails } from '../validation/support.ts';
import { simpleReassignment } from './support/forms.ts';
import { rejectionsOf, replyFor } from './support/outcomes.ts';
import { submit } from './support/session.ts';

const DAY = 24 * 60 * 60 * 1000;

describe('a message without a template that answers our mail (postgres)', () => {
  let stack: Stack;
  let first: { id: string; messageId: string; ticket: string };

  beforeAll(async () => {
    stack = await startStack({
      backend: 'postgres',
      resolver: stubResolver({ dkimDomains: ['demo-isp.example'] }),
      env: { VALIDATION_MAILS_PER_HOUR: '3600000', VALIDATION_RUN_AT: 'off' },
    });
    const { id, reply } = await submit(stack, [
      simpleReassignment({ range: '198.51.100.96/29', name: 'PRECEDENCE-1' }),
    ]);
    expect(reply.parsed.status).toBe('APPROVED');
    first = { id, messageId: reply.parsed.headers!.messageId!, ticket: reply.parsed.blocks[0]!.ticket! };
  });
  afterAll(async () => {
    await stack?.close();
  });

  const answerToFirst = (subject: string, body: string, messageId: string) =>
    dkimSignMessage(
      mail({
        subject,
        messageId,
        headers: { 'In-Reply-To': first.messageId, References: first.messageId },
        body,
      }),
      'demo-isp.example',
    );

  it('"Help!" and a complaint, in reply to our reply, reaches staff and is acknowledged', async () => {
    const id = await stack.send(
      await answerToFirst(
        'Re: SWIP',
        'Help!\n\nI did NOT make this change to our net, who did this? Please undo it.\n',
        '<help-complaint@demo-isp.example>',
      ),
    );
    const ack = await replyFor(stack.sink, id);
    expect(ack.parsed.status).toBe('RECEIVED');
    expect(ack.parsed.tickets).toEqual([first.ticket]);
    const [row] = await rejectionsOf(stack.database.db, id);
    expect(row).toMatchObject({ reasonCode: 'E_ANSWER_TO_OUR_MAIL', state: 'open' });
    expect(row!.reason).toContain('I did NOT make this change');
  });

  it('"help" alone in reply to our reply still gets the guide', async () => {
    const id = await stack.send(await answerToFirst('Re: SWIP', 'help\n', '<help-alone@demo-isp.example>'));
    const guide = await replyFor(stack.sink, id);
    expect(guide.mail.raw).toMatch(/^X-Hostmaster-Status: HELP$/m);
    expect(await rejectionsOf(stack.database.db, id)).toEqual([]);
  });

  it('a dry run of a question about a ticket is told a dry run passes nothing to staff', async () => {
    const id = await stack.send(
      await answerToFirst(
        `DRY-RUN question about ticket ${first.ticket}`,
        'I did not make this change!\n',
        '<dry-question@demo-isp.example>',
      ),
    );
    const { parsed } = await replyFor(stack.sink, id);
    expect(parsed.dryRun).toBe(true);
    expect(parsed.refusal?.code).toBe('E_DRY_RUN_NOT_TEMPLATES');
    expect(parsed.refusal?.message).toContain('passes nothing to hostmaster staff');
    expect((await rejectionsOf(stack.database.db, id)).map((r) => r.reasonCode)).not.toContain(
      'E_ANSWER_TO_OUR_MAIL',
    );
  });

  it('a dry run of an answer to a POC validation mail is told a dry run validates nothing', async () => {
    const deps = {
      db: stack.database.db,
      config: stack.config,
      logger: silentLogger(),
      metrics: stack.daemon.metrics.worker,
    };
    const round = await runValidationRound(deps, new Date(Date.now() + 366 * DAY));
    await waitForValidationMails(stack.sink, round.mailed.length);
    const demo = (await validationMails(stack.sink)).find((m) => m.handle === 'DEMO1-ARIN')!;
    const raw = replyTo(demo, 'CORRECT', { quote: 'outlook' }).replace(
      /^Subject: (.*)$/m,
      'Subject: DRY-RUN $1',
    );
    const id = await stack.send(await dkimSignMessage(raw, 'demo-isp.example'));
    const { parsed } = await replyFor(stack.sink, id);
    expect(parsed.refusal?.code).toBe('E_DRY_RUN_NOT_TEMPLATES');
    expect(parsed.refusal?.message).toContain('answers a POC validation mail');
    const [poc] = await stack.database.db
      .select()
      .from(tables.pocs)
      .where(eq(tables.pocs.handle, 'DEMO1-ARIN'));
    expect(poc?.validationState).toBe('pending');
  });
});
