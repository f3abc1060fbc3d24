/**
 * ARIN-REASSIGN-DETAILED-4.1 (and its IPv6 and REALLOCATE twins) print "Org POC Handle (or leave
 * blank to create the POC below)" and "Net POC Handle (...)": a billing system that fills every
 * line it has sends the handle and the new POC's lines too. As for the Downstream Org ID, the
 * form's instruction is followed (issue 15 §2): the handle is used, the lines below it are not
 * read, one note says so; never E_AMBIGUOUS_VALUE. Mail in over SMTP, the reply parsed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../support/stack.ts';
import { fillForm } from './support/forms.ts';
import { netPocsOf } from './support/outcomes.ts';
import { submit } from './support/session.ts';

const NEW_ORG = { '02': 'Cust Org', '03': '1 Road', '04': 'Reston', '05': 'VA', '06': '20190', '07': 'US' };
const ORG_POC_LINES = {
  '09': 'R',
  '10': 'Cust NOC',
  '12': 'Cust Org',
  '13': '1 Road',
  '14': 'Reston',
  '15': 'VA',
  '16': '20190',
  '17': 'US',
  '18': '+1-703-555-0101',
  '19': 'noc@cust.example',
};
const NET_POC_LINES = {
  '26': 'R',
  '27': 'Cust Tech',
  '29': 'Cust Org',
  '30': '1 Road',
  '31': 'Reston',
  '32': 'VA',
  '33': '20190',
  '34': 'US',
  '35': '+1-703-555-0102',
  '36': 'tech@cust.example',
};

describe('a POC handle with the "create the POC below" lines filled (pglite)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ backend: 'pglite' });
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  it('uses the Org POC handle (08), or the Net POC handle (25), skipping 09-19 or 26-36 with a note', async () => {
    const sent = await submit(stack, [
      fillForm('ARIN-REASSIGN-DETAILED-4.1', {
        ...NEW_ORG,
        '08': 'DEMO1-ARIN',
        ...ORG_POC_LINES,
        '20': '198.51.100.128/28',
        '21': 'CUST-V4',
        '24': 'T',
        ...NET_POC_LINES,
      }),
      fillForm('ARIN-REASSIGN-DETAILED-4.1', {
        ...NEW_ORG,
        '02': 'Cust Org Two',
        ...ORG_POC_LINES,
        // The new org's POC is its admin (voting) contact: a person.
        '09': 'P',
        '11': 'Olive',
        '20': '198.51.100.144/28',
        '21': 'CUST-V4-2',
        '24': 'T',
        '25': 'DEMO1-ARIN',
        ...NET_POC_LINES,
      }),
    ]);
    const [orgPocNamed, netOnly] = sent.reply.parsed.blocks;
    expect(orgPocNamed?.errors).toEqual([]);
    expect(orgPocNamed?.status).toBe('APPROVED');
    expect(orgPocNamed?.notes).toContain(
      'fields 09-19 not read: field 08 (Org POC Handle) is given, and the form skips them then',
    );
    // Its net POC has no handle: created from 26-36, as before.
    expect(orgPocNamed?.notes.join('\n')).not.toContain('fields 26-36 not read');
    expect(netOnly?.errors).toEqual([]);
    expect(netOnly?.status).toBe('APPROVED');
    expect(netOnly?.notes).toContain(
      'fields 26-36 not read: field 25 (Net POC Handle) is given, and the form skips them then',
    );
    const net = netOnly?.handles.find((h) => h.startsWith('NET-'));
    expect((await netPocsOf(stack.database.db, net ?? '')).map((l) => l.poc)).toEqual(['DEMO1-ARIN']);
  });
});
