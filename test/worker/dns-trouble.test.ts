/**
 * The sender's DKIM/SPF cannot be checked while DNS is failing. That is nobody's fault: the job
 * is retried; but on its last try the sender is answered (and told to use an API key), so a
 * long DNS outage never leaves a message unanswered.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.ts';
import { storeSubmission } from '../../src/ingress/index.ts';
import { loadReplyTexts, parseReply } from '../../src/replies/index.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { createWorkerContext, processSubmission } from '../../src/worker/index.ts';
import { failingResolver } from '../support/dkim.ts';
import { mail, type Stack, startStack } from '../support/stack.ts';

describe('a DNS outage during sender verification', () => {
  let stack: Stack;
  beforeAll(async () => {
    // The daemon's own worker never sees these submissions: they are stored, not queued.
    stack = await startStack({ backend: 'pglite' });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('retries while it can, then answers E_SENDER_NOT_VERIFIED on the last try', async () => {
    const ctx = createWorkerContext({
      config: stack.config,
      db: stack.database.db,
      logger: silentLogger(),
      texts: loadReplyTexts(),
      resolver: failingResolver(),
    });
    const stored = await storeSubmission(stack.database.db, {
      raw: Buffer.from(
        mail({
          body: 'Template: ARIN-POC-5.1\n01. Registration Action: R\n02. Existing POC Handle: DEMO1-ARIN\nEND OF TEMPLATE\n',
        }),
      ),
      envelope: { mailFrom: 'noc@demo-isp.example', rcptTo: ['hostmaster@localhost'] },
      via: 'smtp',
      remoteAddress: '127.0.0.1',
    });
    if (!stored.ok) throw new Error(stored.error.message);
    const id = stored.value.id;

    await expect(processSubmission(ctx, id)).rejects.toThrow(/sender verification could not finish/);
    const [still] = await stack.database.db
      .select()
      .from(tables.submissions)
      .where(eq(tables.submissions.id, id));
    expect(still?.state).not.toBe('done');

    await processSubmission(ctx, id, { lastAttempt: true });
    const [done] = await stack.database.db
      .select()
      .from(tables.submissions)
      .where(eq(tables.submissions.id, id));
    expect(done).toMatchObject({ state: 'done', refusalCode: 'E_SENDER_NOT_VERIFIED' });
    const [reply] = await stack.database.db
      .select()
      .from(tables.outbox)
      .where(eq(tables.outbox.submissionId, id));
    const parsed = await parseReply(reply!.raw);
    expect(parsed.ok && parsed.value.refusal?.code).toBe('E_SENDER_NOT_VERIFIED');
    expect(parsed.ok && parsed.value.refusal?.message).toMatch(/API key/);
  });
});
