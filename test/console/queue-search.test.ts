/**
 * Clearing a Monday's rejections: staff find rows by whatever they hold (a subject, a sender, an
 * IP, a range, a handle, a ticket, a submission id), in any case and in part; the reason and form
 * filters match as a person types them; the counts follow the filters; rows sort by age, sender
 * or reason. Over HTTP against the whole daemon. A search never tells a hidden API key.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.ts';
import {
  type ConsoleStack,
  STAFF_EMAIL,
  STAFF_PASSWORD,
  startConsoleStack,
} from './support/console-stack.ts';
import { DEMO_KEY, type SeededRejection, seedRejectedSubmission } from './support/rows.ts';
import { pageText, type SignedInGet, signIn } from './support/sign-in.ts';

describe('searching, filtering and sorting the rejection queue (PostgreSQL)', () => {
  let stack: ConsoleStack;
  let get: SignedInGet;
  let alpha: SeededRejection;
  let beta: SeededRejection;
  let gamma: SeededRejection;

  /** The rejection ids a queue page lists, in its order. */
  async function listed(query: string): Promise<number[]> {
    const page = await get(`/rejections?${query}`);
    expect(page.status).toBe(200);
    return [...page.body.matchAll(/#rejection-(\d+)"/g)].map((m) => Number(m[1]));
  }

  beforeAll(async () => {
    stack = await startConsoleStack();
    alpha = await seedRejectedSubmission(stack.db, {
      from: 'billing@alpha.example',
      subject: 'Quarterly-SWIP-run',
      range: '198.51.100.0/28',
      netName: 'NET-ALPHA-1',
      error: { code: 'E_OVERLAP', message: 'overlaps an existing reassignment' },
    });
    beta = await seedRejectedSubmission(stack.db, {
      from: 'Ops@Beta.example',
      subject: 'Monday batch',
      range: '203.0.113.0/29',
      netName: 'NET-BETA-7',
      error: { code: 'E_NOT_AUTHORIZED', message: 'the key does not hold this net' },
    });
    gamma = await seedRejectedSubmission(stack.db, {
      from: 'zed@gamma.example',
      subject: 'Monday batch',
      range: '192.0.2.0/30',
      netName: 'NET-GAMMA-2',
      error: { code: 'E_PREFIX_TOO_SMALL', message: 'a /30 is smaller than we register' },
    });
    await stack.db.insert(tables.tickets).values({
      number: '20261207-X0000042',
      submissionId: beta.submissionId,
      templateIndex: 1,
      status: 'rejected',
    });
    get = await signIn(stack.baseUrl, STAFF_EMAIL, STAFF_PASSWORD);
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('searches the subject, sender, IP, range, handle, ticket and submission id, any case, in part', async () => {
    expect(await listed('q=quarterly-swip')).toEqual([alpha.rejectionId]);
    expect(await listed('q=BETA.EXAMPLE')).toEqual([beta.rejectionId]);
    expect(await listed('q=203.0.113')).toEqual([beta.rejectionId]);
    expect(await listed('q=net-gamma')).toEqual([gamma.rejectionId]);
    expect(await listed('q=x0000042')).toEqual([beta.rejectionId]);
    expect(await listed(`q=${alpha.submissionId.slice(1, 9).toLowerCase()}`)).toEqual([alpha.rejectionId]);
    expect(await listed('q=smaller than')).toEqual([gamma.rejectionId]);
    expect((await listed('q=127.0.0.1')).sort()).toEqual(
      [alpha.rejectionId, beta.rejectionId, gamma.rejectionId].sort(),
    );
    expect(await listed('q=nothing-like-this')).toEqual([]);
  });

  it('matches reason codes and forms as typed: e_overlap, OVERLAP, reassign', async () => {
    expect(await listed('reason=e_overlap')).toEqual([alpha.rejectionId]);
    expect(await listed('reason=OVERLAP')).toEqual([alpha.rejectionId]);
    expect(await listed('reason=E_OVERLAP')).toEqual([alpha.rejectionId]);
    expect(await listed('form=reassign')).toHaveLength(3);
    expect(await listed('form=simple&q=monday')).toHaveLength(2);
  });

  it('counts what the filters found', async () => {
    const page = await get('/rejections?q=monday');
    const text = pageText(page.body);
    expect(text).toMatch(/Rejection queue\s+2 open/);
    expect(text).toMatch(/E_NOT_AUTHORIZED\s+1/);
    expect(text).toMatch(/E_PREFIX_TOO_SMALL\s+1/);
    expect(text).not.toContain('E_OVERLAP');
    const one = pageText((await get('/rejections?q=monday&reason=prefix')).body);
    expect(one).toMatch(/Rejection queue\s+1 open/);
  });

  it('sorts by age either way, by sender and by reason', async () => {
    expect(await listed('')).toEqual([gamma.rejectionId, beta.rejectionId, alpha.rejectionId]);
    expect(await listed('sort=oldest')).toEqual([alpha.rejectionId, beta.rejectionId, gamma.rejectionId]);
    expect(await listed('sort=sender')).toEqual([alpha.rejectionId, beta.rejectionId, gamma.rejectionId]);
    expect(await listed('sort=reason')).toEqual([beta.rejectionId, alpha.rejectionId, gamma.rejectionId]);
    expect(await listed('sort=whatever')).toEqual([gamma.rejectionId, beta.rejectionId, alpha.rejectionId]);
  });

  it('does not find a row by the API key it hides, whole or in part', async () => {
    // Every subject carries DEMO_KEY; the page shows it as API-****-****-****-7A8B.
    for (const part of [DEMO_KEY, '1A2B-3C4D', '3c4d5e6f', 'API-1A2B', '5E6F-7A8B']) {
      expect(await listed(`q=${encodeURIComponent(part)}`)).toEqual([]);
      const counts = pageText((await get(`/rejections?q=${encodeURIComponent(part)}`)).body);
      expect(counts).toMatch(/Rejection queue\s+0 open/);
    }
  });

  it('does not find a row by a key written with escapes or in base64, nor count it', async () => {
    const base64 = Buffer.from(`our key ${DEMO_KEY} thanks`).toString('base64');
    await stack.db
      .update(tables.submissions)
      .set({ subject: `SWIP API=2D1A2B=2D3C4D=2D5E6F=2D7A8B and ${base64}` })
      .where(eq(tables.submissions.id, gamma.submissionId));
    for (const part of ['3C4D=2D5E6F', '3C4D', base64.slice(8, 24), base64.slice(12, 20)]) {
      expect(await listed(`q=${encodeURIComponent(part)}`)).toEqual([]);
      const text = pageText((await get(`/rejections?q=${encodeURIComponent(part)}`)).body);
      expect(text).toMatch(/Rejection queue\s+0 open/);
      expect(text).not.toContain('E_PREFIX_TOO_SMALL');
    }
    // What the page shows is still found.
    expect(await listed('q=swip')).toContain(gamma.rejectionId);
  });
});
