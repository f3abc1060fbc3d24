/**
 * Safe resends: a billing system that lost our reply sends the same template again. What it
 * asked for is already there, registered by it: the answer is APPROVED with what it holds, not
 * E_OVERLAP (which its billing would record as a failure). Nothing is written, no notice sent.
 *
 * "The same" is strict, so that a resend can never stand for a change nor for someone else's
 * registration:
 * - the same range, exactly, already a net of the same kind;
 * - the same data, field by field, as this request would have written it (after the same
 *   cleaning: the net's name, origin ASes and comments; the customer's name, address, country,
 *   private residence). Anything different is a different request, refused E_OVERLAP as before;
 * - registered by the same requester: the net's creation is audited to the requesting account
 *   (or to staff acting on one of its submissions: `createdBy`);
 *   a template of someone else's, sent again by anyone else (with their own key or address), is
 *   E_OVERLAP, so nobody learns another's handles by resending a template;
 * - and the requester may still sub-delegate from the net's parent today (the same authority a
 *   new registration would need).
 */
import { and, desc, eq, sql } from 'drizzle-orm';
import { type Executor, queryRows, tables } from '../db/index.ts';
import type { IpRange } from '../ip/index.ts';
import { formatRange, sameRange } from '../ip/index.ts';
import { oneSpaceBlanks } from '../shared/index.ts';
import { holderFlags } from './holders.ts';
import { findCustomer } from './lookups.ts';
import { netRange } from './placement.ts';
import type { AppliedOutcome, Customer, DelegationAuthority, Net, OperationContext } from './types.ts';

/** The note of an answer to a resend: what the sender already holds, and that nothing changed. */
export function alreadyRegisteredNote(handle: string): string {
  return `already registered as ${handle}, nothing changed`;
}

export function sameList<T>(a: readonly T[] | null | undefined, b: readonly T[] | null | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/**
 * A stored text as a template's value is read now (each run of blanks one space, shared/blanks.ts):
 * a value stored before reading did so (an NBSP or a TAB kept) is the same as the one a resend
 * carries, whether the resend has the NBSP again or a plain space.
 */
export function asRead(stored: string): string;
export function asRead(stored: string | null | undefined): string | null;
export function asRead(stored: string | null | undefined): string | null {
  return stored == null ? null : oneSpaceBlanks(stored);
}

/** `sameList` of stored texts, read as `asRead` reads them, and the request's. */
export function sameTexts(
  stored: readonly string[] | null | undefined,
  read: readonly string[] | null | undefined,
) {
  return sameList((stored ?? []).map(oneSpaceBlanks), read);
}

/**
 * Whether the object's creation is the account's: audited to it (`account:<id>`, as audit.ts
 * writes it), or to staff acting on one of its submissions (an edit-and-apply, an override or a
 * reprocess of what the account sent: the audit row names the submission, whose account the
 * worker recorded). The customer who then sends the corrected template again, as our REJECTED
 * reply told it to, is resending its own registration, not claiming someone else's.
 */
export async function createdBy(
  ex: Executor,
  object: { readonly handle: string },
  account: number | undefined,
  objectType: 'net' | 'org' = 'net',
): Promise<boolean> {
  if (account === undefined) return false;
  const { auditLog, submissions } = tables;
  // The latest creation counts: a handle removed and registered again by another is theirs.
  const [latest] = await ex
    .select({ actor: auditLog.actor, submissionAccount: submissions.accountId })
    .from(auditLog)
    .leftJoin(submissions, eq(submissions.id, auditLog.submissionId))
    .where(
      and(
        eq(auditLog.objectType, objectType),
        eq(auditLog.objectHandle, object.handle),
        eq(auditLog.action, 'create'),
      ),
    )
    .orderBy(desc(auditLog.id))
    .limit(1);
  if (!latest) return false;
  if (latest.actor === `account:${account}`) return true;
  return latest.actor.startsWith('staff:') && latest.submissionAccount === account;
}

/** Whether the requester may still sub-delegate from the net's parent (the check a new net passes). */
export async function stillAuthorized(
  ex: Executor,
  net: Net,
  delegation: DelegationAuthority | undefined,
): Promise<boolean> {
  if (!delegation) return true;
  if (!net.parentHandle) return false;
  const { nets } = tables;
  const flags = holderFlags(delegation.accountId, nets.orgHandle, nets.handle);
  const [parent] = await queryRows<{
    handle: string;
    type: Net['type'];
    org_handle: string | null;
    customer_handle: string | null;
    org_admin: boolean;
    org_tech: boolean;
    net_tech: boolean;
  }>(
    ex,
    sql`SELECT ${nets.handle} AS handle, ${nets.type} AS type, ${nets.orgHandle} AS org_handle,
          ${nets.customerHandle} AS customer_handle, ${flags.orgAdmin} AS org_admin,
          ${flags.orgTech} AS org_tech, ${flags.netTech} AS net_tech
        FROM ${nets} WHERE ${nets.handle} = ${net.parentHandle}`,
  );
  if (!parent) return false;
  return delegation.verdict({
    handle: parent.handle,
    type: parent.type,
    orgHandle: parent.org_handle,
    customerHandle: parent.customer_handle,
    orgAdmin: parent.org_admin,
    orgTech: parent.org_tech,
    netTech: parent.net_tech,
  }).ok;
}

/** What a Reassign-Simple N would write (simple-reassignment.ts's checked request). */
export interface SimpleRegistration {
  readonly range: IpRange;
  readonly customer: Pick<
    Customer,
    'name' | 'street' | 'city' | 'state' | 'postalCode' | 'country' | 'privateResidence'
  >;
  readonly net: {
    readonly name: string;
    readonly originAs: readonly number[];
    readonly publicComments: readonly string[];
  };
}

/**
 * The answer to a Reassign-Simple N that is a resend of the requester's own registration (see
 * above), or undefined: then it overlaps and is refused as before. `existing` is the net in the
 * way: the placement found it as the range's most specific net (a simple reassignment cannot be
 * divided) or as the overlapping child.
 */
export async function resentSimpleReassignment(
  ex: Executor,
  context: OperationContext,
  request: SimpleRegistration,
  existing: Net | undefined,
  delegation: DelegationAuthority | undefined,
): Promise<AppliedOutcome | undefined> {
  if (existing?.type !== 'simple_reassignment' || !sameRange(netRange(existing), request.range))
    return undefined;
  if (!existing.customerHandle) return undefined;
  const same =
    existing.name === request.net.name &&
    sameList(existing.originAs, request.net.originAs) &&
    sameTexts(existing.publicComments, request.net.publicComments);
  if (!same) return undefined;
  const customer = await findCustomer(ex, existing.customerHandle);
  const c = request.customer;
  if (
    !customer ||
    asRead(customer.name) !== c.name ||
    !sameTexts(customer.street, c.street) ||
    asRead(customer.city) !== c.city ||
    asRead(customer.state) !== (c.state ?? null) ||
    asRead(customer.postalCode) !== (c.postalCode ?? null) ||
    customer.country !== c.country ||
    customer.privateResidence !== c.privateResidence
  )
    return undefined;
  if (!(await createdBy(ex, existing, context.requesterAccount))) return undefined;
  if (!(await stillAuthorized(ex, existing, delegation))) return undefined;
  return {
    status: 'applied',
    unchanged: true,
    handles: { net: existing.handle, customer: customer.handle },
    summary: [
      `${alreadyRegisteredNote(existing.handle)}: ${formatRange(request.range)} (${existing.name}) is reassigned to ${customer.handle} under ${existing.parentHandle}.`,
    ],
  };
}

/**
 * The answer to a POC N that repeats a POC the requesting account already holds (linked to it in
 * `account_pocs`), equal in every column the template writes (contact type, names, company,
 * address, phones, e-mails, comments): the existing handle, nothing written. The check is part of
 * the statement that inserts a POC (new-poc.ts), so it costs no round trip. A POC of another
 * account, or any value different, is a new POC as before.
 */
export function resentPoc(handle: string): AppliedOutcome {
  return {
    status: 'applied',
    unchanged: true,
    handles: { poc: handle },
    summary: [`${alreadyRegisteredNote(handle)}: your account already holds this POC.`],
  };
}
