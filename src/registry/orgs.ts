/**
 * ORG templates: create, modify, remove. An org's admin POC (its voting contact) must be a
 * person; every POC it names must exist; an org that still holds nets or customers stays.
 */

import { and, asc, eq, sql } from 'drizzle-orm';
import { type Transaction, tables } from '../db/index.ts';
import { fail, ok, type Problem, problem, type Result } from '../shared/index.ts';
import { atomically } from './atomic.ts';
import { writeAudit } from './audit.ts';
import { changedFields, modifiedLine } from './changes.ts';
import { numberedInsert, orgNumbering } from './handles.ts';
import { customersOfOrg, findOrg, findPoc, netsOfOrg, orgPocs } from './lookups.ts';
import { checkNewPocLinks } from './poc-links.ts';
import { alreadyRegisteredNote, createdBy } from './resend.ts';
import { checkAddress, checkHandle, checkReferralServer, cleanList, optionalText } from './rules.ts';
import { orgTurn, takeTurn } from './turns.ts';
import type { OperationContext, Org, OrgChanges, OrgInput, OrgPocRole, Outcome } from './types.ts';

/** An org's stored columns besides its handle and POCs: what an ORG N writes and an Org M may change. */
const ORG_FIELDS = [
  'name',
  'dba',
  'taxId',
  'street',
  'city',
  'state',
  'postalCode',
  'country',
  'referralServer',
  'publicComments',
] as const;

const insertNumberedOrg = numberedInsert('registry_insert_numbered_org', tables.orgs, ORG_FIELDS);

type OrgValues = Parameters<typeof insertNumberedOrg>[1];
export type OrgPocAssignment = ReadonlyArray<{ readonly role: OrgPocRole; readonly pocHandle: string }>;

export function orgValues(input: OrgInput): Result<OrgValues, Problem> {
  const name = input.legalName.trim();
  if (!name) return fail(problem('E_MISSING_FIELD', 'an org needs its legal name'));
  const address = checkAddress(input.address, 'org');
  if (!address.ok) return address;
  let referralServer: string | null = null;
  if (optionalText(input.referralServer)) {
    const checked = checkReferralServer(input.referralServer!);
    if (!checked.ok) return checked;
    referralServer = checked.value;
  }
  return ok({
    name,
    dba: optionalText(input.doingBusinessAs),
    taxId: optionalText(input.taxId),
    street: [...address.value.street],
    city: address.value.city,
    state: address.value.state ?? null,
    postalCode: address.value.postalCode ?? null,
    country: address.value.country,
    referralServer,
    publicComments: cleanList(input.publicComments),
  });
}

/**
 * Checks the POCs an org names: each must exist, the admin (voting contact) must be a person,
 * and an org needs one admin and at least one tech POC.
 */
export async function resolveOrgPocs(
  tx: Transaction,
  input: Pick<OrgInput, 'adminPoc' | 'techPocs' | 'abusePocs' | 'nocPocs'>,
): Promise<Result<OrgPocAssignment, Problem>> {
  if (!input.adminPoc.trim()) return fail(problem('E_MISSING_FIELD', 'an org needs an admin POC'));
  if (cleanList(input.techPocs).length === 0)
    return fail(problem('E_MISSING_FIELD', 'an org needs a tech POC'));
  const wanted: { role: OrgPocRole; raw: string }[] = [
    { role: 'admin', raw: input.adminPoc },
    ...cleanList(input.techPocs).map((raw) => ({ role: 'tech' as const, raw })),
    ...cleanList(input.abusePocs).map((raw) => ({ role: 'abuse' as const, raw })),
    ...cleanList(input.nocPocs).map((raw) => ({ role: 'noc' as const, raw })),
  ];
  const assignment: { role: OrgPocRole; pocHandle: string }[] = [];
  for (const { role, raw } of wanted) {
    const handle = checkHandle('poc', raw);
    if (!handle.ok) return handle;
    const poc = await findPoc(tx, handle.value);
    if (!poc) return fail(problem('E_OBJECT_NOT_FOUND', `${role} POC ${handle.value} does not exist`));
    if (role === 'admin' && poc.kind !== 'person') {
      return fail(
        problem(
          'E_ROLE_NOT_ALLOWED',
          `${poc.handle} is a role POC; an org's admin POC is its voting contact and must be a person`,
        ),
      );
    }
    if (!assignment.some((a) => a.role === role && a.pocHandle === poc.handle)) {
      assignment.push({ role, pocHandle: poc.handle });
    }
  }
  return ok(assignment);
}

/**
 * Replaces the org's POC links with exactly these (writing nothing when they are already so),
 * refusing a newly linked POC the requester may not name (poc-links.ts): every form that gives
 * an org POCs writes them here. Answers whether anything changed.
 */
export async function setOrgPocs(
  tx: Transaction,
  context: OperationContext,
  orgHandle: string,
  assignment: OrgPocAssignment,
  createdHere: readonly string[] = [],
): Promise<Result<boolean, Problem>> {
  const current = await orgPocs(tx, orgHandle);
  const allowed = await checkNewPocLinks(tx, context, current, assignment, { createdHere });
  if (!allowed.ok) return allowed;
  const key = (a: { role: string; pocHandle: string }) => `${a.role} ${a.pocHandle}`;
  const same =
    current.length === assignment.length && current.every((c) => assignment.some((a) => key(a) === key(c)));
  if (same) return ok(false);
  await tx.delete(tables.orgPocs).where(eq(tables.orgPocs.orgHandle, orgHandle));
  if (assignment.length > 0) {
    await tx
      .insert(tables.orgPocs)
      .values(assignment.map((a) => ({ orgHandle, pocHandle: a.pocHandle, role: a.role })));
  }
  return ok(true);
}

/**
 * Creates an org and its POC links without a savepoint of its own; `createdHere`: POCs the same
 * request just created, which it may name.
 */
export async function insertOrg(
  tx: Transaction,
  context: OperationContext,
  input: OrgInput,
  createdHere: readonly string[] = [],
): Promise<Result<Org, Problem>> {
  const values = orgValues(input);
  if (!values.ok) return values;
  const assignment = await resolveOrgPocs(tx, input);
  if (!assignment.ok) return assignment;
  return insertCheckedOrg(tx, context, values.value, assignment.value, createdHere);
}

async function insertCheckedOrg(
  tx: Transaction,
  context: OperationContext,
  values: OrgValues,
  assignment: OrgPocAssignment,
  createdHere: readonly string[] = [],
): Promise<Result<Org, Problem>> {
  const row = await insertNumberedOrg(tx, values, orgNumbering(values.name));
  const handle = row.handle;
  const linked = await setOrgPocs(tx, context, handle, assignment, createdHere);
  if (!linked.ok) return linked;
  await writeAudit(tx, context, {
    action: 'create',
    objectType: 'org',
    objectHandle: handle,
    after: { ...row, pocs: assignment },
  });
  return ok(row);
}

/**
 * An ORG template's N. An org equal in every value and POC to the one it would create, whose
 * creation is audited to the requesting account, is the same ORG N sent again (a lost reply):
 * answered with that org's handle, nothing written. Equal ORG N of one account take turns
 * (turns.ts), so copies processed at the same moment are answered the same way.
 */
export function createOrg(
  tx: Transaction,
  context: OperationContext,
  input: OrgInput,
): Promise<Result<Outcome>> {
  return atomically(tx, async (sp) => {
    const values = orgValues(input);
    if (!values.ok) return values;
    const assignment = await resolveOrgPocs(sp, input);
    if (!assignment.ok) return assignment;
    // Asked before the resend check, so a foreign POC is refused as such, not as a new org.
    const linked = await checkNewPocLinks(sp, context, [], assignment.value);
    if (!linked.ok) return linked;
    const account = context.requesterAccount;
    if (account !== undefined) {
      await takeTurn(sp, orgTurn(account, values.value.name), context.turnsHeld);
      const held = await heldEqualOrg(sp, account, values.value, assignment.value);
      if (held) {
        return ok({
          status: 'applied',
          unchanged: true,
          handles: { org: held.handle },
          summary: [`${alreadyRegisteredNote(held.handle)}: your account already registered this org.`],
        });
      }
    }
    const created = await insertCheckedOrg(sp, context, values.value, assignment.value);
    if (!created.ok) return created;
    return ok({
      status: 'applied',
      handles: { org: created.value.handle },
      summary: [`Org ${created.value.handle} (${created.value.name}) created.`],
    });
  });
}

/** The org equal to the one an ORG N would create (values and POCs), created by the account. */
async function heldEqualOrg(
  ex: Transaction,
  account: number,
  values: OrgValues,
  assignment: OrgPocAssignment,
): Promise<Org | undefined> {
  const { orgs } = tables;
  const named = await ex
    .select()
    .from(orgs)
    .where(sql`lower(${orgs.name}) = lower(${values.name})`)
    .orderBy(asc(orgs.handle));
  for (const org of named) {
    if (changedFields(org, values, ORG_FIELDS).length > 0) continue;
    const links = await orgPocs(ex, org.handle);
    const samePocs = ORG_POC_ROLES.every(({ role }) =>
      sameHandles(rolesOf(links, role), rolesOf(assignment, role)),
    );
    if (samePocs && (await createdBy(ex, org, account, 'org'))) return org;
  }
  return undefined;
}

function pick<T>(change: T | null | undefined, current: T): T | undefined {
  if (change === undefined) return current;
  return change === null ? undefined : change;
}

/** The template's words for the columns whose names differ. */
const ORG_FIELD_WORDS: Partial<Record<(typeof ORG_FIELDS)[number], keyof OrgChanges>> = {
  name: 'legalName',
  dba: 'doingBusinessAs',
};
const ORG_POC_ROLES: ReadonlyArray<{ role: OrgPocRole; key: keyof OrgChanges }> = [
  { role: 'admin', key: 'adminPoc' },
  { role: 'tech', key: 'techPocs' },
  { role: 'abuse', key: 'abusePocs' },
  { role: 'noc', key: 'nocPocs' },
];

function rolesOf(assignment: OrgPocAssignment, role: OrgPocRole): string[] {
  return assignment.filter((a) => a.role === role).map((a) => a.pocHandle);
}

/** The same POCs in a role, in any order (the org's links are a set, as `setOrgPocs` compares them). */
function sameHandles(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((h) => b.includes(h));
}

export function modifyOrg(
  tx: Transaction,
  context: OperationContext,
  handle: string,
  changes: OrgChanges,
): Promise<Result<Outcome>> {
  return atomically(tx, async (sp) => {
    const checked = checkHandle('org', handle);
    if (!checked.ok) return checked;
    const before = await findOrg(sp, checked.value, { lock: 'update' });
    if (!before) return fail(problem('E_OBJECT_NOT_FOUND', `org ${checked.value} does not exist`));
    const links = await orgPocs(sp, before.handle);
    const ofRole = (role: OrgPocRole) => links.filter((l) => l.role === role).map((l) => l.pocHandle);
    const merged: OrgInput = {
      legalName: pick(changes.legalName, before.name) ?? '',
      doingBusinessAs: pick(changes.doingBusinessAs, before.dba ?? undefined),
      taxId: pick(changes.taxId, before.taxId ?? undefined),
      address: {
        street: pick(changes.street, before.street) ?? [],
        city: pick(changes.city, before.city) ?? '',
        state: pick(changes.state, before.state ?? undefined),
        postalCode: pick(changes.postalCode, before.postalCode ?? undefined),
        country: pick(changes.country, before.country) ?? '',
      },
      adminPoc: pick(changes.adminPoc, ofRole('admin')[0] ?? '') ?? '',
      techPocs: pick(changes.techPocs, ofRole('tech')) ?? [],
      abusePocs: pick(changes.abusePocs, ofRole('abuse')) ?? [],
      nocPocs: pick(changes.nocPocs, ofRole('noc')) ?? [],
      referralServer: pick(changes.referralServer, before.referralServer ?? undefined),
      publicComments: pick(changes.publicComments, before.publicComments) ?? [],
    };
    const values = orgValues(merged);
    if (!values.ok) return values;
    const assignment = await resolveOrgPocs(sp, merged);
    if (!assignment.ok) return assignment;
    const changed = [
      ...changedFields(before, values.value, ORG_FIELDS).map((f) => ORG_FIELD_WORDS[f] ?? f),
      ...ORG_POC_ROLES.filter(
        ({ role }) => !sameHandles(rolesOf(links, role), rolesOf(assignment.value, role)),
      ).map(({ key }) => key),
    ];
    if (changed.length === 0) {
      // Nothing written: no audit row, no notice, and the org's Updated date stays.
      return ok({
        status: 'applied',
        handles: { org: before.handle },
        unchanged: true,
        summary: [modifiedLine(`Org ${before.handle}`, changed, context.fieldWords)],
      });
    }
    const [after] = await sp
      .update(tables.orgs)
      .set({ ...values.value, updatedAt: new Date() })
      .where(eq(tables.orgs.handle, before.handle))
      .returning();
    const written = await setOrgPocs(sp, context, before.handle, assignment.value);
    if (!written.ok) return written;
    await writeAudit(sp, context, {
      action: 'modify',
      objectType: 'org',
      objectHandle: before.handle,
      before: { ...before, pocs: links },
      after: { ...after, pocs: assignment.value },
    });
    return ok({
      status: 'applied',
      handles: { org: before.handle },
      summary: [modifiedLine(`Org ${before.handle}`, changed, context.fieldWords)],
    });
  });
}

export function removeOrg(
  tx: Transaction,
  context: OperationContext,
  handle: string,
): Promise<Result<Outcome>> {
  return atomically(tx, async (sp) => {
    const checked = checkHandle('org', handle);
    if (!checked.ok) return checked;
    const before = await findOrg(sp, checked.value, { lock: 'update' });
    if (!before) return fail(problem('E_OBJECT_NOT_FOUND', `org ${checked.value} does not exist`));
    const nets = await netsOfOrg(sp, before.handle);
    const customers = await customersOfOrg(sp, before.handle);
    if (nets.length > 0 || customers.length > 0) {
      const held = [
        ...(nets.length
          ? [
              `${nets.length} net(s) (${nets
                .slice(0, 3)
                .map((n) => n.handle)
                .join(', ')}${nets.length > 3 ? ', ...' : ''})`,
            ]
          : []),
        ...(customers.length ? [`${customers.length} customer(s)`] : []),
      ];
      return fail(
        problem(
          'E_ORG_IN_USE',
          `org ${before.handle} cannot be removed while it holds ${held.join(' and ')}`,
        ),
      );
    }
    const links = await orgPocs(sp, before.handle);
    await sp.delete(tables.orgPocs).where(and(eq(tables.orgPocs.orgHandle, before.handle)));
    await sp.delete(tables.orgs).where(eq(tables.orgs.handle, before.handle));
    await writeAudit(sp, context, {
      action: 'remove',
      objectType: 'org',
      objectHandle: before.handle,
      before: { ...before, pocs: links },
    });
    return ok({
      status: 'applied',
      handles: { org: before.handle },
      summary: [
        `Org ${before.handle} (${before.name}) removed.`,
        ...(links.length
          ? [`Its POCs (${[...new Set(links.map((l) => l.pocHandle))].join(', ')}) are kept.`]
          : []),
      ],
    });
  });
}
