/**
 * The annual POC validation end to end, over SMTP, with the clock passed in (`asOf`): a round
 * mails every due POC once (not again when run again, raced or resumed after a stop); a reply
 * saying CORRECT validates; a token works once; 61 days on, an unanswered POC is invalid, its
 * account's templates are refused E_POC_UNVALIDATED and a POC template (M) fixes it; a delivery
 * report marks the address invalid at once. What anyone sees through the public role: an invalid
 * POC is `Unvalidated` beside its handle in WHOIS (Debian's client) on its own block and on the
 * org's and net's contact lines, and carries a remark in RDAP (the rdap package) wherever it
 * appears; the link of its next mail validates it on the public role's `/validate/TOKEN` page.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.ts';
import { DEMO_API_KEY, OTHER_API_KEY } from '../../src/registry/index.ts';
import { silentLogger } from '../../src/shared/logger.ts';
import { runValidationRound } from '../../src/validation/index.ts';
import { fillForm } from '../pipeline/support/forms.ts';
import { submit } from '../pipeline/support/session.ts';
import { type RdapObject, rdapClient, whois, whoisValues } from '../public/support/clients.ts';
import { BACKENDS } from '../support/databases.ts';
import { type Stack, startStack } from '../support/stack.ts';
import {
  deliveryReport,
  replyTo,
  validationAnswerFor,
  validationMails,
  waitForValidationMails,
} from './support.ts';

const DAY = 24 * 60 * 60 * 1000;

/** Every entity inside an RDAP object (a net's, its registrant's, an org's contacts) with this handle. */
function appearancesOf(object: RdapObject, handle: string): RdapObject[] {
  const inside = (object['entities'] as RdapObject[] | undefined) ?? [];
  return inside.flatMap((e) => [...(e['handle'] === handle ? [e] : []), ...appearancesOf(e, handle)]);
}

function remarkTitles(entity: RdapObject): string[] {
  return ((entity['remarks'] as RdapObject[] | undefined) ?? []).map((r) => String(r['title']));
}

describe.each(BACKENDS)('annual POC validation by mail (%s)', (backend) => {
  let stack: Stack;
  /** A year and a day after the demo registry was loaded: every POC is due. */
  const asOf = new Date(Date.now() + 366 * DAY);
  const deps = () => ({
    db: stack.database.db,
    config: stack.config,
    logger: silentLogger(),
    metrics: stack.daemon.metrics.worker,
  });
  const round = () => runValidationRound(deps(), asOf);

  /**
   * A POC as the public role shows it, through clients written by others: its handle as WHOIS
   * prints it on its own block, its org's contact lines and (with `+`) its net's, and each of
   * its appearances in RDAP (itself, inside its org, inside its net) by its remarks' titles.
   */
  async function shownPoc(handle: string, org: string | undefined, address: string) {
    const port = stack.daemon.whoisPort!;
    const rdap = rdapClient(stack.daemon.rdapPort!);
    const mine = (values: string[]) => values.filter((v) => v.startsWith(handle));
    return {
      whois: [
        ...mine(whoisValues(await whois(port, `p ${handle}`), 'Handle')),
        ...(org ? mine(whoisValues(await whois(port, `o ${org}`), 'Org[A-Za-z]+Handle')) : []),
        ...mine(whoisValues(await whois(port, `n + ${address}`), '(?:Org|Net)[A-Za-z]+Handle')),
      ],
      rdap: [
        await rdap.entity(handle),
        ...(org ? appearancesOf(await rdap.entity(org), handle) : []),
        ...appearancesOf(await rdap.ip(address), handle),
      ].map(remarkTitles),
    };
  }

  /** The POC's row as the registry holds it now. */
  async function pocRow(handle: string): Promise<typeof tables.pocs.$inferSelect | undefined> {
    const [row] = await stack.database.db.select().from(tables.pocs).where(eq(tables.pocs.handle, handle));
    return row;
  }

  beforeAll(async () => {
    stack = await startStack({
      backend,
      env: {
        VALIDATION_MAILS_PER_HOUR: '3600000',
        VALIDATION_RUN_AT: 'off',
        PUBLIC_URL: 'https://whois.registry.example',
      },
    });
    // A POC of the demo ISP whose mailbox is gone (its mail will bounce), and three more to stop a round among.
    await stack.database.db.insert(tables.pocs).values([
      { handle: 'GONE1-ARIN', kind: 'role', lastName: 'Gone NOC', emails: ['gone@demo-isp.example'] },
      ...['A', 'B', 'C'].map((x) => ({
        handle: `ROLE${x}1-ARIN`,
        kind: 'role' as const,
        lastName: `Role ${x}`,
        emails: [`role-${x.toLowerCase()}@demo-isp.example`],
      })),
    ]);
    // Contacts of nets too: OTHER1 answers abuse for its net, ROLEB1 is the demo net's NOC.
    await stack.database.db.insert(tables.netPocs).values([
      { netHandle: 'NET-203-0-113-0-1', pocHandle: 'OTHER1-ARIN', role: 'abuse' },
      { netHandle: 'NET-198-51-100-0-1', pocHandle: 'ROLEB1-ARIN', role: 'noc' },
    ]);
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  it('a round mails every due POC once, to all its addresses, and not again when run again, raced or resumed', async () => {
    // Stopped after its first mail (the daemon shutting down), then run twice at once: the
    // stopped round is resumed, the two runs race, and still each POC gets one mail.
    const stop = new AbortController();
    const first = await runValidationRound(
      {
        ...deps(),
        metrics: {
          validationEvent: (event: string) => {
            stack.daemon.metrics.worker.validationEvent(event);
            stop.abort();
          },
        },
      },
      asOf,
      { signal: stop.signal },
    );
    expect(first.stopped).toBe(true);
    expect(first.mailed).toHaveLength(1);
    const [a, b] = await Promise.all([round(), round()]);
    expect(first.mailed.length + a!.mailed.length + b!.mailed.length).toBe(6);
    const again = await round();
    expect(again.mailed).toEqual([]);
    expect(again.alreadyMailed).toBe(6);

    const mails = await waitForValidationMails(stack.sink, 6);
    await new Promise((r) => setTimeout(r, 1_000));
    const all = await validationMails(stack.sink);
    expect(all.map((m) => m.handle).sort()).toEqual([
      'DEMO1-ARIN',
      'GONE1-ARIN',
      'OTHER1-ARIN',
      'ROLEA1-ARIN',
      'ROLEB1-ARIN',
      'ROLEC1-ARIN',
    ]);
    const demo = mails.find((m) => m.handle === 'DEMO1-ARIN')!;
    expect(demo.mail.rcptTo).toEqual(['noc@demo-isp.example']);
    // Not the null sender: its bounce must come back to us.
    expect(demo.mail.mailFrom).toBe('hostmaster@localhost');
    expect(demo.messageId).toMatch(/^<validation\.\d{4}-\d{2}-\d{2}\.DEMO1-ARIN\.[A-Za-z0-9-]+@localhost>$/);
    expect(demo.token).toMatch(/^VT-[A-Z2-7]{26}$/);
    expect(demo.text).toContain('POC Handle: DEMO1-ARIN');
    expect(demo.text).toContain('Org DEMOISP-1 (Demo ISP): admin, tech');
    expect(demo.text).toContain('Net NET-198-51-100-0-1 (DEMO-ISP-V4, 198.51.100.0/24)');
    expect(demo.text).toContain(`https://whois.registry.example/validate/${demo.token}`);
    // That link's page, on the running public role (PUBLIC_URL is what a proxy in front shows):
    // opening it asks to confirm and changes nothing.
    const page = await fetch(`http://127.0.0.1:${stack.daemon.rdapPort}/validate/${demo.token}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<form method="post" action="VT-[A-Z2-7]{26}"><button type="submit">/);
    const row = await pocRow('DEMO1-ARIN');
    expect(row?.validationState).toBe('pending');
  }, 180_000);

  it('a reply saying CORRECT validates the POC; the same token a second time is refused', async () => {
    const demo = (await validationMails(stack.sink)).find((m) => m.handle === 'DEMO1-ARIN')!;
    const id = await stack.send(replyTo(demo, 'Correct, thank you.'));
    const { mail, answer } = await validationAnswerFor(stack.sink, id);
    expect(answer).toMatchObject({ status: 'VALIDATED', handle: 'DEMO1-ARIN', submission: id });
    expect(mail.rcptTo).toEqual(['noc@demo-isp.example']);
    expect(mail.raw).toMatch(/^X-Hostmaster-Status: VALIDATED$/m);
    const row = await pocRow('DEMO1-ARIN');
    expect(row?.validationState).toBe('valid');
    expect(row?.validatedAt).not.toBeNull();

    // The token alone (no thread), quoted by someone else: single use.
    const again = await stack.send(replyTo(demo, 'yes, correct', { threaded: false }));
    const second = await validationAnswerFor(stack.sink, again);
    expect(second.answer).toMatchObject({ status: 'REJECTED', refused: { code: 'E_VALIDATION_USED' } });
    // Quoted as Outlook quotes (below its line, no `>`), unthreaded: the token is still found.
    const outlook = await stack.send(replyTo(demo, 'Correct', { threaded: false, quote: 'outlook' }));
    const third = await validationAnswerFor(stack.sink, outlook);
    expect(third.answer).toMatchObject({ status: 'REJECTED', refused: { code: 'E_VALIDATION_USED' } });
  }, 120_000);

  it('an answer that does not say the record is correct validates nothing and goes to staff', async () => {
    const role = (await validationMails(stack.sink)).find((m) => m.handle === 'ROLEA1-ARIN')!;
    const id = await stack.send(replyTo(role, 'The phone number is wrong, we moved.'));
    const { answer } = await validationAnswerFor(stack.sink, id);
    expect(answer).toMatchObject({ status: 'REJECTED', refused: { code: 'E_VALIDATION_UNCLEAR' } });
    const rejections = await stack.database.db
      .select()
      .from(tables.rejections)
      .where(eq(tables.rejections.submissionId, id));
    expect(rejections.map((r) => r.reasonCode)).toEqual(['E_VALIDATION_UNCLEAR']);
    const row = await pocRow('ROLEA1-ARIN');
    expect(row?.validationState).toBe('pending');
  }, 120_000);

  it('a POC template M validated the POC first: its contact answering CORRECT afterwards is told it is validated, not that its token was used', async () => {
    // ROLEA1 (its answer was unclear), made the demo ISP's here, so its key may modify it.
    const [demoAccount] = await stack.database.db
      .select({ id: tables.accounts.id })
      .from(tables.accounts)
      .where(eq(tables.accounts.name, 'demo-isp'));
    await stack.database.db
      .insert(tables.accountPocs)
      .values({ accountId: demoAccount!.id, pocHandle: 'ROLEA1-ARIN' });
    const role = (await validationMails(stack.sink)).find((m) => m.handle === 'ROLEA1-ARIN')!;
    const fix = fillForm('ARIN-POC-5.1', {
      '01': 'M',
      '02': 'ROLEA1-ARIN',
      '08': '1 Main St',
      '09': 'Springfield',
      '10': 'VA',
      '11': '22150',
      '12': 'US',
      '13': '+1-555-0177',
    });
    const fixed = await submit(stack, [fix], { subject: `poc ${DEMO_API_KEY}` });
    expect(fixed.reply.parsed.blocks[0]).toMatchObject({ status: 'APPROVED', errors: [] });
    expect((await pocRow('ROLEA1-ARIN'))?.validationState).toBe('valid');
    const audits = async () =>
      (
        await stack.database.db
          .select()
          .from(tables.auditLog)
          .where(eq(tables.auditLog.objectHandle, 'ROLEA1-ARIN'))
      ).length;
    const before = await audits();

    const id = await stack.send(replyTo(role, 'CORRECT'));
    const { answer } = await validationAnswerFor(stack.sink, id);
    expect(answer).toMatchObject({ status: 'VALIDATED', handle: 'ROLEA1-ARIN', submission: id });
    // Nothing more was written: the template had validated it.
    expect(await audits()).toBe(before);
    // An answer that does not say CORRECT is told the truth too, and its words go to staff.
    const vague = await stack.send(replyTo(role, 'we will look at it', { threaded: false }));
    const told = await validationAnswerFor(stack.sink, vague);
    expect(told.answer).toMatchObject({ status: 'REJECTED', refused: { code: 'E_VALIDATION_UNCLEAR' } });
    expect(told.answer.refused?.message).toContain('already validated by a POC template (action M) applied');
  }, 120_000);

  it('a vacation note quoting the mail validates nothing; a stranger holding the token validates, and no Reply-To they name is mailed', async () => {
    const mails = await validationMails(stack.sink);
    const roleB = mails.find((m) => m.handle === 'ROLEB1-ARIN')!;
    const away = await stack.send(
      replyTo(roleB, 'I am out of the office until Monday. OK', {
        headers: { 'Auto-Submitted': 'auto-replied' },
      }),
    );
    await stack.processed(away, 60_000);
    const b = await pocRow('ROLEB1-ARIN');
    expect(b?.validationState).toBe('pending');

    const roleC = mails.find((m) => m.handle === 'ROLEC1-ARIN')!;
    const stranger = await stack.send(
      replyTo(roleC, 'CORRECT', {
        from: 'Colleague <someone@elsewhere.example>',
        headers: { 'Reply-To': 'victim@victim.example' },
      }),
      { from: 'someone@elsewhere.example' },
    );
    await stack.processed(stranger, 60_000);
    const c = await pocRow('ROLEC1-ARIN');
    expect(c?.validationState).toBe('valid');
    await new Promise((r) => setTimeout(r, 1_500));
    const mailed = stack.sink.accepted.filter((m) => m.raw.includes(stranger) || m.raw.includes(away));
    expect(mailed).toEqual([]);
  }, 120_000);

  it('a guessed validation Message-ID (its random part wrong) neither validates nor flags anything', async () => {
    const other = (await validationMails(stack.sink)).find((m) => m.handle === 'OTHER1-ARIN')!;
    const guessed = other.messageId.replace(/\.[A-Za-z0-9-]+@/, '.guessed@');
    expect(guessed).not.toBe(other.messageId);
    const forgedAnswer = await stack.send(
      replyTo({ ...other, messageId: guessed }, 'CORRECT', { quote: false }),
      { from: 'noc@other-isp.example' },
    );
    const forgedReport = await stack.send(
      deliveryReport({ ...other, messageId: guessed }, 'noc@other-isp.example'),
      {
        from: '',
      },
    );
    await stack.processed(forgedAnswer, 60_000);
    await stack.processed(forgedReport, 60_000);
    const row = await pocRow('OTHER1-ARIN');
    expect(row?.validationState).toBe('pending');
    expect(row?.invalidEmails).toEqual([]);
  }, 120_000);

  it('a delivery report for the validation mail marks the address invalid at once', async () => {
    const gone = (await validationMails(stack.sink)).find((m) => m.handle === 'GONE1-ARIN')!;
    const id = await stack.send(deliveryReport(gone, 'gone@demo-isp.example'), { from: '' });
    await stack.processed(id, 60_000);
    const row = await pocRow('GONE1-ARIN');
    expect(row?.invalidEmails).toEqual(['gone@demo-isp.example']);
    // Its only address: the POC is invalid too, without waiting 60 days.
    expect(row?.validationState).toBe('invalid');
    // A report is not answered, and not a rejection for staff.
    const rejections = await stack.database.db
      .select()
      .from(tables.rejections)
      .where(eq(tables.rejections.submissionId, id));
    expect(rejections).toEqual([]);
  }, 120_000);

  it('61 days on: unanswered POCs are invalid, their account is refused E_POC_UNVALIDATED, a POC template (M) fixes it', async () => {
    const later = await runValidationRound(deps(), new Date(asOf.getTime() + 61 * DAY));
    expect(later.madeInvalid).toContain('OTHER1-ARIN');
    expect(later.madeInvalid).not.toContain('DEMO1-ARIN');
    expect(later.mailed).toEqual([]);
    const other = await pocRow('OTHER1-ARIN');
    expect(other?.validationState).toBe('invalid');
    expect(other?.invalidEmails).toEqual(['noc@other-isp.example']);

    // The public sees it at once: beside the handle on the POC's block, the org's admin and tech
    // lines and the net's abuse line; an RDAP remark on each of its four appearances. A POC that
    // answered (DEMO1) is shown plain.
    const unvalidated = 'OTHER1-ARIN (Unvalidated)';
    expect(await shownPoc('OTHER1-ARIN', 'OTHERISP-1', '203.0.113.5')).toEqual({
      whois: [unvalidated, unvalidated, unvalidated, unvalidated, unvalidated, unvalidated],
      rdap: [['Unvalidated POC'], ['Unvalidated POC'], ['Unvalidated POC'], ['Unvalidated POC']],
    });
    const remark = (
      (await rdapClient(stack.daemon.rdapPort!).entity('OTHER1-ARIN'))['remarks'] as RdapObject[]
    )[0];
    expect(remark?.['description']).toEqual([
      expect.stringMatching(/annual validation \(NRPM 3\.6\) within 60 days/),
    ]);
    expect(await shownPoc('DEMO1-ARIN', 'DEMOISP-1', '198.51.100.5')).toEqual({
      whois: ['DEMO1-ARIN', 'DEMO1-ARIN', 'DEMO1-ARIN', 'DEMO1-ARIN', 'DEMO1-ARIN'],
      rdap: [[], [], []],
    });

    const net = fillForm('ARIN-NET-MOD-5.3', {
      '01': 'M',
      '02': '203.0.113.0/24',
      '03': 'OTHER-ISP-RENAMED',
    });
    const refused = await submit(stack, [net], {
      subject: `net ${OTHER_API_KEY}`,
      from: 'Other NOC <noc@other-isp.example>',
      envelopeFrom: 'noc@other-isp.example',
    });
    expect(refused.reply.parsed.blocks[0]?.status).toBe('REJECTED');
    expect(refused.reply.parsed.blocks[0]?.errors[0]?.code).toBe('E_POC_UNVALIDATED');
    expect(refused.reply.parsed.blocks[0]?.errors[0]?.message).toMatch(/POC template \(ARIN-POC, action M\)/);

    const fix = fillForm('ARIN-POC-5.1', { '01': 'M', '02': 'OTHER1-ARIN', '13': '+1-555-0299' });
    const fixed = await submit(stack, [fix], {
      subject: `poc ${OTHER_API_KEY}`,
      from: 'Other NOC <noc@other-isp.example>',
      envelopeFrom: 'noc@other-isp.example',
    });
    expect(fixed.reply.parsed.blocks[0]?.status).toBe('APPROVED');
    const valid = await pocRow('OTHER1-ARIN');
    expect(valid?.validationState).toBe('valid');
    expect(valid?.invalidEmails).toEqual([]);
    expect(await shownPoc('OTHER1-ARIN', 'OTHERISP-1', '203.0.113.5')).toEqual({
      whois: ['OTHER1-ARIN', 'OTHER1-ARIN', 'OTHER1-ARIN', 'OTHER1-ARIN', 'OTHER1-ARIN', 'OTHER1-ARIN'],
      rdap: [[], [], [], []],
    });

    const after = await submit(stack, [net], {
      subject: `net again ${OTHER_API_KEY}`,
      from: 'Other NOC <noc@other-isp.example>',
      envelopeFrom: 'noc@other-isp.example',
    });
    expect(after.reply.parsed.blocks[0]?.status).toBe('APPROVED');

    // The expired token no longer validates anything.
    const otherMail = (await validationMails(stack.sink)).find((m) => m.handle === 'OTHER1-ARIN')!;
    const late = await stack.send(replyTo(otherMail, 'CORRECT'));
    expect((await validationAnswerFor(stack.sink, late)).answer).toMatchObject({
      status: 'REJECTED',
      refused: { code: 'E_VALIDATION_EXPIRED' },
    });
  }, 180_000);

  it("a year on, an invalid POC's next mail links its page on the public role: GET asks, POST validates, and WHOIS no longer says Unvalidated", async () => {
    // ROLEB1 (the demo net's NOC) never answered: invalid since the 61st day, and asked again a
    // year after its last mail, as is every other POC (GONE1 too: its flagged address is tried again).
    const yearOn = new Date(asOf.getTime() + 366 * DAY);
    const before = await validationMails(stack.sink);
    const next = await runValidationRound(deps(), yearOn);
    expect([...next.mailed].sort()).toEqual([
      'DEMO1-ARIN',
      'GONE1-ARIN',
      'OTHER1-ARIN',
      'ROLEA1-ARIN',
      'ROLEB1-ARIN',
      'ROLEC1-ARIN',
    ]);
    const mails = await waitForValidationMails(stack.sink, before.length + next.mailed.length);
    const earlier = new Set(before.map((m) => m.messageId));
    const mail = mails.find((m) => m.handle === 'ROLEB1-ARIN' && !earlier.has(m.messageId))!;
    const unvalidated = 'ROLEB1-ARIN (Unvalidated)';
    expect(await shownPoc('ROLEB1-ARIN', undefined, '198.51.100.5')).toEqual({
      whois: [unvalidated, unvalidated],
      rdap: [['Unvalidated POC'], ['Unvalidated POC']],
    });

    // The mail's link is PUBLIC_URL's; the same path on the public role's listener serves it.
    const link = new RegExp(`https://whois\\.registry\\.example(/validate/${mail.token})`).exec(mail.text);
    expect(link).not.toBeNull();
    const pageUrl = `http://127.0.0.1:${stack.daemon.rdapPort}${link![1]}`;
    const page = await fetch(pageUrl);
    expect(page.status).toBe(200);
    const form = /<form method="post" action="([^"]+)"><button type="submit">([^<]+)<\/button>/.exec(
      await page.text(),
    );
    expect(form?.[2]).toBe('The record of ROLEB1-ARIN is correct');
    // Opening the page changed nothing.
    expect((await shownPoc('ROLEB1-ARIN', undefined, '198.51.100.5')).whois).toEqual([
      unvalidated,
      unvalidated,
    ]);

    // The button: the form's own action, as a browser posts it.
    const press = () =>
      fetch(new URL(form![1]!, pageUrl), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: '',
      });
    const pressed = await press();
    expect(pressed.status).toBe(200);
    expect(pressed.headers.get('x-hostmaster-status')).toBe('VALIDATED');
    expect(await pressed.text()).toContain('POC <b>ROLEB1-ARIN</b> is validated until');
    expect(await shownPoc('ROLEB1-ARIN', undefined, '198.51.100.5')).toEqual({
      whois: ['ROLEB1-ARIN', 'ROLEB1-ARIN'],
      rdap: [[], []],
    });
    // Once.
    const again = await press();
    expect(again.status).toBe(409);
    expect(again.headers.get('x-hostmaster-status')).toBe('REJECTED');
  }, 180_000);

  it('counts mails sent, answered, expired and bounced on /metrics, under a closed label set', async () => {
    const text = await stack.daemon.metrics.render();
    const value = (event: string) =>
      Number(
        new RegExp(`^hostmasterd_poc_validations_total\\{event="${event}"\\} (\\d+)$`, 'm').exec(text)?.[1] ??
          0,
      );
    // 6 mails, then 6 a year on; answered by mail twice and once on the public role's page (ROLEA1's
    // answer after its POC template is not counted: the template had validated it); expired: OTHER1,
    // ROLEB1 and GONE1.
    expect([value('sent'), value('answered'), value('expired'), value('bounced')]).toEqual([12, 3, 3, 1]);
    const labels = [...text.matchAll(/^hostmasterd_poc_validations_total\{event="([^"]+)"\}/gm)].map(
      (m) => m[1],
    );
    expect(new Set(labels)).toEqual(new Set(['sent', 'answered', 'expired', 'bounced']));
  });
});
