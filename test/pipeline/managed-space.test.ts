/**
 * An upstream and what its downstream registered, by e-mail: DEMOISP reallocates a /26 to
 * OTHERISP, OTHERISP reassigns a /28 of it to a customer; DEMOISP's key may take the /26 back
 * (with the /28 in it: staff review) but is refused on the /28 and on the /26's records, and may
 * not reassign inside the /26. OTHERISP keeps full authority over what it registered. SMTP in,
 * the reply parsed, the registry read afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_API_KEY, OTHER_API_KEY, OTHER_SENDER } from '../../src/registry/index.ts';
import { BACKENDS } from '../support/databases.ts';
import { type Stack, startStack } from '../support/stack.ts';
import { fillForm, simpleReassignment } from './support/forms.ts';
import { netByHandle, netPocsOf } from './support/outcomes.ts';
import { submit } from './support/session.ts';

const REALLOCATION = '198.51.100.128/26';
const CUSTOMER_NET = '198.51.100.128/28';

describe.each(BACKENDS)('an upstream and its downstream’s records, by e-mail (%s)', (backend) => {
  let stack: Stack;
  const handles: Record<string, string> = {};
  let messages = 0;
  // Each key from its own account's address: a key under a From its account does not list is
  // not answered (docs/reply-format.md, "Whom we answer").
  const as = (key: string) => ({
    subject: `SWIP ${++messages} ${key}`,
    ...(key === OTHER_API_KEY ? { from: `Other ISP NOC <${OTHER_SENDER}>` } : {}),
  });

  beforeAll(async () => {
    stack = await startStack({ backend });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('DEMOISP reallocates a /26 to OTHERISP, which reassigns a /28 of it to its customer', async () => {
    const realloc = await submit(
      stack,
      [fillForm('ARIN-REALLOCATE-5.4', { '01': 'OTHERISP-1', '20': REALLOCATION, '21': 'OTHER-FROM-DEMO' })],
      as(DEMO_API_KEY),
    );
    expect(realloc.reply.parsed.blocks.map((b) => [b.status, b.errors])).toEqual([['APPROVED', []]]);
    handles['reallocation'] = realloc.reply.parsed.blocks[0]!.handles.find((h) => h.startsWith('NET-'))!;
    const reassign = await submit(
      stack,
      [simpleReassignment({ range: CUSTOMER_NET, customer: 'Other Customer Inc', name: 'OTHER-CUST' })],
      as(OTHER_API_KEY),
    );
    expect(reassign.reply.parsed.blocks.map((b) => [b.status, b.errors])).toEqual([['APPROVED', []]]);
    handles['customerNet'] = reassign.reply.parsed.blocks[0]!.handles.find((h) => h.startsWith('NET-'))!;
    expect(await netByHandle(stack.database.db, handles['customerNet']!)).toMatchObject({
      parentHandle: handles['reallocation'],
    });
  });

  it('refuses DEMOISP’s key on the /28, on the /26’s records and inside the /26, saying whose space it is', async () => {
    const { reply } = await submit(
      stack,
      [
        simpleReassignment({
          action: 'M',
          range: CUSTOMER_NET,
          customer: 'Taken Over Inc',
          name: 'DEMO-TAKEOVER',
        }),
        simpleReassignment({ action: 'R', range: CUSTOMER_NET }),
        fillForm('ARIN-NET-MOD-5.3', { '01': 'M', '02': REALLOCATION, '05': 'DEMO1-ARIN' }),
        fillForm('ARIN-NET-MOD-5.3', { '01': 'M', '02': REALLOCATION, '03': 'DEMO-AGAIN' }),
        simpleReassignment({ range: '198.51.100.160/29', customer: 'Squatter LLC', name: 'DEMO-SQUAT' }),
      ],
      as(DEMO_API_KEY),
    );
    expect(reply.parsed.summary).toBe('hostmasterd processed 5 templates: 5 REJECTED.');
    const [modify, remove, linkPoc, rename, under] = reply.parsed.blocks;
    for (const block of [modify, remove]) {
      expect(block!.errors).toHaveLength(1);
      expect(block!.errors[0]!.code).toBe('E_NOT_AUTHORIZED');
      expect(block!.errors[0]!.message).toContain(
        `${handles['customerNet']} lies in a reallocation ${handles['reallocation']}, held by OTHERISP-1: what is registered there is managed by the holder of ${handles['reallocation']}`,
      );
    }
    for (const block of [linkPoc, rename]) {
      expect(block!.errors[0]!.code).toBe('E_NOT_AUTHORIZED');
      expect(block!.errors[0]!.message).toContain(
        `${handles['reallocation']} is a reallocation held by OTHERISP-1, which manages it`,
      );
    }
    expect(under!.errors[0]!.code).toBe('E_NOT_AUTHORIZED');
    expect(under!.errors[0]!.message).toContain(`OTHERISP-1, which holds ${handles['reallocation']}`);
    // Nothing changed.
    expect(await netByHandle(stack.database.db, handles['customerNet']!)).toMatchObject({
      name: 'OTHER-CUST',
    });
    expect(await netByHandle(stack.database.db, handles['reallocation']!)).toMatchObject({
      name: 'OTHER-FROM-DEMO',
    });
    expect(await netPocsOf(stack.database.db, handles['reallocation']!)).toEqual([]);
  });

  it('OTHERISP keeps full authority over what it registered', async () => {
    const { reply } = await submit(
      stack,
      [
        simpleReassignment({
          action: 'M',
          range: CUSTOMER_NET,
          customer: 'Other Customer Inc',
          name: 'OTHER-CUST-2',
        }),
        fillForm('ARIN-NET-MOD-5.3', { '01': 'M', '02': REALLOCATION, '05': 'OTHER1-ARIN' }),
      ],
      as(OTHER_API_KEY),
    );
    expect(reply.parsed.blocks.map((b) => [b.status, b.errors])).toEqual([
      ['APPROVED', []],
      ['APPROVED', []],
    ]);
    expect(await netByHandle(stack.database.db, handles['customerNet']!)).toMatchObject({
      name: 'OTHER-CUST-2',
    });
    expect(await netPocsOf(stack.database.db, handles['reallocation']!)).toEqual([
      { role: 'tech', poc: 'OTHER1-ARIN' },
    ]);
  });

  it('DEMOISP still manages its own reassignments, and taking the /26 back with the /28 in it goes to staff review', async () => {
    const { reply } = await submit(
      stack,
      [
        simpleReassignment({ range: '198.51.100.64/29', customer: 'Demo Customer', name: 'DEMO-OWN' }),
        simpleReassignment({
          action: 'M',
          range: '198.51.100.64/29',
          customer: 'Demo Customer',
          name: 'DEMO-OWN-2',
        }),
        fillForm('ARIN-NET-MOD-5.3', { '01': 'R', '02': REALLOCATION }),
      ],
      as(DEMO_API_KEY),
    );
    expect(reply.parsed.blocks.map((b) => [b.status, b.errors])).toEqual([
      ['APPROVED', []],
      ['APPROVED', []],
      ['PENDING_REVIEW', []],
    ]);
    expect(await netByHandle(stack.database.db, handles['reallocation']!)).toBeDefined();
    expect(await netByHandle(stack.database.db, handles['customerNet']!)).toBeDefined();
  });
});
