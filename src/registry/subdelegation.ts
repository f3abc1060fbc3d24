/**
 * Reallocate and Reassign-Detailed (IPv4 and IPv6): space handed to a downstream org, with its
 * own resource POCs. The downstream org is named by Org ID; legacy version-4 forms may instead
 * write out an org and POCs, which are then CREATED (never used to change existing ones: an
 * existing org or POC is referenced by its handle and used exactly as it is).
 */
import { and, eq } from 'drizzle-orm';
import { type Transaction, tables } from '../db/index.ts';
import { formatRange } from '../ip/index.ts';
import { fail, ok, type Problem, problem, type Result } from '../shared/index.ts';
import { atomicallyCreating } from './atomic.ts';
import { findOrg, findPoc } from './lookups.ts';
import { insertOrg } from './orgs.ts';
import { insertNet, placeNewNetFound } from './placement.ts';
import { insertPoc } from './pocs.ts';
import { embeddedAsPoc, resentSubdelegation } from './resent-subdelegation.ts';
import {
  checkHandle,
  checkHostnames,
  checkNetName,
  checkOriginAs,
  cleanList,
  sizeNeedsReview,
} from './rules.ts';
import { reviewReasonForSize } from './simple-reassignment.ts';
import type {
  Net,
  NetPocRole,
  OperationContext,
  OperationOptions,
  Outcome,
  PocReference,
  SubdelegationInput,
} from './types.ts';

type SubdelegationType = 'reallocation' | 'detailed_reassignment';

export function reallocate(
  tx: Transaction,
  context: OperationContext,
  input: SubdelegationInput,
  options: OperationOptions = {},
): Promise<Result<Outcome>> {
  return createSubdelegation(tx, context, input, options, 'reallocation');
}

export function reassignDetailed(
  tx: Transaction,
  context: OperationContext,
  input: SubdelegationInput,
  options: OperationOptions = {},
): Promise<Result<Outcome>> {
  return createSubdelegation(tx, context, input, options, 'detailed_reassignment');
}

/** Resolves POC references; a POC written out twice in one template is created once. */
class PocResolver {
  private readonly created = new Map<string, string>();
  readonly newHandles: string[] = [];

  constructor(
    private readonly tx: Transaction,
    private readonly context: OperationContext,
  ) {}

  async resolve(ref: PocReference, what: string): Promise<Result<string, Problem>> {
    if ('handle' in ref) {
      const handle = checkHandle('poc', ref.handle);
      if (!handle.ok) return handle;
      const poc = await findPoc(this.tx, handle.value);
      if (!poc) return fail(problem('E_OBJECT_NOT_FOUND', `${what} ${handle.value} does not exist`));
      return ok(poc.handle);
    }
    const key = JSON.stringify(ref.create);
    const known = this.created.get(key);
    if (known) return ok(known);
    const poc = await insertPoc(this.tx, this.context, embeddedAsPoc(ref.create));
    if (!poc.ok) return fail({ ...poc.error, message: `${what}: ${poc.error.message}` });
    this.created.set(key, poc.value.handle);
    this.newHandles.push(poc.value.handle);
    return ok(poc.value.handle);
  }
}

async function holdsIpv6(tx: Transaction, orgHandle: string): Promise<boolean> {
  const rows = await tx
    .select({ handle: tables.nets.handle })
    .from(tables.nets)
    .where(and(eq(tables.nets.orgHandle, orgHandle), eq(tables.nets.version, 6)))
    .limit(1);
  return rows.length > 0;
}

/** Of `pocHandles`, those that are none of the org's POCs (any role). */
async function pocsOutsideOrg(
  tx: Transaction,
  orgHandle: string,
  pocHandles: readonly string[],
): Promise<string[]> {
  if (pocHandles.length === 0) return [];
  const rows = await tx
    .select({ pocHandle: tables.orgPocs.pocHandle })
    .from(tables.orgPocs)
    .where(eq(tables.orgPocs.orgHandle, orgHandle));
  const ours = new Set(rows.map((r) => r.pocHandle));
  return [...new Set(pocHandles.filter((h) => !ours.has(h)))];
}

/**
 * A reallocation is managed by its holder and by its own tech POC, and so is everything the
 * downstream registers in it. A POC the upstream names on it (its own, or one the form creates,
 * which is linked to the upstream's account) would keep the upstream that say over the
 * downstream's space: the net's POCs of a reallocation to an existing org are that org's POCs.
 */
function foreignReallocationPocs(orgHandle: string, foreign: readonly string[]): Problem {
  return problem(
    'E_NOT_AUTHORIZED',
    `A reallocation to ${orgHandle} may name only ${orgHandle}'s own POCs as its net POCs, and ${foreign.join(', ')} ${foreign.length > 1 ? 'are' : 'is'} not one of them: a POC named here would manage the reallocation and what ${orgHandle} registers in it. Leave the Net POC fields blank (${orgHandle} adds its POCs with a Net-Mod), or name a POC of ${orgHandle}.`,
  );
}

function createSubdelegation(
  tx: Transaction,
  context: OperationContext,
  input: SubdelegationInput,
  options: OperationOptions,
  type: SubdelegationType,
): Promise<Result<Outcome>> {
  const what = type === 'reallocation' ? 'reallocated' : 'reassigned';
  return atomicallyCreating(tx, context, async (sp) => {
    const name = checkNetName(input.networkName);
    if (!name.ok) return name;
    const originAs = checkOriginAs(input.originAs);
    if (!originAs.ok) return originAs;
    const nameservers = checkHostnames(input.reverseNameservers);
    if (!nameservers.ok) return nameservers;
    const placement = await placeNewNetFound(sp, input.range, options);
    // The requester's own registration sent again (a lost reply): answered with what it holds.
    // Asked before the verdict: a reallocation of the very range would otherwise be nested in
    // the one it repeats, where the requester holds it, and refused elsewhere.
    const resent = await resentSubdelegation(
      sp,
      context,
      {
        type,
        range: input.range,
        net: {
          name: name.value,
          originAs: originAs.value,
          reverseNameservers: nameservers.value,
          publicComments: cleanList(input.publicComments),
        },
        downstreamOrg: input.downstreamOrg,
        netPocs: input.netPocs,
      },
      placement.found,
      options.delegation,
    );
    if (resent) return ok(resent);
    const parent = placement.verdict;
    if (!parent.ok) return parent;

    let reviewReason: string | undefined;
    if (sizeNeedsReview(input.range)) reviewReason = reviewReasonForSize(input.range);

    const summary: string[] = [];
    const handles: Record<string, string> = {};
    const pocs = new PocResolver(sp, context);
    let orgHandle: string;
    const downstream = input.downstreamOrg;
    if ('handle' in downstream) {
      const checked = checkHandle('org', downstream.handle);
      if (!checked.ok) return checked;
      const org = await findOrg(sp, checked.value);
      if (!org) return fail(problem('E_OBJECT_NOT_FOUND', `downstream org ${checked.value} does not exist`));
      orgHandle = org.handle;
      if (input.range.version === 6 && (await holdsIpv6(sp, orgHandle))) {
        reviewReason ??= `${orgHandle} already holds IPv6 space; further IPv6 to the same org is reviewed by hostmaster staff`;
      }
    } else {
      const embedded = downstream.create;
      if ('create' in embedded.poc && embedded.poc.create.contactType === 'role') {
        return fail(
          problem(
            'E_ROLE_NOT_ALLOWED',
            "the new org's POC becomes its admin (voting) contact, which must be a person, not a role",
          ),
        );
      }
      const orgPoc = await pocs.resolve(embedded.poc, 'org POC');
      if (!orgPoc.ok) return orgPoc;
      const org = await insertOrg(
        sp,
        context,
        {
          legalName: embedded.name,
          address: embedded.address,
          adminPoc: orgPoc.value,
          techPocs: [orgPoc.value],
          abusePocs: [],
          nocPocs: [],
          publicComments: [],
        },
        pocs.newHandles,
      );
      if (!org.ok) return org;
      orgHandle = org.value.handle;
      handles['org'] = orgHandle;
      summary.push(`Org ${orgHandle} (${org.value.name}) created with admin and tech POC ${orgPoc.value}.`);
    }

    const netPocLinks: { role: NetPocRole; pocHandle: string }[] = [];
    for (const { role, poc } of input.netPocs) {
      const resolved = await pocs.resolve(poc, `${role} POC`);
      if (!resolved.ok) return resolved;
      if (!netPocLinks.some((l) => l.role === role && l.pocHandle === resolved.value)) {
        netPocLinks.push({ role, pocHandle: resolved.value });
      }
    }

    if (type === 'reallocation' && 'handle' in downstream) {
      const foreign = await pocsOutsideOrg(
        sp,
        orgHandle,
        netPocLinks.map((l) => l.pocHandle),
      );
      if (foreign.length > 0) return fail(foreignReallocationPocs(orgHandle, foreign));
    }

    if (reviewReason && !options.staffApproved) return ok({ status: 'pending_review', reason: reviewReason });

    const inserted = await insertNet(sp, context, {
      range: input.range,
      type,
      name: name.value,
      parent: parent.value,
      orgHandle,
      customerHandle: null,
      originAs: originAs.value,
      reverseNameservers: nameservers.value,
      publicComments: cleanList(input.publicComments),
      pocs: netPocLinks,
      pocsCreatedHere: pocs.newHandles,
    });
    if (!inserted.ok) return inserted;
    const net: Net = inserted.value;
    pocs.newHandles.forEach((handle, i) => {
      handles[i === 0 ? 'poc' : `poc${i + 1}`] = handle;
    });
    if (pocs.newHandles.length) summary.unshift(`POC(s) ${pocs.newHandles.join(', ')} created.`);
    handles['net'] = net.handle;
    summary.push(
      `Net ${net.handle} (${formatRange(input.range)}, ${net.name}) ${what} to ${orgHandle} under ${parent.value.handle}` +
        (netPocLinks.length
          ? ` with ${netPocLinks.map((l) => `${l.role} POC ${l.pocHandle}`).join(', ')}.`
          : '.'),
    );
    return ok({ status: 'applied', handles, summary, placedUnder: parent.value.handle });
  });
}
