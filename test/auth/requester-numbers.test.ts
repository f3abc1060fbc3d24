/**
 * A message's numbers (its templates' tickets, its new POCs' handles) are taken by the statement
 * that finds its requester (by the key, or by a trusted From address): one round trip where
 * there were two. Only a message whose requester is identified takes them; a refused one (an
 * unknown or revoked key, an unverified or unknown sender) bumps no counter.
 */
import { describe, expect, it } from 'vitest';
import { identifyTakingNumbers, SENDER_NOT_CHECKED } from '../../src/auth/index.ts';
import { allocateTicketNumbers, type NumbersWanted, type PocInput } from '../../src/registry/index.ts';
import { BACKENDS } from '../support/databases.ts';
import { recordStatements } from '../support/statement-recorder.ts';
import { KEYS, useAuthRegistry } from './registry-fixture.ts';

const role = (lastName: string): PocInput => ({
  contactType: 'role',
  lastName,
  address: { street: ['1 Main St'], city: 'Springfield', state: 'VA', postalCode: '22150', country: 'US' },
  officePhones: ['+1-555-0120'],
  emails: ['noc@example.net'],
  publicComments: [],
});

const serial = (ticket: string) => Number(ticket.slice(-7));
const PEERING = { counter: 'poc:PEERI', prefix: 'PEERI', suffix: '-ARIN' };

describe.each(BACKENDS)("the requester and its message's numbers on %s", (backend) => {
  const auth = useAuthRegistry(backend);

  const identify = (key: string, wanted: NumbersWanted) =>
    identifyTakingNumbers(
      auth.db,
      { apiKeys: [key], senderVerdict: SENDER_NOT_CHECKED, mode: 'dkim' },
      wanted,
    );
  const bySender = (fromAddress: string, mode: 'any' | 'dkim', wanted: NumbersWanted) =>
    identifyTakingNumbers(
      auth.db,
      { apiKeys: [], fromAddress, senderVerdict: SENDER_NOT_CHECKED, mode },
      wanted,
    );

  /** Whether the day's ticket counter moved while `work` ran (beyond the two probes around it). */
  async function ticketsTakenDuring(work: () => Promise<unknown>): Promise<number> {
    const [before] = await allocateTicketNumbers(auth.db, 1);
    await work();
    const [after] = await allocateTicketNumbers(auth.db, 1);
    return serial(after!) - serial(before!) - 1;
  }

  it('a valid key: the requester, its tickets and its POC handles in one statement', async () => {
    const [before] = await allocateTicketNumbers(auth.db, 1);
    const recorder = recordStatements();
    try {
      const { result, sent } = await recorder.during(() =>
        identify(KEYS.demo, { ticketCount: 3, pocs: [role('Peering'), role('Peering')] }),
      );
      // PGlite does not go through pg: only PostgreSQL's statements are counted.
      if (backend === 'postgres') expect(sent).toHaveLength(1);
      expect(result.identity.ok && result.identity.value.accountId).toBe(auth.accounts.demo);
      expect(result.numbers?.tickets.map(serial)).toEqual([1, 2, 3].map((i) => serial(before!) + i));
      expect(result.numbers?.handles.take(PEERING)).toBe('PEERI1-ARIN');
      expect(result.numbers?.handles.take(PEERING)).toBe('PEERI2-ARIN');
      expect(result.numbers?.handles.take(PEERING)).toBeUndefined();
    } finally {
      recorder.restore();
    }
    // Taken, not lent: the counter carries on after them.
    const [after] = await allocateTicketNumbers(auth.db, 1);
    expect(serial(after!)).toBe(serial(before!) + 4);
  });

  it('without POCs: the tickets alone', async () => {
    const { identity, numbers } = await identify(KEYS.other, { ticketCount: 2, pocs: [] });
    expect(identity.ok && identity.value.accountId).toBe(auth.accounts.other);
    expect(numbers?.tickets).toHaveLength(2);
  });

  for (const [name, key, poc, stem] of [
    ['a revoked key', KEYS.demoRevoked, 'Transit', 'TRANS'],
    ['an unknown key', 'API-0000-1111-2222-3333', 'Upstream', 'UPSTR'],
    ['a malformed key', 'API-12', 'Backbone', 'BACKB'],
  ] as const) {
    it(`${name}: refused, and no counter bumped`, async () => {
      let answer: Awaited<ReturnType<typeof identify>> | undefined;
      const taken = await ticketsTakenDuring(async () => {
        answer = await identify(key, { ticketCount: 5, pocs: [role(poc)] });
      });
      const identity = answer!.identity;
      expect(identity.ok ? 'ok' : identity.error.code).toBe('E_INVALID_API_KEY');
      expect(answer?.numbers).toBeUndefined();
      expect(taken).toBe(0);
      // Nor the POC's counter: the first such POC a valid key's message makes is still number 1.
      const valid = await identify(KEYS.demo, { ticketCount: 1, pocs: [role(poc)] });
      expect(valid.numbers?.handles.take({ counter: `poc:${stem}`, prefix: stem, suffix: '-ARIN' })).toBe(
        `${stem}1-ARIN`,
      );
    });
  }

  it('a trusted sender address of one account: the requester and its numbers in one statement', async () => {
    const recorder = recordStatements();
    try {
      const { result, sent } = await recorder.during(() =>
        bySender('noc@demo-isp.example', 'any', { ticketCount: 2, pocs: [] }),
      );
      if (backend === 'postgres') expect(sent).toHaveLength(1);
      expect(result.identity.ok && result.identity.value.accountId).toBe(auth.accounts.demo);
      expect(result.numbers?.tickets).toHaveLength(2);
    } finally {
      recorder.restore();
    }
  });

  for (const [name, address, mode, code] of [
    ['an address its DKIM and SPF did not verify', 'noc@demo-isp.example', 'dkim', 'E_SENDER_NOT_VERIFIED'],
    ['an address of no account', 'nobody@nowhere.example', 'any', 'E_UNKNOWN_SENDER'],
    ['an address of two accounts', 'shared@demo-isp.example', 'any', 'E_AMBIGUOUS_SENDER'],
  ] as const) {
    it(`${name}: refused, and no counter bumped`, async () => {
      let answer: Awaited<ReturnType<typeof bySender>> | undefined;
      const taken = await ticketsTakenDuring(async () => {
        answer = await bySender(address, mode, { ticketCount: 4, pocs: [] });
      });
      const identity = answer!.identity;
      expect(identity.ok ? 'ok' : identity.error.code).toBe(code);
      expect(answer?.numbers).toBeUndefined();
      expect(taken).toBe(0);
    });
  }
});
