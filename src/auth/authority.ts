/**
 * May this requester touch this resource? Authority comes from POCs: an account speaks for the
 * POCs linked to it (`account_pocs`), and a POC has authority through its roles on orgs
 * (`org_pocs`) and nets (`net_pocs`). Every check reads the links inside the caller's executor,
 * so run it in the same transaction as the change it guards.
 *
 * The rules:
 * - a net is managed by whoever manages the space it lies in: an allocation or a reallocation is
 *   managed by its holder (an admin or tech POC of the org that holds it, or its own tech POC);
 *   a reassignment (detailed, or simple to a customer with no POCs of its own) by its holder and
 *   by the holder of the nearest allocation or reallocation enclosing it, who registered it.
 *   Nothing reaches further up: the upstream of a reallocation has no say over what the
 *   downstream registered inside it, nor over the reallocation's records (its POCs would give it
 *   that say through the back door), since the downstream holds them;
 * - sub-delegating from a net needs an admin or tech POC of its holding org, or its tech POC;
 * - renaming a direct allocation needs the org's admin or tech POC (its tech POC alone is not enough);
 *   resending the name it already has is no renaming;
 * - removing a net is either its holder giving it back (a return: an admin POC of the holding
 *   org) or its upstream taking back what it sub-delegated (whoever may sub-delegate from the
 *   nearest allocation or reallocation enclosing it, the one it was carved from); the upstream of
 *   a reallocation may so take back the reallocation itself (with what lies in it: staff review
 *   that, see the registry's removeNet), never a net inside it on its own; the net's own tech
 *   POC, or the holder's tech POC, may modify it but not remove it;
 * - an org is managed by its admin or tech POCs, but only an admin POC may name another admin
 *   (the voting contact, which alone may return the org's nets) or remove the org; a POC only by
 *   accounts linked to it;
 * - anyone identified may create a POC or an org: creation takes nothing from anybody, and the
 *   new object is linked to the requester by the registry.
 *
 * Each check is one statement: the object with the requester's links to it (for a net, its
 * whole parent chain with them, by a recursive query), then the rule is applied here. A new
 * net's parent is the exception: the registry reads the links (`holderFlags`) in the statement
 * that places and locks the net's parent, and applies `delegationVerdict` from here to them.
 */
import { type SQL, type SQLWrapper, sql } from 'drizzle-orm';
import { type Executor, type NetType, type OrgPocRole, preparedSql, queryRows, tables } from '../db/index.ts';
import {
  type DelegatingParent,
  type DelegationAuthority,
  type DelegationGrants,
  heldBy,
  holderFlags,
  NET_TYPE_WORDS,
} from '../registry/index.ts';
import { fail, ok, type Problem, problem, type Result } from '../shared/index.ts';
import type { Requester } from './requester.ts';

type Authority = Promise<Result<void, Problem>>;

const ALLOWED: Result<void, Problem> = ok(undefined);
/** Parent chains are short (allocation -> reallocation -> reassignment); this only stops a corrupt cycle. */
const MAX_DEPTH = 16;

/** A net of a chain with what the requester holds on it (the registry's `DelegatingParent` and its parent). */
interface NetLevel extends DelegatingParent {
  readonly name: string;
  readonly parentHandle: string | null;
}

function notAuthorized(message: string): Result<void, Problem> {
  return fail(problem('E_NOT_AUTHORIZED', message));
}

function notFound(what: string, handle: string): Result<void, Problem> {
  return fail(problem('E_OBJECT_NOT_FOUND', `There is no ${what} ${handle} in the registry.`));
}

const ACCOUNT = sql.placeholder('account');

/**
 * The net and its ancestors (walking `parent_handle`, nearest first, at most `depth` levels), each
 * with what the requester holds on it: ONE statement, whatever the rule needs of it. Every
 * statement is a round trip in the worker's transaction, and a check used to take one per level
 * and per role. Built once (src/db/prepared.ts).
 */
function chainStatement(firstLevel: SQLWrapper): SQL {
  const { nets } = tables;
  const flags = holderFlags(ACCOUNT, sql`chain.org_handle`, sql`chain.handle`);
  return sql`WITH RECURSIVE chain AS (
          SELECT ${nets.handle}, ${nets.name}, ${nets.type}, ${nets.orgHandle}, ${nets.customerHandle}, ${nets.parentHandle},
                 1 AS level, ARRAY[${nets.handle}] AS seen
          FROM ${nets} WHERE ${nets.handle} = ${firstLevel}
          UNION ALL
          SELECT ${nets.handle}, ${nets.name}, ${nets.type}, ${nets.orgHandle}, ${nets.customerHandle}, ${nets.parentHandle},
                 chain.level + 1, chain.seen || ${nets.handle}
          FROM chain JOIN ${nets} ON ${nets.handle} = chain.parent_handle
          WHERE chain.level < ${sql.placeholder('depth')} AND NOT ${nets.handle} = ANY (chain.seen)
        )
        SELECT chain.handle, chain.name, chain.type, chain.org_handle, chain.customer_handle, chain.parent_handle,
          ${flags.orgAdmin} AS org_admin, ${flags.orgTech} AS org_tech, ${flags.netTech} AS net_tech
        FROM chain ORDER BY chain.level`;
}

interface ChainRow extends Record<string, unknown> {
  handle: string;
  name: string;
  type: NetType;
  org_handle: string | null;
  customer_handle: string | null;
  parent_handle: string | null;
  org_admin: boolean;
  org_tech: boolean;
  net_tech: boolean;
}

const chainFromHandle = preparedSql<{ account: number; depth: number; net: string }, ChainRow>(
  'auth_chain_from_handle',
  () => chainStatement(sql.placeholder('net')),
);

function toLevel(r: ChainRow): NetLevel {
  return {
    handle: r.handle,
    name: r.name,
    type: r.type,
    orgHandle: r.org_handle,
    customerHandle: r.customer_handle,
    parentHandle: r.parent_handle,
    orgAdmin: r.org_admin,
    orgTech: r.org_tech,
    netTech: r.net_tech,
  };
}

async function chainOf(
  ex: Executor,
  requester: Requester,
  netHandle: string,
  depth = MAX_DEPTH,
): Promise<NetLevel[]> {
  const rows = await chainFromHandle(ex, { account: requester.accountId, depth, net: netHandle });
  return rows.map(toLevel);
}

/** Whether the requester holds one of `roles` on the level's org (a level without an org: no). */
function holdsOrgRole(level: DelegatingParent, roles: readonly OrgPocRole[]): boolean {
  if (!level.orgHandle) return false;
  return (roles.includes('admin') && level.orgAdmin) || (roles.includes('tech') && level.orgTech);
}

/** `DEMOISP-1, which holds NET-...` for each org-held level of a chain. */
function holders(chain: readonly DelegatingParent[]): string[] {
  return chain.flatMap((level, depth) =>
    level.orgHandle
      ? [`${level.orgHandle}, which holds ${depth === 0 ? '' : 'the parent net '}${level.handle}`]
      : [],
  );
}

function roleWords(roles: readonly OrgPocRole[]): string {
  return roles.length === 1 ? `an ${roles[0]} POC` : 'an admin or tech POC';
}

/** Who would have authority: `an admin or tech POC of X, which holds NET-…`, `a tech POC of NET-…`. */
function authorityParts(
  chain: readonly DelegatingParent[],
  roles: readonly OrgPocRole[],
  netTech: readonly string[],
): string[] {
  const orgs = holders(chain);
  const parts: string[] = [];
  if (orgs.length > 0) parts.push(`${roleWords(roles)} of ${orgs.join(', or of ')}`);
  if (netTech.length > 0) parts.push(`a tech POC of ${netTech.join(' or ')}`);
  return parts;
}

function missingAuthority(
  chain: readonly DelegatingParent[],
  roles: readonly OrgPocRole[],
  netTech: readonly string[],
): string {
  const parts = authorityParts(chain, roles, netTech);
  const first = chain[0];
  const customer =
    first && !first.orgHandle && first.customerHandle
      ? ` (${first.handle} is reassigned to customer ${first.customerHandle}, so its upstream manages it)`
      : '';
  if (parts.length === 0) return `No POC has authority over ${first?.handle ?? 'this net'}${customer}.`;
  return `Your account is not linked to ${parts.join(', nor to ')}${customer}.`;
}

/** Nets that are space an org manages itself, and may divide further (the registry's placement rule). */
const MANAGED_SPACE: readonly NetType[] = ['direct_allocation', 'reallocation'];

/**
 * The net a reassignment was carved from: the nearest allocation or reallocation above it (`above`
 * nearest first). Its holder registered the reassignment and manages it; nobody above that does.
 */
function enclosingSpace(above: readonly NetLevel[]): NetLevel | undefined {
  return above.find((level) => MANAGED_SPACE.includes(level.type));
}

/** The levels whose holders manage the net: itself, and for a reassignment the space it lies in. */
function managingLevels(chain: readonly NetLevel[]): NetLevel[] {
  const [net, ...above] = chain;
  if (!net) return [];
  if (MANAGED_SPACE.includes(net.type)) return [net];
  const space = enclosingSpace(above);
  return space ? [net, space] : [net];
}

function managesLevel(level: NetLevel): boolean {
  return holdsOrgRole(level, ['admin', 'tech']) || level.netTech;
}

/**
 * Why someone with authority further up is refused, when they are: they hold space above the one
 * that manages the net, which reaches no further than that space's own reassignments.
 */
function beyondReach(chain: readonly NetLevel[], managing: readonly NetLevel[]): string {
  const top = managing[managing.length - 1];
  if (!top) return '';
  const further = chain.slice(chain.indexOf(top) + 1);
  if (!further.some((level) => delegationVerdict(level).ok)) return '';
  const net = chain[0]!;
  if (top === net) {
    return ` ${net.handle} is ${NET_TYPE_WORDS[net.type]} held by ${net.orgHandle ?? 'another org'}, which manages it and what it registers in it; the upstream that handed it out may take it back (remove it) but not change it or what lies in it.`;
  }
  return ` ${net.handle} lies in ${NET_TYPE_WORDS[top.type]} ${top.handle}, held by ${top.orgHandle ?? 'another org'}: what is registered there is managed by the holder of ${top.handle}, not by the upstream that handed ${top.handle} out.`;
}

/** Modify a net: its holder, and for a reassignment the holder of the space it lies in. */
export async function mayManageNet(ex: Executor, requester: Requester, netHandle: string): Authority {
  const chain = await chainOf(ex, requester, netHandle);
  return manageVerdict(chain, netHandle);
}

function manageVerdict(chain: readonly NetLevel[], netHandle: string): Result<void, Problem> {
  if (chain.length === 0) return notFound('net', netHandle);
  const managing = managingLevels(chain);
  if (managing.some(managesLevel)) return ALLOWED;
  return notAuthorized(
    missingAuthority(
      managing,
      ['admin', 'tech'],
      managing.map((l) => l.handle),
    ) + beyondReach(chain, managing),
  );
}

/** Reassign or reallocate space from this net: only its holding org's admin/tech or its tech POC. */
export async function mayReassignFrom(
  ex: Executor,
  requester: Requester,
  parentNetHandle: string,
): Authority {
  const [net] = await chainOf(ex, requester, parentNetHandle, 1);
  if (!net) return notFound('net', parentNetHandle);
  return delegationVerdict(net);
}

/**
 * Which of the requester's links to a net let them sub-delegate from it: an admin or tech POC of
 * its holding org, or its own tech POC (and only from a net an org holds). Data, so that the
 * registry's placement statement can decide with the same rule whether to write (see
 * `delegationAuthority`).
 */
export const DELEGATION_GRANTS: DelegationGrants = { orgAdmin: true, orgTech: true, netTech: true };

/** Sub-delegate from this net: the rule above, with the reason when refused. */
export function delegationVerdict(net: DelegatingParent): Result<void, Problem> {
  if (!net.orgHandle) {
    return notAuthorized(
      `${net.handle} is a simple reassignment to customer ${net.customerHandle ?? '(unknown)'}: space cannot be sub-delegated from it.`,
    );
  }
  const g = DELEGATION_GRANTS;
  if ((g.orgAdmin && net.orgAdmin) || (g.orgTech && net.orgTech) || (g.netTech && net.netTech))
    return ALLOWED;
  return notAuthorized(missingAuthority([net], ['admin', 'tech'], [net.handle]));
}

/**
 * The requester's authority over a new net's parent, for the registry to check where it places
 * the net (`OperationOptions.delegation`): read and locked by one statement, with no window for
 * a more specific net to slip in between a check and the placement.
 */
export function delegationAuthority(accountId: number): DelegationAuthority {
  return { accountId, grants: DELEGATION_GRANTS, verdict: delegationVerdict };
}

/**
 * Change a net's name. A direct allocation's name is the registry's record of the org's
 * resource, so it takes the org's admin or tech POC; other nets follow `mayManageNet`. A form
 * that resends the name the net already has (billing systems send every field) renames nothing.
 */
export async function mayRenameNet(
  ex: Executor,
  requester: Requester,
  netHandle: string,
  newName: string,
): Authority {
  const chain = await chainOf(ex, requester, netHandle);
  const net = chain[0];
  if (!net) return notFound('net', netHandle);
  if (net.type !== 'direct_allocation' || sameNetName(newName, net.name))
    return manageVerdict(chain, netHandle);
  if (holdsOrgRole(net, ['admin', 'tech'])) return ALLOWED;
  return notAuthorized(
    `${missingAuthority([net], ['admin', 'tech'], [])} Renaming the direct allocation ${net.handle} needs the holding org's admin or tech POC.`,
  );
}

/** Net names are compared as the registry keeps them: trimmed, upper-cased (`checkNetName`). */
function sameNetName(given: string, stored: string): boolean {
  return given.trim().toUpperCase() === stored.trim().toUpperCase();
}

/**
 * Remove a net. From its holder that is a return, which needs an admin POC of the holding org;
 * from its upstream it takes back what the upstream sub-delegated, which needs what
 * sub-delegating from the space it was carved from needs (an admin or tech POC of the org holding
 * the nearest allocation or reallocation above it, or that net's tech POC). Nobody further up:
 * the upstream of a reallocation takes back the reallocation, not a net its downstream registered
 * in it. A direct allocation has no upstream: only its org's admin POC (and the registry's staff).
 */
export async function mayRemoveNet(ex: Executor, requester: Requester, netHandle: string): Authority {
  const chain = await chainOf(ex, requester, netHandle);
  const [net, ...above] = chain;
  if (!net) return notFound('net', netHandle);
  if (holdsOrgRole(net, ['admin'])) return ALLOWED;
  const space = enclosingSpace(above);
  if (space && delegationVerdict(space).ok) return ALLOWED;
  const ways = [
    ...(net.orgHandle ? [`an admin POC of ${net.orgHandle}, which holds it (to return it)`] : []),
    ...(space
      ? [
          `${authorityParts([space], ['admin', 'tech'], [space.handle]).join(', or ')} (to take back what was sub-delegated)`,
        ]
      : []),
  ];
  const why = space ? beyondReach(chain, [net, space]) : '';
  return notAuthorized(
    `Removing ${net.handle} needs ${ways.join(', or ')}; your account is linked to none of them.${why}`,
  );
}

interface OrgStanding {
  readonly handle: string;
  /** The requester is linked to an admin POC of the org. */
  readonly admin: boolean;
  readonly tech: boolean;
  /** The org's admin POC(s) now. */
  readonly adminPocs: readonly string[];
}

/** The org with what the requester holds on it: one statement. */
async function orgStanding(
  ex: Executor,
  requester: Requester,
  orgHandle: string,
): Promise<OrgStanding | undefined> {
  const { orgs, orgPocs } = tables;
  const linked = (role: OrgPocRole) =>
    sql`EXISTS (SELECT 1 FROM ${orgPocs} WHERE ${orgPocs.orgHandle} = ${orgs.handle}
          AND ${orgPocs.role} = ${role} AND ${heldBy(requester.accountId, orgPocs.pocHandle)})`;
  const [org] = await queryRows<{
    handle: string;
    admin: boolean;
    tech: boolean;
    admin_pocs: string[] | null;
  }>(
    ex,
    sql`SELECT ${orgs.handle}, ${linked('admin')} AS admin, ${linked('tech')} AS tech,
          ARRAY(SELECT ${orgPocs.pocHandle} FROM ${orgPocs}
                WHERE ${orgPocs.orgHandle} = ${orgs.handle} AND ${orgPocs.role} = 'admin') AS admin_pocs
        FROM ${orgs} WHERE ${orgs.handle} = ${orgHandle}`,
  );
  if (!org) return undefined;
  return { handle: org.handle, admin: org.admin, tech: org.tech, adminPocs: org.admin_pocs ?? [] };
}

/** Modify an org: its admin or tech POCs; naming another admin POC takes an admin POC. */
export async function mayManageOrg(
  ex: Executor,
  requester: Requester,
  orgHandle: string,
  newAdminPoc?: string | null,
): Authority {
  const org = await orgStanding(ex, requester, orgHandle);
  if (!org) return notFound('org', orgHandle);
  if (!org.admin && !org.tech)
    return notAuthorized(`Your account is not linked to an admin or tech POC of ${org.handle}.`);
  const givenAdmin = newAdminPoc?.trim().toUpperCase();
  // A billing system resends the whole form: the admin it already has is no change.
  if (org.admin || !givenAdmin || org.adminPocs.includes(givenAdmin)) return ALLOWED;
  return notAuthorized(
    `Your account is linked to a tech POC of ${org.handle}, not to its admin POC; only the admin POC may name another admin POC (the org's voting contact).`,
  );
}

/** Remove an org: only its admin POC. */
export async function mayRemoveOrg(ex: Executor, requester: Requester, orgHandle: string): Authority {
  const org = await orgStanding(ex, requester, orgHandle);
  if (!org) return notFound('org', orgHandle);
  if (org.admin) return ALLOWED;
  return notAuthorized(`Removing ${org.handle} needs its admin POC; your account is not linked to it.`);
}

/** Modify or remove a POC: only an account linked to that very POC. */
export async function mayManagePoc(ex: Executor, requester: Requester, pocHandle: string): Authority {
  const { pocs, accountPocs } = tables;
  const [poc] = await queryRows<{ handle: string; linked: boolean }>(
    ex,
    sql`SELECT ${pocs.handle},
          EXISTS (SELECT 1 FROM ${accountPocs}
                  WHERE ${accountPocs.accountId} = ${requester.accountId}
                    AND ${accountPocs.pocHandle} = ${pocs.handle}) AS linked
        FROM ${pocs} WHERE ${pocs.handle} = ${pocHandle}`,
  );
  if (!poc) return notFound('POC', pocHandle);
  if (poc.linked) return ALLOWED;
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
