/**
 * What happens after a refusal, on both backends, mail in over SMTP and staff in the console over
 * HTTP (session and CSRF token): staff correct a refused template (edit and apply) while the
 * customer, as our REJECTED reply told it to, sends the corrected template itself.
 *
 * - The corrected template sent after staff applied theirs is a resend of the customer's own
 *   registration (APPROVED, `already registered as ...`), not E_OVERLAP against its own net, for
 *   every resend rule: Reassign-Simple, Reassign-Detailed, ORG N, POC N. Another account sending
 *   the same text is still refused and shown no handle.
 * - Staff's answer quotes staff's text under a heading that says so and lists what they changed
 *   (`Edited:` lines), never "as we received it" over values the customer did not send.
 * - A template refused for a field it got wrong (a country XX, an origin AS AS-FOO) is closed as
 *   superseded when the customer's corrected template is approved; staff who then act on it are
 *   told it is closed, and nothing is applied or mailed twice.
 */
import { eq, sql } from 'drizzle-orm';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaffUser } from '../../src/console/index.ts';
import { type Executor, queryRows, tables } from '../../src/db/index.ts';
import { seedRegistry, validateSeed } from '../../src/registry/index.ts';
import { ConsoleClient } from '../console/support/http-client.ts';
import { pageText } from '../console/support/sign-in.ts';
import { BACKENDS } from '../support/databases.ts';
import { quotedTemplates } from '../support/reply-reader.ts';
import { type Stack, startStack } from '../support/stack.ts';
import { fillForm, personPoc, simpleReassignment } from './support/forms.ts';
import { caughtFor, rowCount as count, type Reply, rejectionsOf, repliesFor } from './support/outcomes.ts';
import { submit } from './support/session.ts';

const STAFF = 'alice@registry.example';
const PASSWORD = 'a long staff passphrase';
/** A second account of the demo ISP, with the same authority over its space and a key of its own. */
const BILLING_KEY = 'API-DE70-0000-0000-0B12';
const BILLING_SENDER = 'billing2@demo-isp.example';
const RESELLER = 'RESELLER-2';

const withCountry = (template: string, country: string) =>
  template.replace(/(Country Code:) US$/m, `$1 ${country}`);

const simple = (range: string, name: string) => simpleReassignment({ range, name });

const detailed = (range: string, originAs: string) =>
  fillForm('ARIN-REASSIGN-DETAILED-5.4', {
    '01': RESELLER,
    '20': range,
    '21': 'DEMO-DETAILED-FIXED',
    '22': originAs,
    '23': 'Corrected by staff',
  });

const org = (country: string) =>
  fillForm('ARIN-ORG-5.2', {
    '01': 'N',
    '03': 'Fixed Country Widgets',
    '06': '9 Corrected Road',
    '07': 'Herndon',
    '08': 'VA',
    '09': '20170',
    '10': country,
    '11': 'DEMO1-ARIN',
    '12': 'DEMO1-ARIN',
  });

const poc = (country: string) =>
  personPoc('Corrected', 'Casey', 'casey@demo-isp.example', { '12': country, '13': '+1-703-555-0199' });

/** The template lines quoted under each heading of a reply, decoded as a mail program shows them. */
async function quotes(reply: Reply) {
  const mail = await simpleParser(reply.mail.raw);
  return quotedTemplates(mail.text ?? '');
}

describe.each(BACKENDS)('after a refusal: staff edits and the customer’s own fix (%s)', (backend) => {
  let stack: Stack;
  let client: ConsoleClient;
  beforeAll(async () => {
    stack = await startStack({ backend });
    const doc = validateSeed({
      orgs: [
        {
          handle: RESELLER,
          name: 'Demo Reseller Two',
          street: ['2 Example Way'],
          city: 'Springfield',
          state: 'VA',
          postalCode: '22150',
          country: 'US',
          pocs: { admin: 'DEMO1-ARIN', tech: ['DEMO1-ARIN'] },
        },
      ],
      accounts: [
        { name: 'demo-billing-2', emails: [BILLING_SENDER], pocs: ['DEMO1-ARIN'], apiKeys: [BILLING_KEY] },
      ],
    });
    if (!doc.ok) throw new Error(doc.error.map((p) => p.message).join('; '));
    const seeded = await seedRegistry(stack.database.db, doc.value);
    if (!seeded.ok) throw new Error(seeded.error.message);
    const staff = await createStaffUser(stack.database.db, STAFF, PASSWORD, { oneTime: false });
    if (!staff.ok) throw new Error(staff.error.message);
    client = new ConsoleClient(`http://127.0.0.1:${stack.daemon.consolePort}`);
    expect((await client.signIn(STAFF, PASSWORD)).status).toBe(303);
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  /** The template's current text in the submission page's editor, as staff see it. */
  async function editorText(submissionId: string): Promise<string> {
    const page = await client.get(`/submissions/${submissionId}`);
    const m = /<textarea name="text"[^>]*>([\s\S]*?)<\/textarea>/.exec(page.body);
    if (!m) throw new Error(`no template editor on the page of ${submissionId}`);
    return pageText(m[1]!);
  }

  /** Staff edit the refused template and apply it; the page's text afterwards (its flash). */
  async function staffEdit(submissionId: string, rejectionId: number, text: string): Promise<string> {
    const posted = await client.post(`/rejections/${rejectionId}/edit`, {
      step: 'apply',
      basedOn: '1',
      text,
      note: 'the customer typed the field wrong; corrected as they meant it',
      message: '',
    });
    expect(posted.status).toBe(303);
    return pageText((await client.get(`/submissions/${submissionId}`)).body);
  }

  /** Sends the refused template, then staff correct `wrong` to `right` in the console: both replies. */
  async function refusedThenEdited(template: string, wrong: string, right: string) {
    const refused = await submit(stack, [template]);
    expect(refused.reply.parsed.blocks[0]?.status).toBe('REJECTED');
    const [rejection] = await rejectionsOf(stack.database.db, refused.id);
    const shown = await editorText(refused.id);
    expect(shown).toContain(wrong);
    const corrected = shown.replace(wrong, right);
    const after = await staffEdit(refused.id, rejection!.id, corrected);
    expect(after).toContain('Done (edit-and-apply)');
    const [first, answer] = await repliesFor(stack.sink, refused.id, 2);
    return { id: refused.id, first: first!, answer: answer!, corrected };
  }

  it('Reassign-Simple: the customer’s corrected template after staff’s edit is its own resend; staff’s answer says what they changed', async () => {
    const correct = simple('198.51.100.224/28', 'DEMO-FIXED-COUNTRY');
    const sent = withCountry(correct, 'XX');
    const { first, answer } = await refusedThenEdited(
      sent,
      '11. Customer Country Code: XX',
      '11. Customer Country Code: US',
    );
    expect(first.parsed.blocks[0]?.errors.map((e) => e.code)).toEqual(['E_INVALID_COUNTRY']);

    // Staff's answer: approved, the field staff changed told old -> new, staff's text quoted as theirs.
    const block = answer.parsed.blocks[0]!;
    expect(block.status).toBe('APPROVED');
    expect(block.edits).toEqual([{ field: '11', label: 'Customer Country Code', before: 'XX', after: 'US' }]);
    const [quoted] = await quotes(answer);
    expect(quoted!.heading).toBe(
      'Template 1 as hostmaster staff corrected it (API key redacted; the Edited lines above say what they changed from what you sent):',
    );
    expect(quoted!.lines).toContain('11. Customer Country Code: US');
    expect(answer.mail.raw).not.toContain('as we received it');
    // The first reply quoted what the customer sent, under the usual heading.
    const [original] = await quotes(first);
    expect(original!.heading).toBe('Template 1 as we received it (API key redacted):');
    expect(original!.lines).toContain('11. Customer Country Code: XX');

    // The customer sends the corrected template itself, as the REJECTED reply told it to.
    const net = block.handles.find((h) => h.startsWith('NET-'))!;
    const before = await count(stack.database.db, 'nets');
    const resent = await submit(stack, [correct]);
    const again = resent.reply.parsed.blocks[0]!;
    expect(again.errors).toEqual([]);
    expect(again.status).toBe('APPROVED');
    expect(again.handles).toEqual(block.handles);
    expect(again.notes.some((n) => n.startsWith(`already registered as ${net}, nothing changed`))).toBe(true);
    expect(again.edits).toBeUndefined();
    expect(await count(stack.database.db, 'nets')).toBe(before);

    // Another account with the same authority sending the same text: still refused, no handle shown.
    const billing = await submit(stack, [correct], {
      subject: `SWIP ${BILLING_KEY}`,
      from: `Demo Billing <${BILLING_SENDER}>`,
    });
    expect(billing.reply.parsed.blocks[0]).toMatchObject({ status: 'REJECTED', handles: [] });
    expect(billing.reply.parsed.blocks[0]?.errors[0]?.code).toBe('E_OVERLAP');
  });

  it('staff correcting an address of two lines: each line shown as sent and as corrected; the footer says whose text is quoted', async () => {
    const twoLines = (second: string) =>
      withCountry(simple('198.51.100.240/28', 'DEMO-TWO-LINES'), 'XX').replace(
        '07. Customer Address: 100 Industrial Way',
        `07. Customer Address: 100 Industrial Way\n07. Customer Address: ${second}`,
      );
    const refused = await submit(stack, [twoLines('Building 2, Suite 5')]);
    expect(refused.reply.parsed.blocks[0]?.errors.map((e) => e.code)).toEqual(['E_INVALID_COUNTRY']);
    const [rejection] = await rejectionsOf(stack.database.db, refused.id);
    const corrected = (await editorText(refused.id))
      .replace('Building 2, Suite 5', 'Building 2, Suite 500')
      .replace('11. Customer Country Code: XX', '11. Customer Country Code: US');
    expect(await staffEdit(refused.id, rejection!.id, corrected)).toContain('Done (edit-and-apply)');
    const [first, answer] = await repliesFor(stack.sink, refused.id, 2);

    const block = answer!.parsed.blocks[0]!;
    expect(block.status).toBe('APPROVED');
    // Each line apart: joined by ", " the address read as three lines, or as one with commas.
    expect(block.edits).toEqual([
      {
        field: '07',
        label: 'Customer Address',
        before: '(2 lines)',
        after: '(2 lines)',
        lines: {
          before: ['100 Industrial Way', 'Building 2, Suite 5'],
          after: ['100 Industrial Way', 'Building 2, Suite 500'],
        },
      },
      { field: '11', label: 'Customer Country Code', before: 'XX', after: 'US' },
    ]);
    const text = async (reply: Reply) => (await simpleParser(reply.mail.raw)).text ?? '';
    const footer = (body: string) =>
      body.slice(body.lastIndexOf('Written automatically')).replace(/\s+/g, ' ');
    // Staff's text is quoted: the footer does not say the quote is what the customer sent.
    expect(footer(await text(answer!))).toContain(
      'Lines starting with ">" quote a template: what you sent, or, where the heading above them says so, the template as hostmaster staff corrected it.',
    );
    expect(await text(answer!)).not.toContain('quote what you sent');
    expect(footer(await text(first!))).toContain('Lines starting with ">" quote what you sent');
  });

  it('Reassign-Detailed, ORG N and POC N corrected by staff: the customer’s corrected copies are resends too', async () => {
    const db = stack.database.db;
    const net = await refusedThenEdited(
      detailed('198.51.100.192/28', 'AS-FOO'),
      '22. Origin AS: AS-FOO',
      '22. Origin AS: AS64500',
    );
    expect(net.first.parsed.blocks[0]?.errors.map((e) => e.code)).toEqual(['E_INVALID_ORIGIN_AS']);
    expect(net.answer.parsed.blocks[0]?.edits).toEqual([
      { field: '22', label: 'Origin AS', before: 'AS-FOO', after: 'AS64500' },
    ]);
    const madeOrg = await refusedThenEdited(
      org('XX'),
      '10. Org Country Code: XX',
      '10. Org Country Code: US',
    );
    const madePoc = await refusedThenEdited(poc('XX'), '12. Country Code: XX', '12. Country Code: US');

    const before = {
      nets: await count(db, 'nets'),
      orgs: await count(db, 'orgs'),
      pocs: await count(db, 'pocs'),
    };
    for (const [made, corrected] of [
      [net, detailed('198.51.100.192/28', 'AS64500')],
      [madeOrg, org('US')],
      [madePoc, poc('US')],
    ] as const) {
      const applied = made.answer.parsed.blocks[0]!;
      expect(applied.status).toBe('APPROVED');
      const resent = (await submit(stack, [corrected])).reply.parsed.blocks[0]!;
      expect(resent.errors).toEqual([]);
      expect(resent.status).toBe('APPROVED');
      // (A Reassign-Detailed's resend names the org beside the net.)
      expect(resent.handles).toEqual(expect.arrayContaining([...applied.handles]));
      expect(resent.notes.join(' ')).toContain(
        `already registered as ${applied.handles[0]}, nothing changed`,
      );
    }
    expect({
      nets: await count(db, 'nets'),
      orgs: await count(db, 'orgs'),
      pocs: await count(db, 'pocs'),
    }).toEqual(before);
  });

  it.each([
    ['a country', '198.51.100.160/28', 'XX', 'E_INVALID_COUNTRY'],
    ['an origin AS', '198.51.100.176/28', 'AS-FOO', 'E_INVALID_ORIGIN_AS'],
  ])(
    'a refusal for %s is superseded by the customer’s corrected template; staff acting on it are told so',
    async (_what, range, wrong, code) => {
      const correct = simple(range, `DEMO-SUPERSEDE-${wrong.replace(/\W/g, '')}`);
      const sent = wrong === 'XX' ? withCountry(correct, wrong) : correct.replace('AS64500', wrong);
      const refused = await submit(stack, [sent]);
      expect(refused.reply.parsed.blocks[0]?.errors.map((e) => e.code)).toEqual([code]);
      const [rejection] = await rejectionsOf(stack.database.db, refused.id);
      expect(rejection).toMatchObject({ state: 'open', reasonCode: code });
      // Staff open the page on Monday morning; meanwhile the customer's fix arrives.
      const shown = await editorText(refused.id);

      const fixed = await submit(stack, [correct]);
      expect(fixed.reply.parsed.blocks[0]?.status).toBe('APPROVED');
      const [closed] = await rejectionsOf(stack.database.db, refused.id);
      expect(closed).toMatchObject({ state: 'superseded', closedBy: 'system', supersededBy: fixed.id });
      const queue = pageText((await client.get('/rejections?state=superseded')).body);
      expect(queue).toContain(`by ${fixed.id}`);

      // Staff apply the same fix from the page they opened: told the rejection is closed, nothing done.
      const nets = await count(stack.database.db, 'nets');
      const after = await staffEdit(
        refused.id,
        rejection!.id,
        shown.replace(wrong, wrong === 'XX' ? 'US' : 'AS64500'),
      );
      expect(after).toContain(`Rejection ${rejection!.id} is already superseded`);
      expect(after).toContain('nothing was done');
      const rows = await stack.database.db
        .select({ state: tables.rejections.state })
        .from(tables.rejections)
        .where(eq(tables.rejections.submissionId, refused.id));
      expect(rows).toEqual([{ state: 'superseded' }]);
      expect(await count(stack.database.db, 'nets')).toBe(nets);
      expect(caughtFor(stack.sink, refused.id).replies).toBe(1);
    },
  );

  it('a typo in the range itself is superseded by the corrected resend (same network name and customer); staff fixing it as they read it register nothing twice', async () => {
    const correct = simpleReassignment({
      range: '198.51.100.48/29',
      name: 'TYPO-RANGE',
      customer: 'Typo Range Bakery',
    });
    const refused = await submit(stack, [correct.replace('198.51.100.48/29', '198.51.100.300/29')]);
    expect(refused.reply.parsed.blocks[0]?.errors.map((e) => e.code)).toEqual(['E_INVALID_IP']);
    const [rejection] = await rejectionsOf(stack.database.db, refused.id);
    const shown = await editorText(refused.id);

    const fixed = await submit(stack, [correct]);
    expect(fixed.reply.parsed.blocks[0]?.status).toBe('APPROVED');
    const [closed] = await rejectionsOf(stack.database.db, refused.id);
    expect(closed).toMatchObject({ state: 'superseded', supersededBy: fixed.id });

    // Staff read the typo as .56 and apply their fix from the page they opened: nothing is done.
    const nets = await count(stack.database.db, 'nets');
    const after = await staffEdit(
      refused.id,
      rejection!.id,
      shown.replace('198.51.100.300/29', '198.51.100.56/29'),
    );
    expect(after).toContain(`Rejection ${rejection!.id} is already superseded`);
    expect(await count(stack.database.db, 'nets')).toBe(nets);
    expect(caughtFor(stack.sink, refused.id).replies).toBe(1);

    // Another customer's net of the same name is no fix of it.
    const other = simpleReassignment({
      range: '198.51.100.40/29',
      name: 'TYPO-OTHER',
      customer: 'Typo Other Inc',
    });
    const otherRefused = await submit(stack, [other.replace('198.51.100.40/29', '198.51.100.290/29')]);
    await submit(stack, [
      other.replace('198.51.100.40/29', '198.51.100.40/29').replace('Typo Other Inc', 'Someone Else Ltd'),
    ]);
    const [stillOpen] = await rejectionsOf(stack.database.db, otherRefused.id);
    expect(stillOpen).toMatchObject({ state: 'open' });
  });

  it('a refused Net-Mod M is not superseded by a Reassign-Simple M of the same range; a refused Reassign-Simple M is', async () => {
    const range = '198.51.100.32/29';
    const created = await submit(stack, [
      simpleReassignment({ range, name: 'KIND-NET', customer: 'Kind Customer' }),
    ]);
    expect(created.reply.parsed.blocks[0]?.status).toBe('APPROVED');
    const netMod = fillForm('ARIN-NET-MOD-5.3', {
      '01': 'M',
      '02': range,
      '04': 'AS64999X',
      '08': 'by the Net-Mod',
    });
    const refusedNetMod = await submit(stack, [netMod]);
    expect(refusedNetMod.reply.parsed.blocks[0]?.errors.map((e) => e.code)).toEqual([
      'E_WRONG_FORM',
      'E_INVALID_ORIGIN_AS',
    ]);
    const renamed = simpleReassignment({
      action: 'M',
      range,
      name: 'KIND-NET',
      customer: 'Kind Customer Renamed',
    });
    const refusedSimple = await submit(stack, [renamed.replace('AS64500', 'AS-TYPO')]);
    expect(refusedSimple.reply.parsed.blocks[0]?.errors.map((e) => e.code)).toEqual(['E_INVALID_ORIGIN_AS']);

    const fixed = await submit(stack, [renamed]);
    expect(fixed.reply.parsed.blocks[0]?.status).toBe('APPROVED');
    // The origin AS, the comments the Net-Mod asked for were never applied: it stays for staff.
    expect((await rejectionsOf(stack.database.db, refusedNetMod.id))[0]).toMatchObject({ state: 'open' });
    expect((await rejectionsOf(stack.database.db, refusedSimple.id))[0]).toMatchObject({
      state: 'superseded',
      supersededBy: fixed.id,
    });
  });
});
