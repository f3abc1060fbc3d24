/**
 * Who may give space back and who may name an org's voting contact, as the worker decides it
 * for real mail. Returns need the holder's admin POC (or the upstream taking back what it
 * sub-delegated); an org's tech POC may run the org but not make itself its admin; a billing
 * system that resends every field (the net's own name, the org's own admin) is not refused for
 * a change it does not make.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { tables } from '../../src/db/index.ts';
import { storeSubmission } from '../../src/ingress/index.ts';
import { loadReplyTexts } from '../../src/replies/index.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { createWorkerContext, processSubmission, type WorkerContext } from '../../src/worker/index.ts';
import { NETS, seedAuthRegistry } from '../auth/registry-fixture.ts';
import { fillForm } from '../pipeline/support/forms.ts';
import { netByHandle, orgPocsOf, templateRows } from '../pipeline/support/outcomes.ts';
import { openTestDatabase, type TestDatabase } from '../support/databases.ts';

describe('returns and admin POCs, through the worker', () => {
  let database: TestDatabase;
  let ctx: WorkerContext;
  let sent = 0;

  beforeAll(async () => {
    database = await openTestDatabase('pglite');
    await database.db.transaction((tx) => seedAuthRegistry(tx));
    ctx = createWorkerContext({
      // The fixture's accounts are known by their addresses; no keys needed.
      config: loadConfig({ SENDER_AUTH: 'any' }),
      db: database.db,
      logger: silentLogger(),
      texts: loadReplyTexts(),
    });
  });
  afterAll(async () => {
    await database?.close();
  });

  /** One template from `from`, handled by the worker: its row (outcome, errors). */
  async function send(from: string, template: string) {
    const raw = [
      `From: <${from}>`,
      'To: hostmaster@localhost',
      `Message-ID: <returns-${++sent}@example.net>`,
      'Subject: template',
      '',
      template,
    ].join('\r\n');
    const stored = await storeSubmission(database.db, {
      raw: Buffer.from(raw),
      envelope: { mailFrom: from, rcptTo: ['hostmaster@localhost'] },
      via: 'smtp',
      remoteAddress: '127.0.0.1',
    });
    if (!stored.ok) throw new Error(stored.error.message);
    await processSubmission(ctx, stored.value.id);
    const [row] = await templateRows(database.db, stored.value.id);
    if (!row) throw new Error('no template row');
    return row;
  }

  const removal = (range: string) => fillForm('ARIN-NET-MOD-5.3', { '01': 'R', '02': range });
  const REALLOCATION = '198.51.100.128/25';

  it('the holder’s tech POC and the net’s own tech POC cannot return a reallocation', async () => {
    for (const from of ['tech@downstream.example', 'ops@downstream-contractor.example']) {
      const row = await send(from, removal(REALLOCATION));
      expect(row.outcome, from).toBe('rejected');
      expect(JSON.stringify(row.errors)).toContain('E_NOT_AUTHORIZED');
      expect(JSON.stringify(row.errors)).toContain('needs an admin POC of DOWNSTREAM-1');
    }
    expect(await netByHandle(database.db, NETS.downReallocation)).toBeDefined();
  });

  it('the holder’s admin POC may return it (it has a child, so staff look first)', async () => {
    const row = await send('noc@downstream.example', removal(REALLOCATION));
    expect(JSON.stringify(row.errors)).not.toContain('E_NOT_AUTHORIZED');
    expect(row.outcome).not.toBe('rejected');
  });

  it('an org’s tech POC cannot make itself the admin POC; resending the admin it has is fine', async () => {
    const naming = (admin: string) =>
      fillForm('ARIN-ORG-5.2', { '01': 'M', '02': 'DOWNSTREAM-1', '11': admin, '16': 'Updated' });
    const refused = await send('tech@downstream.example', naming('DOWNTECH1-ARIN'));
    expect(refused.outcome).toBe('rejected');
    expect(JSON.stringify(refused.errors)).toContain('only the admin POC may name another admin POC');
    const admins = (await orgPocsOf(database.db, 'DOWNSTREAM-1')).filter((l) => l.role === 'admin');
    expect(admins.map((l) => l.poc)).toEqual(['DOWN1-ARIN']);

    const resent = await send('tech@downstream.example', naming('DOWN1-ARIN'));
    expect(resent.outcome, JSON.stringify(resent.errors)).toBe('approved');
  });

  it('a net tech POC may send a Net-Mod that resends the allocation’s own name', async () => {
    const net = await netByHandle(database.db, NETS.demoAllocation);
    const row = await send(
      'ops@contractor.example',
      fillForm('ARIN-NET-MOD-5.3', { '01': 'M', '02': '198.51.100.0/24', '03': net!.name, '08': 'Resent' }),
    );
    expect(row.outcome, JSON.stringify(row.errors)).toBe('approved');
    const renamed = await send(
      'ops@contractor.example',
      fillForm('ARIN-NET-MOD-5.3', { '01': 'M', '02': '198.51.100.0/24', '03': 'SOMETHING-ELSE' }),
    );
    expect(renamed.outcome).toBe('rejected');
    expect(JSON.stringify(renamed.errors)).toContain('Renaming the direct allocation');
  });

  it('two nets sharing a range: someone with no say over either is refused, not told which they are', async () => {
    // OTHER ISP reallocated its whole /24 to DOWNSTREAM-1: two nets with the same range.
    const [other] = await database.db
      .select()
      .from(tables.nets)
      .where(eq(tables.nets.handle, NETS.otherAllocation));
    await database.db.insert(tables.nets).values({
      ...other!,
      handle: 'NET-203-0-113-0-2',
      name: 'WHOLE-BLOCK',
      type: 'reallocation',
      parentHandle: NETS.otherAllocation,
      orgHandle: 'DOWNSTREAM-1',
    });
    const modify = fillForm('ARIN-NET-MOD-5.3', { '01': 'M', '02': '203.0.113.0/24', '08': 'Hello' });
    const stranger = await send('noc@demo-isp.example', modify);
    expect(stranger.outcome).toBe('rejected');
    expect(JSON.stringify(stranger.errors)).toContain('E_NOT_AUTHORIZED');
    expect(JSON.stringify(stranger.errors)).not.toContain('NET-203-0-113-0-2');
    // The holder of one of them hears that the range is ambiguous, and which nets share it.
    const holder = await send('noc@downstream.example', modify);
    expect(holder.outcome).toBe('rejected');
    expect(JSON.stringify(holder.errors)).toContain('E_AMBIGUOUS_RANGE');
    expect(JSON.stringify(holder.errors)).toContain('NET-203-0-113-0-2');
  });
});
