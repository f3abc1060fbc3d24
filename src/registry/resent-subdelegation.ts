/**
 * Safe resends of Reallocate and Reassign-Detailed (IPv4 and IPv6): the rule of resend.ts for the
 * forms that hand space to an org. "The same" is what this template would have written:
 * - the net: the same range, exactly, already a net of the same kind (a reallocation or a
 *   detailed reassignment), with the same name, origin ASes, reverse name servers and comments;
 * - the org: the one it names by Org ID; or, for a form that writes out a new org, an org equal
 *   to the one it would create (name and address as cleaned, its admin and tech POC the POC the
 *   form names or writes out, no other POC), whose creation is audited to the same account. An
 *   org that has changed since (an Org-Mod) is no longer what the form would create;
 * - the net's POCs, role by role: the POC it names by handle, or one equal in every column to
 *   the POC it writes out (the same written-out POC is one POC wherever it appears, as when it
 *   was created);
 * - registered by the same account (the net's creation in the audit log), which may still
 *   sub-delegate from the net's parent.
 * Anything else is refused as it was before (E_OVERLAP, or the placement's own refusal).
 *
 * The checks run only when the placement found a net of this very range and kind in the way,
 * so a new registration pays no statement for them.
 */
import { isDeepStrictEqual } from 'node:util';
import { inArray } from 'drizzle-orm';
import { type Executor, tables } from '../db/index.ts';
import type { IpRange } from '../ip/index.ts';
import { formatRange, sameRange } from '../ip/index.ts';
import { findNetsByRange, findOrg, netPocs, orgPocs } from './lookups.ts';
import { POC_COLUMNS } from './new-poc.ts';
import { orgValues } from './orgs.ts';
import { netRange, type ParentForNewNet } from './placement.ts';
import { pocValues } from './pocs.ts';
import { alreadyRegisteredNote, asRead, createdBy, sameList, sameTexts, stillAuthorized } from './resend.ts';
import { checkHandle, normalizeHandle } from './rules.ts';
import type {
  AppliedOutcome,
  DelegationAuthority,
  DownstreamOrgReference,
  EmbeddedPocInput,
  Net,
  OperationContext,
  Poc,
  PocInput,
  SubdelegationInput,
} from './types.ts';

/** What a Reallocate or Reassign-Detailed N would write, after its own checks. */
export interface SubdelegationRegistration {
  readonly type: 'reallocation' | 'detailed_reassignment';
  readonly range: IpRange;
  readonly net: {
    readonly name: string;
    readonly originAs: readonly number[];
    readonly reverseNameservers: readonly string[];
    readonly publicComments: readonly string[];
  };
  readonly downstreamOrg: DownstreamOrgReference;
  readonly netPocs: SubdelegationInput['netPocs'];
}

/** A POC the form writes out, as the POC it would create (subdelegation.ts creates it so). */
export function embeddedAsPoc(poc: EmbeddedPocInput): PocInput {
  return {
    contactType: poc.contactType,
    lastName: poc.lastName,
    firstName: poc.firstName,
    companyName: poc.companyName,
    address: poc.address,
    officePhones: [poc.officePhone],
    emails: [poc.email],
    publicComments: [],
  };
}

function pocWritesAs(poc: Poc, create: EmbeddedPocInput): boolean {
  const values = pocValues(embeddedAsPoc(create));
  if (!values.ok) return false;
  // Deep equality, not text: the phones come back from jsonb with their keys in its order.
  return POC_COLUMNS.every((key) => isDeepStrictEqual(poc[key] ?? null, values.value[key] ?? null));
}

/**
 * Which stored POC each POC the form writes out is, by its text (the key subdelegation.ts's
 * resolver creates it once by): one POC per text, and one text per POC.
 */
class WrittenOutPocs {
  private readonly byText = new Map<string, string>();
  private readonly taken = new Set<string>();

  constructor(private readonly stored: ReadonlyMap<string, Poc>) {}

  /** Whether `handle` is the POC `ref` names or writes out, keeping the pairing if so. */
  is(handle: string, ref: SubdelegationInput['netPocs'][number]['poc']): boolean {
    if ('handle' in ref) {
      const named = checkHandle('poc', ref.handle);
      return named.ok && named.value === handle;
    }
    const text = JSON.stringify(ref.create);
    const paired = this.byText.get(text);
    if (paired !== undefined) return paired === handle;
    const poc = this.stored.get(handle);
    if (!poc || this.taken.has(handle) || !pocWritesAs(poc, ref.create)) return false;
    this.byText.set(text, handle);
    this.taken.add(handle);
    return true;
  }
}

async function storedPocs(ex: Executor, handles: readonly string[]): Promise<Map<string, Poc>> {
  if (handles.length === 0) return new Map();
  const rows = await ex
    .select()
    .from(tables.pocs)
    .where(inArray(tables.pocs.handle, [...new Set(handles)]));
  return new Map(rows.map((poc) => [poc.handle, poc]));
}

/** Whether the net's org is the one the form names, or equal to the one it would create. */
async function sameOrg(
  ex: Executor,
  context: OperationContext,
  orgHandle: string,
  downstream: DownstreamOrgReference,
  contacts: readonly { pocHandle: string; role: string }[],
  pocs: WrittenOutPocs,
): Promise<boolean> {
  if ('handle' in downstream) {
    const named = checkHandle('org', downstream.handle);
    return named.ok && named.value === orgHandle;
  }
  const written = downstream.create;
  const values = orgValues({
    legalName: written.name,
    address: written.address,
    adminPoc: '',
    techPocs: [],
    abusePocs: [],
    nocPocs: [],
    publicComments: [],
  });
  const org = await findOrg(ex, orgHandle);
  if (!values.ok || !org) return false;
  const v = values.value;
  if (
    asRead(org.name) !== v.name ||
    asRead(org.dba) !== v.dba ||
    asRead(org.taxId) !== v.taxId ||
    !sameTexts(org.street, v.street) ||
    asRead(org.city) !== v.city ||
    asRead(org.state) !== v.state ||
    asRead(org.postalCode) !== v.postalCode ||
    org.country !== v.country ||
    (org.referralServer ?? null) !== v.referralServer ||
    !sameTexts(org.publicComments, v.publicComments)
  )
    return false;
  const admin = contacts.find((c) => c.role === 'admin');
  if (
    contacts.length !== 2 ||
    !admin ||
    !contacts.some((c) => c.role === 'tech' && c.pocHandle === admin.pocHandle)
  )
    return false;
  // The org's POC is read with the net's (one statement); it must be what the form names.
  if (!pocs.is(admin.pocHandle, written.poc)) return false;
  return createdBy(ex, { handle: orgHandle }, context.requesterAccount, 'org');
}

/** Whether the net's POC links are, role by role, those the form names or writes out. */
function sameNetPocs(
  links: readonly { pocHandle: string; role: string }[],
  wanted: SubdelegationInput['netPocs'],
  pocs: WrittenOutPocs,
): boolean {
  const unmatched = [...links];
  const seen = new Set<string>();
  for (const { role, poc } of wanted) {
    // A POC named twice for one role is linked once (subdelegation.ts), however its handle is cased.
    const key = `${role} ${'handle' in poc ? normalizeHandle(poc.handle) : JSON.stringify(poc.create)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const i = unmatched.findIndex((l) => l.role === role && pocs.is(l.pocHandle, poc));
    if (i < 0) return false;
    unmatched.splice(i, 1);
  }
  return unmatched.length === 0;
}

function sameNetData(net: Net, request: SubdelegationRegistration): boolean {
  return (
    net.type === request.type &&
    net.orgHandle !== null &&
    net.name === request.net.name &&
    sameList(net.originAs, request.net.originAs) &&
    sameList(net.reverseNameservers, request.net.reverseNameservers) &&
    sameTexts(net.publicComments, request.net.publicComments)
  );
}

/** Whether `net` (of the range, with the same net data) is the requester's own registration of it. */
async function isResendOf(
  ex: Executor,
  context: OperationContext,
  request: SubdelegationRegistration,
  net: Net & { orgHandle: string },
  delegation: DelegationAuthority | undefined,
): Promise<boolean> {
  if (!(await createdBy(ex, net, context.requesterAccount))) return false;
  const links = await netPocs(ex, net.handle);
  const contacts = 'create' in request.downstreamOrg ? await orgPocs(ex, net.orgHandle) : [];
  const pocs = new WrittenOutPocs(
    await storedPocs(
      ex,
      [...links, ...contacts].map((l) => l.pocHandle),
    ),
  );
  if (!(await sameOrg(ex, context, net.orgHandle, request.downstreamOrg, contacts, pocs))) return false;
  if (!sameNetPocs(links, request.netPocs, pocs)) return false;
  return stillAuthorized(ex, net, delegation);
}

/**
 * The answer to a Reallocate or Reassign-Detailed N that is a resend of the requester's own
 * registration, or undefined: then the form goes on and is refused (or placed) as before.
 * `found` is what the placement statement found: a net of the same range is the most specific
 * net containing the range, so it is `found.parent`. Nets of one range may be nested (a
 * reallocation divided whole, by its holder); the placement sees the innermost, while the
 * requester's may be any of them: the others are read only when the innermost is not it.
 */
export async function resentSubdelegation(
  ex: Executor,
  context: OperationContext,
  request: SubdelegationRegistration,
  found: ParentForNewNet | undefined,
  delegation: DelegationAuthority | undefined,
): Promise<AppliedOutcome | undefined> {
  const innermost: Net | undefined = found?.parent;
  if (!innermost || !sameRange(netRange(innermost), request.range)) return undefined;
  const candidates = async function* () {
    yield innermost;
    for (const net of await findNetsByRange(ex, request.range))
      if (net.handle !== innermost.handle) yield net;
  };
  for await (const net of candidates()) {
    if (!sameNetData(net, request) || net.orgHandle === null) continue;
    if (!(await isResendOf(ex, context, request, { ...net, orgHandle: net.orgHandle }, delegation))) continue;
    const what = request.type === 'reallocation' ? 'reallocated' : 'reassigned';
    return {
      status: 'applied',
      unchanged: true,
      handles: { net: net.handle, org: net.orgHandle },
      summary: [
        `${alreadyRegisteredNote(net.handle)}: ${formatRange(request.range)} (${net.name}) is ${what} to ${net.orgHandle} under ${net.parentHandle}.`,
      ],
    };
  }
  return undefined;
}
