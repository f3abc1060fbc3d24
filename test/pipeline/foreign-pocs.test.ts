/**
 * A net or org may newly be given only POCs linked to the requesting account (README
 * "Authorization"): naming another account's POC would publish it as our contact and leave its
 * holder unable to remove it. Over SMTP to the whole daemon, replies read as a billing system does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.ts';
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

/**
 * A legacy 4.1 sub-delegation with the downstream org written out (`01.` blank): field 08 names
 * the new org's POC, field 25 the net's. Each form and version writes POC links of a new org and
 * a new net.
 */
const SUBDELEGATIONS_41 = [
  { form: 'ARIN-REALLOCATE-4.1', range: '198.51.100.224/28' },
  { form: 'ARIN-REASSIGN-DETAILED-4.1', range: '198.51.100.240/29' },
  { form: 'ARIN-IPv6-REALLOCATE-4.1', range: '2001:db8:100::/48' },
  { form: 'ARIN-IPv6-REASSIGN-4.1', range: '2001:db8:200::/48' },
] as const;

const writtenOutOrg = (form: string, range: string, name: string, orgPoc: string, netPoc: string) =>
  fillForm(form, {
    '02': `${name} Corp`,
    '03': '5 Elm St',
    '04': 'Springfield',
    '05': 'VA',
    '06': '22150',
    '07': 'US',
    '08': orgPoc,
    '20': range,
    '21': `${name}-NET-1`,
    ...(form.includes('IPv6') ? { '23': 'for customers' } : {}),
    '24': 'T',
    '25': netPoc,
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

  it("refuses another account's POC as the new org's POC or the new net's POC on every 4.1 sub-delegation form", async () => {
    let n = 0;
    for (const { form, range } of SUBDELEGATIONS_41) {
      for (const [orgPoc, netPoc] of [
        [FOREIGN, FOREIGN],
        [FOREIGN, 'DEMO1-ARIN'],
        ['DEMO1-ARIN', FOREIGN],
      ] as const) {
        const name = `SHELL${String.fromCharCode(65 + n++)}`;
        const { reply } = await submit(stack, [writtenOutOrg(form, range, name, orgPoc, netPoc)]);
        const block = reply.parsed.blocks[0]!;
        expect(block.status, `${form} org ${orgPoc} net ${netPoc}`).toBe('REJECTED');
        expect(block.errors).toEqual([
          expect.objectContaining({
            code: 'E_NOT_AUTHORIZED',
            message: expect.stringContaining(`POC ${FOREIGN} is not linked to your account`),
          }),
        ]);
      }
    }
    const foreignLinks = [
      ...(await stack.database.db.select().from(tables.orgPocs)),
      ...(await stack.database.db.select().from(tables.netPocs)),
    ].filter((l) => l.pocHandle === FOREIGN);
    // Only the other ISP's own org keeps it.
    expect(foreignLinks.map((l) => ('orgHandle' in l ? l.orgHandle : l.netHandle))).toEqual(
      foreignLinks.map(() => 'OTHERISP-1'),
    );
  });

  it('takes our own POC on a 4.1 sub-delegation with the org written out', async () => {
    const { reply } = await submit(stack, [
      writtenOutOrg('ARIN-REASSIGN-DETAILED-4.1', '198.51.100.248/29', 'OWNPOC', 'DEMO1-ARIN', 'DEMO1-ARIN'),
    ]);
    expect(reply.parsed.blocks[0]?.status).toBe('APPROVED');
  });

  it("a reassignment to another account's org may name that org's own POC as the net's (its contacts speak for its resources)", async () => {
    const { reply } = await submit(stack, [
      fillForm('ARIN-REASSIGN-DETAILED-4.1', {
        '01': 'OTHERISP-1',
        '20': '198.51.100.200/29',
        '21': 'TO-OTHER-1',
        '24': 'T',
        '25': FOREIGN,
      }),
    ]);
    expect(reply.parsed.blocks[0]?.status).toBe('APPROVED');
  });

  it("refuses adding another account's POC in a new role although the net already has it in another", async () => {
    // Put there by staff with its holder's consent, as tech POC only.
    await stack.database.db
      .insert(tables.netPocs)
      .values({ netHandle: 'NET-198-51-100-0-1', pocHandle: FOREIGN, role: 'tech' });
    for (const field of ['06', '07']) {
      const { reply } = await submit(stack, [
        fillForm('ARIN-NET-MOD-5.3', {
          '01': 'M',
          '02': '198.51.100.0/24',
          '03': 'DEMO-ISP-V4',
          [field]: FOREIGN,
        }),
      ]);
      const block = reply.parsed.blocks[0]!;
      expect(block.status, `field ${field}`).toBe('REJECTED');
      expect(block.errors[0]?.code).toBe('E_NOT_AUTHORIZED');
    }
    // The whole form sent again with the POC where it already is: no change, no refusal.
    const again = await submit(stack, [
      fillForm('ARIN-NET-MOD-5.3', {
        '01': 'M',
        '02': '198.51.100.0/24',
        '03': 'DEMO-ISP-V4',
        '05': FOREIGN,
      }),
    ]);
    expect(again.reply.parsed.blocks[0]?.status).toBe('APPROVED');
    expect(await netPocsOf(stack.database.db, 'NET-198-51-100-0-1')).toEqual(
      expect.not.arrayContaining([
        { role: 'abuse', poc: FOREIGN },
        { role: 'noc', poc: FOREIGN },
      ]),
    );
  });

  it('still takes our own POCs, and a POC the object already has, sent again with the whole form', async () => {
    const own = await submit(stack, [netAbusePoc('DEMO1-ARIN')]);
    expect(own.reply.parsed.blocks[0]?.status).toBe('APPROVED');
    const again = await submit(stack, [orgWithAbusePoc('DEMO1-ARIN')]);
    expect(again.reply.parsed.blocks[0]?.status).toBe('APPROVED');
  });
});
