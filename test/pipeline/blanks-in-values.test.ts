/**
 * Blanks inside a value (docs/reply-format.md, "Invisible characters"): a customer name pasted
 * from a web page with a no-break space, a TAB, two spaces, an ideographic space. The registry
 * holds each run of blanks as one space, so what the reply says is what WHOIS and RDAP publish,
 * the name a person types finds it (with two spaces too), and the same template sent again with
 * a plain space is a resend, not E_OVERLAP. A POC M whose only difference is an NBSP changes
 * nothing. Mail in over SMTP (a corpus mail for the NBSP), the reply parsed, WHOIS and RDAP asked.
 */
import fs from 'node:fs';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.ts';
import { rdapClient, whois, whoisValues } from '../public/support/clients.ts';
import { type Stack, startStack } from '../support/stack.ts';
import { fillForm, simpleReassignment } from './support/forms.ts';
import { customersNamed, replyFor } from './support/outcomes.ts';
import { submit } from './support/session.ts';

const NBSP_MAIL = fs.readFileSync(new URL('../fixtures/mail/nbsp-customer-name.eml', import.meta.url));

describe('blanks inside a value are stored as one space (pglite)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ backend: 'pglite' });
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  const foundByName = async (name: string) => {
    const text = await whois(stack.daemon.whoisPort!, `c ${name}`);
    const rdap = await rdapClient(stack.daemon.rdapPort!).get(`/entities?fn=${encodeURIComponent(name)}`);
    return {
      whois: whoisValues(text, 'CustName'),
      rdap: (rdap.body['entitySearchResults'] as unknown[] | undefined)?.length ?? 0,
    };
  };

  it('an NBSP pasted into a name: replied, stored and published with a space, found, resent', async () => {
    const first = await replyFor(stack.sink, await stack.send(NBSP_MAIL));
    const block = first.parsed.blocks[0]!;
    expect(block.status).toBe('APPROVED');
    expect(block.notes.join('\n')).toContain('(Nbsp Widgets Inc) created');
    expect(block.notes.join('\n')).not.toContain('\u00a0');
    expect(await customersNamed(stack.database.db, 'Nbsp Widgets Inc')).toBe(1);
    const [customer] = await stack.database.db
      .select()
      .from(tables.customers)
      .where(eq(tables.customers.name, 'Nbsp Widgets Inc'));
    expect(customer?.street).toEqual(['100 Industrial Way']);
    expect(await foundByName('Nbsp Widgets Inc')).toEqual({ whois: ['Nbsp Widgets Inc'], rdap: 1 });

    // What a billing system's database or a person retyping it sends: a plain space.
    const retyped = NBSP_MAIL.toString('utf8')
      .replaceAll('\u00a0', ' ')
      .replace('<swip-nbsp-0001@', '<swip-nbsp-0002@');
    const again = await replyFor(stack.sink, await stack.send(retyped));
    expect(again.parsed.blocks[0]?.status).toBe('APPROVED');
    expect(again.parsed.blocks[0]?.errors).toEqual([]);
    expect(again.parsed.blocks[0]?.notes.join('\n')).toContain('already registered as');
    expect(await customersNamed(stack.database.db, 'Nbsp Widgets Inc')).toBe(1);
  });

  it('a TAB, two spaces, an ideographic space: one space each, found as typed with one or two', async () => {
    const sent = await submit(stack, [
      simpleReassignment({ range: '198.51.100.208/29', name: 'TAB-1', customer: 'Tab\tWidgets Inc' }),
      simpleReassignment({ range: '198.51.100.216/29', name: 'DBL-1', customer: 'Dbl  Widgets Inc' }),
      simpleReassignment({
        range: '198.51.100.224/29',
        name: 'IDEO-1',
        customer: 'Ideo\u3000Widgets\u2003Inc',
      }),
    ]);
    expect(sent.reply.parsed.blocks.map((b) => b.status)).toEqual(['APPROVED', 'APPROVED', 'APPROVED']);
    expect(await foundByName('Tab Widgets Inc')).toEqual({ whois: ['Tab Widgets Inc'], rdap: 1 });
    expect(await foundByName('Dbl  Widgets Inc')).toEqual({ whois: ['Dbl Widgets Inc'], rdap: 1 });
    expect(await foundByName('Ideo Widgets Inc')).toEqual({ whois: ['Ideo Widgets Inc'], rdap: 1 });
  });

  it('a POC M whose company differs only by an NBSP changes nothing', async () => {
    const sent = await submit(stack, [
      fillForm('ARIN-POC-5.1', { '01': 'M', '02': 'DEMO1-ARIN', '07': 'Demo\u00a0ISP' }),
    ]);
    const block = sent.reply.parsed.blocks[0]!;
    expect(block.notes.join('\n')).not.toContain('Company Name');
    const [poc] = await stack.database.db
      .select()
      .from(tables.pocs)
      .where(eq(tables.pocs.handle, 'DEMO1-ARIN'));
    expect(poc?.company).toBe('Demo ISP');
  });
});
