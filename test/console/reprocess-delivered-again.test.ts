/**
 * A copy of a message refused as unverified (its client was not in the sender's SPF), then the
 * sender's own delivery of the same message, applied and answered. Staff, asked by the customer
 * (who has since put its other server in its SPF), reprocess the refused copy: run again once it
 * passes, the request would be applied a second time (a second POC, a second answer). Staff are
 * told why not instead, with its code and the submission that was applied, and nothing is
 * applied or mailed. (The worker keeps DNS answers five minutes, so within this test the copy
 * would still fail SPF: what is shown here is that the reprocess does not run at all.) Mail in
 * over SMTP from two loopback addresses, staff in the console over HTTP (session, CSRF token).
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaffUser, signedStaffJob } from '../../src/console/index.ts';
import { tables } from '../../src/db/index.ts';
import { jobIdFor, type UnsignedStaffJob } from '../../src/queue/index.ts';
import { loadReplyTexts } from '../../src/replies/index.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { createWorkerContext, runStaffJob } from '../../src/worker/index.ts';
import { sendOverSmtp, submissionIdOf } from '../ingress/helpers.ts';
import { newRolePoc } from '../pipeline/support/forms.ts';
import { caughtFor, quietFor, rejectionsOf, replyFor, settledFor } from '../pipeline/support/outcomes.ts';
import { stubResolver } from '../support/dkim.ts';
import { mail, type Stack, startStack } from '../support/stack.ts';
import { ConsoleClient } from './support/http-client.ts';
import { pageText } from './support/sign-in.ts';

const STAFF = 'alice@registry.example';
const PASSWORD = 'a long staff passphrase';
/** The demo ISP's own server; 127.0.0.2 is its other one, missing from its SPF at first. */
const OWN_SERVER = '127.0.0.1';
const OTHER_SERVER = '127.0.0.2';

describe('reprocessing a copy refused unverified after another delivery of it was applied', () => {
  let stack: Stack;
  let client: ConsoleClient;

  beforeAll(async () => {
    const resolver = stubResolver({ spf: { 'demo-isp.example': `v=spf1 ip4:${OWN_SERVER} -all` } });
    stack = await startStack({ backend: 'postgres', resolver });
    const staff = await createStaffUser(stack.database.db, STAFF, PASSWORD, { oneTime: false });
    if (!staff.ok) throw new Error(staff.error.message);
    client = new ConsoleClient(`http://127.0.0.1:${stack.daemon.consolePort}`);
    expect((await client.signIn(STAFF, PASSWORD)).status).toBe(303);
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  const deliver = async (raw: string, localAddress: string) =>
    submissionIdOf(
      await sendOverSmtp(
        stack.daemon.smtpPort!,
        raw,
        { from: 'noc@demo-isp.example', to: ['hostmaster@localhost'] },
        localAddress,
      ),
    );

  const pocsNamed = async (name: string) =>
    (
      await stack.database.db
        .select({ handle: tables.pocs.handle })
        .from(tables.pocs)
        .where(eq(tables.pocs.lastName, name))
    ).length;

  it('is refused with E_DELIVERED_AGAIN naming the delivery that was applied; nothing applied or mailed twice', async () => {
    const raw = mail({
      subject: 'POC',
      body: newRolePoc('Twice Delivered NOC', 'twice@demo-isp.example'),
      messageId: `<twice-${Date.now()}@demo-isp.example>`,
    });
    const copy = await deliver(raw, OTHER_SERVER);
    await stack.processed(copy);
    const [refusal] = await rejectionsOf(stack.database.db, copy);
    expect(refusal).toMatchObject({
      reasonCode: 'E_SENDER_NOT_VERIFIED',
      state: 'open',
      templateIndex: null,
    });

    const own = await deliver(raw, OWN_SERVER);
    expect(own).not.toBe(copy);
    expect((await replyFor(stack.sink, own)).parsed.blocks[0]?.status).toBe('APPROVED');
    await settledFor(stack.sink, stack.database.db, own);
    expect(await pocsNamed('Twice Delivered NOC')).toBe(1);

    // Staff open the copy's page (the rejection and its Reprocess button) and reprocess it.
    expect(pageText((await client.get(`/submissions/${copy}`)).body)).toContain('E_SENDER_NOT_VERIFIED');
    const posted = await client.post(`/rejections/${refusal!.id}/reprocess`, {
      note: 'the customer added its second server to its SPF record',
      message: '',
    });
    expect(posted.status).toBe(303);
    const page = pageText((await client.get(`/submissions/${copy}`)).body);
    expect(page).toContain(
      `The worker could not reprocess: E_DELIVERED_AGAIN: this message was delivered again as submission ${own}, which was processed`,
    );
    expect(page).toContain('The rejection is open again.');

    await quietFor(stack.sink, copy);
    expect(caughtFor(stack.sink, copy).replies).toBe(0);
    expect(caughtFor(stack.sink, own).replies).toBe(1);
    expect(await pocsNamed('Twice Delivered NOC')).toBe(1);
    const [after] = await rejectionsOf(stack.database.db, copy);
    expect(after).toMatchObject({ reasonCode: 'E_SENDER_NOT_VERIFIED', state: 'open' });
  });

  it('run by a worker started after the SPF was fixed, where the copy would pass: refused all the same, nothing applied or queued', async () => {
    const raw = mail({
      subject: 'POC',
      body: newRolePoc('Fixed Later NOC', 'fixed-later@demo-isp.example'),
      messageId: `<fixed-later-${Date.now()}@demo-isp.example>`,
    });
    const copy = await deliver(raw, OTHER_SERVER);
    await stack.processed(copy);
    const own = await deliver(raw, OWN_SERVER);
    expect((await replyFor(stack.sink, own)).parsed.blocks[0]?.status).toBe('APPROVED');
    await settledFor(stack.sink, stack.database.db, own);
    const outboxRows = async () =>
      (await stack.database.db.select({ id: tables.outbox.id }).from(tables.outbox)).length;
    const queued = await outboxRows();

    // A worker whose DNS has the fixed record (not the running worker's kept answers).
    const worker = createWorkerContext({
      config: stack.config,
      db: stack.database.db,
      logger: silentLogger(),
      texts: loadReplyTexts(),
      resolver: stubResolver({
        spf: { 'demo-isp.example': `v=spf1 ip4:${OWN_SERVER} ip4:${OTHER_SERVER} -all` },
      }),
    });
    const job: UnsignedStaffJob = {
      kind: 'reprocess',
      submissionId: copy,
      templateIndexes: [],
      staff: STAFF,
      note: 'the customer added its second server to its SPF record',
    };
    const jobId = jobIdFor(job, 'fixed-spf');
    await expect(
      runStaffJob(worker, await signedStaffJob(stack.database.db, job, jobId), jobId),
    ).rejects.toThrow(`E_DELIVERED_AGAIN: this message was delivered again as submission ${own}`);
    expect(await pocsNamed('Fixed Later NOC')).toBe(1);
    expect(await outboxRows()).toBe(queued);
    const [row] = await stack.database.db
      .select({ refusalCode: tables.submissions.refusalCode })
      .from(tables.submissions)
      .where(eq(tables.submissions.id, copy));
    expect(row!.refusalCode).toBe('E_SENDER_NOT_VERIFIED');
  });
});
