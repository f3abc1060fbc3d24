/**
 * A Monday's rejections as the worker files them from real mail (not rows seeded in shapes the
 * worker never writes): staff find them by what the customer typed, a network name, a customer
 * name, a handle, also in a template refused at reading (no request is stored for it), and by
 * the range the template named, written any way a person writes an address: the prefix, an
 * address inside it, a prefix holding it, a range, IPv6 compressed, expanded or in capitals. The
 * reason and form filters take a space where the code has `_` or `-`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_API_KEY, DEMO_SENDER } from '../../src/registry/index.ts';
import {
  type ConsoleStack,
  STAFF_EMAIL,
  STAFF_PASSWORD,
  startConsoleStack,
} from './support/console-stack.ts';
import { simpleTemplate } from './support/rows.ts';
import { pageText, type SignedInGet, signIn } from './support/sign-in.ts';

describe('searching the queue for rejections the worker filed from mail', () => {
  let stack: ConsoleStack;
  let get: SignedInGet;
  /** Refused E_NOT_AUTHORIZED: 203.0.113.0/24 is Other ISP's. */
  let otherSpace: number;
  /** An IPv6 reassignment outside Demo ISP's /32. */
  let v6: number;
  /** Refused at reading: 198.51.100.289 is no address. */
  let typo: number;

  async function listed(query: string): Promise<number[]> {
    const page = await get(`/rejections?state=all&${query}`);
    expect(page.status).toBe(200);
    return [...page.body.matchAll(/#rejection-(\d+)"/g)].map((m) => Number(m[1])).sort((a, b) => a - b);
  }

  async function refused(range: string, name: string, customer = 'Example Bakery'): Promise<number> {
    const messageId = await stack.send({
      from: `Demo ISP billing <${DEMO_SENDER}>`,
      subject: `SWIP ${name}`,
      text: `${simpleTemplate(range, name, DEMO_API_KEY).replace('Example Bakery', customer)}\n`,
    });
    return (await stack.rejectionFor(messageId)).rejectionId;
  }

  beforeAll(async () => {
    stack = await startConsoleStack();
    otherSpace = await refused('203.0.113.16/28', 'OV-1');
    v6 = await refused('2001:db9:2::/48', 'V6-BAD');
    typo = await refused('198.51.100.289/28', 'BAD-33', 'Cust 33');
    get = await signIn(stack.baseUrl, STAFF_EMAIL, STAFF_PASSWORD);
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('finds a rejection by the range its template named, written as a person writes it', async () => {
    for (const query of [
      '203.0.113.16/28',
      '203.0.113.20',
      '203.0.113.0/24',
      '203.0.113.20/28',
      '203.0.113.16 - 203.0.113.31',
      '203.0.113.30-203.0.113.40',
      '::ffff:203.0.113.17',
    ]) {
      expect(await listed(`q=${encodeURIComponent(query)}`), query).toEqual([otherSpace]);
    }
    for (const query of [
      '2001:db9:2::/48',
      '2001:DB9:2::',
      '2001:0db9:0002::/48',
      '2001:db9:2:ff::1',
      '2001:db9::/32',
    ]) {
      expect(await listed(`q=${encodeURIComponent(query)}`), query).toEqual([v6]);
    }
    for (const query of ['203.0.113.32', '203.0.113.0/28', '2001:db9:3::/48', '10.0.0.1']) {
      expect(await listed(`q=${encodeURIComponent(query)}`), query).toEqual([]);
    }
  });

  it('finds what the customer typed, also in a template refused at reading', async () => {
    expect(await listed('q=OV-1')).toEqual([otherSpace]);
    expect(await listed('q=bad-33')).toEqual([typo]);
    expect(await listed(`q=${encodeURIComponent('Cust 33')}`)).toEqual([typo]);
    expect(await listed('q=198.51.100.289')).toEqual([typo]);
  });

  it('never finds a rejection by the API key its templates hold (the page hides it)', async () => {
    expect(await listed(`q=${encodeURIComponent(DEMO_API_KEY.slice(4))}`)).toEqual([]);
    expect(await listed('q=DE70-0000')).toEqual([]);
  });

  it('takes a space in the reason and form filters where the code has _ or -', async () => {
    expect(await listed('reason=not%20authorized')).toEqual([otherSpace]);
    // The heading's count follows the filter as the rows do.
    const heading = pageText((await get('/rejections?state=all&reason=not%20authorized')).body);
    expect(heading).toMatch(/Rejection queue 1\b/);
    expect(await listed('reason=NOT_AUTHORIZED')).toEqual([otherSpace]);
    const simple = await listed('form=reassign%20simple');
    expect(simple).toEqual(await listed('form=REASSIGN-SIMPLE'));
    expect(simple).toEqual([otherSpace, v6, typo].sort((a, b) => a - b));
    expect(await listed('form=Reassign_Simple')).toEqual(simple);
    // What is typed is text, never a pattern: a dot is a dot, a bracket is no error.
    expect(await listed('reason=not.authorized')).toEqual([]);
    expect(await listed('reason=%5Bnot%20authorized')).toEqual([]);
    expect(await listed('form=reassign%20simple%2B')).toEqual([]);
  });
});
