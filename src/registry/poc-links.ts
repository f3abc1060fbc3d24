/**
 * Whose POCs a net or org may be given. A POC is its holder's: only an account linked to it may
 * change or remove it. Naming it on one's own net or org publishes it as that object's contact
 * (WHOIS), and its holder could then no longer remove it (E_POC_IN_USE) nor take it off an object
 * it does not manage. So a request may newly give an object only POCs linked to the requesting
 * account, POCs the same request has just created (a 4.1 form's written-out POC), or, for a net,
 * POCs of the org that holds the net (that org's contacts already speak for its resources). The rule is one, applied where links are written (`orgs.ts` setOrgPocs,
 * `placement.ts` insertNet, `net-mod.ts`), so every form and version that names a POC goes through
 * it. What counts is the role: a link the object already has in that role stays (a billing system
 * sends the whole form again), but a POC on the object in one role is not thereby consented to in
 * another. Requests without a requesting account (the seed, staff tools) are not held to it.
 */
import { and, eq, inArray } from 'drizzle-orm';
import { type Executor, tables } from '../db/index.ts';
import { fail, ok, problem, type Result } from '../shared/index.ts';
import type { OperationContext } from './types.ts';

/** One POC in one role on an org or net. */
export interface PocLink {
  readonly role: string;
  readonly pocHandle: string;
}

/** The links of `after` that `before` does not have in the same role. */
export function newPocLinks(before: readonly PocLink[], after: readonly PocLink[]): PocLink[] {
  return after.filter((a) => !before.some((b) => b.role === a.role && b.pocHandle === a.pocHandle));
}

/** Who else may be named besides the requester's own POCs. */
export interface PocLinkAllowance {
  /** The net's org: its POCs may be the net's. */
  readonly holderOrg?: string | null;
  /** POCs the same request created a moment ago (written out on a 4.1 form). */
  readonly createdHere?: readonly string[];
}

/**
 * Refuses (E_NOT_AUTHORIZED, naming them) the links `after` adds to `before` whose POC is neither
 * linked to the requesting account nor allowed by `allowance`.
 */
export async function checkNewPocLinks(
  ex: Executor,
  context: OperationContext,
  before: readonly PocLink[],
  after: readonly PocLink[],
  allowance: PocLinkAllowance = {},
): Promise<Result<void>> {
  const account = context.requesterAccount;
  const createdHere = new Set(allowance.createdHere ?? []);
  const wanted = [...new Set(newPocLinks(before, after).map((l) => l.pocHandle))].filter(
    (handle) => !createdHere.has(handle),
  );
  if (account === undefined || wanted.length === 0) return ok(undefined);
  const linked = await ex
    .select({ handle: tables.accountPocs.pocHandle })
    .from(tables.accountPocs)
    .where(and(eq(tables.accountPocs.accountId, account), inArray(tables.accountPocs.pocHandle, wanted)));
  const allowed = new Set(linked.map((l) => l.handle));
  const holderOrg = allowance.holderOrg;
  if (holderOrg) {
    const ofOrg = await ex
      .select({ handle: tables.orgPocs.pocHandle })
      .from(tables.orgPocs)
      .where(and(eq(tables.orgPocs.orgHandle, holderOrg), inArray(tables.orgPocs.pocHandle, wanted)));
    for (const o of ofOrg) allowed.add(o.handle);
  }
  const foreign = wanted.filter((handle) => !allowed.has(handle));
  if (foreign.length === 0) return ok(undefined);
  const named = foreign.length === 1 ? `POC ${foreign[0]} is` : `POCs ${foreign.join(', ')} are`;
  const roles = [
    ...new Set(
      newPocLinks(before, after)
        .filter((l) => foreign.includes(l.pocHandle))
        .map((l) => l.role),
    ),
  ];
  return fail(
    problem(
      'E_NOT_AUTHORIZED',
      `${named} not linked to your account (named as ${roles.join(', ')} POC): a net or org may be given only POCs your account speaks for, and a net also its own org's POCs; a POC already on the object in another role is not thereby yours to name in this one. Name one of yours, create one with a POC template (action N, linked to your account), or ask hostmaster staff to link it to your account with its holder's consent.`,
    ),
  );
}
