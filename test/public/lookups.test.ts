/**
 * The public role through real clients, on both backends: Debian's `whois` against the WHOIS
 * port and the npm `rdap` client against the RDAP port, for nets (v4 and v6, the most specific
 * match and its parents), orgs, POCs, customers, private customers, RWhois referrals, not found
 * and bad queries; and a Reassign-Simple sent over SMTP, found by both at once.
 */
import fs from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_API_KEY, seedRegistry, validateSeed } from '../../src/registry/index.ts';
import { BACKENDS } from '../support/databases.ts';
import { type Stack, startStack } from '../support/stack.ts';
import {
  lookupSeed,
  type RdapObject,
  rdapClient,
  vcardValues,
  whois,
  whoisValues,
} from './support/clients.ts';

describe.each(BACKENDS)('public WHOIS and RDAP (%s)', (backend) => {
  let stack: Stack;
  let whoisPort: number;
  let rdap: ReturnType<typeof rdapClient>;
  /** The org's own RWhois server: a stand-in that says who asked it what. */
  let rwhois: net.Server;
  let REFERRAL: string;

  beforeAll(async () => {
    rwhois = net.createServer((socket) =>
      socket.once('data', (line) =>
        socket.end(`RWhois of Referral Networks answers ${line.toString().trim()}\r\n`),
      ),
    );
    await new Promise<void>((resolve) => rwhois.listen(0, '127.0.0.1', resolve));
    REFERRAL = `rwhois://127.0.0.1:${(rwhois.address() as net.AddressInfo).port}`;
    // A limit other than the default: the blank forms' listing states the one configured.
    stack = await startStack({ backend, env: { MAX_TEMPLATES_PER_MESSAGE: '12' } });
    const doc = validateSeed(lookupSeed(REFERRAL));
    if (!doc.ok) throw new Error(doc.error.map((p) => p.message).join('; '));
    const seeded = await seedRegistry(stack.database.db, doc.value);
    if (!seeded.ok) throw new Error(seeded.error.message);
    whoisPort = stack.daemon.whoisPort!;
    rdap = rdapClient(stack.daemon.rdapPort!);
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
    rwhois?.close();
  });

  it('answers an IPv4 address with the most specific net and its parents', async () => {
    const text = await whois(whoisPort, 'n + 198.51.100.200');
    // Least specific first, as ARIN lists them: the allocation, the reallocation, the reassignment.
    expect(whoisValues(text, 'NetHandle')).toEqual([
      'NET-198-51-100-0-1',
      'NET-198-51-100-128-1',
      'NET-198-51-100-192-1',
    ]);
    expect(whoisValues(text, 'NetRange')).toContain('198.51.100.192 - 198.51.100.223');
    expect(whoisValues(text, 'CIDR')).toContain('198.51.100.192/27');
    expect(whoisValues(text, 'Parent')).toContain('OTHER-REALLOC (NET-198-51-100-128-1)');
    expect(whoisValues(text, 'NetType')).toEqual(['Direct Allocation', 'Reallocated', 'Reassigned']);
    expect(whoisValues(text, 'Organization')).toEqual([
      'Demo ISP (DEMOISP-1)',
      'Other ISP (OTHERISP-1)',
      'Referral Networks (REFNET-1)',
    ]);
    expect(whoisValues(text, 'Comment')).toContain('Abuse reports to the NOC, please.');
    expect(whoisValues(text, 'Ref')).toContain(`${rdap.baseUrl}/ip/198.51.100.192/27`);
    // `+`: the holder's block and the net's own POC.
    expect(whoisValues(text, 'OrgName')).toEqual(['Referral Networks']);
    expect(whoisValues(text, 'NetAbuseHandle')).toEqual(['RNOC1-ARIN']);
    expect(text).toMatch(/^RegDate:\s+\d{4}-\d{2}-\d{2}$/m);

    const net = await rdap.ip('198.51.100.200');
    expect(net).toMatchObject({
      objectClassName: 'ip network',
      handle: 'NET-198-51-100-192-1',
      startAddress: '198.51.100.192',
      endAddress: '198.51.100.223',
      ipVersion: 'v4',
      name: 'REFERRAL-DETAILED',
      type: 'REASSIGNED',
      country: 'US',
      parentHandle: 'NET-198-51-100-128-1',
      cidr0_cidrs: [{ v4prefix: '198.51.100.192', length: 27 }],
      status: ['active'],
      port43: '127.0.0.1',
    });
    expect(net['rdapConformance']).toEqual(expect.arrayContaining(['rdap_level_0', 'cidr0']));
    expect((net['events'] as RdapObject[]).map((e) => e['eventAction'])).toEqual([
      'registration',
      'last changed',
    ]);
    const links = net['links'] as RdapObject[];
    expect(links.find((l) => l['rel'] === 'self')?.['href']).toBe(`${rdap.baseUrl}/ip/198.51.100.192/27`);
    expect(links.find((l) => l['rel'] === 'up')?.['href']).toBe(`${rdap.baseUrl}/ip/198.51.100.128/25`);
    const entities = net['entities'] as RdapObject[];
    const registrant = entities.find((e) => (e['roles'] as string[]).includes('registrant'))!;
    expect(registrant['handle']).toBe('REFNET-1');
    expect(vcardValues(registrant, 'fn')).toEqual(['Referral Networks']);
    const roles = (handle: string, list: RdapObject[]) =>
      list.filter((e) => e['handle'] === handle).flatMap((e) => e['roles'] as string[]);
    expect(roles('RNOC1-ARIN', entities)).toEqual(['abuse']);
    // The registrant org's own POCs, with their roles.
    const orgPocs = registrant['entities'] as RdapObject[];
    expect(roles('REFPE1-ARIN', orgPocs)).toEqual(['administrative']);
    expect(roles('RNOC1-ARIN', orgPocs).sort()).toEqual(['abuse', 'technical']);

    // Following `up` with the same client reaches the parent.
    const parent = await rdap.ip('198.51.100.128/25');
    expect(parent).toMatchObject({
      handle: 'NET-198-51-100-128-1',
      type: 'REALLOCATED',
      parentHandle: 'NET-198-51-100-0-1',
    });
  });

  it('answers a CIDR and a range inside a net with the net holding them', async () => {
    const text = await whois(whoisPort, '198.51.100.64/28');
    expect(whoisValues(text, 'NetHandle')).toEqual(['NET-198-51-100-0-1']);
    const range = await whois(whoisPort, '198.51.100.130 - 198.51.100.140');
    expect(whoisValues(range, 'NetHandle')).toEqual(['NET-198-51-100-0-1', 'NET-198-51-100-128-1']);
    const net = await rdap.ip('198.51.100.64/28');
    expect(net).toMatchObject({ handle: 'NET-198-51-100-0-1', type: 'DIRECT ALLOCATION' });
    expect(net['parentHandle']).toBeUndefined();
    expect((net['links'] as RdapObject[]).some((l) => l['rel'] === 'up')).toBe(false);
  });

  it('answers IPv6 addresses and prefixes', async () => {
    const text = await whois(whoisPort, '2001:db8:100::1');
    expect(whoisValues(text, 'NetHandle')).toEqual(['NET6-2001-DB8-1', 'NET6-2001-DB8-100-1']);
    expect(whoisValues(text, 'NetRange')).toContain('2001:db8:100:: - 2001:db8:1ff:ffff:ffff:ffff:ffff:ffff');
    expect(whoisValues(text, 'CIDR')).toEqual(['2001:db8::/32', '2001:db8:100::/40']);
    const net = await rdap.ip('2001:db8:100::/48');
    expect(net).toMatchObject({
      handle: 'NET6-2001-DB8-100-1',
      ipVersion: 'v6',
      startAddress: '2001:db8:100::',
      parentHandle: 'NET6-2001-DB8-1',
      cidr0_cidrs: [{ v6prefix: '2001:db8:100::', length: 40 }],
    });
    const top = await rdap.ip('2001:db8:ffff::1');
    expect(top).toMatchObject({ handle: 'NET6-2001-DB8-1', type: 'DIRECT ALLOCATION' });
  });

  it('answers an IPv4-mapped IPv6 address (as dual-stack servers log IPv4 clients) with the IPv4 net', async () => {
    const text = await whois(whoisPort, '::ffff:198.51.100.200');
    expect(whoisValues(text, 'NetHandle')).toContain('NET-198-51-100-192-1');
    expect((await rdap.ip('::ffff:198.51.100.200'))['handle']).toBe('NET-198-51-100-192-1');
    expect((await rdap.ip('::ffff:198.51.100.0/120'))['handle']).toBe('NET-198-51-100-0-1');
    // Found or not, the answer names the IPv4 range asked for.
    expect(await whois(whoisPort, '::ffff:10.1.2.3')).toMatch(/^# No match found for 10\.1\.2\.3\/32\./m);
    expect(await whois(whoisPort, '::ffff:10.1.2.0/120')).toMatch(/^# No match found for 10\.1\.2\.0\/24\./m);
  });

  it('shows an org with its address, POCs and nets; a POC without the address of a registry account', async () => {
    const text = await whois(whoisPort, 'o + DEMOISP-1');
    expect(whoisValues(text, 'OrgName')).toEqual(['Demo ISP']);
    expect(whoisValues(text, 'OrgId')).toEqual(['DEMOISP-1']);
    expect(whoisValues(text, 'Address')).toEqual(['1 Example Way']);
    expect(whoisValues(text, 'City')).toEqual(['Springfield']);
    expect(whoisValues(text, 'StateProv')).toEqual(['VA']);
    expect(whoisValues(text, 'Country')).toEqual(['US']);
    expect(whoisValues(text, 'OrgAdminHandle')).toEqual(['DEMO1-ARIN']);
    expect(whoisValues(text, 'OrgTechHandle')).toEqual(['DEMO1-ARIN']);
    expect(whoisValues(text, 'OrgTechName')).toEqual(['Operator, Demo']);
    // noc@demo-isp.example is the demo account's address: it authorizes mail, so it is not published.
    expect(text).not.toContain('noc@demo-isp.example');

    const org = await rdap.entity('DEMOISP-1');
    expect(org).toMatchObject({ objectClassName: 'entity', handle: 'DEMOISP-1', port43: '127.0.0.1' });
    expect(vcardValues(org, 'fn')).toEqual(['Demo ISP']);
    expect(vcardValues(org, 'kind')).toEqual(['org']);
    expect(vcardValues(org, 'adr')).toEqual([['', '', '1 Example Way', 'Springfield', 'VA', '22150', '']]);
    const networks = org['networks'] as RdapObject[];
    expect(networks.map((n) => n['handle']).sort()).toEqual(['NET-198-51-100-0-1', 'NET6-2001-DB8-1']);
    expect(JSON.stringify(org)).not.toContain('noc@demo-isp.example');

    const poc = await whois(whoisPort, 'p DEMO1-ARIN');
    expect(whoisValues(poc, 'Name')).toEqual(['Operator, Demo']);
    expect(whoisValues(poc, 'Handle')).toEqual(['DEMO1-ARIN']);
    expect(whoisValues(poc, 'Company')).toEqual(['Demo ISP']);
    expect(whoisValues(poc, 'Phone')).toEqual(['+1-555-0100 (Office)']);
    expect(whoisValues(poc, 'Email')).toEqual([]);
    // A role POC's address that no account uses is published.
    const role = await rdap.entity('RNOC1-ARIN');
    expect(vcardValues(role, 'fn')).toEqual(['Referral NOC']);
    expect(vcardValues(role, 'kind')).toEqual(['group']);
    expect(vcardValues(role, 'email')).toEqual(['noc@referral.example']);
    expect(vcardValues(role, 'tel')).toEqual(['tel:+1-555-0301']);
    const person = await rdap.entity('demo1-arin');
    expect(vcardValues(person, 'fn')).toEqual(['Demo Operator']);
    expect(vcardValues(person, 'email')).toEqual([]);
  });

  it("refers to the org's RWhois server on the org and on the nets it holds", async () => {
    const org = await whois(whoisPort, 'REFNET-1');
    expect(whoisValues(org, 'ReferralServer')).toEqual([REFERRAL]);
    expect(whoisValues(org, 'Comment')).toEqual(['Reassignments are published on our RWhois server.']);
    const net = await whois(whoisPort, '192.0.2.77');
    expect(whoisValues(net, 'NetHandle')).toEqual(['NET-192-0-2-0-1']);
    expect(whoisValues(net, 'OriginAS')).toEqual(['AS64500']);
    expect(whoisValues(net, 'ReferralServer')).toEqual([REFERRAL]);
    // Nets of other orgs carry no referral.
    expect(whoisValues(await whois(whoisPort, '198.51.100.1'), 'ReferralServer')).toEqual([]);

    const related = (object: RdapObject) =>
      (object['links'] as RdapObject[]).filter((l) => l['rel'] === 'related').map((l) => l['href']);
    expect(related(await rdap.entity('REFNET-1'))).toEqual([REFERRAL]);
    const rdapNet = await rdap.ip('192.0.2.0/24');
    expect(related(rdapNet)).toEqual([REFERRAL]);
    expect(rdapNet['arin_originas0_originautnums']).toEqual([64500]);
    expect(related(await rdap.ip('198.51.100.1'))).toEqual([]);

    // Debian's whois follows the referral by itself: the line is one a client reads as such.
    const followed = await whois(whoisPort, '192.0.2.77', { follow: true });
    expect(followed).toContain('RWhois of Referral Networks answers 192.0.2.77');
  });

  it('shows a customer, and a private customer as Private Customer without its name or street', async () => {
    const customer = await whois(whoisPort, 'c C00000102');
    expect(whoisValues(customer, 'CustName')).toEqual(['Acme Public Widgets']);
    expect(whoisValues(customer, 'Address')).toEqual(['5 Factory Road']);
    const acmeNet = await whois(whoisPort, '198.51.100.40');
    expect(whoisValues(acmeNet, 'Customer')).toEqual(['Acme Public Widgets (C00000102)']);
    const acme = await rdap.entity('C00000102');
    expect(vcardValues(acme, 'fn')).toEqual(['Acme Public Widgets']);

    const answers = [
      await whois(whoisPort, 'c C00000101'),
      await whois(whoisPort, 'n + 198.51.100.20'),
      JSON.stringify(await rdap.entity('C00000101')),
      JSON.stringify(await rdap.ip('198.51.100.20')),
    ];
    expect(whoisValues(answers[0]!, 'CustName')).toEqual(['Private Customer - Demo ISP']);
    expect(whoisValues(answers[0]!, 'Address')).toEqual(['Private Residence']);
    expect(whoisValues(answers[1]!, 'Customer')).toEqual(['Private Customer - Demo ISP (C00000101)']);
    // A simple reassignment has no POCs: the upstream's answer for it.
    expect(whoisValues(answers[1]!, 'NetTechHandle')).toEqual(['DEMO1-ARIN']);
    const privateNet = await rdap.ip('198.51.100.20');
    const contacts = (privateNet['entities'] as RdapObject[]).filter((e) => e['handle'] === 'DEMO1-ARIN');
    expect(contacts.flatMap((e) => e['roles'] as string[]).sort()).toEqual(['administrative', 'technical']);
    for (const answer of answers) {
      expect(answer).toContain('Private Customer');
      expect(answer).not.toMatch(/Hiddenname|Secret Lane|Jane/);
    }
    // Nor is it found, or confirmed, by its name.
    expect(await whois(whoisPort, 'Jane Hiddenname Household')).toMatch(/No match found/);
    expect(await whois(whoisPort, 'c Jane*')).toMatch(/No match found/);
    const search = await rdap.get('/entities?fn=Jane*');
    expect(search.body['entitySearchResults']).toEqual([]);
  });

  it('searches entities by name and handle', async () => {
    const byName = await rdap.get('/entities?fn=Demo*');
    expect(byName.status).toBe(200);
    expect(byName.type).toMatch(/^application\/rdap\+json/);
    const handles = (body: RdapObject) =>
      (body['entitySearchResults'] as RdapObject[]).map((e) => e['handle']);
    expect(handles(byName.body)).toEqual(expect.arrayContaining(['DEMOISP-1', 'DEMO1-ARIN']));
    const exact = await rdap.get('/entities?fn=other%20isp');
    expect(handles(exact.body)).toEqual(['OTHERISP-1']);
    const byHandle = await rdap.get('/entities?handle=OTHER*');
    expect(handles(byHandle.body).sort()).toEqual(['OTHER1-ARIN', 'OTHERISP-1']);
    const list = await whois(whoisPort, 'Referral*');
    expect(list).toContain('Referral Networks (REFNET-1)');
    expect(list).toContain('Person, Referral (REFPE1-ARIN)');
    expect(list).toContain('Referral NOC (RNOC1-ARIN)');
  });

  it('says what it does not hold, and what it did not understand', async () => {
    expect(await whois(whoisPort, '10.1.2.3')).toMatch(/^# No match found for 10\.1\.2\.3\/32\./m);
    expect(await whois(whoisPort, 'NOBODY9-ARIN')).toMatch(/No match found for NOBODY9-ARIN/);
    expect(await whois(whoisPort, 'a AS64500')).toMatch(/no autonomous systems are registered here/);
    expect(await whois(whoisPort, 'n not-a-net-name')).toMatch(/^# No match found for not-a-net-name\./m);
    expect(await whois(whoisPort, 'o 198.51.100.1')).toMatch(/Query not understood/);
    expect(await whois(whoisPort, '?')).toMatch(/n \+ 192\.0\.2\.1/);

    await expect(rdap.ip('10.1.2.3')).rejects.toThrow(/RDAP resource not found/);
    await expect(rdap.entity('NOBODY9-ARIN')).rejects.toThrow(/RDAP resource not found/);
    await expect(rdap.ip('198.51.100.300')).rejects.toThrow(/RDAP bad request/);
    await expect(rdap.ip('198.51.100.0/33')).rejects.toThrow(/RDAP bad request/);
    const missing = await rdap.get('/ip/10.1.2.3');
    expect(missing).toMatchObject({ status: 404, body: { errorCode: 404, title: 'Not Found' } });
    expect(missing.type).toMatch(/^application\/rdap\+json/);
    const bad = await rdap.get('/entities?fn=*');
    expect(bad).toMatchObject({ status: 400, body: { errorCode: 400 } });
    expect(await rdap.get('/autnum/64500')).toMatchObject({ status: 501, body: { errorCode: 501 } });
    expect(await rdap.get('/nothing/here')).toMatchObject({ status: 404, body: { errorCode: 404 } });
    const help = await rdap.get('/help');
    expect(help.status).toBe(200);
    expect(JSON.stringify(help.body)).toContain('/ip/{address}');
  });

  it('finds nets by their name (n NAME, NAME*, a bare name), as ARIN does', async () => {
    const one = await whois(whoisPort, 'n referral-detailed');
    // One net: answered as its handle is, with the nets above it.
    expect(whoisValues(one, 'NetHandle')).toEqual([
      'NET-198-51-100-0-1',
      'NET-198-51-100-128-1',
      'NET-198-51-100-192-1',
    ]);
    expect(whoisValues(await whois(whoisPort, 'OTHER-REALLOC'), 'NetHandle')).toContain(
      'NET-198-51-100-128-1',
    );
    expect(whoisValues(await whois(whoisPort, 'n = REFERRAL-V4'), 'NetHandle')).toEqual(['NET-192-0-2-0-1']);
    const list = await whois(whoisPort, 'n referral*');
    expect(list).toContain('REFERRAL-V4 (NET-192-0-2-0-1) 192.0.2.0/24');
    expect(list).toContain('REFERRAL-DETAILED (NET-198-51-100-192-1) 198.51.100.192/27');
    // `n` asks for nets only: the org named Referral Networks is not listed.
    expect(list).not.toContain('REFNET-1)');
    // Without a flag a name finds every kind.
    const every = await whois(whoisPort, 'Referral*');
    expect(every).toContain('Referral Networks (REFNET-1)');
    expect(every).toContain('REFERRAL-V4 (NET-192-0-2-0-1)');
  });

  it('reads a prefix whose address has host bits set as the prefix holding it, in both protocols', async () => {
    expect(whoisValues(await whois(whoisPort, '198.51.100.201/27'), 'NetHandle')).toContain(
      'NET-198-51-100-192-1',
    );
    const rdapAnswer = await rdap.get('/ip/198.51.100.201/27');
    expect(rdapAnswer.status).toBe(200);
    expect(rdapAnswer.body['handle']).toBe('NET-198-51-100-192-1');
  });

  it('takes a query line ended by a CR alone', async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(whoisPort, '127.0.0.1', () => socket.write('NET-192-0-2-0-1\r'));
      let text = '';
      socket.setEncoding('utf8').on('data', (chunk: string) => {
        text += chunk;
      });
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(whoisValues(answer, 'NetHandle')).toEqual(['NET-192-0-2-0-1']);
  });

  it('answers HEAD and any origin, in application/rdap+json', async () => {
    const url = `${rdap.baseUrl}/ip/198.51.100.1`;
    const head = await fetch(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toMatch(/^application\/rdap\+json/);
    expect(await head.text()).toBe('');
    const get = await fetch(url, { headers: { origin: 'https://anywhere.example' } });
    expect(get.headers.get('access-control-allow-origin')).toBe('*');
    const preflight = await fetch(url, {
      method: 'OPTIONS',
      headers: { origin: 'https://anywhere.example' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('GET');
  });

  it('serves the blank forms, and nothing but them', async () => {
    const base = `http://127.0.0.1:${stack.daemon.rdapPort}`;
    const listing = await (await fetch(`${base}/templates/`)).text();
    expect(listing).toContain('(up to 12 in one message)');
    const published = fs
      .readdirSync(new URL('../../templates/', import.meta.url))
      .filter((n) => n.endsWith('.txt'));
    for (const name of published) expect(listing).toContain(name);
    const form = await fetch(`${base}/templates/ARIN-REASSIGN-SIMPLE-5.3.txt`);
    expect(form.status).toBe(200);
    expect(await form.text()).toBe(
      fs.readFileSync(new URL('../../templates/ARIN-REASSIGN-SIMPLE-5.3.txt', import.meta.url), 'utf8'),
    );
    for (const path of [
      '/templates/..%2Fpackage.json',
      '/templates/%2E%2E%2Fpackage.json',
      '/templates/replies',
      '/templates/nope.txt',
    ]) {
      expect((await fetch(`${base}${path}`)).status, path).toBe(404);
    }
  });

  it('finds a Reassign-Simple applied over SMTP at once, in both protocols, as the form promised (Private: Yes)', async () => {
    stack.sink.accepted.length = 0;
    const raw = fs
      .readFileSync(new URL('../fixtures/mail/reassign-simple-5.3.eml', import.meta.url), 'utf8')
      .replace(/^Subject: .*$/m, `Subject: SWIP ${DEMO_API_KEY}`)
      .replace(/^Message-ID: .*$/m, `Message-ID: <public-lookup-${backend}@demo-isp.example>`)
      .replace('198.51.100.64/28', '198.51.100.96/28')
      .replace('05. Private (Yes or No): No', '05. Private (Yes or No): Yes');
    await stack.send(raw);
    const [reply] = await stack.replies(1);
    const block = reply!.parsed.blocks[0]!;
    expect(block.status).toBe('APPROVED');
    const netHandle = block.handles.find((h) => h.startsWith('NET-'))!;
    const customerHandle = block.handles.find((h) => /^C\d{8}$/.test(h))!;

    const [text, net] = await Promise.all([
      whois(whoisPort, 'n + 198.51.100.100'),
      rdap.ip('198.51.100.100'),
    ]);
    expect(whoisValues(text, 'NetHandle')).toEqual(['NET-198-51-100-0-1', netHandle]);
    expect(whoisValues(text, 'NetType')).toEqual(['Direct Allocation', 'Reassigned']);
    expect(whoisValues(text, 'OriginAS')).toContain('AS64500');
    expect(whoisValues(text, 'Customer')).toEqual([`Private Customer - Demo ISP (${customerHandle})`]);
    expect(whoisValues(text, 'CustName')).toEqual(['Private Customer - Demo ISP']);
    expect(net).toMatchObject({
      handle: netHandle,
      parentHandle: 'NET-198-51-100-0-1',
      startAddress: '198.51.100.96',
    });
    const registrant = (net['entities'] as RdapObject[]).find((e) =>
      (e['roles'] as string[]).includes('registrant'),
    )!;
    expect(registrant['handle']).toBe(customerHandle);
    expect(vcardValues(registrant, 'fn')).toEqual(['Private Customer - Demo ISP']);
    for (const answer of [text, JSON.stringify(net)]) {
      expect(answer).not.toMatch(/Acme Widgets|Industrial Way|Building 7/);
      expect(answer).not.toContain(DEMO_API_KEY);
    }
  }, 120_000);
});
