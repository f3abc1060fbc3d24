/**
 * One round trip (issue 15 §3, docs/reply-format.md "Errors"): a template with a field error (a
 * country written `USA`, an Origin AS `ASxyz`) is still checked by the registry's rules that do
 * not depend on that field, and the first reply names both: the range outside the sender's space,
 * the overlap, the space of another account, the POC or org that does not exist. A check that
 * needs the value in error is skipped (a range that does not read is not looked for), and the
 * registry holds nothing of a refused template. Mail in over SMTP, the reply parsed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_API_KEY } from '../../src/registry/index.ts';
import { mail, type Stack, startStack } from '../support/stack.ts';
import { fillForm, personPoc, simpleReassignment } from './support/forms.ts';
import { customersNamed, replyFor } from './support/outcomes.ts';

const withCountry = (template: string, country: string) =>
  template.replace(/(Country Code:) US$/m, country === '' ? '$1' : `$1 ${country}`);

const netMod = (originAs: string, tech: string) =>
  fillForm('ARIN-NET-MOD-5.3', {
    '01': 'M',
    '02': '198.51.100.0/24',
    '03': 'DEMO-ISP-V4',
    '04': originAs,
    '05': tech,
  });

const org = (country: string, admin: string) =>
  fillForm('ARIN-ORG-5.2', {
    '01': 'N',
    '03': 'Round Trip Widgets',
    '06': '9 Corrected Road',
    '07': 'Herndon',
    '08': 'VA',
    '09': '20170',
    '10': country,
    '11': admin,
    '12': 'DEMO1-ARIN',
  });

/** Each block's errors as [code, field], in the reply's order. */
async function errorsOf(stack: Stack, templates: readonly string[]) {
  const id = await stack.send(mail({ subject: `SWIP ${DEMO_API_KEY}`, body: templates.join('\n') }));
  const { parsed } = await replyFor(stack.sink, id);
  return parsed.blocks.map((b) => ({
    status: b.status,
    errors: b.errors.map((e) => [e.code, e.field, e.line]),
  }));
}

describe('a field error does not hide the registry’s problems (pglite)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ backend: 'pglite' });
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  it('a range outside our space beside USA; a missing POC beside ASxyz; by line', async () => {
    const blocks = await errorsOf(stack, [
      withCountry(simpleReassignment({ range: '192.0.2.0/28', name: 'OUT-1' }), 'USA'),
      netMod('ASxyz', 'NOSUCH1-ARIN'),
    ]);
    expect(blocks).toEqual([
      {
        status: 'REJECTED',
        errors: [
          ['E_NOT_WITHIN_PARENT', '03', 5],
          ['E_INVALID_COUNTRY', '11', 13],
        ],
      },
      {
        status: 'REJECTED',
        errors: [
          ['E_INVALID_ORIGIN_AS', '04', 6],
          ['E_OBJECT_NOT_FOUND', '05', 7],
        ],
      },
    ]);
  });

  it('another account’s space, an overlap, a POC and an org that do not exist, each beside its field error', async () => {
    // A customer in the demo space first, for the overlap.
    const first = await errorsOf(stack, [simpleReassignment({ range: '198.51.100.16/28', name: 'HELD-1' })]);
    expect(first).toEqual([{ status: 'APPROVED', errors: [] }]);
    const overlapping = withCountry(
      simpleReassignment({ range: '198.51.100.16/29', name: 'AGAIN-1', customer: 'Other Widgets' }),
      'USA',
    ).replace(/^(10\. Customer Postal Code:).*$/m, '$1');
    const blocks = await errorsOf(stack, [
      withCountry(simpleReassignment({ range: '203.0.113.0/28', name: 'THEIRS-1' }), 'UK'),
      overlapping,
      personPoc('Nope', 'Kim', 'kim@demo-isp.example', { '01': 'M', '02': 'NOPE99-ARIN', '12': 'USA' }),
      org('United States', 'NOPE98-ARIN'),
      fillForm('ARIN-REASSIGN-DETAILED-5.4', {
        '01': 'NOSUCHORG-9',
        '20': '198.51.100.64/28',
        '21': 'DETAILED-1',
        '22': 'ASxyz',
      }),
    ]);
    const codes = blocks.map((b) => b.errors.map(([code, field]) => `${code} ${field}`));
    expect(blocks.every((b) => b.status === 'REJECTED')).toBe(true);
    expect(codes[0]).toEqual(['E_NOT_AUTHORIZED 03', 'E_INVALID_COUNTRY 11']);
    expect(codes[1]).toEqual(['E_OVERLAP 03', 'E_MISSING_FIELD 10', 'E_INVALID_COUNTRY 11']);
    expect(codes[2]).toEqual(['E_OBJECT_NOT_FOUND 02', 'E_INVALID_COUNTRY 12']);
    expect(codes[3]).toEqual(['E_INVALID_COUNTRY 10', 'E_OBJECT_NOT_FOUND 11']);
    expect(codes[4]).toEqual(['E_OBJECT_NOT_FOUND 01', 'E_INVALID_ORIGIN_AS 22']);
  });

  it('a check that needs the value in error is skipped, and a refused template registers nothing', async () => {
    const blocks = await errorsOf(stack, [
      // The range does not read: no registry check can run, only what reading found.
      withCountry(simpleReassignment({ range: '198.51.100.300/29', name: 'BAD-RANGE' }), 'USA'),
      // A tech POC handle that does not read is not looked for.
      netMod('ASxyz', 'not a handle!'),
      // Nothing in the way: the country alone refuses it, and nothing is registered.
      withCountry(
        simpleReassignment({ range: '198.51.100.128/28', name: 'FREE-1', customer: 'Round Trip Fine Inc' }),
        'USA',
      ),
    ]);
    const codes = blocks.map((b) => b.errors.map(([code]) => code));
    expect(codes[0]).toEqual(['E_INVALID_IP', 'E_INVALID_COUNTRY']);
    expect(codes[1]?.every((c) => c !== 'E_OBJECT_NOT_FOUND')).toBe(true);
    expect(codes[2]).toEqual(['E_INVALID_COUNTRY']);
    expect(await customersNamed(stack.database.db, 'Round Trip Fine Inc')).toBe(0);
  });
});
