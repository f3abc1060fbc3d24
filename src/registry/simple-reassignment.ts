/**
 * Reassign-Simple: space handed to a customer (a `C........` record, no POCs of its own; it
 * inherits the upstream's). Removing the net keeps the customer record.
 */

import { eq } from 'drizzle-orm';
import { type Transaction, tables } from '../db/index.ts';
import type { IpRange } from '../ip/index.ts';
import { formatRange, rangeSize, sameRange } from '../ip/index.ts';
import { fail, ok, problem, type Result } from '../shared/index.ts';
import { atomically, atomicallyCreating } from './atomic.ts';
import { writeAudit } from './audit.ts';
import { changedFields, modifiedLine } from './changes.ts';
import { completeReassignment, placeCustomerAndNet, type ReassignmentWrite } from './customer-and-net.ts';
import { findCustomer } from './lookups.ts';
import {
  deleteNet,
  netForTemplate,
  netRange,
  outsideEveryNet,
  type ParentForNewNet,
  placementVerdict,
} from './placement.ts';
import { resentSimpleReassignment } from './resend.ts';
import {
  checkAddress,
  checkNetName,
  checkOriginAs,
  checkPrefixSize,
  cleanList,
  netNameFromCustomer,
  sizeNeedsReview,
} from './rules.ts';
import type {
  AppliedOutcome,
  Customer,
  Net,
  OperationContext,
  OperationOptions,
  Outcome,
  SimpleReassignmentChanges,
  SimpleReassignmentInput,
} from './types.ts';

export function reviewReasonForSize(range: IpRange): string {
  return (
    `IPv4 reassignments and reallocations of a /20 or larger are reviewed by hostmaster staff before ` +
    `they are applied (${formatRange(range)} is ${rangeSize(range)} addresses)`
  );
}

/** The request's own checks (no database): what the statement will write, or why not. */
function checkedRequest(
  input: SimpleReassignmentInput,
  options: OperationOptions,
): Result<Omit<ReassignmentWrite, 'write' | 'delegation'>> {
  const customerName = input.customer.name.trim();
  if (!customerName) return fail(problem('E_MISSING_FIELD', 'the customer name is required'));
  const address = checkAddress(input.customer.address, 'customer');
  if (!address.ok) return address;
  const name = checkNetName(
    input.networkName?.trim() || netNameFromCustomer(customerName, input.customer.privateResidence),
  );
  if (!name.ok) return name;
  const originAs = checkOriginAs(input.originAs);
  if (!originAs.ok) return originAs;
  const size = checkPrefixSize(input.range, options);
  if (!size.ok) return size;
  return ok({
    range: input.range,
    customer: {
      name: customerName,
      street: [...address.value.street],
      city: address.value.city,
      state: address.value.state ?? null,
      postalCode: address.value.postalCode ?? null,
      country: address.value.country,
      privateResidence: input.customer.privateResidence,
    },
    net: {
      type: 'simple_reassignment',
      name: name.value,
      orgHandle: null,
      originAs: originAs.value,
      reverseNameservers: [],
      publicComments: cleanList(input.publicComments),
    },
  });
}

/**
 * What the statement of a new simple reassignment is sent with, or the refusal of the request's
 * own checks (no database). A request too large to apply without staff is placed, not written.
 */
export function simpleReassignmentWrite(
  input: SimpleReassignmentInput,
  options: OperationOptions,
): Result<ReassignmentWrite> {
  const checked = checkedRequest(input, options);
  if (!checked.ok) return checked;
  const review = sizeNeedsReview(input.range) && !options.staffApproved;
  return ok({ ...checked.value, write: !review, delegation: options.delegation, dryRun: options.dryRun });
}

/**
 * A new simple reassignment: a customer record and a net under the most specific net holding
 * the range, in one statement that writes only when every check passes (customer-and-net.ts):
 * it refuses only before it writes, so a message's transaction runs it without a savepoint.
 */
export function createSimpleReassignment(
  tx: Transaction,
  context: OperationContext,
  input: SimpleReassignmentInput,
  options: OperationOptions = {},
): Promise<Result<Outcome>> {
  const run = async (ex: Transaction): Promise<Result<Outcome>> => {
    const checked = simpleReassignmentWrite(input, options);
    if (!checked.ok) return checked;
    const request = checked.value;
    const review = !request.write;
    // Placed with other requests of the message already (reassignments-together.ts): its answer
    // stands for this statement's first sending.
    let placedAhead = options.placed;
    for (;;) {
      const placed = placedAhead ?? (await placeCustomerAndNet(ex, request));
      placedAhead = undefined;
      if (!placed.found) return outsideEveryNet(ex, input.range);
      const verdict = placementVerdict(input.range, placed.found, options);
      const parent = verdict.ok ? verdict.value : undefined;
      const refusal: Result<Outcome> | undefined = !verdict.ok
        ? verdict
        : !parent?.orgHandle
          ? fail(problem('E_INTERNAL', `${parent?.handle} has no holding org; ask hostmaster staff`))
          : review
            ? ok({ status: 'pending_review', reason: reviewReasonForSize(input.range) })
            : undefined;
      if (refusal) {
        // The statement writes under the same conditions; a write here would be a bug in one of them.
        if (placed.customer)
          throw new Error(`simple reassignment written though refused: ${JSON.stringify(refusal)}`);
        // The requester's own registration sent again (a lost reply): answered with what it holds.
        if (!refusal.ok && refusal.error.code === 'E_OVERLAP') {
          const resent = await resentSimpleReassignment(
            ex,
            context,
            { range: input.range, customer: checked.value.customer, net: checked.value.net },
            sameRangeNet(placed.found, input.range),
            options.delegation,
          );
          if (resent) return ok(resent);
        }
        return refusal;
      }
      // A customer handle taken (by a seed file): nothing was written; again, with the next number.
      if (!placed.customer || !parent) continue;
      const net = await completeReassignment(ex, context, request, parent, placed.customer, placed.net);
      if (!net.ok) return net;
      return ok(appliedOutcome(input, placed.customer, net.value, parent));
    }
  };
  return options.withoutSavepoint ? run(tx) : atomicallyCreating(tx, context, run);
}

/** The net in the way with exactly this range: the range's own net, or the overlapping child. */
function sameRangeNet(found: ParentForNewNet, range: IpRange): Net | undefined {
  const same = (net: Net | undefined) => (net && sameRange(netRange(net), range) ? net : undefined);
  return same(found.parent) ?? same(found.sibling);
}

function appliedOutcome(
  input: SimpleReassignmentInput,
  customer: Customer,
  net: Net,
  parent: Net,
): AppliedOutcome {
  return {
    status: 'applied',
    handles: { net: net.handle, customer: customer.handle },
    placedUnder: parent.handle,
    summary: [
      `Customer ${customer.handle} (${customer.name}${input.customer.privateResidence ? ', private residence' : ''}) created.`,
      `Net ${net.handle} (${formatRange(input.range)}, ${net.name}) reassigned to ${customer.handle} under ${parent.handle}.`,
    ],
  };
}

/** The stored columns a Reassign-Simple M may change, of the customer and of the net. */
const CUSTOMER_FIELDS = [
  'name',
  'privateResidence',
  'street',
  'city',
  'state',
  'postalCode',
  'country',
] as const;
const NET_FIELDS = ['name', 'originAs', 'publicComments'] as const;

export function modifySimpleReassignment(
  tx: Transaction,
  context: OperationContext,
  range: IpRange,
  changes: SimpleReassignmentChanges,
): Promise<Result<Outcome>> {
  return atomically(tx, async (sp) => {
    const found = await netForTemplate(sp, range, 'reassign-simple');
    if (!found.ok) return found;
    const net = found.value;
    const customer = net.customerHandle
      ? await findCustomer(sp, net.customerHandle, { lock: 'update' })
      : undefined;
    if (!customer)
      return fail(problem('E_INTERNAL', `${net.handle} has no customer record; ask hostmaster staff`));
    const customerName = (changes.customerName ?? customer.name).trim();
    if (!customerName) return fail(problem('E_MISSING_FIELD', 'the customer name cannot be cleared'));
    const privateResidence = changes.privateResidence ?? customer.privateResidence;
    const address = checkAddress(
      {
        street: changes.street ?? customer.street,
        city: changes.city ?? customer.city,
        state: changes.state === null ? undefined : (changes.state ?? customer.state ?? undefined),
        postalCode:
          changes.postalCode === null ? undefined : (changes.postalCode ?? customer.postalCode ?? undefined),
        country: changes.country ?? customer.country,
      },
      'customer',
    );
    if (!address.ok) return address;
    const name = checkNetName(
      netNameAfter(net.name, customer, { name: customerName, privateResidence }, changes.networkName),
    );
    if (!name.ok) return name;
    const originAs =
      changes.originAs === undefined ? checkOriginAs(net.originAs) : checkOriginAs(changes.originAs ?? []);
    if (!originAs.ok) return originAs;
    const comments =
      changes.publicComments === undefined ? net.publicComments : cleanList(changes.publicComments);

    const customerValues = {
      name: customerName,
      privateResidence,
      street: [...address.value.street],
      city: address.value.city,
      state: address.value.state ?? null,
      postalCode: address.value.postalCode ?? null,
      country: address.value.country,
    };
    const netValues = { name: name.value, originAs: originAs.value, publicComments: comments };
    // Only what differs from the stored records is a change: a record none of whose values
    // changed is not written, audited or re-dated (billing systems send the whole form).
    const customerChanged = changedFields(customer, customerValues, CUSTOMER_FIELDS);
    const netChanged = changedFields(net, netValues, NET_FIELDS);
    if (customerChanged.length > 0) {
      const [customerAfter] = await sp
        .update(tables.customers)
        .set({ ...customerValues, updatedAt: new Date() })
        .where(eq(tables.customers.handle, customer.handle))
        .returning();
      await writeAudit(sp, context, {
        action: 'modify',
        objectType: 'customer',
        objectHandle: customer.handle,
        before: customer,
        after: customerAfter,
      });
    }
    if (netChanged.length > 0) {
      const [netAfter] = await sp
        .update(tables.nets)
        .set({ ...netValues, updatedAt: new Date() })
        .where(eq(tables.nets.handle, net.handle))
        .returning();
      await writeAudit(sp, context, {
        action: 'modify',
        objectType: 'net',
        objectHandle: net.handle,
        before: net,
        after: netAfter,
      });
    }
    // In the template's words, in its order.
    const changed = [
      ...netChanged.filter((f) => f === 'name').map(() => 'networkName'),
      ...netChanged.filter((f) => f === 'originAs'),
      ...customerChanged.map((f) => (f === 'name' ? 'customerName' : f)),
      ...netChanged.filter((f) => f === 'publicComments'),
    ];
    const renamed = changes.networkName === undefined && name.value !== net.name;
    return ok({
      status: 'applied',
      handles: { net: net.handle, customer: customer.handle },
      ...(changed.length === 0 ? { unchanged: true as const } : {}),
      summary: [
        modifiedLine(
          `Net ${net.handle} (${formatRange(range)}) and customer ${customer.handle}`,
          changed,
          context.fieldWords,
        ),
        ...(renamed
          ? [
              `Net ${net.handle} is now named ${name.value}, from the customer as a new reassignment would be.`,
            ]
          : []),
      ],
    });
  });
}

/**
 * A simple reassignment's net name after an M. A name the template gives is used (NONE: the name
 * a new reassignment would get). Otherwise the name follows the customer where the create path
 * derived it from the customer: a customer made private is renamed PRIVATE-CUSTOMER whatever the
 * net was called (a name chosen while it was public, typically its real name, would publish
 * what `Private: Yes` hides), and a name derived from the customer as it was (its real name, or
 * PRIVATE-CUSTOMER) is derived again from the customer as it is now. A private customer's net
 * still named from its real name (written before this rule) is renamed by any M.
 */
function netNameAfter(
  current: string,
  before: Pick<Customer, 'name' | 'privateResidence'>,
  after: Pick<Customer, 'name' | 'privateResidence'>,
  given: string | null | undefined,
): string {
  const derived = netNameFromCustomer(after.name, after.privateResidence);
  if (given !== undefined) return given ?? derived;
  if (after.privateResidence && !before.privateResidence) return derived;
  const derivedBefore = [
    netNameFromCustomer(before.name, before.privateResidence),
    netNameFromCustomer(before.name, false),
  ];
  return derivedBefore.includes(current) ? derived : current;
}

export function removeSimpleReassignment(
  tx: Transaction,
  context: OperationContext,
  range: IpRange,
): Promise<Result<Outcome>> {
  return atomically(tx, async (sp) => {
    const found = await netForTemplate(sp, range, 'reassign-simple');
    if (!found.ok) return found;
    const net = found.value;
    await deleteNet(sp, context, net);
    const customer = net.customerHandle
      ? await findCustomer(sp, net.customerHandle, { lock: 'update' })
      : undefined;
    return ok({
      status: 'applied',
      handles: { net: net.handle, ...(customer ? { customer: customer.handle } : {}) },
      summary: [
        `Net ${net.handle} (${formatRange(range)}) removed; the space returns to ${net.parentHandle ?? 'the registry'}.`,
        ...(customer ? [`Customer ${customer.handle} (${customer.name}) is kept, not removed.`] : []),
      ],
    });
  });
}
