/**
 * The lookup layer of the public services: read-only queries on the registry's tables, each
 * answered from an index (test/public/indexes.test.ts reads their plans), and privacy applied
 * here, in the one place objects become their public views (views.ts): a private customer is
 * `Private Customer` without a street, a POC's e-mail address that is the address of an account
 * holding that POC is left out (such an address authorizes mail by its sender; publishing it
 * would tell anyone which From addresses are ours), and tax IDs, accounts, API keys and staff
 * are never read.
 */
import { and, asc, eq, inArray, like, notInArray, or, type SQL, sql } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { type Executor, tables } from '../db/index.ts';
import { type IpRange, unmapIpv4 } from '../ip/index.ts';
import {
  type Customer,
  findContainingNets,
  findCustomer,
  findNetByHandle,
  findOrg,
  type Net,
  netNameFromCustomer,
  netRange,
  normalizeHandle,
  type Org,
  type Poc,
  publicCustomer,
} from '../registry/index.ts';
import { oneSpaceBlanks } from '../shared/index.ts';
import { pocDisplayState } from '../validation/index.ts';
import { netNameRevealsCustomer } from './net-name-privacy.ts';
import {
  type NetMatch,
  type PocLink,
  type PublicCustomerRecord,
  type PublicEntity,
  type PublicNet,
  type PublicOrg,
  type PublicPoc,
  ROLE_OF,
} from './views.ts';

const { orgs, pocs, customers, nets, orgPocs, netPocs, accountEmails, accountPocs } = tables;

/** The most a search answers; the answer says when there were more. */
export const SEARCH_LIMIT = 50;

/**
 * An address, a range or a CIDR: the most specific net holding all of it, and its parents. An
 * IPv4-mapped IPv6 one (`::ffff:192.0.2.1`, as dual-stack servers log IPv4 clients) is looked up
 * as the IPv4 range it stands for.
 */
export async function netsForRange(ex: Executor, range: IpRange): Promise<NetMatch | undefined> {
  const containing = await findContainingNets(ex, unmapIpv4(range));
  const [first, ...rest] = containing;
  if (!first) return undefined;
  const shown = await publicNets(ex, [first, ...rest]);
  return { net: shown[0]!, parents: shown.slice(1) };
}

/** A net by its handle, with its parents. */
export async function netByHandle(ex: Executor, handle: string): Promise<NetMatch | undefined> {
  const net = await findNetByHandle(ex, handle);
  if (!net) return undefined;
  const chain = await findContainingNets(ex, netRange(net));
  // The chain holds the net and everything around it; of same-range twins keep those above it.
  const at = chain.findIndex((n) => n.handle === net.handle);
  const parents = chain.slice(at + 1);
  const shown = await publicNets(ex, [net, ...parents]);
  return { net: shown[0]!, parents: shown.slice(1) };
}

export async function orgByHandle(ex: Executor, handle: string): Promise<PublicOrg | undefined> {
  const org = await findOrg(ex, handle);
  return org ? publicOrg(ex, org) : undefined;
}

export async function pocByHandle(ex: Executor, handle: string): Promise<PublicPoc | undefined> {
  const [shown] = await publicPocsByHandle(ex, [normalizeHandle(handle)]);
  return shown;
}

export async function customerByHandle(
  ex: Executor,
  handle: string,
): Promise<PublicCustomerRecord | undefined> {
  const customer = await findCustomer(ex, handle);
  if (!customer) return undefined;
  const upstream = await findOrg(ex, customer.parentOrgHandle);
  return publicCustomerRecord(customer, upstream);
}

/**
 * The nets an org holds in address order, at most SEARCH_LIMIT + 1 (so a caller can tell there
 * were more): read from `nets_org_idx` (holder, version, start; migration 0017) in that order.
 * Keyed by the holder alone, an address order in the statement made PostgreSQL walk the address
 * index testing each net for its holder (8,051 nets read for an org whose 2,000 lie above 8,000
 * others', 100,000 and 44 ms in a registry of 120,000).
 */
export async function netsOfOrg(ex: Executor, orgHandle: string): Promise<PublicNet[]> {
  const rows = await ex
    .select()
    .from(nets)
    .where(eq(nets.orgHandle, orgHandle))
    .orderBy(asc(nets.version), asc(nets.startAddress))
    .limit(SEARCH_LIMIT + 1);
  return publicNets(ex, rows);
}

/**
 * Nets by their NetName, any case, exact or (`prefix`) starting so (WHOIS `n NAME`, `n NAME*`, as
 * ARIN's whois finds them), ordered by handle, at most SEARCH_LIMIT, from `nets_name_pattern_idx`
 * (migration 0022); `truncated` when more matched.
 *
 * A private customer's net is published as PRIVATE-CUSTOMER (publicNetName): a search by the name
 * it hides must not confirm it, so only a net whose published name matches is found. Whether a
 * name is hidden is decided by words of the customer's name and address (publicNetName), which
 * SQL cannot tell as the publication does; so the statement is read page by page, the nets seen
 * left out of the next, until SEARCH_LIMIT + 1 published ones are found or no match is left.
 * Filtered after one cut, hidden nets filling the first 51 matches answered fewer nets than
 * exist, or none.
 */
export async function netsByName(
  ex: Executor,
  name: string,
  prefix: boolean,
): Promise<{ readonly nets: readonly PublicNet[]; readonly truncated: boolean }> {
  const lower = name.toLowerCase();
  const matches = prefix
    ? like(sql`lower(${nets.name})`, likePrefix(lower))
    : sql`lower(${nets.name}) = ${lower}`;
  const shownMatches = (net: PublicNet) => {
    const shown = net.name.toLowerCase();
    return prefix ? shown.startsWith(lower) : shown === lower;
  };
  const published: PublicNet[] = [];
  const seen: string[] = [];
  for (let page = 0; page < NAME_SEARCH_PAGES; page++) {
    const rows = await ex
      .select()
      .from(nets)
      .where(seen.length === 0 ? matches : and(matches, notInArray(nets.handle, seen)))
      .limit(SEARCH_LIMIT + 1);
    for (const row of rows) seen.push(row.handle);
    published.push(...(await publicNets(ex, rows)).filter(shownMatches));
    // No match left: the answer is whole.
    if (rows.length <= SEARCH_LIMIT)
      return {
        nets: published.sort(byHandle).slice(0, SEARCH_LIMIT),
        truncated: published.length > SEARCH_LIMIT,
      };
    if (published.length > SEARCH_LIMIT) break;
  }
  // Enough found, or the pages ran out with matches left: either way more matched than are listed.
  return { nets: published.sort(byHandle).slice(0, SEARCH_LIMIT), truncated: true };
}

/**
 * How many pages of SEARCH_LIMIT + 1 matches a name search reads past hidden nets: 20 pages skip
 * over a thousand private customers' nets, and the statement stays bounded whatever the registry.
 */
const NAME_SEARCH_PAGES = 20;

export type EntityKind = PublicEntity['kind'];

/** What an entity search looks for: a name or a handle, exact or (ending in `*`) a prefix; any case. */
export interface EntitySearch {
  readonly by: 'name' | 'handle';
  readonly text: string;
  readonly prefix: boolean;
  /**
   * Only these kinds (WHOIS `o`, `p`, `c`); all when absent. Asked of the statements, not of their
   * answers: filtered after the cut, a `p Smith*` where 51 orgs matched found no POC at all.
   */
  readonly only?: EntityKind;
}

export interface SearchAnswer {
  readonly entities: readonly PublicEntity[];
  /** More matched than SEARCH_LIMIT. */
  readonly truncated: boolean;
}

/**
 * Orgs, POCs and customers by name or handle. A private customer is never found by name: its
 * name is not published, so a search must not confirm it either.
 *
 * Each statement takes the first 51 matches its index gives and stops; they are ordered by
 * handle here. Ordered in the statement, PostgreSQL read every match to sort them (a dense
 * prefix: 1,111 POCs for `surname1*` on a registry of 4,000, growing with the registry; with
 * `order by handle` it walked the handle's key testing every row instead), and worked out each
 * one's published addresses. When more than 50 matched the answer says so, and which 50 it
 * lists is the index's choice.
 */
export async function searchEntities(ex: Executor, search: EntitySearch): Promise<SearchAnswer> {
  const limit = SEARCH_LIMIT + 1;
  // Names are stored with each run of blanks as one space (shared/blanks.ts): so is the name asked for.
  const text = oneSpaceBlanks(search.text);
  const lower = text.toLowerCase();
  const upper = text.toUpperCase();
  const matchLower = (column: SQL): SQL =>
    search.prefix ? like(column, likePrefix(lower)) : sql`${column} = ${lower}`;
  const matchHandle = (column: PgColumn): SQL =>
    search.prefix ? like(column, likePrefix(upper)) : eq(column, upper);
  const wanted = (kind: EntityKind) => search.only === undefined || search.only === kind;
  const none = Promise.resolve([]);
  const [orgRows, pocRows, customerRows] =
    search.by === 'handle'
      ? await Promise.all([
          wanted('org') ? ex.select().from(orgs).where(matchHandle(orgs.handle)).limit(limit) : none,
          wanted('poc')
            ? ex.select(POC_SELECTION).from(pocs).where(matchHandle(pocs.handle)).limit(limit)
            : none,
          wanted('customer')
            ? ex.select().from(customers).where(matchHandle(customers.handle)).limit(limit)
            : none,
        ])
      : await Promise.all([
          wanted('org')
            ? ex
                .select()
                .from(orgs)
                .where(matchLower(sql`lower(${orgs.name})`))
                .limit(limit)
            : none,
          wanted('poc')
            ? ex
                .select(POC_SELECTION)
                .from(pocs)
                .where(or(matchLower(sql`lower(${pocs.lastName})`), matchLower(pocFullName())))
                .limit(limit)
            : none,
          wanted('customer')
            ? ex
                .select()
                .from(customers)
                // A literal `false`, not a parameter: the partial index's predicate must match in every plan.
                .where(
                  and(sql`${customers.privateResidence} = false`, matchLower(sql`lower(${customers.name})`)),
                )
                .limit(limit)
            : none,
        ]);
  const upstreams = await orgsByHandle(
    ex,
    customerRows.map((c) => c.parentOrgHandle),
  );
  const found: PublicEntity[] = [
    ...(await publicOrgs(ex, orgRows.sort(byHandle))),
    ...pocRows.map(publicPoc).sort(byHandle),
    ...customerRows.map((c) => publicCustomerRecord(c, upstreams.get(c.parentOrgHandle))).sort(byHandle),
  ];
  return { entities: found.slice(0, SEARCH_LIMIT), truncated: found.length > SEARCH_LIMIT };
}

/** Handles in byte order (they are ASCII), as a list of matches shows them. */
function byHandle(a: { readonly handle: string }, b: { readonly handle: string }): number {
  return a.handle < b.handle ? -1 : a.handle > b.handle ? 1 : 0;
}

/** `First Last` (or the role's name), lower-cased: the expression `pocs_full_name_pattern_idx` is built on. */
export function pocFullName(): SQL {
  return sql`lower(coalesce(${pocs.firstName} || ' ', '') || ${pocs.lastName})`;
}

/** `50%_off` must match literally in a LIKE pattern. */
function likePrefix(text: string): string {
  return `${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/* ---------- rows to public views ---------- */

async function orgsByHandle(ex: Executor, handles: readonly string[]): Promise<Map<string, Org>> {
  const wanted = [...new Set(handles)];
  if (wanted.length === 0) return new Map();
  const rows = await ex.select().from(orgs).where(inArray(orgs.handle, wanted));
  return new Map(rows.map((o) => [o.handle, o]));
}

async function publicOrg(ex: Executor, org: Org): Promise<PublicOrg> {
  const [shown] = await publicOrgs(ex, [org]);
  return shown!;
}

/** Orgs with their POCs: two statements for the whole list (a search lists up to 51). */
async function publicOrgs(ex: Executor, rows: readonly Org[]): Promise<PublicOrg[]> {
  if (rows.length === 0) return [];
  const linkRows = await ex
    .select({ orgHandle: orgPocs.orgHandle, pocHandle: orgPocs.pocHandle, role: orgPocs.role })
    .from(orgPocs)
    .where(
      inArray(
        orgPocs.orgHandle,
        rows.map((o) => o.handle),
      ),
    )
    .orderBy(asc(orgPocs.role), asc(orgPocs.pocHandle));
  const links = await pocLinks(ex, linkRows);
  return rows.map((org) => ({
    kind: 'org',
    handle: org.handle,
    name: org.name,
    street: org.street,
    city: org.city,
    state: org.state,
    postalCode: org.postalCode,
    country: org.country,
    referralServer: org.referralServer,
    comments: org.publicComments,
    registered: org.createdAt,
    updated: org.updatedAt,
    pocs: links.filter((l) => l.link.orgHandle === org.handle).map((l) => l.shown),
  }));
}

/** Each link with its POC as published (a link to a POC that is gone is left out). */
async function pocLinks<L extends { pocHandle: string; role: keyof typeof ROLE_OF }>(
  ex: Executor,
  links: readonly L[],
): Promise<Array<{ link: L; shown: PocLink }>> {
  if (links.length === 0) return [];
  const found = await publicPocsByHandle(
    ex,
    links.map((l) => l.pocHandle),
  );
  const shown = new Map(found.map((p) => [p.handle, p]));
  return links.flatMap((link) => {
    const poc = shown.get(link.pocHandle);
    return poc ? [{ link, shown: { role: ROLE_OF[link.role], poc } }] : [];
  });
}

/**
 * A POC row with its e-mail addresses as published: those that are the address of an account
 * linked to this POC (one that holds it: `account_pocs`) left out, in the same statement. Only
 * the POC's own accounts: hiding an address because ANY account has it would let an account
 * holder write guesses into its own POC and read "hidden" as "this address authorizes some
 * account's mail". Per address one probe of `account_pocs_poc_idx` and of account_emails'
 * primary key (account, address). Drizzle writes the columns of a selection unqualified, so the
 * tables are named and aliased here: a bare `account_id = account_id` would compare a column
 * with itself and read the whole index.
 */
const POC_SELECTION = {
  poc: pocs,
  publicEmails: sql<
    string[]
  >`array(select address from unnest(${pocs}.${sql.identifier(pocs.emails.name)}) as address
    where not exists (select 1 from ${accountPocs} as linked
      join ${accountEmails} as held on held.${sql.identifier(accountEmails.accountId.name)} = linked.${sql.identifier(accountPocs.accountId.name)}
      where linked.${sql.identifier(accountPocs.pocHandle.name)} = ${pocs}.${sql.identifier(pocs.handle.name)}
        and held.${sql.identifier(accountEmails.email.name)} = lower(address)))`,
};

interface PocRow {
  readonly poc: Poc;
  readonly publicEmails: readonly string[];
}

async function publicPocsByHandle(ex: Executor, handles: readonly string[]): Promise<PublicPoc[]> {
  if (handles.length === 0) return [];
  const rows = await ex
    .select(POC_SELECTION)
    .from(pocs)
    .where(inArray(pocs.handle, [...new Set(handles)]));
  return rows.map(publicPoc);
}

function publicPoc({ poc, publicEmails }: PocRow): PublicPoc {
  return {
    kind: 'poc',
    handle: poc.handle,
    contactType: poc.kind,
    name: poc.kind === 'person' && poc.firstName ? `${poc.lastName}, ${poc.firstName}` : poc.lastName,
    fullName: poc.kind === 'person' && poc.firstName ? `${poc.firstName} ${poc.lastName}` : poc.lastName,
    company: poc.company,
    street: poc.street,
    city: poc.city,
    state: poc.state,
    postalCode: poc.postalCode,
    country: poc.country,
    phones: poc.phones,
    emails: publicEmails,
    comments: poc.publicComments,
    registered: poc.createdAt,
    updated: poc.updatedAt,
    // Read with the row (POC_SELECTION takes every column): no statement of its own.
    validation: pocDisplayState(poc.validationState),
  };
}

function publicCustomerRecord(customer: Customer, upstream: Org | undefined): PublicCustomerRecord {
  const shown = publicCustomer(customer, upstream);
  // A private residence's city and postal code go too: a postal code (a ZIP+4, a British or Dutch
  // one) names a street or a few houses, and with the city and the upstream narrows it to a home.
  const hidden = customer.privateResidence;
  return {
    kind: 'customer',
    handle: shown.handle,
    name: shown.name,
    isPrivate: customer.privateResidence,
    street: shown.street,
    city: hidden ? null : shown.city,
    state: shown.state,
    postalCode: hidden ? null : shown.postalCode,
    country: shown.country,
    upstream: { handle: customer.parentOrgHandle, name: upstream?.name ?? customer.parentOrgHandle },
    // A private customer's comments are its own words about itself: not published either.
    comments: customer.privateResidence ? [] : customer.publicComments,
    registered: customer.createdAt,
    updated: customer.updatedAt,
  };
}

/**
 * A net's name as published. A private customer's net is shown as `PRIVATE-CUSTOMER` when its
 * name gives away what `Private: Yes` hides (net-name-privacy.ts): the customer's real name (named
 * from it while it was public, before an M re-derived such names: src/registry's
 * simple-reassignment.ts, or `SMITH-HOME`, `QUINCEWORTHFAM` as its upstream wrote it), its street,
 * city or postal code (`SPRINGFIELDHOME`, `ZIP22150`). A name without any of them (`HOME-7`) is the
 * upstream's to publish.
 */
function publicNetName(net: Net, customer: Customer | undefined): string {
  if (!customer?.privateResidence) return net.name;
  return netNameRevealsCustomer(net.name, customer) ? netNameFromCustomer(customer.name, true) : net.name;
}

/** Nets with their holders, parents' names and POCs, a few statements for the whole list. */
async function publicNets(ex: Executor, rows: readonly Net[]): Promise<PublicNet[]> {
  if (rows.length === 0) return [];
  const orgHandles = rows.flatMap((n) => (n.orgHandle ? [n.orgHandle] : []));
  const customerHandles = [...new Set(rows.flatMap((n) => (n.customerHandle ? [n.customerHandle] : [])))];
  const given = new Map(rows.map((n) => [n.handle, n.name]));
  // A chain of containing nets holds its own parents: only the others are read.
  const parentHandles = [
    ...new Set(rows.flatMap((n) => (n.parentHandle && !given.has(n.parentHandle) ? [n.parentHandle] : []))),
  ];
  const [customerRows, parentRows, linkRows] = await Promise.all([
    customerHandles.length === 0
      ? Promise.resolve([])
      : ex.select().from(customers).where(inArray(customers.handle, customerHandles)),
    parentHandles.length === 0
      ? Promise.resolve([])
      : ex
          .select({ handle: nets.handle, name: nets.name })
          .from(nets)
          .where(inArray(nets.handle, parentHandles)),
    ex
      .select({ netHandle: netPocs.netHandle, pocHandle: netPocs.pocHandle, role: netPocs.role })
      .from(netPocs)
      .where(
        inArray(
          netPocs.netHandle,
          rows.map((n) => n.handle),
        ),
      )
      .orderBy(asc(netPocs.role), asc(netPocs.pocHandle)),
  ]);
  const customerOf = new Map(customerRows.map((c) => [c.handle, c]));
  const upstreamHandles = [...new Set(customerRows.map((c) => c.parentOrgHandle))];
  const [orgOf, upstreamLinkRows] = await Promise.all([
    orgsByHandle(ex, [...orgHandles, ...upstreamHandles]),
    // A simple reassignment has no POCs of its own: its customer is answered for by the
    // upstream's POCs (src/registry/README.md), so those are the net's contacts.
    upstreamHandles.length === 0
      ? Promise.resolve([])
      : ex
          .select({ orgHandle: orgPocs.orgHandle, pocHandle: orgPocs.pocHandle, role: orgPocs.role })
          .from(orgPocs)
          .where(inArray(orgPocs.orgHandle, upstreamHandles))
          .orderBy(asc(orgPocs.role), asc(orgPocs.pocHandle)),
  ]);
  const parentName = new Map([...given, ...parentRows.map((p): [string, string] => [p.handle, p.name])]);
  const [links, upstreamLinks] = await Promise.all([pocLinks(ex, linkRows), pocLinks(ex, upstreamLinkRows)]);
  return rows.map((net) => {
    const org = net.orgHandle ? orgOf.get(net.orgHandle) : undefined;
    const customer = net.customerHandle ? customerOf.get(net.customerHandle) : undefined;
    const shownCustomer = customer
      ? publicCustomerRecord(customer, orgOf.get(customer.parentOrgHandle))
      : undefined;
    const holder = org
      ? { kind: 'org' as const, handle: org.handle, name: org.name, country: org.country }
      : shownCustomer
        ? {
            kind: 'customer' as const,
            handle: shownCustomer.handle,
            name: shownCustomer.name,
            country: shownCustomer.country,
          }
        : undefined;
    const ownLinks = links.filter((l) => l.link.netHandle === net.handle).map((l) => l.shown);
    const inherited = customer
      ? upstreamLinks.filter((l) => l.link.orgHandle === customer.parentOrgHandle).map((l) => l.shown)
      : [];
    return {
      kind: 'net',
      handle: net.handle,
      name: publicNetName(net, customer),
      version: net.version,
      start: net.startAddress,
      end: net.endAddress,
      type: net.type,
      parent: net.parentHandle
        ? { handle: net.parentHandle, name: parentName.get(net.parentHandle) ?? net.parentHandle }
        : undefined,
      originAs: net.originAs,
      holder,
      referralServer: org?.referralServer ?? null,
      // A private customer's net: its comments are the upstream's words about that person (a home
      // address, a name), so they are not published, as the customer's own are not.
      comments: customer?.privateResidence ? [] : net.publicComments,
      registered: net.createdAt,
      updated: net.updatedAt,
      pocs: ownLinks.length > 0 ? ownLinks : inherited,
    };
  });
}
