/**
 * POC templates: create (N), modify (M), remove (R). A POC still tied to an org, a net or an
 * account is not removed; its contact type never changes.
 */

import { asc, eq } from 'drizzle-orm';
import { type Executor, type Transaction, tables } from '../db/index.ts';
import { fail, ok, type Problem, problem, type Result } from '../shared/index.ts';
import { atomically } from './atomic.ts';
import { writeAudit } from './audit.ts';
import { changedFields, modifiedLine } from './changes.ts';
import { pocNumbering } from './handles.ts';
import { findPoc, netsOfPoc, orgsOfPoc } from './lookups.ts';
import { insertPocAndLink, type PocColumns } from './new-poc.ts';
import { resentPoc } from './resend.ts';
import { checkAddress, checkEmails, checkHandle, cleanList, optionalText } from './rules.ts';
import type { OperationContext, Outcome, Poc, PocChanges, PocInput, PocPhone } from './types.ts';

type PocValues = PocColumns;

/** Checks a POC as a whole and turns it into column values. */
export function pocValues(input: PocInput): Result<PocValues, Problem> {
  const lastName = input.lastName.trim();
  const firstName = optionalText(input.firstName);
  const middleName = optionalText(input.middleName);
  if (!lastName) {
    const what = input.contactType === 'role' ? 'role name' : 'last name';
    return fail(problem('E_MISSING_FIELD', `a POC needs a ${what}`));
  }
  if (input.contactType === 'person' && !firstName) {
    return fail(problem('E_MISSING_FIELD', 'a person POC needs a first name'));
  }
  if (input.contactType === 'role' && (firstName || middleName)) {
    return fail(
      problem(
        'E_INVALID_FIELD',
        'a role POC has only a role name (the last-name field); leave first and middle name empty',
      ),
    );
  }
  const address = checkAddress(input.address, 'POC');
  if (!address.ok) return address;
  const emails = checkEmails(input.emails, 'POC e-mail address');
  if (!emails.ok) return emails;
  const office = cleanList(input.officePhones);
  if (office.length === 0) return fail(problem('E_MISSING_FIELD', 'a POC needs an office phone number'));
  const first = optionalText(input.officePhoneExtension);
  const extensionOf = (i: number) =>
    input.officePhoneExtensions
      ? optionalText(input.officePhoneExtensions[i] ?? undefined)
      : i === 0
        ? first
        : undefined;
  const phones: PocPhone[] = office.map((number, i) => {
    const extension = extensionOf(i);
    return { number, kind: 'office', ...(extension ? { extension } : {}) };
  });
  const mobile = optionalText(input.mobilePhone);
  if (mobile) phones.push({ number: mobile, kind: 'mobile' });
  const fax = optionalText(input.fax);
  if (fax) phones.push({ number: fax, kind: 'fax' });
  return ok({
    kind: input.contactType,
    lastName,
    firstName,
    middleName,
    company: optionalText(input.companyName),
    street: [...address.value.street],
    city: address.value.city,
    state: address.value.state ?? null,
    postalCode: address.value.postalCode ?? null,
    country: address.value.country,
    phones,
    emails: emails.value,
    publicComments: cleanList(input.publicComments),
  });
}

/**
 * Creates a POC without a savepoint of its own (for operations that create several things),
 * linked to no account.
 */
export async function insertPoc(
  tx: Transaction,
  context: OperationContext,
  input: PocInput,
): Promise<Result<Poc, Problem>> {
  const values = pocValues(input);
  if (!values.ok) return values;
  const numbering = pocNumbering({ contactType: input.contactType, ...values.value });
  return ok(await insertPocAndLink(tx, context, values.value, numbering, undefined));
}

function describePoc(poc: Poc): string {
  const name = poc.kind === 'person' ? [poc.firstName, poc.lastName].filter(Boolean).join(' ') : poc.lastName;
  return `${poc.handle} (${poc.kind}: ${name})`;
}

/**
 * A POC template's N: the POC, linked to the requesting account (`context.requesterAccount`),
 * which may then modify or remove it. Every refusal comes before its one statement, so it needs
 * no savepoint: a failure of that statement is an exception, which aborts the caller's
 * transaction as a failure inside a savepoint would.
 */
export async function createPoc(
  tx: Transaction,
  context: OperationContext,
  input: PocInput,
): Promise<Result<Outcome>> {
  const values = pocValues(input);
  if (!values.ok) return values;
  const numbering = pocNumbering({ contactType: input.contactType, ...values.value });
  const poc = await insertPocAndLink(tx, context, values.value, numbering, context.requesterAccount);
  // The account's own POC sent again (a lost reply): answered with the handle it already holds.
  if (poc.resent) return ok(resentPoc(poc.handle));
  return ok({
    status: 'applied',
    handles: { poc: poc.handle },
    summary: [`POC ${describePoc(poc)} created.`],
  });
}

/** The stored POC as the input it could have been created from, to re-check it after a change. */
function pocAsInput(poc: Poc): PocInput {
  const office = poc.phones.filter((p) => p.kind === 'office');
  return {
    contactType: poc.kind,
    lastName: poc.lastName,
    firstName: poc.firstName ?? undefined,
    middleName: poc.middleName ?? undefined,
    companyName: poc.company ?? undefined,
    address: {
      street: poc.street,
      city: poc.city ?? '',
      state: poc.state ?? undefined,
      postalCode: poc.postalCode ?? undefined,
      country: poc.country ?? '',
    },
    officePhones: office.map((p) => p.number),
    officePhoneExtension: office[0]?.extension,
    officePhoneExtensions: office.map((p) => p.extension ?? null),
    emails: poc.emails,
    mobilePhone: poc.phones.find((p) => p.kind === 'mobile')?.number,
    fax: poc.phones.find((p) => p.kind === 'fax')?.number,
    publicComments: poc.publicComments,
  };
}

/** A change: the new value, `undefined` to clear it (NONE), or the old value when not mentioned. */
function pick<T>(change: T | null | undefined, current: T): T | undefined {
  if (change === undefined) return current;
  return change === null ? undefined : change;
}

/** A POC's fields as the template names them (phones split back into its lines), to tell what changed. */
const POC_FIELDS = [
  'lastName',
  'firstName',
  'middleName',
  'companyName',
  'street',
  'city',
  'state',
  'postalCode',
  'country',
  'officePhones',
  'officePhoneExtension',
  'emails',
  'mobilePhone',
  'fax',
  'publicComments',
] as const;

function pocFields(poc: PocValues): Record<(typeof POC_FIELDS)[number], unknown> {
  const office = poc.phones.filter((p) => p.kind === 'office');
  return {
    lastName: poc.lastName,
    firstName: poc.firstName,
    middleName: poc.middleName,
    companyName: poc.company,
    street: poc.street,
    city: poc.city,
    state: poc.state,
    postalCode: poc.postalCode,
    country: poc.country,
    officePhones: office.map((p) => p.number),
    officePhoneExtension: office.some((p) => p.extension) ? office.map((p) => p.extension ?? null) : null,
    emails: poc.emails,
    mobilePhone: poc.phones.find((p) => p.kind === 'mobile')?.number,
    fax: poc.phones.find((p) => p.kind === 'fax')?.number,
    publicComments: poc.publicComments,
  };
}

/** What the reply says when a modify asks for another contact type than the POC has. */
function contactTypeKept(poc: Poc, asked: 'person' | 'role'): string {
  return `Contact type not changed: POC ${poc.handle} stays a ${poc.kind} POC, as the contact type of an existing POC cannot be changed (you asked for a ${asked} POC). To have a ${asked} POC instead, create one (POC template, action N) and put its handle where ${poc.handle} is used.`;
}

export function modifyPoc(
  tx: Transaction,
  context: OperationContext,
  handle: string,
  { contactType: askedType, ...changes }: PocChanges,
): Promise<Result<Outcome>> {
  return atomically(tx, async (sp) => {
    const checked = checkHandle('poc', handle);
    if (!checked.ok) return checked;
    const before = await findPoc(sp, checked.value, { lock: 'update' });
    if (!before) return fail(problem('E_OBJECT_NOT_FOUND', `POC ${checked.value} does not exist`));
    const current = pocAsInput(before);
    const merged: PocInput = {
      contactType: current.contactType,
      lastName: pick(changes.lastName, current.lastName) ?? '',
      firstName: pick(changes.firstName, current.firstName),
      middleName: pick(changes.middleName, current.middleName),
      companyName: pick(changes.companyName, current.companyName),
      address: {
        street: pick(changes.street, current.address.street) ?? [],
        city: pick(changes.city, current.address.city) ?? '',
        state: pick(changes.state, current.address.state),
        postalCode: pick(changes.postalCode, current.address.postalCode),
        country: pick(changes.country, current.address.country) ?? '',
      },
      officePhones: pick(changes.officePhones, current.officePhones) ?? [],
      officePhoneExtension: pick(changes.officePhoneExtension, current.officePhoneExtension),
      // Per-phone extensions as sent; one first-phone extension alone replaces the stored ones.
      officePhoneExtensions:
        changes.officePhoneExtensions !== undefined
          ? (changes.officePhoneExtensions ?? [])
          : changes.officePhoneExtension !== undefined
            ? undefined
            : current.officePhoneExtensions,
      emails: pick(changes.emails, current.emails) ?? [],
      mobilePhone: pick(changes.mobilePhone, current.mobilePhone),
      fax: pick(changes.fax, current.fax),
      publicComments: pick(changes.publicComments, current.publicComments) ?? [],
    };
    const values = pocValues(merged);
    if (!values.ok) return values;
    const changed = changedFields(pocFields(before), pocFields(values.value), POC_FIELDS);
    // Nothing to change (the form resent as it stands): no write, no audit row, no notice, and
    // the POC's Updated date stays.
    const after =
      changed.length === 0
        ? before
        : (
            await sp
              .update(tables.pocs)
              .set({ ...values.value, updatedAt: new Date() })
              .where(eq(tables.pocs.handle, before.handle))
              .returning()
          )[0]!;
    if (changed.length > 0) {
      await writeAudit(sp, context, {
        action: 'modify',
        objectType: 'poc',
        objectHandle: before.handle,
        before,
        after,
      });
    }
    const summary = [modifiedLine(`POC ${describePoc(after)}`, changed, context.fieldWords)];
    // The same type resent (billing systems resend the whole form) is not worth a word.
    if (askedType && askedType !== before.kind) summary.push(contactTypeKept(before, askedType));
    return ok({
      status: 'applied',
      handles: { poc: before.handle },
      summary,
      ...(changed.length === 0 ? { unchanged: true as const } : {}),
    });
  });
}

/**
 * Where a POC is still used, in words (empty when it is free to go). A link to the account that
 * is asking does not count: an account may remove a POC it holds (a POC created through a
 * template is linked to the account that created it), but not one other accounts rely on.
 */
export async function pocUses(ex: Executor, handle: string, exceptAccountId?: number): Promise<string[]> {
  const uses = [
    ...(await orgsOfPoc(ex, handle)).map((u) => `${u.role} POC of org ${u.orgHandle}`),
    ...(await netsOfPoc(ex, handle)).map((u) => `${u.role} POC of net ${u.netHandle}`),
  ];
  const accounts = await ex
    .select({ accountId: tables.accountPocs.accountId })
    .from(tables.accountPocs)
    .where(eq(tables.accountPocs.pocHandle, handle))
    .orderBy(asc(tables.accountPocs.accountId));
  for (const a of accounts)
    if (a.accountId !== exceptAccountId) uses.push(`linked to account ${a.accountId}`);
  return uses;
}

export function removePoc(
  tx: Transaction,
  context: OperationContext,
  handle: string,
): Promise<Result<Outcome>> {
  return atomically(tx, async (sp) => {
    const checked = checkHandle('poc', handle);
    if (!checked.ok) return checked;
    const before = await findPoc(sp, checked.value, { lock: 'update' });
    if (!before) return fail(problem('E_OBJECT_NOT_FOUND', `POC ${checked.value} does not exist`));
    const asking = context.actor.kind === 'account' ? context.actor.accountId : undefined;
    const uses = await pocUses(sp, before.handle, asking);
    if (uses.length > 0) {
      return fail(
        problem(
          'E_POC_IN_USE',
          `POC ${before.handle} cannot be removed while it is ${uses.join(', ')}; replace it there first (a net's or org's POCs are changed by an account that manages it, with a Net-Mod or ORG template), or ask hostmaster staff to take it off what your account does not manage`,
        ),
      );
    }
    await sp.delete(tables.pocs).where(eq(tables.pocs.handle, before.handle));
    await writeAudit(sp, context, {
      action: 'remove',
      objectType: 'poc',
      objectHandle: before.handle,
      before,
    });
    return ok({
      status: 'applied',
      handles: { poc: before.handle },
      summary: [`POC ${describePoc(before)} removed.`],
    });
  });
}
