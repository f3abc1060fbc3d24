/**
 * May this requester touch this resource? Authority comes from POCs: an account speaks for the
 * POCs linked to it (`account_pocs`), and a POC has authority through its roles on orgs
 * (`org_pocs`) and nets (`net_pocs`). Every check reads the links inside the caller's executor,
 * so run it in the same transaction as the change it guards.
 *
 * The rules (DESIGN.md section 4, TEMPLATES.md):
 * - a net is managed by an admin or tech POC of the org that holds it, or by its own tech POC;
 *   and, walking up `parent_handle`, by whoever may sub-delegate from each parent (an upstream
 *   may manage what it reassigned or reallocated, including simple reassignments to customers,
 *   which have no POCs of their own);
 * - sub-delegating from a net needs an admin or tech POC of its holding org, or its tech POC;
 * - renaming a direct allocation needs the org's admin or tech POC (its tech POC alone is not enough);
 * - returning a net needs an admin POC of the org that holds it (or of an upstream holder);
 * - an org is managed by its admin or tech POCs; a POC only by accounts linked to it;
 * - anyone identified may create a POC or an org: creation takes nothing from anybody, and the
 *   new object is linked to the requester by the registry.
 */
import { and, eq, inArray } from 'drizzle-orm';
import { type Executor, type NetType, type OrgPocRole, tables } from '../db/index.ts';
import { fail, ok, type Problem, problem, type Result } from '../shared/errors.ts';
import type { Requester } from './requester.ts';

type Authority = Promise<Result<void, Problem>>;

const ALLOWED: Result<void, Problem> = ok(undefined);
/** Parent chains are short (allocation -> reallocation -> reassignment); this only stops a corrupt cycle. */
const MAX_DEPTH = 16;

interface NetLevel {
  readonly handle: string;
  readonly type: NetType;
  readonly orgHandle: string | null;
  readonly customerHandle: string | null;
  readonly parentHandle: string | null;
}

function notAuthorized(message: string): Result<void, Problem> {
  return fail(problem('E_NOT_AUTHORIZED', message));
}

function notFound(what: string, handle: string): Result<void, Problem> {
  return fail(problem('E_OBJECT_NOT_FOUND', `There is no ${what} ${handle} in the registry.`));
}

async function loadNet(ex: Executor, handle: string): Promise<NetLevel | undefined> {
  const [row] = await ex
    .select({
      handle: tables.nets.handle,
      type: tables.nets.type,
      orgHandle: tables.nets.orgHandle,
      customerHandle: tables.nets.customerHandle,
      parentHandle: tables.nets.parentHandle,
    })
    .from(tables.nets)
    .where(eq(tables.nets.handle, handle));
  return row;
}

/** The net and its ancestors, nearest first. */
async function chainOf(ex: Executor, net: NetLevel): Promise<NetLevel[]> {
  const chain = [net];
  const seen = new Set([net.handle]);
  let current = net;
  while (current.parentHandle && chain.length < MAX_DEPTH && !seen.has(current.parentHandle)) {
    const parent = await loadNet(ex, current.parentHandle);
    if (!parent) break;
    chain.push(parent);
    seen.add(parent.handle);
    current = parent;
  }
  return chain;
}

async function holdsOrgRole(
  ex: Executor,
  requester: Requester,
  orgHandle: string,
  roles: readonly OrgPocRole[],
): Promise<boolean> {
  const rows = await ex
    .select({ poc: tables.orgPocs.pocHandle })
    .from(tables.orgPocs)
    .innerJoin(tables.accountPocs, eq(tables.accountPocs.pocHandle, tables.orgPocs.pocHandle))
    .where(
      and(
        eq(tables.accountPocs.accountId, requester.accountId),
        eq(tables.orgPocs.orgHandle, orgHandle),
        inArray(tables.orgPocs.role, [...roles]),
      ),
    )
    .limit(1);
  return rows.length > 0;
}

async function isNetTech(ex: Executor, requester: Requester, netHandle: string): Promise<boolean> {
  const rows = await ex
    .select({ poc: tables.netPocs.pocHandle })
    .from(tables.netPocs)
    .innerJoin(tables.accountPocs, eq(tables.accountPocs.pocHandle, tables.netPocs.pocHandle))
    .where(
      and(
        eq(tables.accountPocs.accountId, requester.accountId),
        eq(tables.netPocs.netHandle, netHandle),
        eq(tables.netPocs.role, 'tech'),
      ),
    )
    .limit(1);
  return rows.length > 0;
}

/** `DEMOISP-1, which holds NET-...` for each org-held level of a chain. */
function holders(chain: readonly NetLevel[]): string[] {
  return chain.flatMap((level, depth) =>
    level.orgHandle
      ? [`${level.orgHandle}, which holds ${depth === 0 ? '' : 'the parent net '}${level.handle}`]
      : [],
  );
}

function roleWords(roles: readonly OrgPocRole[]): string {
  return roles.length === 1 ? `an ${roles[0]} POC` : 'an admin or tech POC';
}

function missingAuthority(
  chain: readonly NetLevel[],
  roles: readonly OrgPocRole[],
  netTech: readonly string[],
): string {
  const orgs = holders(chain);
  const parts: string[] = [];
  if (orgs.length > 0) parts.push(`${roleWords(roles)} of ${orgs.join(', or of ')}`);
  if (netTech.length > 0) parts.push(`a tech POC of ${netTech.join(' or ')}`);
  const first = chain[0];
  const customer =
    first && !first.orgHandle && first.customerHandle
      ? ` (${first.handle} is reassigned to customer ${first.customerHandle}, so its upstream manages it)`
      : '';
  if (parts.length === 0) return `No POC has authority over ${first?.handle ?? 'this net'}${customer}.`;
  return `Your account is not linked to ${parts.join(', nor to ')}${customer}.`;
}

/** Modify a net or remove a sub-delegation: authority over the net or any net above it. */
export async function mayManageNet(ex: Executor, requester: Requester, netHandle: string): Authority {
  const net = await loadNet(ex, netHandle);
  if (!net) return notFound('net', netHandle);
  const chain = await chainOf(ex, net);
  for (const level of chain) {
    if (level.orgHandle && (await holdsOrgRole(ex, requester, level.orgHandle, ['admin', 'tech']))) {
      return ALLOWED;
    }
    if (await isNetTech(ex, requester, level.handle)) return ALLOWED;
  }
  return notAuthorized(
    missingAuthority(
      chain,
      ['admin', 'tech'],
      chain.map((l) => l.handle),
    ),
  );
}

/** Reassign or reallocate space from this net: only its holding org's admin/tech or its tech POC. */
export async function mayReassignFrom(
  ex: Executor,
  requester: Requester,
  parentNetHandle: string,
): Authority {
  const net = await loadNet(ex, parentNetHandle);
  if (!net) return notFound('net', parentNetHandle);
  if (!net.orgHandle) {
    return notAuthorized(
      `${net.handle} is a simple reassignment to customer ${net.customerHandle ?? '(unknown)'}: space cannot be sub-delegated from it.`,
    );
  }
  if (await holdsOrgRole(ex, requester, net.orgHandle, ['admin', 'tech'])) return ALLOWED;
  if (await isNetTech(ex, requester, net.handle)) return ALLOWED;
  return notAuthorized(missingAuthority([net], ['admin', 'tech'], [net.handle]));
}

/**
 * Change a net's name. A direct allocation's name is the registry's record of the org's
 * resource, so it takes the org's admin or tech POC; other nets follow `mayManageNet`.
 */
export async function mayRenameNet(ex: Executor, requester: Requester, netHandle: string): Authority {
  const net = await loadNet(ex, netHandle);
  if (!net) return notFound('net', netHandle);
  if (net.type !== 'direct_allocation') return mayManageNet(ex, requester, netHandle);
  if (net.orgHandle && (await holdsOrgRole(ex, requester, net.orgHandle, ['admin', 'tech']))) return ALLOWED;
  return notAuthorized(
    `${missingAuthority([net], ['admin', 'tech'], [])} Renaming the direct allocation ${net.handle} needs the holding org's admin or tech POC.`,
  );
}

/** Return a net (give the space back): an admin POC of the org that holds it, or of an upstream holder. */
export async function mayReturnNet(ex: Executor, requester: Requester, netHandle: string): Authority {
  const net = await loadNet(ex, netHandle);
  if (!net) return notFound('net', netHandle);
  const chain = await chainOf(ex, net);
  for (const level of chain) {
    if (level.orgHandle && (await holdsOrgRole(ex, requester, level.orgHandle, ['admin']))) return ALLOWED;
  }
  return notAuthorized(`${missingAuthority(chain, ['admin'], [])} Returning a net needs an admin POC.`);
}

export async function mayManageOrg(ex: Executor, requester: Requester, orgHandle: string): Authority {
  const [org] = await ex
    .select({ handle: tables.orgs.handle })
    .from(tables.orgs)
    .where(eq(tables.orgs.handle, orgHandle));
  if (!org) return notFound('org', orgHandle);
  if (await holdsOrgRole(ex, requester, org.handle, ['admin', 'tech'])) return ALLOWED;
  return notAuthorized(`Your account is not linked to an admin or tech POC of ${org.handle}.`);
}

/** Modify or remove a POC: only an account linked to that very POC. */
export async function mayManagePoc(ex: Executor, requester: Requester, pocHandle: string): Authority {
  const [poc] = await ex
    .select({ handle: tables.pocs.handle })
    .from(tables.pocs)
    .where(eq(tables.pocs.handle, pocHandle));
  if (!poc) return notFound('POC', pocHandle);
  const linked = await ex
    .select({ poc: tables.accountPocs.pocHandle })
    .from(tables.accountPocs)
    .where(
      and(
        eq(tables.accountPocs.accountId, requester.accountId),
        eq(tables.accountPocs.pocHandle, poc.handle),
      ),
    )
    .limit(1);
  if (linked.length > 0) return ALLOWED;
  return notAuthorized(
    `Your account is not linked to ${poc.handle}; only an account linked to a POC may modify or remove it.`,
  );
}

/** Any identified requester may create a POC (it is linked to their account when created). */
export async function mayCreatePoc(_ex: Executor, _requester: Requester): Authority {
  return ALLOWED;
}

/** Any identified requester may create an org (its POCs must exist and are checked by the registry). */
export async function mayCreateOrg(_ex: Executor, _requester: Requester): Authority {
  return ALLOWED;
}
