/**
 * A net or org may newly be given only POCs linked to the requesting account (README
 * "Authorization"): naming another account's POC would publish it as our contact and leave its
 * holder unable to remove it. Over SMTP to the whole daemon, replies read as a billing system does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/databases.ts';
import { type Stack, startStack } from '../support/stack.ts';
import { fillForm } from './support/forms.ts';
import { netPocsOf, orgPocsOf } from './support/outcomes.ts';
import { submit } from './support/session.ts';

/** OTHER1-ARIN is the other ISP's POC, linked to its account only; DEMO1-ARIN is the demo ISP's. */
const FOREIGN = 'OTHER1-ARIN';

const netAbusePoc = (poc: string) =>
  fillForm('ARIN-NET-MOD-5.3', { '01': 'M', '02': '198.51.100.0/24', '03': 'DEMO-ISP-V4', '06': poc });

const orgWithAbusePoc = (poc: string) =>
  fillForm('ARIN-ORG-5.2', {
    '01': 'M',
    '02': 'DEMOISP-1',
    '03': 'Demo ISP',
    '06': '1 Example Way',
    '07': 'Herndon',
    '08': 'VA',
    '09': '22150',
    '10': 'US',
    '11': 'DEMO1-ARIN',
    '12': 'DEMO1-ARIN',
    '13': poc,
  });

const newOrgWithAdmin = (poc: string) =>
  fillForm('ARIN-ORG-5.2', {
    '01': 'N',
    '03': 'Borrowed Contacts Inc',
    '06': '2 Example Way',
    '07': 'Herndon',
    '08': 'VA',
    '09': '22150',
    '10': 'US',
    '11': poc,
    '12': poc,
  });

describe.each(BACKENDS)("another account's POCs (%s)", (backend) => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ backend });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it("refuses naming another account's POC on our net, our org or a new org, naming the handle and what to do", async () => {
    for (const template of [netAbusePoc(FOREIGN), orgWithAbusePoc(FOREIGN), newOrgWithAdmin(FOREIGN)]) {
      const { reply } = await submit(stack, [template]);
      const block = reply.parsed.blocks[0]!;
      expect(block.status).toBe('REJECTED');
      expect(block.errors).toEqual([
        expect.objectContaining({
          code: 'E_NOT_AUTHORIZED',
          message: expect.stringMatching(
            new RegExp(`POC ${FOREIGN} is not linked to your account.*POC template \\(action N`),
          ),
        }),
      ]);
    }
    expect((await netPocsOf(stack.database.db, 'NET-198-51-100-0-1')).map((p) => p.poc)).not.toContain(
      FOREIGN,
    );
    expect((await orgPocsOf(stack.database.db, 'DEMOISP-1')).map((p) => p.poc)).not.toContain(FOREIGN);
  });

  it('still takes our own POCs, and a POC the object already has, sent again with the whole form', async () => {
    const own = await submit(stack, [netAbusePoc('DEMO1-ARIN')]);
    expect(own.reply.parsed.blocks[0]?.status).toBe('APPROVED');
    const again = await submit(stack, [orgWithAbusePoc('DEMO1-ARIN')]);
    expect(again.reply.parsed.blocks[0]?.status).toBe('APPROVED');
  });
});
