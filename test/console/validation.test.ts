/**
 * POC validation in the staff console, over HTTP against the whole daemon: the lists of POCs
 * due, pending and invalid with their counts, each POC's state and history on the look-up page,
 * and "mark validated" (CSRF-protected, a note required, audited as the staff member's).
 */
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.ts';
import { silentLogger } from '../../src/shared/index.ts';
import { runValidationRound } from '../../src/validation/index.ts';
import {
  type ConsoleStack,
  STAFF_EMAIL,
  STAFF_PASSWORD,
  startConsoleStack,
} from './support/console-stack.ts';
import { ConsoleClient } from './support/http-client.ts';

const DAY = 24 * 60 * 60 * 1000;

function counts(html: string): Record<string, number> {
  return Object.fromEntries(
    [...html.matchAll(/data-count="(\w+)">\w+: (\d+)/g)].map((m) => [m[1]!, Number(m[2])]),
  );
}

describe('POC validation in the console', () => {
  let stack: ConsoleStack;
  let client: ConsoleClient;

  beforeAll(async () => {
    stack = await startConsoleStack();
    // The demo registry loaded 400 days ago: both its POCs are due.
    await stack.db.update(tables.pocs).set({ createdAt: sql`now() - interval '400 days'` });
    client = new ConsoleClient(stack.baseUrl);
    await client.signIn(STAFF_EMAIL, STAFF_PASSWORD);
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('lists the POCs due, pending and invalid with counts, as a round moves them', async () => {
    const before = await client.get('/validation');
    expect(before.status).toBe(200);
    expect(counts(before.body)).toEqual({ due: 2, pending: 0, invalid: 0 });
    expect(before.body).toContain('DEMO1-ARIN');

    const deps = { db: stack.db, config: stack.config, logger: silentLogger() };
    await runValidationRound(deps, new Date());
    expect(counts((await client.get('/validation')).body)).toEqual({ due: 0, pending: 2, invalid: 0 });
    // The 60 days run from the mails' sending: the paced second one is made due now, and both
    // are sent before the days pass (a POC whose mail still waits is never made invalid).
    await stack.db
      .update(tables.outbox)
      .set({ nextAttemptAt: sql`now()` })
      .where(eq(tables.outbox.kind, 'validation'));
    await expect
      .poll(
        async () =>
          (await stack.db.select().from(tables.outbox).where(eq(tables.outbox.kind, 'validation'))).every(
            (r) => r.state === 'sent',
          ),
        { timeout: 60_000 },
      )
      .toBe(true);
    await runValidationRound(deps, new Date(Date.now() + 61 * DAY));
    const after = await client.get('/validation');
    expect(counts(after.body)).toEqual({ due: 0, pending: 0, invalid: 2 });
    expect(after.body).toMatch(/<table data-list="invalid">[\s\S]*OTHER1-ARIN/);
  }, 120_000);

  it("the look-up page shows a POC's state and history; staff mark it validated with a note, audited", async () => {
    const page = await client.get('/lookup?q=DEMO1-ARIN');
    expect(page.body).toContain('data-validation="invalid"');
    expect(page.body).toMatch(
      /<table class="validation-history">[\s\S]*<td>\d{4}-\d{2}-\d{2}<\/td>[\s\S]*<td>expired<\/td>/,
    );

    const forged = await client.request('POST', '/validation/DEMO1-ARIN/validate', {
      form: { note: 'no token' },
    });
    expect(forged.status).toBe(403);

    const noNote = await client.post('/validation/DEMO1-ARIN/validate', { note: ' ' });
    expect(noNote.status).toBe(303);
    expect((await client.get('/lookup?q=DEMO1-ARIN')).body).toContain('E_NOTE_REQUIRED');
    // A note is bounded here as on every other staff action: nothing is marked, nothing stored.
    const huge = await client.post('/validation/DEMO1-ARIN/validate', { note: 'x'.repeat(90_000) });
    expect(huge.status).toBe(303);
    const refused = (await client.get('/lookup?q=DEMO1-ARIN')).body;
    expect(refused).toContain('E_NOTE_TOO_LONG: keep the note under 4000 characters');
    expect(refused).toContain('data-validation="invalid"');
    expect(refused).not.toContain('x'.repeat(4001));

    const marked = await client.post('/validation/DEMO1-ARIN/validate', {
      note: 'confirmed by phone, ticket 42',
    });
    expect(marked.status).toBe(303);
    expect(marked.headers.get('location')).toBe('/lookup?q=DEMO1-ARIN');
    const shown = await client.get('/lookup?q=DEMO1-ARIN');
    expect(shown.body).toContain('POC DEMO1-ARIN marked validated');
    expect(shown.body).toContain('data-validation="valid"');
    const [poc] = await stack.db.select().from(tables.pocs).where(eq(tables.pocs.handle, 'DEMO1-ARIN'));
    expect(poc?.validationState).toBe('valid');
    const audit = await stack.db
      .select()
      .from(tables.auditLog)
      .where(
        and(eq(tables.auditLog.objectHandle, 'DEMO1-ARIN'), eq(tables.auditLog.action, 'poc.validated')),
      );
    expect(audit.map((a) => [a.actor, a.note])).toEqual([
      [`staff:${STAFF_EMAIL}`, 'confirmed by phone, ticket 42'],
    ]);
    expect(counts((await client.get('/validation')).body)).toEqual({ due: 0, pending: 0, invalid: 1 });
  }, 120_000);

  it('an answer quoting a validation token: staff read it without the token (submission page and queue)', async () => {
    // A fresh round a year on mails OTHER1-ARIN (DEMO1-ARIN was validated above); its token is in the outbox.
    const deps = { db: stack.db, config: stack.config, logger: silentLogger() };
    await runValidationRound(deps, new Date(Date.now() + 800 * DAY));
    // In insertion order: rows the outbox has since marked sent move within the heap, and the
    // earlier rounds' (expired) tokens are in the table too.
    const rows = await stack.db
      .select()
      .from(tables.outbox)
      .where(eq(tables.outbox.kind, 'validation'))
      .orderBy(tables.outbox.id);
    const token = rows
      .map((r) => /Validation-Token: (VT-[A-Z2-7]{26})/.exec(r.raw)?.[1])
      .filter((t): t is string => t !== undefined)
      .at(-1)!;
    expect(token).toMatch(/^VT-/);
    const messageId = await stack.send({
      from: 'noc@other-isp.example',
      subject: 'Re: annual validation',
      text: `The street changed, we moved.\n\n> Validation-Token: ${token}\n`,
    });
    const { submissionId, reasonCode } = await stack.rejectionFor(messageId);
    expect(reasonCode).toBe('E_VALIDATION_UNCLEAR');
    const page = await client.get(`/submissions/${submissionId}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('VT-[redacted]');
    expect(page.body.toUpperCase()).not.toContain(token.slice(3));
    const queue = await client.get('/rejections');
    expect(queue.body.toUpperCase()).not.toContain(token.slice(3));
  }, 120_000);

  it("the console's due count is what a round that day mails, a POC pending past its answer period included", async () => {
    // The round above asked both POCs; 400 days on neither answered and no round ran between:
    // both are still pending, their answer periods long over.
    const day = new Date(Date.now() + 1_200 * DAY).toISOString().slice(0, 10);
    const pending = await stack.db
      .select({ handle: tables.pocs.handle })
      .from(tables.pocs)
      .where(eq(tables.pocs.validationState, 'pending'));
    expect(pending.length).toBeGreaterThan(0);
    const shown = counts((await client.get(`/validation?as-of=${day}`)).body);
    const deps = { db: stack.db, config: stack.config, logger: silentLogger() };
    const round = await runValidationRound(deps, new Date(`${day}T00:00:00Z`));
    expect(round.mailed.length).toBeGreaterThan(0);
    expect(shown['due']).toBe(round.mailed.length);
  }, 120_000);
});
