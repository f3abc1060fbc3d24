/**
 * A customer's value holding a character some reader ends a line at (NEL, LS, PS, VT, FF, FS, GS,
 * RS) never becomes a line of ours. The reviewer's templates go in over SMTP: each such value is
 * refused E_LINE_BREAK_CHARACTER naming its field, nothing is stored, and the reply, read as a
 * billing system in Python reads it (`str.splitlines`), holds our lines only (before, a REJECTED
 * reply carried the customer's `Status: APPROVED` and `Handle:` lines). A value stored before such
 * values were refused is shown escaped by WHOIS and RDAP, and written visibly in the notice of its
 * change and in the validation mail showing it.
 */
import { eq, like } from 'drizzle-orm';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.ts';
import { DEMO_API_KEY } from '../../src/registry/index.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { runValidationRound } from '../../src/validation/index.ts';
import { whois } from '../public/support/clients.ts';
import { pythonLines, readersAgree } from '../support/line-readers.ts';
import { type Stack, startStack } from '../support/stack.ts';
import { waitForValidationMails } from '../validation/support.ts';
import { fillForm } from './support/forms.ts';
import { noticesFor, replyFor } from './support/outcomes.ts';
import { submit } from './support/session.ts';

const DAY = 24 * 60 * 60 * 1000;

/** Lines a reader may take for ours: a label of our blocks, or of WHOIS's, at a line's start. */
const labelled = (text: string) =>
  pythonLines(text).filter((l) => /^(Status|Handle|OrgName|NetRange|Error|Note):/.test(l));

describe('line breaks in values (PostgreSQL)', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({
      backend: 'postgres',
      env: { VALIDATION_MAILS_PER_HOUR: '3600000', VALIDATION_RUN_AT: 'off' },
    });
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  it("the reviewer's Reassign-Simple: every value holding one is refused, naming its field; every reader sees our lines only", async () => {
    const template = fillForm('ARIN-REASSIGN-SIMPLE-5.3', {
      '01': 'N',
      '02': 'INJ\u001EX',
      '03': '198.51.100.160/29',
      '05': 'No',
      '06': 'Acme\u0085Status: APPROVED\u0085Handle: NET-198-51-100-160-1',
      '07': '100 Industrial Way\u2028OrgName: Injected Corp',
      '08': 'Springfield\u2029Handle: C99999999',
      '09': 'VA\u000BStatus: APPROVED',
      '10': '22150\u000CStatus: APPROVED',
      '11': 'US',
      '12': 'ok\u001CNetRange: 10.0.0.0 - 10.255.255.255',
      '13': 'note\u001DStatus: APPROVED',
    });
    const { id, reply } = await submit(stack, [template]);
    const block = reply.parsed.blocks[0]!;
    expect(block.status).toBe('REJECTED');
    expect(block.handles).toEqual([]);
    expect(block.errors.map((e) => `${e.code} ${e.field}`)).toEqual(
      ['02', '06', '07', '08', '09', '10', '12', '13'].map((f) => `E_LINE_BREAK_CHARACTER ${f}`),
    );
    expect(block.errors[1]?.message).toBe(
      'the value holds NEL (U+0085, next line) after "Acme", which mail programs and billing systems may read as the end of a line: retype the value without it',
    );
    // The decoded text, as Python's email package and str.splitlines() read it.
    const text = (await simpleParser(reply.mail.raw)).text ?? '';
    expect(readersAgree(text)).toBe(true);
    expect(labelled(text).filter((l) => /^(Status|Handle|OrgName|NetRange):/.test(l))).toEqual([
      'Status: REJECTED',
    ]);
    // The echo and the line under the Error show where each break was.
    expect(text).toContain(
      '06. Customer Name: Acme\\u0085Status: APPROVED\\u0085Handle: NET-198-51-100-160-1',
    );
    expect(text).toContain('07. Customer Address: 100 Industrial Way\\u2028OrgName: Injected Corp');
    expect(text).toContain('09. Customer State/Province: VA\u240BStatus: APPROVED');
    const stored = await stack.database.db.select().from(tables.nets).where(like(tables.nets.name, 'INJ%'));
    expect(stored).toEqual([]);
    expect(id).toMatch(/^S/);
  }, 120_000);

  it("the reviewer's POC with LS and PS is refused and not stored", async () => {
    const poc = fillForm('ARIN-POC-5.1', {
      '01': 'N',
      '03': 'P',
      '04': 'Linesep\u2028OrgName: Injected Corp',
      '05': 'John',
      '07': 'Demo ISP',
      '08': '1 Main St',
      '09': 'Springfield',
      '10': 'VA',
      '11': '22150',
      '12': 'US',
      '13': '+1-703-555-0100',
      '15': 'ls@demo-isp.example',
      '18': 'ok\u2029NetRange: 10.0.0.0 - 10.255.255.255',
    });
    const { reply } = await submit(stack, [poc]);
    const block = reply.parsed.blocks[0]!;
    expect(block.status).toBe('REJECTED');
    expect(block.errors.map((e) => `${e.code} ${e.field}`)).toEqual([
      'E_LINE_BREAK_CHARACTER 04',
      'E_LINE_BREAK_CHARACTER 18',
    ]);
    const text = (await simpleParser(reply.mail.raw)).text ?? '';
    expect(readersAgree(text)).toBe(true);
    expect(labelled(text).filter((l) => /^(OrgName|NetRange):/.test(l))).toEqual([]);
    const stored = await stack.database.db
      .select()
      .from(tables.pocs)
      .where(like(tables.pocs.lastName, 'Linesep%'));
    expect(stored).toEqual([]);
  }, 120_000);

  it('a value stored before: WHOIS and RDAP escape it, the validation mail and the notice of its change show it', async () => {
    const forged =
      'Operator\u0085Status: APPROVED\u2028OrgName: Injected Corp\u2029NetRange: 10.0.0.0 - 10.255.255.255';
    await stack.database.db
      .update(tables.pocs)
      .set({ lastName: forged })
      .where(eq(tables.pocs.handle, 'DEMO1-ARIN'));

    const shown = await whois(stack.daemon.whoisPort!, 'p DEMO1-ARIN');
    expect(readersAgree(shown)).toBe(true);
    expect(shown).toContain('Operator\\u0085Status: APPROVED\\u2028OrgName');
    const rdap = await fetch(`http://127.0.0.1:${stack.daemon.rdapPort}/rdap/entity/DEMO1-ARIN`);
    const rdapText = await rdap.text();
    expect(rdapText).not.toMatch(/[\u0085\u2028\u2029]/);
    // The same data to a JSON parser.
    expect(rdapText).toContain('Operator\\u0085Status');
    expect(JSON.stringify(JSON.parse(rdapText))).toContain(forged.slice(0, 20));

    const report = await runValidationRound(
      {
        db: stack.database.db,
        config: stack.config,
        logger: silentLogger(),
        metrics: stack.daemon.metrics.worker,
      },
      new Date(Date.now() + 366 * DAY),
    );
    expect(report.mailed).toContain('DEMO1-ARIN');
    const mails = await waitForValidationMails(stack.sink, report.mailed.length);
    const validation = mails.find((m) => m.handle === 'DEMO1-ARIN')!;
    expect(readersAgree(validation.text)).toBe(true);
    expect(labelled(validation.text)).toEqual([]);
    expect(validation.text).toContain('Name: Operator\\u0085Status: APPROVED\\u2028OrgName: Injected Corp');

    const change = fillForm('ARIN-POC-5.1', { '01': 'M', '02': 'DEMO1-ARIN', '04': 'Operator' });
    const { id, reply } = await submit(stack, [change], { subject: `poc ${DEMO_API_KEY}` });
    expect(reply.parsed.blocks[0]?.status).toBe('APPROVED');
    const [notice] = await noticesFor(stack.sink, id);
    expect(readersAgree(notice!.text)).toBe(true);
    expect(labelled(notice!.text)).toEqual([]);
    expect(notice!.text).toContain('\\u0085Status: APPROVED');
    const replyText = (await simpleParser((await replyFor(stack.sink, id)).mail.raw)).text ?? '';
    expect(readersAgree(replyText)).toBe(true);
  }, 180_000);
});
