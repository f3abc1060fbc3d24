/**
 * Re-review of authority inside a reallocation (issue 14, item 3): the upstream must not modify
 * or remove what its downstream registered inside a reallocation, by any form. The first fix
 * closed Net-Mod on the reallocation's records; here the upstream tries the back door at
 * creation: a version-4 Reallocate to the downstream's existing org naming the upstream's own POC
 * (or a POC it creates, which is linked to its account) as the new net's tech POC. Through SMTP,
 * the replies parsed, the registry read afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_API_KEY, OTHER_API_KEY, OTHER_SENDER } from '../../src/registry/index.ts';
import { fillForm, simpleReassignment } from '../pipeline/support/forms.ts';
import { netByHandle, netPocsOf } from '../pipeline/support/outcomes.ts';
import { submit } from '../pipeline/support/session.ts';
import { type Stack, startStack } from '../support/stack.ts';

const REALLOCATION = '198.51.100.192/26';
const CUSTOMER_NET = '198.51.100.192/28';

describe('trust review: an upstream names its own POC on its downstream’s reallocation (PGlite)', () => {
  let stack: Stack;
  let messages = 0;
  // Each key from its own account's address, so its reply comes back to that address.
  const as = (key: string) => ({
    subject: `SWIP review ${++messages} ${key}`,
    ...(key === OTHER_API_KEY ? { from: `Other ISP NOC <${OTHER_SENDER}>` } : {}),
  });

  beforeAll(async () => {
    stack = await startStack({ backend: 'pglite' });
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  it('refuses a reallocation to an existing org whose net POC is not one of that org’s POCs', async () => {
    const ownPoc = await submit(
      stack,
      [
        fillForm('ARIN-REALLOCATE-4.1', {
          '01': 'OTHERISP-1',
          '20': REALLOCATION,
          '21': 'OTHER-BACKDOOR',
          '24': 'T',
          '25': 'DEMO1-ARIN',
        }),
      ],
      as(DEMO_API_KEY),
    );
    const [block] = ownPoc.reply.parsed.blocks;
    expect(block!.status).toBe('REJECTED');
    expect(block!.errors.map((e) => e.code)).toEqual(['E_NOT_AUTHORIZED']);
    expect(block!.errors[0]!.message).toContain('OTHERISP-1');
  });

  it('the downstream’s space stays the downstream’s: a plain reallocation, a reassignment in it, the upstream refused on it', async () => {
    const realloc = await submit(
      stack,
      [fillForm('ARIN-REALLOCATE-5.4', { '01': 'OTHERISP-1', '20': REALLOCATION, '21': 'OTHER-PLAIN' })],
      as(DEMO_API_KEY),
    );
    expect(realloc.reply.parsed.blocks.map((b) => [b.status, b.errors])).toEqual([['APPROVED', []]]);
    const reallocation = realloc.reply.parsed.blocks[0]!.handles.find((h) => h.startsWith('NET-'))!;
    expect(await netPocsOf(stack.database.db, reallocation)).toEqual([]);
    const reassign = await submit(
      stack,
      [simpleReassignment({ range: CUSTOMER_NET, customer: 'Other Customer Inc', name: 'OTHER-CUST' })],
      as(OTHER_API_KEY),
    );
    expect(reassign.reply.parsed.blocks.map((b) => [b.status, b.errors])).toEqual([['APPROVED', []]]);
    const customerNet = reassign.reply.parsed.blocks[0]!.handles.find((h) => h.startsWith('NET-'))!;
    const takeover = await submit(
      stack,
      [simpleReassignment({ action: 'M', range: CUSTOMER_NET, customer: 'Taken Over', name: 'DEMO-TAKE' })],
      as(DEMO_API_KEY),
    );
    expect(takeover.reply.parsed.blocks[0]!.errors.map((e) => e.code)).toEqual(['E_NOT_AUTHORIZED']);
    expect(await netByHandle(stack.database.db, customerNet)).toMatchObject({ name: 'OTHER-CUST' });
  });
});
