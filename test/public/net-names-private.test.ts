/**
 * WHOIS `n NAME` finds the nets published under that name, however many private customers' nets
 * carry it too. A private customer's net named from its customer's words is published as
 * PRIVATE-CUSTOMER, so the search must not find it by its real name; filtered after the
 * statement's cut of 51, sixty such nets answered "No match" for the three published ones.
 * Debian's `whois` over TCP against the daemon's public role.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tables } from '../../src/db/index.ts';
import { SEARCH_LIMIT } from '../../src/public/index.ts';
import { type Stack, startStack } from '../support/stack.ts';
import { whois } from './support/clients.ts';

/** 198.51.100.128, in Demo ISP's 198.51.100.0/24: the nets below are /32s from there. */
const FIRST_ADDRESS = 3325256704n + 128n;
const PRIVATE_NETS = SEARCH_LIMIT + 10;
const PUBLISHED = ['C-PUB-1', 'C-PUB-2', 'C-PUB-3'];

describe('WHOIS n NAME with more private nets of that name than one page (pglite)', () => {
  let stack: Stack;
  let whoisPort: number;

  beforeAll(async () => {
    stack = await startStack({ backend: 'pglite' });
    whoisPort = stack.daemon.whoisPort!;
    const db = stack.database.db;
    // Sixty families who chose Private = Yes, each net named after them (SMITH-HOME), and three
    // businesses whose nets are published under the same name.
    const privateCustomers = Array.from({ length: PRIVATE_NETS }, (_, i) => ({
      handle: `C-PRIV-${i}`,
      parentOrgHandle: 'DEMOISP-1',
      name: `Smith Family ${i}`,
      street: [`${i} Elm Street`],
      city: 'Springfield',
      country: 'US',
      privateResidence: true,
    }));
    const businesses = PUBLISHED.map((handle) => ({
      handle,
      parentOrgHandle: 'DEMOISP-1',
      name: `Home Hardware ${handle}`,
      street: ['1 Main Street'],
      city: 'Springfield',
      country: 'US',
      privateResidence: false,
    }));
    await db.insert(tables.customers).values([...privateCustomers, ...businesses]);
    // The private families' nets first (the first a statement reads, by heap or by index), all
    // named SMITH-HOME: their customer's word, so each is published as PRIVATE-CUSTOMER. Then the
    // three businesses' nets, named SMITH-HOME too and published so (no word of theirs in it).
    await db.insert(tables.nets).values(
      [...privateCustomers, ...businesses].map((customer, i) => ({
        handle: `NET-NAMES-${String(i).padStart(2, '0')}`,
        name: 'SMITH-HOME',
        version: 4 as const,
        startAddress: FIRST_ADDRESS + BigInt(i),
        endAddress: FIRST_ADDRESS + BigInt(i),
        cidrs: [],
        type: 'simple_reassignment' as const,
        parentHandle: 'NET-198-51-100-0-1',
        customerHandle: customer.handle,
      })),
    );
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
  });

  /** The handles of a list answer's lines, `SMITH-HOME (NET-NAMES-60) 198.51.100.188/32`. */
  const listed = (answer: string) =>
    [...answer.matchAll(/^SMITH-HOME \((NET-[A-Z0-9-]+)\) /gm)].map((m) => m[1]);
  const published = PUBLISHED.map((_, i) => `NET-NAMES-${PRIVATE_NETS + i}`);

  it('n NAME lists the published nets of that name past more hidden ones than one page holds', async () => {
    const answer = await whois(whoisPort, 'n smith-home');
    expect(listed(answer)).toEqual(published);
    expect(answer).not.toMatch(/PRIVATE-CUSTOMER|Smith Family/i);
  });

  it('n NAME* alike', async () => {
    expect(listed(await whois(whoisPort, 'n smith-h*'))).toEqual(published);
  });
});
