/**
 * A dry run never validates or flags a POC: a reply to a validation mail saying CORRECT, or a
 * delivery report for it, marked as a dry run, leaves the POC as it was and writes no audit row
 * (it goes the dry run's way: a message without a template, answered with Dry-run: yes).
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.ts';
import { silentLogger } from '../../src/shared/index.ts';
import { runValidationRound } from '../../src/validation/index.ts';
import { type Stack, startStack } from '../support/stack.ts';
import { deliveryReport, replyTo, validationMails, waitForValidationMails } from './support.ts';

const DAY = 86_400_000;

describe('a dry run answering a validation mail (pglite)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      backend: 'pglite',
      env: { VALIDATION_MAILS_PER_HOUR: '3600000', VALIDATION_RUN_AT: 'off' },
    });
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  it('validates nothing, flags nothing and audits nothing', async () => {
    const deps = {
      db: stack.database.db,
      config: stack.config,
      logger: silentLogger(),
      metrics: stack.daemon.metrics.worker,
    };
    await runValidationRound(deps, new Date(Date.now() + 366 * DAY));
    await waitForValidationMails(stack.sink, 2);
    const mails = await validationMails(stack.sink);
    const demo = mails.find((m) => m.handle === 'DEMO1-ARIN')!;
    const other = mails.find((m) => m.handle === 'OTHER1-ARIN')!;
    const poc = async (handle: string) =>
      (await stack.database.db.select().from(tables.pocs).where(eq(tables.pocs.handle, handle)))[0]!;
    const [demoBefore, otherBefore] = [await poc('DEMO1-ARIN'), await poc('OTHER1-ARIN')];

    const answer = replyTo(demo, 'CORRECT', { headers: { 'X-Hostmaster-Dry-Run': 'yes' } }).replace(
      /^Subject: .*$/m,
      'Subject: DRY-RUN Re: validation',
    );
    const answered = await stack.send(answer);
    await stack.processed(answered, 60_000);
    const bounce = deliveryReport(other, other.mail.rcptTo[0]!).replace(
      /^Subject: .*$/m,
      'Subject: DRY-RUN Undelivered',
    );
    const bounced = await stack.send(bounce);
    await stack.processed(bounced, 60_000);

    const [demoAfter, otherAfter] = [await poc('DEMO1-ARIN'), await poc('OTHER1-ARIN')];
    expect([demoAfter.validationState, demoAfter.validatedAt]).toEqual([
      demoBefore.validationState,
      demoBefore.validatedAt,
    ]);
    expect([otherAfter.validationState, otherAfter.invalidEmails]).toEqual([
      otherBefore.validationState,
      otherBefore.invalidEmails,
    ]);
    for (const id of [answered, bounced]) {
      const audit = await stack.database.db
        .select()
        .from(tables.auditLog)
        .where(eq(tables.auditLog.submissionId, id));
      expect(audit).toEqual([]);
      const [submission] = await stack.database.db
        .select()
        .from(tables.submissions)
        .where(eq(tables.submissions.id, id));
      expect(submission?.dryRun).not.toBeNull();
    }
  });
});
