/**
 * The forms third-party clients send (issue 15), each a fixture of test/fixtures/mail mailed over
 * SMTP to the whole daemon on both backends: ARIN's own numbering (37/38 on 5.0-era forms),
 * lines ARIN's forms carry and ours did not (POC 19), the 2002 banner lines, a detailed form
 * with the Org ID and 02-19 filled. Each is answered as ARIN's processor would, and
 * `hostmasterd lint` says the same as the daemon.
 */
import fs from 'node:fs';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lintCommand } from '../../src/commands/lint.ts';
import { listRejections } from '../../src/console/rejection-queue.ts';
import { DEMO_API_KEY } from '../../src/registry/index.ts';
import { commandOutput } from '../support/command-output.ts';
import { BACKENDS } from '../support/databases.ts';
import { type Stack, startStack } from '../support/stack.ts';
import { fillForm } from './support/forms.ts';
import {
  netByName,
  pocByHandle,
  rejectionsOf,
  replyFor,
  templateRows,
  ticketOf,
} from './support/outcomes.ts';
import { submit } from './support/session.ts';

const fixture = (name: string) => new URL(`../fixtures/mail/${name}.eml`, import.meta.url);

interface Case {
  readonly fixture: string;
  readonly form: string;
  readonly status: 'APPROVED' | 'REJECTED';
  readonly errors?: readonly string[];
  readonly notes?: readonly string[];
  /** The net the registry holds afterwards, by name. */
  readonly net?: string;
  /** What the ticket keeps for staff from the Additional Information line. */
  readonly additionalInfo?: string;
}

/** The reply's note on a filled Additional Information line (field as printed, line from Template:). */
function staffNote(field: string, line: number): string {
  return `field ${field} (Additional Information, line ${line}) passed to hostmaster staff with this template's ticket; it is not published`;
}

/** Every form ARIN printed with an Additional Information line, and that line's number. */
const ADDITIONAL_INFO_FIELDS: ReadonlyArray<readonly [form: string, field: string]> = [
  ['ARIN-POC-5.1', '19'],
  ['ARIN-ORG-5.2', '17'],
  ['ARIN-NET-MOD-5.3', '09'],
  ['ARIN-IPv6-NET-MOD-5.3', '09'],
  ['ARIN-REASSIGN-DETAILED-5.4', '24'],
  ['ARIN-REALLOCATE-5.4', '24'],
  ['ARIN-IPv6-REASSIGN-5.4', '25'],
  ['ARIN-IPv6-REALLOCATE-5.4', '25'],
  ['ARIN-REASSIGN-SIMPLE-5.3', '13'],
  ['ARIN-POC-4.1', '19'],
  ['ARIN-ORG-4.1', '17'],
  ['ARIN-NET-MOD-4.1', '10'],
  ['ARIN-IPv6-NET-MOD-4.1', '10'],
  ['ARIN-REASSIGN-DETAILED-4.1', '38'],
  ['ARIN-REALLOCATE-4.1', '38'],
  ['ARIN-IPv6-REASSIGN-4.1', '38'],
  ['ARIN-IPv6-REALLOCATE-4.1', '38'],
  ['ARIN-REASSIGN-SIMPLE-4.1', '12'],
  ['ARIN-REASSIGN-SIMPLE-3.0', '11'],
];

const CLIENT_CASES: readonly Case[] = [
  {
    fixture: 'reallocate-5.0-fields-37-38',
    form: 'ARIN-REALLOCATE-5.0',
    status: 'APPROVED',
    // 38 is 5.0's number for what 5.4 prints as 24: the note names it as written.
    notes: [staffNote('38', 10)],
    net: 'DEMO-REALLOC-37',
    additionalInfo: 'Customer contract 2026-117',
  },
  {
    fixture: 'poc-5.1-additional-information',
    form: 'ARIN-POC-5.1',
    status: 'APPROVED',
    notes: [staffNote('19', 16)],
    additionalInfo: 'Please link this role to our peering nets next week.',
  },
  {
    fixture: 'reassign-simple-3.0-banner',
    form: 'ARIN-REASSIGN-SIMPLE-3.0',
    status: 'APPROVED',
    net: 'DEMO-BANNER-1',
  },
  {
    fixture: 'reassign-detailed-5.0-org-id-and-details',
    form: 'ARIN-REASSIGN-DETAILED-5.0',
    status: 'APPROVED',
    notes: ['fields 02-08 not read: field 01 (Downstream Org ID) is given, and the form skips them then'],
    net: 'DEMO-DETAILED-SKIP',
  },
];

async function lint(file: string): Promise<{ code: number; out: string }> {
  const io = commandOutput();
  const code = await lintCommand([file], io);
  const out = io.written().stdout;
  return { code, out };
}

describe.each(BACKENDS)('what third-party clients send, end to end (%s)', (backend) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ backend });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it.each(CLIENT_CASES)('$fixture', async (c) => {
    const raw = fs
      .readFileSync(fixture(c.fixture), 'latin1')
      .replace(/^Subject: (.*)$/m, `Subject: $1 ${DEMO_API_KEY}`);
    const id = await stack.send(Buffer.from(raw, 'latin1'));
    const { parsed } = await replyFor(stack.sink, id);
    const [block] = parsed.blocks;
    expect(block).toMatchObject({ form: c.form, status: c.status });
    expect(block!.errors.map((e) => e.code)).toEqual(c.errors ?? []);
    for (const note of c.notes ?? []) expect(block!.notes).toContain(note);
    expect((await rejectionsOf(stack.database.db, id)).length > 0).toBe(c.status === 'REJECTED');
    if (c.net) expect(await netByName(stack.database.db, c.net)).toHaveLength(1);
    const ticket = await ticketOf(stack.database.db, block!.ticket!);
    expect(ticket!.additionalInfo).toBe(c.additionalInfo ?? null);

    // lint reads the file as the daemon did: OK exactly when the template was read, the same notes.
    const linted = await lint(fixture(c.fixture).pathname);
    expect(linted.code).toBe(c.status === 'APPROVED' || !c.errors?.length ? 0 : 1);
    for (const note of c.notes ?? []) expect(linted.out).toContain(`Note: ${note}`);
    for (const code of c.errors ?? []) expect(linted.out).toContain(code);
  });

  it('answers every problem of hand-typed templates at once, with what the sender meant', async () => {
    const raw = fs
      .readFileSync(fixture('hand-typed-mistakes'), 'latin1')
      .replace(/^Subject: (.*)$/m, `Subject: $1 ${DEMO_API_KEY}`);
    const id = await stack.send(Buffer.from(raw, 'latin1'));
    const reply = await replyFor(stack.sink, id);
    const { parsed } = reply;
    expect(parsed.blocks.map((b) => b.status)).toEqual(['REJECTED', 'REJECTED', 'REJECTED']);
    const [form, simple, poc] = parsed.blocks.map((b) =>
      b.errors.map((e) => `${e.code} ${e.field ?? '-'}: ${e.message}`),
    );
    expect(form![0]).toContain('(did you mean ARIN-REASSIGN-SIMPLE-5.0?)');
    // The missing city, what a US address needs, the country and the misspelled label: one reply.
    expect(simple).toEqual([
      'E_MISSING_FIELD 08: field 08 (Customer City) is required for action N',
      'E_MISSING_FIELD 09: a state or province is required for an address in US',
      'E_MISSING_FIELD 10: a postal code is required for an address in US',
      'E_INVALID_COUNTRY 11: "USA" is not an ISO 3166 two-letter country code; did you mean US?',
      'E_UNKNOWN_FIELD 38: there is no field 38 on ARIN-REASSIGN-SIMPLE-5.x (fields 00-13) and no field labelled "Public Coments"; did you mean 12. Public Comments?',
    ]);
    // A country name longer than the field is a wrong country, not a too long value.
    expect(poc).toEqual([
      'E_INVALID_COUNTRY 12: "United Kingdom" is not an ISO 3166 two-letter country code; did you mean GB?',
    ]);
    // Lines count from each template's Template: line, as its echo numbers them, and every error
    // with a line quotes it under itself.
    expect(parsed.blocks[1]!.errors.map((e) => e.line)).toEqual([1, 1, 1, 6, 7]);
    const body = (await simpleParser(reply.mail.raw)).text ?? '';
    expect(body).toContain(
      [
        'Error: E_INVALID_COUNTRY field 11 line 6: "USA" is not an ISO 3166 two-letter country code; did you mean US?',
        '  > 6 | 11. Customer Country Code: USA',
      ].join('\n'),
    );
    expect(body).toContain('> 6 | 11. Customer Country Code: USA\n> 7 | 38. Public Coments: new customer');
    const linted = await lint(fixture('hand-typed-mistakes').pathname);
    expect(linted.code).toBe(1);
    for (const line of [...form!, ...simple!, ...poc!])
      expect(linted.out).toContain(line.split(': ').slice(1).join(': ').slice(0, 80));
  });

  it('names the field an authority or not-found refusal is about', async () => {
    const { reply } = await submit(stack, [
      fillForm('ARIN-POC-5.1', { '01': 'R', '02': 'NOSUCH9-ARIN' }),
      fillForm('ARIN-NET-MOD-5.3', { '01': 'M', '02': '203.0.113.0/24', '03': 'NOT-OURS' }),
    ]);
    const [poc, net] = reply.parsed.blocks;
    expect(poc!.errors.map((e) => [e.code, e.field])).toEqual([
      [expect.stringMatching(/^E_(OBJECT_NOT_FOUND|NOT_AUTHORIZED)$/), '02'],
    ]);
    expect(net!.errors.map((e) => [e.code, e.field])).toEqual([
      [expect.stringMatching(/^E_(OBJECT_NOT_FOUND|NOT_AUTHORIZED)$/), '02'],
    ]);
  });

  it("keeps each office phone's extension with its phone", async () => {
    const raw = fs
      .readFileSync(fixture('poc-5.1-two-phones-extensions'), 'latin1')
      .replace(/^Subject: (.*)$/m, `Subject: $1 ${DEMO_API_KEY}`);
    const id = await stack.send(Buffer.from(raw, 'latin1'));
    const { parsed } = await replyFor(stack.sink, id);
    expect(parsed.blocks[0]).toMatchObject({ status: 'APPROVED', errors: [] });
    const poc = await pocByHandle(stack.database.db, parsed.blocks[0]!.handles[0]!);
    expect(poc!.phones).toEqual([
      { number: '+1-703-555-0120', kind: 'office', extension: '210' },
      { number: '+1-703-555-0130', kind: 'office', extension: '330' },
    ]);
    expect((await lint(fixture('poc-5.1-two-phones-extensions').pathname)).code).toBe(0);
  });

  it("keeps a POC's filled Additional Information (line 19) with the ticket, for staff", async () => {
    const raw = fs
      .readFileSync(fixture('poc-5.1-additional-information'), 'latin1')
      .replace(/^Subject: (.*)$/m, `Subject: $1 ${DEMO_API_KEY}`)
      .replace('Demo ISP Peering', 'Demo ISP Transit');
    const id = await stack.send(Buffer.from(raw, 'latin1'));
    const { parsed } = await replyFor(stack.sink, id);
    const handle = parsed.blocks[0]!.handles[0]!;
    expect(await pocByHandle(stack.database.db, handle)).toMatchObject({ lastName: 'Demo ISP Transit' });
    const [row] = await templateRows(stack.database.db, id);
    expect(row!.request).toMatchObject({
      kind: 'poc.create',
      additionalInfo: 'Please link this role to our peering nets next week.',
    });
    // On the ticket staff work from, and the sender is told it went there.
    const ticket = await ticketOf(stack.database.db, parsed.blocks[0]!.ticket!);
    expect(ticket!.additionalInfo).toBe('Please link this role to our peering nets next week.');
    expect(parsed.blocks[0]!.notes).toContain(staffNote('19', 16));
  });

  it.each([0, 10])(
    "puts every form's Additional Information on the ticket and in the rejection queue, applied or refused (forms %i+)",
    async (from) => {
      const forms = ADDITIONAL_INFO_FIELDS.slice(from, from + 10);
      // Only the Action and the note are filled: most are refused for what they lack, never for the note.
      const templates = forms.map(([form, field], i) =>
        fillForm(form, {
          '01': /NET-MOD|POC|ORG/.test(form) ? 'M' : '',
          [field]:
            i === 1
              ? 'NONE'
              : [`Note ${i} for staff on ${form}:`, 'call us before you apply it. API-1111-2222-3333-4444'],
        }),
      );
      const { id, reply } = await submit(stack, templates);
      const blocks = reply.parsed.blocks;
      expect(blocks.map((b) => b.form)).toEqual(forms.map(([form]) => form));
      const queue = (await listRejections(stack.database.db, { state: 'all' })).rows.filter(
        (r) => r.submissionId === id,
      );
      for (const [i, [form, field]] of forms.entries()) {
        const block = blocks[i]!;
        // The line is a field of every form, blank, NONE or filled: never refused itself.
        for (const e of block.errors) {
          expect(e.code, `${form}: ${e.message}`).not.toBe('E_UNKNOWN_FIELD');
          expect(e.field, `${form}: ${e.message}`).not.toBe(field);
        }
        const ticket = await ticketOf(stack.database.db, block.ticket!);
        const line =
          templates[i]!.split('\n').findIndex((l) => l.startsWith(`${field}. Additional Information:`)) + 1;
        if (i === 1) {
          expect(ticket!.additionalInfo, form).toBeNull();
          expect(block.notes.join(' '), form).not.toContain('Additional Information');
          continue;
        }
        const text = `Note ${i} for staff on ${form}:\ncall us before you apply it. API-****-****-****-4444`;
        expect(ticket!.additionalInfo, form).toBe(text);
        expect(block.notes, form).toContain(staffNote(field, line));
        if (block.status === 'REJECTED') {
          expect(queue.find((r) => r.templateIndex === i + 1)?.additionalInfo, form).toBe(text);
        }
      }
    },
  );
});
