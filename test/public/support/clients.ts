/**
 * The public services through clients written by others: Debian's `whois` program (RFC 3912)
 * and the `rdap` package from the npm registry (pointed at our base URL, so it asks no IANA
 * bootstrap and no network). The rdap client has no call for /help or the entity searches; those
 * are asked with fetch, and say so.
 */
import { execFile } from 'node:child_process';
import { queryEntity, queryIP } from 'rdap';
import type { SeedFile } from '../../../src/registry/index.ts';

const WHOIS = '/usr/bin/whois';

/** What `whois -h 127.0.0.1 -p PORT QUERY` prints (no referral following unless asked). */
export function whois(port: number, query: string, options: { follow?: boolean } = {}): Promise<string> {
  const args = ['-h', '127.0.0.1', '-p', String(port), ...(options.follow ? [] : ['--no-recursion']), query];
  return new Promise((resolve, reject) => {
    execFile(WHOIS, args, { timeout: 60_000 }, (error, stdout, stderr) => {
      // whois exits 1 for some answers it prints in full; what it printed is the answer.
      if (error && stdout === '') reject(new Error(`whois ${query}: ${error.message} ${stderr}`));
      else resolve(stdout);
    });
  });
}

/** The value of every `Label:` line of a whois answer, in order. */
export function whoisValues(text: string, label: string): string[] {
  return [...text.matchAll(new RegExp(`^${label}:[ \\t]*(.*?)\\s*$`, 'gm'))].map((m) => m[1] ?? '');
}

export interface RdapObject {
  readonly [key: string]: unknown;
}

export function rdapClient(port: number) {
  const baseUrl = `http://127.0.0.1:${port}/rdap`;
  return {
    baseUrl,
    ip: (query: string) => queryIP(query, { baseUrl }) as Promise<unknown> as Promise<RdapObject>,
    entity: (handle: string) => queryEntity(handle, { baseUrl }) as Promise<unknown> as Promise<RdapObject>,
    /** /help and /entities?... (no call of the client asks them). */
    async get(path: string): Promise<{ status: number; type: string | null; body: RdapObject }> {
      const response = await fetch(`${baseUrl}${path}`, { headers: { accept: 'application/rdap+json' } });
      return {
        status: response.status,
        type: response.headers.get('content-type'),
        body: (await response.json()) as RdapObject,
      };
    },
  };
}

/** jCard property values by name: `fn`, `email`, `adr`... */
export function vcardValues(entity: RdapObject, name: string): unknown[] {
  const card = entity['vcardArray'] as [string, unknown[][]] | undefined;
  return (card?.[1] ?? []).filter((p) => p[0] === name).map((p) => p[3]);
}

/** The registry around the demo: a reallocation and a reassignment under it, customers private and not, IPv6, a referral. */
export function lookupSeed(referralServer: string): SeedFile {
  return {
    pocs: [
      {
        handle: 'REFPE1-ARIN',
        type: 'person',
        lastName: 'Person',
        firstName: 'Referral',
        street: ['9 Referral Road'],
        city: 'Boise',
        state: 'ID',
        postalCode: '83701',
        country: 'US',
        emails: ['admin@referral.example'],
        officePhones: ['+1-555-0300'],
      },
      {
        handle: 'RNOC1-ARIN',
        type: 'role',
        lastName: 'Referral NOC',
        city: 'Boise',
        country: 'US',
        emails: ['noc@referral.example'],
        officePhones: ['+1-555-0301'],
      },
    ],
    orgs: [
      {
        handle: 'REFNET-1',
        name: 'Referral Networks',
        street: ['9 Referral Road'],
        city: 'Boise',
        state: 'ID',
        postalCode: '83701',
        country: 'US',
        pocs: { admin: 'REFPE1-ARIN', tech: ['RNOC1-ARIN'], abuse: ['RNOC1-ARIN'] },
        referralServer,
        comments: ['Reassignments are published on our RWhois server.'],
      },
    ],
    customers: [
      {
        handle: 'C00000101',
        name: 'Jane Hiddenname Household',
        org: 'DEMOISP-1',
        privateResidence: true,
        street: ['12 Secret Lane'],
        city: 'Springfield',
        state: 'VA',
        postalCode: '22150',
        country: 'US',
      },
      {
        handle: 'C00000102',
        name: 'Acme Public Widgets',
        org: 'DEMOISP-1',
        street: ['5 Factory Road'],
        city: 'Springfield',
        state: 'VA',
        postalCode: '22151',
        country: 'US',
      },
    ],
    nets: [
      {
        handle: 'NET-192-0-2-0-1',
        name: 'REFERRAL-V4',
        range: '192.0.2.0/24',
        org: 'REFNET-1',
        originAs: [64500],
      },
      {
        handle: 'NET-198-51-100-128-1',
        name: 'OTHER-REALLOC',
        range: '198.51.100.128/25',
        type: 'reallocation',
        parent: 'NET-198-51-100-0-1',
        org: 'OTHERISP-1',
      },
      {
        handle: 'NET-198-51-100-192-1',
        name: 'REFERRAL-DETAILED',
        range: '198.51.100.192/27',
        type: 'detailed_reassignment',
        parent: 'NET-198-51-100-128-1',
        org: 'REFNET-1',
        pocs: { abuse: ['RNOC1-ARIN'] },
        comments: ['Abuse reports to the NOC, please.'],
      },
      {
        handle: 'NET-198-51-100-16-1',
        name: 'PRIVATE-CUSTOMER',
        range: '198.51.100.16/28',
        type: 'simple_reassignment',
        parent: 'NET-198-51-100-0-1',
        customer: 'C00000101',
        // The upstream's words about the person: never published while the customer is private.
        comments: ['Home of Jane Hiddenname, 12 Secret Lane'],
      },
      {
        handle: 'NET-198-51-100-32-1',
        name: 'ACME-PUBLIC',
        range: '198.51.100.32/28',
        type: 'simple_reassignment',
        parent: 'NET-198-51-100-0-1',
        customer: 'C00000102',
      },
      {
        handle: 'NET6-2001-DB8-100-1',
        name: 'REFERRAL-V6',
        range: '2001:db8:100::/40',
        type: 'detailed_reassignment',
        parent: 'NET6-2001-DB8-1',
        org: 'REFNET-1',
      },
    ],
  };
}
