/**
 * PUBLIC_URL: how the world reaches the public HTTP listener. RDAP links and `port43`, WHOIS
 * `Ref:` lines, and the replies that tell a sender where the blank forms are all use it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_API_KEY } from '../../src/registry/index.ts';
import { mail, type Stack, startStack } from '../support/stack.ts';
import { type RdapObject, rdapClient, whois, whoisValues } from './support/clients.ts';

const PUBLIC_URL = 'https://whois.registry.example';

describe('the public services behind PUBLIC_URL', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ backend: 'pglite', env: { PUBLIC_URL: `${PUBLIC_URL}/` } });
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  it('links RDAP and WHOIS to it, whatever Host the client sent', async () => {
    const net = await rdapClient(stack.daemon.rdapPort!).ip('198.51.100.1');
    expect(net['port43']).toBe('whois.registry.example');
    expect((net['links'] as RdapObject[])[0]).toMatchObject({
      rel: 'self',
      href: `${PUBLIC_URL}/rdap/ip/198.51.100.0/24`,
    });
    const forged = await fetch(`http://127.0.0.1:${stack.daemon.rdapPort}/rdap/entity/DEMOISP-1`, {
      headers: { host: 'evil.example' },
    });
    expect(JSON.stringify(await forged.json())).not.toContain('evil.example');
    const text = await whois(stack.daemon.whoisPort!, '198.51.100.1');
    expect(whoisValues(text, 'Ref')).toEqual([`${PUBLIC_URL}/rdap/ip/198.51.100.0/24`]);
  });

  it('tells a sender whose mail held no template where the blank forms are', async () => {
    stack.sink.accepted.length = 0;
    await stack.send(mail({ subject: `Hello ${DEMO_API_KEY}`, body: 'Please add our new customer.\n' }));
    const [reply] = await stack.replies(1);
    expect(reply!.parsed.status).toBe('REJECTED');
    expect(reply!.mail.raw).toContain('E_NO_TEMPLATE');
    expect(reply!.mail.raw.replace(/=\r?\n/g, '')).toContain(`${PUBLIC_URL}/templates/`);
  }, 120_000);
});
