/**
 * Real DKIM for tests, without the Internet: messages are signed with the committed TEST key
 * (test/fixtures/dkim, never used anywhere else), and `stubResolver` answers the DNS questions
 * mailauth asks (the selector's public key, SPF records) from a table.
 *
 *   const signed = await dkimSignMessage(raw, 'demo-isp.example');
 *   const resolver = stubResolver({ dkimDomains: ['demo-isp.example'] });
 *   await verifySender(signed, { resolver, remoteAddress: '192.0.2.10', envelopeFrom: '...' });
 */
import fs from 'node:fs';
import { dkimSign } from 'mailauth';
import type { DnsResolver } from '../../src/auth/index.ts';

const FIXTURES = new URL('../fixtures/dkim/', import.meta.url);

export const TEST_DKIM_SELECTOR = 'hostmasterd-test';
export const TEST_DKIM_PRIVATE_KEY = fs.readFileSync(new URL('test-private.pem', FIXTURES), 'utf8');
const publicKeyBase64 = fs
  .readFileSync(new URL('test-public.pem', FIXTURES), 'utf8')
  .replace(/-----[^-]+-----/g, '')
  .replace(/\s+/g, '');
/** The TXT record a domain publishes at `<selector>._domainkey.<domain>` for the test key. */
export const TEST_DKIM_TXT = `v=DKIM1; k=rsa; p=${publicKeyBase64}`;

export interface SignOptions {
  readonly selector?: string;
  /** Header fields to sign (default: mailauth's list, which includes From). */
  readonly headerList?: readonly string[];
  /** Sign only this many body bytes (`l=`), to test that partial signatures are refused. */
  readonly maxBodyLength?: number;
}

/** The message with a DKIM-Signature of `domain` (made with the test key) prepended. */
export async function dkimSignMessage(
  raw: Buffer | string,
  domain: string,
  options: SignOptions = {},
): Promise<Buffer> {
  const message = Buffer.isBuffer(raw) ? raw : Buffer.from(raw);
  const { signatures, errors } = await dkimSign(message, {
    // Without a signTime, mailauth 4.13.3 reads the clock for t= twice, once for the header it
    // signs and once for the header it writes (Math.round(Date.now() / 1000) each time): a
    // signature made across a half second carries another t= than it signed, and fails as a
    // "bad signature" (one run in five to twelve of the authorization tests failed so).
    signTime: new Date(),
    signingDomain: domain,
    selector: options.selector ?? TEST_DKIM_SELECTOR,
    privateKey: TEST_DKIM_PRIVATE_KEY,
    // mailauth 4 reads headerList as a colon-separated string, whatever its typings say.
    ...(options.headerList ? { headerList: options.headerList.join(':') as unknown as string[] } : {}),
    signatureData: [
      {
        signingDomain: domain,
        selector: options.selector ?? TEST_DKIM_SELECTOR,
        privateKey: TEST_DKIM_PRIVATE_KEY,
        ...(options.maxBodyLength !== undefined ? { maxBodyLength: options.maxBodyLength } : {}),
      },
    ],
  });
  if (errors.length > 0 || !signatures.trim()) {
    throw new Error(`DKIM signing failed: ${errors.map((e) => e.message).join('; ') || 'no signature'}`);
  }
  return Buffer.concat([Buffer.from(signatures), message]);
}

export interface DnsZone {
  /** Domains that publish the test key under the test selector. */
  readonly dkimDomains?: readonly string[];
  /** SPF policy per domain, e.g. `{ 'demo-isp.example': 'v=spf1 ip4:192.0.2.10 -all' }`. */
  readonly spf?: Readonly<Record<string, string>>;
  /** Any other TXT records, by full name. */
  readonly txt?: Readonly<Record<string, string>>;
  /** A records by name (for SPF `a` mechanisms). */
  readonly a?: Readonly<Record<string, readonly string[]>>;
  /** Domains whose name servers never answer: a question for them or below them never settles. */
  readonly silent?: readonly string[];
}

export type StubResolver = DnsResolver & { readonly questions: string[] };

function dnsError(code: string, name: string, rrtype: string): Error & { code: string } {
  return Object.assign(new Error(`${code} ${rrtype} ${name}`), { code });
}

/** Answers from the zone; everything else is ENOTFOUND, like a real resolver for a missing name. */
export function stubResolver(zone: DnsZone = {}): StubResolver {
  const txt = new Map<string, string>();
  for (const domain of zone.dkimDomains ?? []) {
    txt.set(`${TEST_DKIM_SELECTOR}._domainkey.${domain}`.toLowerCase(), TEST_DKIM_TXT);
  }
  for (const [domain, record] of Object.entries(zone.spf ?? {})) txt.set(domain.toLowerCase(), record);
  for (const [name, record] of Object.entries(zone.txt ?? {})) txt.set(name.toLowerCase(), record);
  const a = new Map(Object.entries(zone.a ?? {}).map(([name, ips]) => [name.toLowerCase(), [...ips]]));
  const questions: string[] = [];
  const resolve = async (name: string, rrtype: string): Promise<string[][] | string[]> => {
    const key = name.toLowerCase().replace(/\.$/, '');
    questions.push(`${rrtype} ${key}`);
    if ((zone.silent ?? []).some((d) => key === d.toLowerCase() || key.endsWith(`.${d.toLowerCase()}`))) {
      return new Promise<never>(() => {});
    }
    if (rrtype === 'TXT') {
      const record = txt.get(key);
      // Real TXT answers come in 255-byte chunks; mailauth joins them.
      if (record !== undefined) return [record.match(/.{1,255}/g) ?? ['']];
    }
    if (rrtype === 'A') {
      const ips = a.get(key);
      if (ips) return ips;
    }
    throw dnsError('ENOTFOUND', key, rrtype);
  };
  return Object.assign(resolve, { questions });
}

/** A resolver whose every answer is a server failure: mail authentication must say temperror. */
export function failingResolver(code = 'ESERVFAIL'): DnsResolver {
  return async (name, rrtype) => {
    throw dnsError(code, name, rrtype);
  };
}
