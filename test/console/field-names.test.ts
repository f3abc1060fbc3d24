/**
 * One naming for a record's fields wherever a customer or staff read them: the form's words. The
 * demo ISP changes its org's postal code and city by mail (ORG M over SMTP); the reply names the
 * fields as the form does (`Org Postal Code`), so does the notice its contacts get (it said
 * `postal code: 22150 -> 20190`, our column), and so does the change in the org's history in the
 * staff console's look-up (it said `postalCode`), where what no form has a field for keeps our name.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaffUser } from '../../src/console/index.ts';
import { fillForm } from '../pipeline/support/forms.ts';
import { noticesFor, settledFor } from '../pipeline/support/outcomes.ts';
import { submit } from '../pipeline/support/session.ts';
import { type Stack, startStack } from '../support/stack.ts';
import { ConsoleClient } from './support/http-client.ts';
import { pageText } from './support/sign-in.ts';

const STAFF = 'alice@registry.example';
const PASSWORD = 'a long staff passphrase';

describe("a record's fields named in its form's words", () => {
  let stack: Stack;
  let client: ConsoleClient;

  beforeAll(async () => {
    stack = await startStack({ backend: 'postgres' });
    const staff = await createStaffUser(stack.database.db, STAFF, PASSWORD, { oneTime: false });
    if (!staff.ok) throw new Error(staff.error.message);
    client = new ConsoleClient(`http://127.0.0.1:${stack.daemon.consolePort}`);
    expect((await client.signIn(STAFF, PASSWORD)).status).toBe(303);
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  it('in the reply, the notice and the staff look-up alike', async () => {
    const { id, reply } = await submit(stack, [
      fillForm('ARIN-ORG-5.2', {
        '01': 'M',
        '02': 'DEMOISP-1',
        '03': 'Demo ISP',
        '06': '1 Example Way',
        '07': 'Reston',
        '08': 'VA',
        '09': '20190',
        '10': 'US',
        '11': 'DEMO1-ARIN',
        '12': 'DEMO1-ARIN',
      }),
    ]);
    await settledFor(stack.sink, stack.database.db, id);
    expect(reply.parsed.blocks[0]?.notes).toEqual(['Org DEMOISP-1 modified (Org City, Org Postal Code).']);

    const [notice] = await noticesFor(stack.sink, id);
    const told = notice!.text
      .split(/\r?\n/)
      .map((line) => line.trim())
      .filter((line) => line.includes(' -> '));
    expect(told).toEqual(['Org City: Springfield -> Reston', 'Org Postal Code: 22150 -> 20190']);

    const history = pageText((await client.get('/lookup?q=DEMOISP-1')).body);
    expect(history).toContain('Org Postal Code: 22150 → 20190');
    expect(history).toContain('Org City: Springfield → Reston');
    // Our column's name nowhere (`postalCode` in the history, `postal code` in a notice).
    expect(history).not.toMatch(/postalCode|postal code/);
  });
});
