/**
 * A validation mail our relay refuses for good at RCPT (550 5.1.1) is the same hard bounce a
 * delivery report brings, learned sooner (faults25 F2): the address is flagged on the POC, and
 * with none left the POC is invalid at once, as WHOIS then shows.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { runValidationRound } from '../../src/validation/index.ts';
import { type Stack, startStack } from '../support/stack.ts';

const DAY = 24 * 60 * 60 * 1000;

describe('a validation mail refused by our relay', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({
      backend: 'pglite',
      env: { VALIDATION_MAILS_PER_HOUR: '3600000', VALIDATION_RUN_AT: 'off' },
      sink: {
        recipient: (address: string) =>
          address.startsWith('gone@') ? { code: 550, message: '5.1.1 no such user' } : undefined,
      },
    });
    await stack.database.db.insert(tables.pocs).values({
      handle: 'GONE1-ARIN',
      kind: 'role',
      lastName: 'Gone NOC',
      emails: ['gone@demo-isp.example'],
    });
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  it('flags the address and makes the POC invalid, as a delivery report would', async () => {
    const db = stack.database.db;
    await runValidationRound(
      { db, config: stack.config, logger: silentLogger() },
      new Date(Date.now() + 366 * DAY),
    );
    await expect
      .poll(
        async () => (await db.select().from(tables.pocs).where(eq(tables.pocs.handle, 'GONE1-ARIN')))[0],
        { timeout: 60_000 },
      )
      .toMatchObject({ validationState: 'invalid', invalidEmails: ['gone@demo-isp.example'] });
    // The others were not touched.
    const [demo] = await db.select().from(tables.pocs).where(eq(tables.pocs.handle, 'DEMO1-ARIN'));
    expect(demo?.invalidEmails).toEqual([]);
  }, 120_000);
});
