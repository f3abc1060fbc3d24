/**
 * Whose POCs a net or org may be given. A POC is its holder's: only an account linked to it may
 * change or remove it. Naming it on one's own net or org publishes it as that object's contact
 * (WHOIS), and its holder could then no longer remove it (E_POC_IN_USE) nor take it off an object
 * it does not manage. So a request may newly name only POCs linked to the requesting account; a
 * POC the object already has stays where it is (a billing system sends the whole form again).
 * Requests without a requesting account (the seed, staff tools) are not held to it.
 */
import { and, eq, inArray } from 'drizzle-orm';
import { type Executor, tables } from '../db/index.ts';
import { fail, ok, problem, type Result } from '../shared/index.ts';
import type { OperationContext } from './types.ts';

/** Refuses (E_NOT_AUTHORIZED, naming them) the newly named POCs not linked to the requesting account. */
export async function checkPocsLinked(
  ex: Executor,
  context: OperationContext,
  newlyNamed: readonly string[],
): Promise<Result<void>> {
  const account = context.requesterAccount;
  const wanted = [...new Set(newlyNamed)];
  if (account === undefined || wanted.length === 0) return ok(undefined);
  const linked = await ex
    .select({ handle: tables.accountPocs.pocHandle })
    .from(tables.accountPocs)
    .where(and(eq(tables.accountPocs.accountId, account), inArray(tables.accountPocs.pocHandle, wanted)));
  const ours = new Set(linked.map((l) => l.handle));
  const foreign = wanted.filter((handle) => !ours.has(handle));
  if (foreign.length === 0) return ok(undefined);
  const named = foreign.length === 1 ? `POC ${foreign[0]} is` : `POCs ${foreign.join(', ')} are`;
  return fail(
    problem(
      'E_NOT_AUTHORIZED',
      `${named} not linked to your account: a net or org may be given only POCs your account speaks for. Name one of yours, create one with a POC template (action N, linked to your account), or ask hostmaster staff to link it to your account with its holder's consent.`,
    ),
  );
}
