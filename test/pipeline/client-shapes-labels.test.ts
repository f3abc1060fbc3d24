/**
 * Field lines written without their number, as some clients and ARIN's own processor accept
 * them (`^\s*(?:\d+\.)?\s*(label)\s*:`), mailed over SMTP to the whole daemon (finding mail25
 * F1): an `Additional Information:` line below Public Comments stays a note for staff, never
 * published, and so does a numbered list indented inside it (`  12. step: ...`, not field 12); a
 * `City:` line below an Address is the city, not one more street line; a template written
 * label-only from top to bottom is applied. The reply says what was read by a label alone.
 */
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.ts';
import { type Stack, startStack } from '../support/stack.ts';
import { personPoc, simpleReassignment } from './support/forms.ts';
import { netByName, pocByHandle, ticketOf } from './support/outcomes.ts';
import { submit } from './support/session.ts';

/** The template with one numbered line written as its label alone: `12. Public Comments:` -> `Public Comments:`. */
const withoutNumber = (template: string, number: string) =>
  template.replace(new RegExp(`^${number}\\. `, 'm'), '');

describe('field lines without their number, end to end (pglite)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ backend: 'pglite' });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('keeps an Additional Information line written without its number out of the published comments', async () => {
    const template = simpleReassignment({ range: '198.51.100.152/29', name: 'NONUM-NET' })
      .replace('12. Public Comments:', '12. Public Comments: Example customer')
      .replace('13. Additional Information:', 'Additional Information: internal cost center 12-3456');
    const { reply } = await submit(stack, [template]);
    const [block] = reply.parsed.blocks;
    expect(block).toMatchObject({ status: 'APPROVED', errors: [] });
    expect(block!.notes).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^read by their labels without a number: line \d+ "Additional Information:" is field 13 \(Additional Information\), not one more line of field 12 \(Public Comments\)$/,
        ),
        expect.stringMatching(/^field 13 \(Additional Information, line \d+\) passed to hostmaster staff/),
      ]),
    );
    const [net] = await netByName(stack.database.db, 'NONUM-NET');
    expect(net?.publicComments).toEqual(['Example customer']);
    expect((await ticketOf(stack.database.db, block!.ticket!))?.additionalInfo).toBe(
      'internal cost center 12-3456',
    );
  });

  it('keeps a numbered list indented inside Additional Information out of the published comments', async () => {
    const template = simpleReassignment({ range: '198.51.100.184/29', name: 'HINT-NET' }).replace(
      '13. Additional Information:',
      '13. Additional Information: internal steps:\n  12. step: call customer at home 555-0199',
    );
    const { reply } = await submit(stack, [template]);
    const [block] = reply.parsed.blocks;
    expect(block).toMatchObject({ status: 'APPROVED', errors: [] });
    const [net] = await netByName(stack.database.db, 'HINT-NET');
    expect(net?.publicComments).toEqual([]);
    expect((await ticketOf(stack.database.db, block!.ticket!))?.additionalInfo).toBe(
      'internal steps:\n12. step: call customer at home 555-0199',
    );
  });

  it('applies a City written without its number below the Address to the city', async () => {
    const template = withoutNumber(
      personPoc('Operator', 'Demo', '', {
        '01': 'M',
        '02': 'DEMO1-ARIN',
        '08': '200 New Street',
        '09': 'Reston',
      }),
      '09',
    );
    expect(template).toContain('\nCity: Reston\n');
    const { reply } = await submit(stack, [template]);
    const [block] = reply.parsed.blocks;
    expect(block).toMatchObject({ status: 'APPROVED', errors: [] });
    expect(block!.notes).toContainEqual(
      expect.stringMatching(/"City:" is field 09 \(City\), not one more line of field 08 \(Address\)$/),
    );
    const poc = await pocByHandle(stack.database.db, 'DEMO1-ARIN');
    expect({ street: poc?.street, city: poc?.city }).toEqual({ street: ['200 New Street'], city: 'Reston' });
  });

  it('applies a template written label-only, as the blank form prints its labels', async () => {
    const numbered = personPoc('Nonumber', 'Nora', 'nora.nonumber@demo-isp.example');
    const labelOnly = numbered.replace(/^\d\d\. /gm, '');
    expect(labelOnly).toContain('\nRegistration Action (N, M or R): N\n');
    const { reply } = await submit(stack, [labelOnly]);
    const [block] = reply.parsed.blocks;
    expect(block).toMatchObject({ status: 'APPROVED', errors: [] });
    // Nothing to warn about: every line is its own label's field, none below one taking more lines by number.
    expect(block!.notes.filter((n) => n.startsWith('read by their labels'))).toEqual([]);
    expect(block!.handles).toHaveLength(1);
    const created = await stack.database.db
      .select({ handle: tables.pocs.handle, city: tables.pocs.city })
      .from(tables.pocs)
      .where(eq(sql`lower(${tables.pocs.lastName})`, 'nonumber'));
    expect(created).toEqual([{ handle: block!.handles[0], city: 'Herndon' }]);
  });
});
