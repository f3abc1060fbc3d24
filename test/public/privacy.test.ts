/**
 * What the public role must not tell, through the real path on both backends (a template over
 * SMTP, then Debian's `whois` and the npm `rdap` client or fetch):
 * - whether an address authorizes some account's mail: a POC's address is left out only where
 *   it is the address of an account that holds that POC, so an account writing guesses into its
 *   own POC's e-mail (POC M) sees every guess published, its own address excepted;
 * - a customer's real name once an M made it private: the net named from it is renamed.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.ts';
import { DEMO_SENDER, OTHER_API_KEY, OTHER_SENDER } from '../../src/registry/index.ts';
import { fillForm, simpleReassignment } from '../pipeline/support/forms.ts';
import { submit } from '../pipeline/support/session.ts';
import { BACKENDS } from '../support/databases.ts';
import { type Stack, startStack } from '../support/stack.ts';
import { type RdapObject, rdapClient, vcardValues, whois, whoisValues } from './support/clients.ts';

describe.each(BACKENDS)('what the public role does not tell (%s)', (backend) => {
  let stack: Stack;
  let whoisPort: number;
  let rdap: ReturnType<typeof rdapClient>;

  beforeAll(async () => {
    stack = await startStack({ backend });
    whoisPort = stack.daemon.whoisPort!;
    rdap = rdapClient(stack.daemon.rdapPort!);
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  it("publishes another account's address written into an attacker's POC, and hides only the addresses of the POC's own accounts", async () => {
    // Other ISP's account writes Demo ISP's account address (a guess) beside its own into its POC.
    const sent = await submit(
      stack,
      [fillForm('ARIN-POC-5.1', { '01': 'M', '02': 'OTHER1-ARIN', '15': [DEMO_SENDER, OTHER_SENDER] })],
      {
        subject: `POC ${OTHER_API_KEY}`,
        from: `Other ISP NOC <${OTHER_SENDER}>`,
        envelopeFrom: OTHER_SENDER,
      },
    );
    expect(sent.reply.parsed.blocks[0]?.status).toBe('APPROVED');

    // Shown: the guess is answered as any address is. Hidden: the POC's own account's address.
    const whoisAnswers = [
      await whois(whoisPort, 'p OTHER1-ARIN'),
      await whois(whoisPort, 'o + OTHERISP-1'),
      await whois(whoisPort, 'n + 203.0.113.7'),
      await whois(whoisPort, 'p Operator*'),
    ];
    expect(whoisValues(whoisAnswers[0]!, 'Email')).toEqual([DEMO_SENDER]);
    expect(whoisValues(whoisAnswers[1]!, 'OrgTechEmail')).toEqual([DEMO_SENDER]);
    expect(whoisValues(whoisAnswers[2]!, 'OrgAdminEmail')).toEqual([DEMO_SENDER]);
    // The search lists both Operators; Demo's own POC keeps its account's address hidden.
    expect(whoisAnswers[3]).toContain('Operator, Other (OTHER1-ARIN)');
    expect(whoisAnswers[3]).toContain('Operator, Demo (DEMO1-ARIN)');
    const demo = await whois(whoisPort, 'p DEMO1-ARIN');
    expect(whoisValues(demo, 'Email')).toEqual([]);
    for (const answer of [...whoisAnswers, demo]) expect(answer).not.toContain(OTHER_SENDER);

    const entity = await rdap.entity('OTHER1-ARIN');
    expect(vcardValues(entity, 'email')).toEqual([DEMO_SENDER]);
    const net = await rdap.ip('203.0.113.7');
    const registrant = (net['entities'] as RdapObject[]).find((e) =>
      (e['roles'] as string[]).includes('registrant'),
    )!;
    const contacts = registrant['entities'] as RdapObject[];
    expect(contacts.map((c) => vcardValues(c, 'email'))).toEqual([[DEMO_SENDER]]);
    const search = await rdap.get('/entities?fn=Other%20Operator');
    const found = search.body['entitySearchResults'] as RdapObject[];
    expect(found.map((e) => e['handle'])).toEqual(['OTHER1-ARIN']);
    expect(vcardValues(found[0]!, 'email')).toEqual([DEMO_SENDER]);
    const demoEntity = await rdap.entity('DEMO1-ARIN');
    expect(vcardValues(demoEntity, 'email')).toEqual([]);
    for (const answer of [entity, net, search.body, demoEntity]) {
      expect(JSON.stringify(answer)).not.toContain(OTHER_SENDER);
    }
  }, 120_000);

  it("renames a net named from its customer's real name when an M makes the customer private", async () => {
    const created = await submit(stack, [
      simpleReassignment({ range: '198.51.100.64/28', name: '', customer: 'Jane Realname' }),
    ]);
    const block = created.reply.parsed.blocks[0]!;
    expect(block.status).toBe('APPROVED');
    const netHandle = block.handles.find((h) => h.startsWith('NET-'))!;
    expect(whoisValues(await whois(whoisPort, '198.51.100.70'), 'NetName')).toContain('JANE-REALNAME');

    const modified = await submit(stack, [
      fillForm('ARIN-REASSIGN-SIMPLE-5.3', { '01': 'M', '03': '198.51.100.64/28', '05': 'Yes' }),
    ]);
    expect(modified.reply.parsed.blocks[0]!.status).toBe('APPROVED');
    expect(modified.reply.mail.raw.replace(/=\r?\n/g, '')).toContain(
      `${netHandle} is now named PRIVATE-CUSTOMER`,
    );

    const answers = [
      await whois(whoisPort, 'n + 198.51.100.70'),
      await whois(whoisPort, `n ${netHandle}`),
      JSON.stringify(await rdap.ip('198.51.100.70')),
      JSON.stringify(await rdap.ip('198.51.100.64/28')),
    ];
    expect(whoisValues(answers[0]!, 'NetName')).toEqual(['DEMO-ISP-V4', 'PRIVATE-CUSTOMER']);
    expect(whoisValues(answers[1]!, 'NetName')).toEqual(['DEMO-ISP-V4', 'PRIVATE-CUSTOMER']);
    expect(JSON.parse(answers[2]!)).toMatchObject({ handle: netHandle, name: 'PRIVATE-CUSTOMER' });
    for (const answer of answers) expect(answer).not.toMatch(/realname/i);
    // Nor found, or confirmed, by the name or the old net name (the answer repeats the query only).
    for (const query of ['Jane*', 'Realname*', 'JANE-REALNAME']) {
      expect(await whois(whoisPort, query)).toMatch(/^# No match found for [^\r\n]+\.\r?$/m);
    }
    for (const query of ['Jane*', 'JANE-REALNAME', 'Jane%20Realname']) {
      expect((await rdap.get(`/entities?fn=${query}`)).body['entitySearchResults']).toEqual([]);
    }

    // A net left named from its customer's real name (made private before the M renamed nets):
    // published by the name a private customer's net gets.
    await stack.database.db
      .update(tables.nets)
      .set({ name: 'JANE-REALNAME' })
      .where(eq(tables.nets.handle, netHandle));
    const legacy = [
      await whois(whoisPort, 'n + 198.51.100.70'),
      JSON.stringify(await rdap.ip('198.51.100.70')),
      JSON.stringify(await rdap.entity('DEMOISP-1')),
    ];
    expect(whoisValues(legacy[0]!, 'NetName')).toEqual(['DEMO-ISP-V4', 'PRIVATE-CUSTOMER']);
    for (const answer of legacy) expect(answer).not.toMatch(/realname/i);
    // Nor a name the upstream gave it with the customer's name in it.
    await stack.database.db
      .update(tables.nets)
      .set({ name: 'REALNAME-HOME-7' })
      .where(eq(tables.nets.handle, netHandle));
    const given = await whois(whoisPort, `n ${netHandle}`);
    expect(whoisValues(given, 'NetName')).toEqual(['DEMO-ISP-V4', 'PRIVATE-CUSTOMER']);
    // A search by the name it hides does not confirm it, exact or as a prefix.
    for (const query of ['n REALNAME-HOME-7', 'REALNAME-HOME-7', 'n realname*', 'REALNAME-H*']) {
      const searched = await whois(whoisPort, query);
      expect(searched, query).toMatch(/No match found/);
      expect(searched, query).not.toContain(netHandle);
    }
    expect(JSON.stringify(await rdap.ip('198.51.100.70'))).not.toMatch(/realname/i);
    // A name without it is the upstream's to publish.
    await stack.database.db
      .update(tables.nets)
      .set({ name: 'HOME-7' })
      .where(eq(tables.nets.handle, netHandle));
    expect(whoisValues(await whois(whoisPort, `n ${netHandle}`), 'NetName')).toEqual([
      'DEMO-ISP-V4',
      'HOME-7',
    ]);
  }, 120_000);

  it("publishes no word of a private customer's street, city or postal code, nor a short surname, in any answer", async () => {
    // The upstream names the net after the home's street, as some do for their records.
    const created = await submit(stack, [
      fillForm('ARIN-REASSIGN-SIMPLE-5.3', {
        '01': 'N',
        '02': 'QUIETBROOK-77',
        '03': '198.51.100.80/28',
        '05': 'Yes',
        '06': 'Mei Wu',
        '07': ['77 Quietbrook Lane'],
        '08': 'Hollowvale',
        '09': 'VA',
        '10': '99501-1234',
        '11': 'US',
      }),
    ]);
    const block = created.reply.parsed.blocks[0]!;
    expect(block.status).toBe('APPROVED');
    const netHandle = block.handles.find((h) => h.startsWith('NET-'))!;
    const customerHandle = block.handles.find((h) => /^C\d/.test(h))!;
    const hidden = /quietbrook|hollowvale|99501/i;
    const answers = async () => [
      await whois(whoisPort, 'n + 198.51.100.85'),
      await whois(whoisPort, `n ${netHandle}`),
      await whois(whoisPort, `c ${customerHandle}`),
      JSON.stringify(await rdap.ip('198.51.100.85')),
      JSON.stringify(await rdap.entity(customerHandle)),
      JSON.stringify((await rdap.get(`/entities?handle=${customerHandle}`)).body),
    ];
    const first = await answers();
    for (const answer of first) expect(answer).not.toMatch(hidden);
    expect(whoisValues(first[0]!, 'NetName')).toEqual(['DEMO-ISP-V4', 'PRIVATE-CUSTOMER']);
    // What a private customer keeps: its state and country.
    expect(whoisValues(first[2]!, 'StateProv')).toEqual(['VA']);
    expect(whoisValues(first[2]!, 'City')).toEqual([]);
    expect(whoisValues(first[2]!, 'PostalCode')).toEqual([]);
    const entity = await rdap.entity(customerHandle);
    expect(vcardValues(entity, 'adr')).toEqual([['', '', 'Private Residence', '', 'VA', '', '']]);

    // A two-letter surname is a surname: WU-HOME publishes it.
    await stack.database.db
      .update(tables.nets)
      .set({ name: 'WU-HOME' })
      .where(eq(tables.nets.handle, netHandle));
    const shortName = await answers();
    expect(whoisValues(shortName[1]!, 'NetName')).toEqual(['DEMO-ISP-V4', 'PRIVATE-CUSTOMER']);
    for (const answer of shortName) expect(answer).not.toMatch(/\bWU\b|hollowvale|99501/i);
  }, 120_000);
  it("publishes no private customer's surname, city or postal code joined to other letters or digits, and finds no net by them (finding rev-staff F2)", async () => {
    const names = [
      'QUINCEWORTHFAM',
      'J-QUINCEWORTH2',
      'THEQUINCEWORTHS',
      'BROOKHAVENHOME',
      'ZIP99502',
      'QUINCE-WORTH',
    ];
    const created = await submit(
      stack,
      names.map((name, i) =>
        fillForm('ARIN-REASSIGN-SIMPLE-5.3', {
          '01': 'N',
          '02': name,
          '03': `198.51.100.${160 + i * 8}/29`,
          '05': 'Yes',
          '06': 'John Quinceworth',
          '07': ['12 Elm Court'],
          '08': 'Brookhaven',
          '09': 'VA',
          '10': '99502',
          '11': 'US',
        }),
      ),
    );
    expect(created.reply.parsed.blocks.map((b) => b.status)).toEqual(names.map(() => 'APPROVED'));
    for (const [i] of names.entries()) {
      const address = `198.51.100.${161 + i * 8}`;
      const text = await whois(whoisPort, `n ${address}`);
      expect(whoisValues(text, 'NetName')).toEqual(['DEMO-ISP-V4', 'PRIVATE-CUSTOMER']);
      const net = await rdap.ip(address);
      expect(net.name).toBe('PRIVATE-CUSTOMER');
      expect(text + JSON.stringify(net)).not.toMatch(/quince|brookhaven|99502/i);
    }
    // A search by the hidden surname finds nothing, under any of its spellings.
    for (const query of ['n QUINCE*', 'n QUINCEWORTHFAM', 'n BROOKHAVEN*']) {
      expect(await whois(whoisPort, query)).not.toMatch(/NET-198-51-100/);
    }
  }, 120_000);
});
