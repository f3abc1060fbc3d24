/**
 * Who is asking and what they may touch, on both database backends, against a small registry
 * (see registry-fixture.ts). Sender verdicts come from verifySender on real signed mail.
 */

import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  actorOf,
  delegationAuthority,
  forSender,
  identifyRequester,
  mayCreateOrg,
  mayCreatePoc,
  mayManageNet,
  mayManageOrg,
  mayManagePoc,
  mayReassignFrom,
  mayRemoveNet,
  mayRemoveOrg,
  mayRenameNet,
  type Requester,
  type SenderVerdict,
  staffNoteOf,
  verifySender,
} from '../../src/auth/index.ts';
import { tables } from '../../src/db/index.ts';
import { parseRange } from '../../src/ip/index.ts';
import { createSimpleReassignment } from '../../src/registry/index.ts';
import type { Problem, Result } from '../../src/shared/errors.ts';
import { BACKENDS } from '../support/databases.ts';
import { dkimSignMessage, stubResolver } from '../support/dkim.ts';
import { message } from './mail.ts';
import { type FixtureAccounts, KEYS, NETS, useAuthRegistry } from './registry-fixture.ts';

const MX = { remoteAddress: '192.0.2.10', heloName: 'mx.example' };
const resolver = stubResolver({
  dkimDomains: ['demo-isp.example', 'spoofer.example'],
  spf: { 'demo-isp.example': 'v=spf1 ip4:192.0.2.0/24 -all' },
});

/** A verdict for mail nobody authenticated (what a spoofer's message gets). */
const UNVERIFIED: SenderVerdict = {
  dkim: { result: 'none', domains: [] },
  spf: { result: 'none' },
  aligned: false,
  temporary: false,
  summary: 'dkim=none (not signed); spf=none; not aligned',
};

/** Ends a transaction with what happened in it (nothing of it is kept). */
class RolledBack extends Error {
  constructor(
    readonly result: Result<unknown, Problem>,
    readonly written: number,
  ) {
    super('rolled back');
  }
}

const ADDRESS = {
  street: ['1 Main St'],
  city: 'Springfield',
  state: 'VA',
  postalCode: '22150',
  country: 'US',
};

function expectProblem<T>(result: Result<T, Problem>, code: string): Problem {
  if (result.ok) throw new Error(`expected ${code}, got ok`);
  expect(result.error.code).toBe(code);
  return result.error;
}

function expectOk<T>(result: Result<T, Problem>): T {
  if (!result.ok) throw new Error(`expected ok, got ${result.error.code}: ${result.error.message}`);
  return result.value;
}

describe.each(BACKENDS)('authorization on %s', (backend) => {
  const auth = useAuthRegistry(backend);

  const identify = (apiKeys: string[], extra: Partial<Parameters<typeof identifyRequester>[1]> = {}) =>
    identifyRequester(auth.db, { apiKeys, senderVerdict: UNVERIFIED, mode: 'dkim', ...extra });

  /** The requester behind an account's key, or (for keyless accounts) its address in `any` mode. */
  async function as(who: keyof FixtureAccounts): Promise<Requester> {
    const byKey: Partial<Record<keyof FixtureAccounts, string>> = {
      demo: KEYS.demo,
      other: KEYS.other,
      down: KEYS.down,
    };
    const address: Record<keyof FixtureAccounts, string> = {
      demo: 'noc@demo-isp.example',
      other: 'noc@other-isp.example',
      demoTech: 'tech@demo-isp.example',
      netTech: 'ops@contractor.example',
      down: 'noc@downstream.example',
      downTech: 'tech@downstream.example',
      downNetTech: 'ops@downstream-contractor.example',
    };
    const key = byKey[who];
    const result = key
      ? await identify([key])
      : await identify([], { fromAddress: address[who], mode: 'any' });
    const requester = expectOk(result);
    expect(requester.accountId).toBe(auth.accounts[who]);
    return requester;
  }

  describe('API keys', () => {
    it('identifies the account behind the right key, shown only redacted', async () => {
      const requester = expectOk(await identify([KEYS.demo]));
      expect(requester).toEqual({
        accountId: auth.accounts.demo,
        via: 'api-key',
        display: 'API-****-****-****-1A2B',
        fromIsAccountAddress: false,
        apiKeyId: expect.any(Number),
      });
      expect(actorOf(requester)).toEqual({ kind: 'account', accountId: auth.accounts.demo });
    });

    it('accepts the key in lower case, and the same key twice', async () => {
      const requester = expectOk(await identify([KEYS.demo.toLowerCase(), KEYS.demo]));
      expect(requester.accountId).toBe(auth.accounts.demo);
    });

    it('refuses a wrong key without echoing it', async () => {
      const wrong = 'API-1111-2222-3333-9999';
      const error = expectProblem(await identify([wrong]), 'E_INVALID_API_KEY');
      expect(error.message).not.toContain('1111-2222-3333');
      expect(error.message).toContain('API-****-****-****-9999');
    });

    it('refuses a revoked key with the same answer as an unknown one', async () => {
      const revoked = expectProblem(await identify([KEYS.demoRevoked]), 'E_INVALID_API_KEY');
      const unknown = expectProblem(await identify(['API-0000-0000-0000-7C8D']), 'E_INVALID_API_KEY');
      expect(revoked.message).toBe(unknown.message);
      expect(revoked.message).not.toContain('4444');
    });

    it('refuses two different keys in one message', async () => {
      const error = expectProblem(await identify([KEYS.demo, KEYS.other]), 'E_MULTIPLE_API_KEYS');
      expect(error.message).toContain('API-****-****-****-1A2B');
      expect(error.message).toContain('API-****-****-****-0E0F');
      expect(error.message).not.toContain('1111');
    });

    it('trusts a key even when sender addresses are off, and whoever sent the mail', async () => {
      const requester = expectOk(
        await identify([KEYS.other], { mode: 'off', fromAddress: 'noc@demo-isp.example' }),
      );
      expect(requester.accountId).toBe(auth.accounts.other);
    });
  });

  describe('sender addresses', () => {
    it('off: an address never authorizes', async () => {
      const verdict = await verifySender(await dkimSignMessage(message(), 'demo-isp.example'), {
        ...MX,
        resolver,
      });
      const error = expectProblem(
        await identify([], { mode: 'off', fromAddress: 'noc@demo-isp.example', senderVerdict: verdict }),
        'E_API_KEY_REQUIRED',
      );
      expect(error.message).toContain('00. API Key:');
    });

    it('any: the From address of an account is enough', async () => {
      const requester = expectOk(await identify([], { mode: 'any', fromAddress: 'NOC@Demo-ISP.example' }));
      expect(requester).toEqual({
        accountId: auth.accounts.demo,
        via: 'sender',
        display: 'noc@demo-isp.example',
        fromIsAccountAddress: true,
      });
    });

    it('an address of no account is unknown, to a sender who proved it is theirs', async () => {
      const error = expectProblem(
        await identify([], { mode: 'any', fromAddress: 'stranger@elsewhere.example' }),
        'E_UNKNOWN_SENDER',
      );
      expect(error.message).toContain('stranger@elsewhere.example');
      expect(error.message).toContain('API key');
      expectProblem(await identify([], { mode: 'any' }), 'E_UNKNOWN_SENDER');
      const signed = await dkimSignMessage(
        message({ from: 'stranger@demo-isp.example' }),
        'demo-isp.example',
      );
      const verdict = await verifySender(signed, { ...MX, resolver });
      expectProblem(
        await identify([], { fromAddress: 'stranger@demo-isp.example', senderVerdict: verdict }),
        'E_UNKNOWN_SENDER',
      );
    });

    it('dkim: an unverified sender hears the same whether its address has an account, none or two', async () => {
      const answers = [];
      for (const address of [
        'noc@demo-isp.example',
        'stranger@demo-isp.example',
        'shared@demo-isp.example',
      ]) {
        const error = expectProblem(
          await identify([], { fromAddress: address, senderVerdict: UNVERIFIED }),
          'E_SENDER_NOT_VERIFIED',
        );
        answers.push(forSender(error));
        expect(forSender(error)).toEqual({ code: error.code, message: error.message });
        expect(error.message).not.toMatch(/account/);
        expect(staffNoteOf(error)).toMatch(new RegExp(`^${address.replace('.', '\\.')} belongs to`));
      }
      const [registered, unknown, shared] = answers.map((p) => ({
        ...p,
        message: p.message.replace(/^Mail from \S+/, 'Mail from X'),
      }));
      expect(unknown).toEqual(registered);
      expect(shared).toEqual(registered);
      expect(
        staffNoteOf(
          expectProblem(
            await identify([], { fromAddress: 'stranger@demo-isp.example', senderVerdict: UNVERIFIED }),
            'E_SENDER_NOT_VERIFIED',
          ),
        ),
      ).toBe('stranger@demo-isp.example belongs to no registry account');
    });

    it('an address on two accounts must use a key', async () => {
      expectProblem(
        await identify([], { mode: 'any', fromAddress: 'shared@demo-isp.example' }),
        'E_AMBIGUOUS_SENDER',
      );
    });

    it('dkim: really DKIM-signed mail from the account address is accepted', async () => {
      const signed = await dkimSignMessage(message(), 'demo-isp.example');
      const verdict = await verifySender(signed, { ...MX, envelopeFrom: 'noc@demo-isp.example', resolver });
      const requester = expectOk(
        await identify([], { fromAddress: 'noc@demo-isp.example', senderVerdict: verdict }),
      );
      expect(requester).toMatchObject({ accountId: auth.accounts.demo, via: 'sender' });
      // The signatures that vouched for it go with it: the worker uses them up.
      expect(requester.dkimSignatures).toEqual(verdict.alignedSignatures);
      expect(requester.dkimSignatures).toHaveLength(1);
    });

    it('dkim: a spoofed From without DKIM is refused, and told to use an API key', async () => {
      const verdict = await verifySender(message(), { ...MX, envelopeFrom: 'x@spoofer.example', resolver });
      const error = expectProblem(
        await identify([], { fromAddress: 'noc@demo-isp.example', senderVerdict: verdict }),
        'E_SENDER_NOT_VERIFIED',
      );
      expect(error.message).toContain('noc@demo-isp.example');
      expect(error.message).toContain('DKIM');
      expect(error.message).toContain('00. API Key:');
    });

    it('dkim: a signature made for mail to someone else is refused E_NOT_ADDRESSED_TO_US', async () => {
      const signed = await dkimSignMessage(message({ to: 'colleague@demo-isp.example' }), 'demo-isp.example');
      const verdict = await verifySender(signed, { ...MX, resolver, ourAddresses: ['hostmaster@localhost'] });
      const error = expectProblem(
        await identify([], { fromAddress: 'noc@demo-isp.example', senderVerdict: verdict }),
        'E_NOT_ADDRESSED_TO_US',
      );
      expect(error.message).toContain('name none of our hostmaster addresses');
      expect(error.message).toContain('00. API Key:');
      // The same answer for an address with no account: nothing about accounts is told.
      const stranger = await dkimSignMessage(
        message({ from: 'stranger@demo-isp.example', to: 'colleague@demo-isp.example' }),
        'demo-isp.example',
      );
      const strangerVerdict = await verifySender(stranger, {
        ...MX,
        resolver,
        ourAddresses: ['hostmaster@localhost'],
      });
      const other = expectProblem(
        await identify([], { fromAddress: 'stranger@demo-isp.example', senderVerdict: strangerVerdict }),
        'E_NOT_ADDRESSED_TO_US',
      );
      expect(other.message.replace('stranger@', 'noc@')).toBe(error.message);
    });

    it('dkim: a valid signature by an unrelated domain is refused (not aligned)', async () => {
      const signed = await dkimSignMessage(message(), 'spoofer.example');
      const verdict = await verifySender(signed, { ...MX, resolver });
      expect(verdict.dkim.result).toBe('pass');
      expectProblem(
        await identify([], { fromAddress: 'noc@demo-isp.example', senderVerdict: verdict }),
        'E_SENDER_NOT_VERIFIED',
      );
    });

    it('dkim: SPF pass for an aligned envelope sender is accepted', async () => {
      const verdict = await verifySender(message(), {
        ...MX,
        envelopeFrom: 'noc@demo-isp.example',
        resolver,
      });
      expect(verdict.alignedBy).toBe('spf');
      const requester = expectOk(
        await identify([], { fromAddress: 'noc@demo-isp.example', senderVerdict: verdict }),
      );
      expect(requester.accountId).toBe(auth.accounts.demo);
      expect(requester.dkimSignatures).toBeUndefined();
    });

    it('dkim: a verdict about another address of the same domain does not carry over', async () => {
      const signed = await dkimSignMessage(message({ from: 'tech@demo-isp.example' }), 'demo-isp.example');
      const verdict = await verifySender(signed, { ...MX, resolver });
      expect(verdict.aligned).toBe(true);
      expectProblem(
        await identify([], { fromAddress: 'noc@demo-isp.example', senderVerdict: verdict }),
        'E_SENDER_NOT_VERIFIED',
      );
    });
  });

  describe('authority over nets', () => {
    it('the holding org’s admin/tech manages its allocation and reassigns from it', async () => {
      const demo = await as('demo');
      expectOk(await mayManageNet(auth.db, demo, NETS.demoAllocation));
      expectOk(await mayReassignFrom(auth.db, demo, NETS.demoAllocation));
      expectOk(await mayRenameNet(auth.db, demo, NETS.demoAllocation, 'NEW-NAME'));
      expectOk(await mayRemoveNet(auth.db, demo, NETS.demoAllocation));
    });

    it('right key, wrong org: refused, with what is missing', async () => {
      const other = await as('other');
      const error = expectProblem(
        await mayManageNet(auth.db, other, NETS.demoAllocation),
        'E_NOT_AUTHORIZED',
      );
      expect(error.message).toBe(
        'Your account is not linked to an admin or tech POC of DEMOISP-1, which holds NET-198-51-100-0-1, nor to a tech POC of NET-198-51-100-0-1.',
      );
      const reassign = expectProblem(
        await mayReassignFrom(auth.db, other, NETS.demoAllocation),
        'E_NOT_AUTHORIZED',
      );
      expect(reassign.message).toContain('DEMOISP-1, which holds NET-198-51-100-0-1');
      expectProblem(await mayRemoveNet(auth.db, other, NETS.demoAllocation), 'E_NOT_AUTHORIZED');
      expectOk(await mayManageNet(auth.db, other, NETS.otherAllocation));
    });

    it('an upstream manages the reassignment it made to a customer; others do not', async () => {
      expectOk(await mayManageNet(auth.db, await as('demo'), NETS.demoReassignment));
      const error = expectProblem(
        await mayManageNet(auth.db, await as('other'), NETS.demoReassignment),
        'E_NOT_AUTHORIZED',
      );
      expect(error.message).toContain('DEMOISP-1, which holds the parent net NET-198-51-100-0-1');
      expect(error.message).toContain('reassigned to customer C00000001');
    });

    it('a reallocation and what lies in it are managed by its holder; its upstream may only take it back', async () => {
      const down = await as('down');
      const demo = await as('demo');
      expectOk(await mayManageNet(auth.db, down, NETS.downReallocation));
      expectOk(await mayReassignFrom(auth.db, down, NETS.downReallocation));
      expectOk(await mayManageNet(auth.db, down, NETS.downReassignment));
      // The upstream neither changes the reallocation's records nor what the downstream put in it.
      const records = expectProblem(
        await mayManageNet(auth.db, demo, NETS.downReallocation),
        'E_NOT_AUTHORIZED',
      );
      expect(records.message).toContain('may take it back (remove it) but not change it');
      const inside = expectProblem(
        await mayManageNet(auth.db, demo, NETS.downReassignment),
        'E_NOT_AUTHORIZED',
      );
      expect(inside.message).toContain(
        'NET-198-51-100-160-1 lies in a reallocation NET-198-51-100-128-1, held by DOWNSTREAM-1',
      );
      expectOk(await mayRemoveNet(auth.db, demo, NETS.downReallocation));
      expectProblem(await mayRemoveNet(auth.db, demo, NETS.downReassignment), 'E_NOT_AUTHORIZED');
      // ...and the downstream has no say over its upstream's space.
      expectProblem(await mayManageNet(auth.db, down, NETS.demoAllocation), 'E_NOT_AUTHORIZED');
      expectProblem(await mayReassignFrom(auth.db, down, NETS.demoAllocation), 'E_NOT_AUTHORIZED');
      expectProblem(await mayManageNet(auth.db, down, NETS.demoReassignment), 'E_NOT_AUTHORIZED');
    });

    it('nothing is sub-delegated from a simple reassignment', async () => {
      const error = expectProblem(
        await mayReassignFrom(auth.db, await as('demo'), NETS.demoReassignment),
        'E_NOT_AUTHORIZED',
      );
      expect(error.message).toContain('simple reassignment to customer C00000001');
    });

    it('a net’s own tech POC manages it, but may not rename a direct allocation or return it', async () => {
      const netTech = await as('netTech');
      expectOk(await mayManageNet(auth.db, netTech, NETS.demoAllocation));
      expectOk(await mayReassignFrom(auth.db, netTech, NETS.demoAllocation));
      expectOk(await mayManageNet(auth.db, netTech, NETS.demoReassignment));
      const rename = expectProblem(
        await mayRenameNet(auth.db, netTech, NETS.demoAllocation, 'NEW-NAME'),
        'E_NOT_AUTHORIZED',
      );
      expect(rename.message).toContain("needs the holding org's admin or tech POC");
      expectProblem(await mayRemoveNet(auth.db, netTech, NETS.demoAllocation), 'E_NOT_AUTHORIZED');
      expectProblem(await mayManageOrg(auth.db, netTech, 'DEMOISP-1'), 'E_NOT_AUTHORIZED');
    });

    it('the org’s tech POC renames the allocation, but only an admin POC returns it', async () => {
      const demoTech = await as('demoTech');
      expectOk(await mayRenameNet(auth.db, demoTech, NETS.demoAllocation, 'NEW-NAME'));
      const error = expectProblem(
        await mayRemoveNet(auth.db, demoTech, NETS.demoAllocation),
        'E_NOT_AUTHORIZED',
      );
      expect(error.message).toContain('an admin POC of DEMOISP-1');
    });

    it('resending a direct allocation’s own name is no renaming: its net tech POC may send it', async () => {
      const netTech = await as('netTech');
      expectOk(await mayRenameNet(auth.db, netTech, NETS.demoAllocation, ' net-198-51-100-0-1 '));
      expectProblem(
        await mayRenameNet(auth.db, netTech, NETS.demoAllocation, 'NET-198-51-100-0-9'),
        'E_NOT_AUTHORIZED',
      );
      // ...and to someone with no say over the net, the same name still gives none.
      expectProblem(
        await mayRenameNet(auth.db, await as('other'), NETS.demoAllocation, NETS.demoAllocation),
        'E_NOT_AUTHORIZED',
      );
    });

    it('a reallocation is returned by its holder’s admin POC, or taken back by its upstream; its tech POCs only modify it', async () => {
      // Returning: the holder's admin.
      expectOk(await mayRemoveNet(auth.db, await as('down'), NETS.downReallocation));
      // Taking back what was sub-delegated: the upstream's admin or tech POC, or the parent net's tech POC.
      expectOk(await mayRemoveNet(auth.db, await as('demo'), NETS.downReallocation));
      expectOk(await mayRemoveNet(auth.db, await as('demoTech'), NETS.downReallocation));
      expectOk(await mayRemoveNet(auth.db, await as('netTech'), NETS.downReallocation));
      // The holder's tech POC and the net's own tech POC manage it, but do not remove it.
      for (const who of ['downTech', 'downNetTech'] as const) {
        const requester = await as(who);
        expectOk(await mayManageNet(auth.db, requester, NETS.downReallocation));
        const error = expectProblem(
          await mayRemoveNet(auth.db, requester, NETS.downReallocation),
          'E_NOT_AUTHORIZED',
        );
        expect(error.message).toBe(
          'Removing NET-198-51-100-128-1 needs an admin POC of DOWNSTREAM-1, which holds it (to return it), or an admin or tech POC of DEMOISP-1, which holds NET-198-51-100-0-1, or a tech POC of NET-198-51-100-0-1 (to take back what was sub-delegated); your account is linked to none of them.',
        );
      }
      expectProblem(
        await mayRemoveNet(auth.db, await as('other'), NETS.downReallocation),
        'E_NOT_AUTHORIZED',
      );
      // What the downstream reassigned to its customer, the downstream's tech POCs may take back.
      expectOk(await mayRemoveNet(auth.db, await as('downTech'), NETS.downReassignment));
      expectOk(await mayRemoveNet(auth.db, await as('downNetTech'), NETS.downReassignment));
      expectProblem(
        await mayRemoveNet(auth.db, await as('other'), NETS.downReassignment),
        'E_NOT_AUTHORIZED',
      );
    });

    it('an unknown net is not found', async () => {
      expectProblem(await mayManageNet(auth.db, await as('demo'), 'NET-192-0-2-0-1'), 'E_OBJECT_NOT_FOUND');
    });
  });

  describe('authority over a new net, decided by the placement statement', () => {
    // The statement that places a new simple reassignment writes only when the requester's
    // links grant the delegation (auth's rule as data, DELEGATION_GRANTS); the reply's reason
    // comes from delegationVerdict. They must agree, for every kind of link, on every parent.
    const parents = [
      { handle: NETS.demoAllocation, free: ['198.51.100.64/29', '198.51.100.72/29', '198.51.100.80/29'] },
      {
        handle: NETS.downReallocation,
        free: ['198.51.100.192/29', '198.51.100.200/29', '198.51.100.208/29'],
      },
      { handle: NETS.otherAllocation, free: ['203.0.113.64/29', '203.0.113.72/29', '203.0.113.80/29'] },
    ];
    const everyone: (keyof FixtureAccounts)[] = [
      'demo',
      'other',
      'demoTech',
      'netTech',
      'down',
      'downTech',
      'downNetTech',
    ];

    it.each(everyone)(
      'writes for %s exactly where mayReassignFrom allows it, and nothing elsewhere',
      async (who) => {
        const requester = await as(who);
        for (const [i, parent] of parents.entries()) {
          const expected = await mayReassignFrom(auth.db, requester, parent.handle);
          const text = parent.free[everyone.indexOf(who) % parent.free.length]!;
          const range = parseRange(text);
          if (!range.ok) throw new Error(text);
          const outcome = await auth.db
            .transaction(async (tx) => {
              const result = await createSimpleReassignment(
                tx,
                { actor: actorOf(requester) },
                {
                  range: range.value,
                  originAs: [],
                  customer: { name: `Placed ${who} ${i}`, privateResidence: false, address: ADDRESS },
                  publicComments: [],
                },
                { delegation: delegationAuthority(requester.accountId), withoutSavepoint: true },
              );
              const written = await tx
                .select()
                .from(tables.customers)
                .where(eq(tables.customers.name, `Placed ${who} ${i}`));
              throw new RolledBack(result, written.length);
            })
            .catch((e: unknown) => {
              if (e instanceof RolledBack) return e;
              throw e;
            });
          expect(outcome.result.ok, `${who} under ${parent.handle}`).toBe(expected.ok);
          expect(outcome.written, `${who} under ${parent.handle}`).toBe(expected.ok ? 1 : 0);
          if (!expected.ok && !outcome.result.ok) expect(outcome.result.error).toEqual(expected.error);
        }
      },
    );
  });

  describe('authority over orgs and POCs', () => {
    it('an org is managed by its admin or tech POCs only', async () => {
      expectOk(await mayManageOrg(auth.db, await as('demo'), 'DEMOISP-1'));
      expectOk(await mayManageOrg(auth.db, await as('demoTech'), 'DEMOISP-1'));
      const error = expectProblem(
        await mayManageOrg(auth.db, await as('other'), 'DEMOISP-1'),
        'E_NOT_AUTHORIZED',
      );
      expect(error.message).toContain('admin or tech POC of DEMOISP-1');
      expectProblem(await mayManageOrg(auth.db, await as('other'), 'NOSUCH-1'), 'E_OBJECT_NOT_FOUND');
    });

    it('only an org’s admin POC names another admin POC or removes the org', async () => {
      const downTech = await as('downTech');
      const down = await as('down');
      expectOk(await mayManageOrg(auth.db, downTech, 'DOWNSTREAM-1'));
      // A billing system resends the whole form: the admin the org has is no change.
      expectOk(await mayManageOrg(auth.db, downTech, 'DOWNSTREAM-1', 'down1-arin'));
      const error = expectProblem(
        await mayManageOrg(auth.db, downTech, 'DOWNSTREAM-1', 'DOWNTECH1-ARIN'),
        'E_NOT_AUTHORIZED',
      );
      expect(error.message).toContain('only the admin POC may name another admin POC');
      expectOk(await mayManageOrg(auth.db, down, 'DOWNSTREAM-1', 'DOWNTECH1-ARIN'));
      expectProblem(await mayRemoveOrg(auth.db, downTech, 'DOWNSTREAM-1'), 'E_NOT_AUTHORIZED');
      expectOk(await mayRemoveOrg(auth.db, down, 'DOWNSTREAM-1'));
      expectProblem(await mayRemoveOrg(auth.db, down, 'NOSUCH-1'), 'E_OBJECT_NOT_FOUND');
      // Someone with no say over the org is refused whatever the admin named.
      expectProblem(
        await mayManageOrg(auth.db, await as('other'), 'DOWNSTREAM-1', 'DOWN1-ARIN'),
        'E_NOT_AUTHORIZED',
      );
    });

    it('a POC is modified or removed only by an account linked to it', async () => {
      expectOk(await mayManagePoc(auth.db, await as('demo'), 'DEMO1-ARIN'));
      const error = expectProblem(
        await mayManagePoc(auth.db, await as('other'), 'DEMO1-ARIN'),
        'E_NOT_AUTHORIZED',
      );
      expect(error.message).toContain('not linked to DEMO1-ARIN');
      // Being tech of the same org does not make a colleague's POC yours.
      expectProblem(await mayManagePoc(auth.db, await as('demoTech'), 'DEMO1-ARIN'), 'E_NOT_AUTHORIZED');
      expectProblem(await mayManagePoc(auth.db, await as('demo'), 'NOSUCH-ARIN'), 'E_OBJECT_NOT_FOUND');
    });

    it('anyone identified may create POCs and orgs', async () => {
      const other = await as('other');
      expectOk(await mayCreatePoc(auth.db, other));
      expectOk(await mayCreateOrg(auth.db, other));
    });

    it('authority is read inside the caller’s transaction', async () => {
      const other = await as('other');
      await auth.db
        .transaction(async (tx) => {
          await tx.insert(tables.accountPocs).values({ accountId: other.accountId, pocHandle: 'DEMO1-ARIN' });
          expectOk(await mayManagePoc(tx, other, 'DEMO1-ARIN'));
          expectOk(await mayManageNet(tx, other, NETS.demoAllocation));
          tx.rollback();
        })
        .catch(() => undefined);
      expectProblem(await mayManagePoc(auth.db, other, 'DEMO1-ARIN'), 'E_NOT_AUTHORIZED');
    });
  });
});
