/**
 * A paced validation mail goes out hours after its round wrote it (VALIDATION_MAILS_PER_HOUR):
 * it is written again when it is sent, from the record as it is then (faults25 F7). A POC whose
 * address changed meanwhile is asked at its new address only, with its details as they now stand;
 * one validated or removed meanwhile gets no mail.
 */
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { runValidationRound, validatePoc } from '../../src/validation/index.ts';
import { type Stack, startStack } from '../support/stack.ts';
import { validationMails } from './support.ts';

const DAY = 24 * 60 * 60 * 1000;

describe('a paced validation mail, sent long after its round', () => {
  let stack: Stack;

  beforeAll(async () => {
    // One mail an hour: every mail after the first waits its slot.
    stack = await startStack({
      backend: 'pglite',
      env: { VALIDATION_MAILS_PER_HOUR: '1', VALIDATION_RUN_AT: 'off' },
    });
    await stack.database.db.insert(tables.pocs).values(
      ['A', 'B', 'C'].map((x) => ({
        handle: `PACE${x}1-ARIN`,
        kind: 'role' as const,
        lastName: `Pace ${x}`,
        phones: [],
        emails: [`pace-${x.toLowerCase()}-old@demo-isp.example`],
      })),
    );
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  it('goes to the address and shows the record as they are when it is sent, or not at all', async () => {
    const db = stack.database.db;
    await runValidationRound(
      { db, config: stack.config, logger: silentLogger(), metrics: stack.daemon.metrics.worker },
      new Date(Date.now() + 366 * DAY),
    );
    // Meanwhile: A's holder changes its address (as a POC template M writes it), B is validated, C removed.
    await db
      .update(tables.pocs)
      .set({ emails: ['pace-a-new@demo-isp.example'], lastName: 'Pace A Renamed' })
      .where(eq(tables.pocs.handle, 'PACEA1-ARIN'));
    await db.transaction((tx) =>
      validatePoc(tx, 'PACEB1-ARIN', { via: 'template', actor: 'system', now: new Date() }),
    );
    await db.delete(tables.pocs).where(eq(tables.pocs.handle, 'PACEC1-ARIN'));
    // Their hours come: every waiting validation mail is due now.
    await db
      .update(tables.outbox)
      .set({ nextAttemptAt: sql`now()` })
      .where(eq(tables.outbox.kind, 'validation'));
    await expect
      .poll(
        async () =>
          (await db.select().from(tables.outbox).where(eq(tables.outbox.kind, 'validation'))).every(
            (r) => r.state === 'sent',
          ),
        { timeout: 60_000 },
      )
      .toBe(true);
    const mails = await validationMails(stack.sink);
    const a = mails.filter((m) => m.handle === 'PACEA1-ARIN');
    expect(a.map((m) => m.mail.rcptTo)).toEqual([['pace-a-new@demo-isp.example']]);
    expect(a[0]!.text).toContain('pace-a-new@demo-isp.example');
    expect(a[0]!.text).toContain('Pace A Renamed');
    expect(a[0]!.text).not.toContain('pace-a-old@');
    expect(mails.filter((m) => m.handle === 'PACEB1-ARIN')).toEqual([]);
    expect(mails.filter((m) => m.handle === 'PACEC1-ARIN')).toEqual([]);
    expect(stack.sink.accepted.flatMap((m) => m.rcptTo)).not.toContain('pace-a-old@demo-isp.example');
  }, 180_000);
});
