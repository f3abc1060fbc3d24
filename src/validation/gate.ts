/**
 * The consequence for an account whose every POC is invalid (rules.ts, unvalidatedRefusal), read
 * from the database for a template about to be applied, and the validation a POC template brings.
 */
import { asc, eq } from 'drizzle-orm';
import { type Executor, tables } from '../db/index.ts';
import type { Problem } from '../shared/index.ts';
import { validatePoc } from './answers.ts';
import { type GatedRequest, type LinkedPoc, unvalidatedRefusal } from './rules.ts';

export async function linkedPocStates(ex: Executor, accountId: number): Promise<LinkedPoc[]> {
  const { accountPocs, pocs } = tables;
  const rows = await ex
    .select({ handle: pocs.handle, state: pocs.validationState })
    .from(accountPocs)
    .innerJoin(pocs, eq(pocs.handle, accountPocs.pocHandle))
    .where(eq(accountPocs.accountId, accountId))
    // The refusal names them in this order: the same every time, not the heap's.
    .orderBy(asc(pocs.handle));
  return rows;
}

/**
 * E_POC_UNVALIDATED when the account may not have this template applied; undefined when it may.
 * `held` is what the requester's identification already read (every linked POC invalid), so a
 * message of an account in good standing asks nothing more; the POCs are read only to refuse.
 */
export async function validationGate(
  ex: Executor,
  requester: { readonly accountId: number; readonly pocsUnvalidated?: boolean },
  request: GatedRequest,
): Promise<Problem | undefined> {
  if (!requester.pocsUnvalidated) return undefined;
  // A POC template M reaches here only for a POC the account is linked to (src/auth).
  if (request.kind === 'poc.modify') return undefined;
  return unvalidatedRefusal(await linkedPocStates(ex, requester.accountId), request);
}

/**
 * A POC template (M) applied: its sender just stated the POC's record as it should be, which is
 * what the validation asks; the POC is validated, whatever round it is in.
 */
export async function validatedByTemplate(
  ex: Executor,
  handle: string,
  where: { readonly accountId: number; readonly submissionId: string; readonly ticketNumber: string },
): Promise<void> {
  await validatePoc(ex, handle, {
    via: 'template',
    actor: `account:${where.accountId}`,
    now: new Date(),
    submissionId: where.submissionId,
    ticketNumber: where.ticketNumber,
  });
}
