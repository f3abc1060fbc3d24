/**
 * Reassign-Simple: space handed to a customer (a `C........` record, no POCs of its own; it
 * inherits the upstream's). Removing the net keeps the customer record.
 */

import { eq } from 'drizzle-orm';
import { type Transaction, tables } from '../db/index.ts';
import type { IpRange } from '../ip/index.ts';
import { formatRange, rangeSize } from '../ip/index.ts';
import { fail, ok, problem, type Result } from '../shared/errors.ts';
import { atomically, type Plan, planThenWrite } from './atomic.ts';
import { writeAudit } from './audit.ts';
import { insertCustomerAndNet } from './customer-and-net.ts';
import { findCustomer } from './lookups.ts';
import { deleteNet, netForTemplate, placeNewNet } from './placement.ts';
import {
  checkAddress,
  checkNetName,
  checkOriginAs,
  cleanList,
  netNameFromCustomer,
  sizeNeedsReview,
} from './rules.ts';
import type {
  AppliedOutcome,
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

/** What a simple reassignment will write, once every check has passed. */
interface SimpleReassignmentPlan {
  readonly parent: Net & { readonly orgHandle: string };
  readonly customerName: string;
  readonly address: Exclude<ReturnType<typeof checkAddress>, { ok: false }>['value'];
  readonly netName: string;
  readonly originAs: readonly number[];
}

/** Every check, and the placement under the parent (which locks it): nothing written. */
async function planSimpleReassignment(
  tx: Transaction,
  input: SimpleReassignmentInput,
  options: OperationOptions,
): Promise<Result<Plan<SimpleReassignmentPlan>>> {
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
  const parent = await placeNewNet(tx, input.range, options);
  if (!parent.ok) return parent;
  const orgHandle = parent.value.orgHandle;
  if (!orgHandle) {
    return fail(problem('E_INTERNAL', `${parent.value.handle} has no holding org; ask hostmaster staff`));
  }
  if (sizeNeedsReview(input.range) && !options.staffApproved) {
    return ok({ status: 'pending_review', reason: reviewReasonForSize(input.range) });
  }
  return ok({
    status: 'planned',
    plan: {
      parent: { ...parent.value, orgHandle },
      customerName,
      address: address.value,
      netName: name.value,
      originAs: originAs.value,
    },
  });
}

/** The customer and the net: no refusal from here on (failures are exceptions). */
async function writeSimpleReassignment(
  tx: Transaction,
  context: OperationContext,
  input: SimpleReassignmentInput,
  plan: SimpleReassignmentPlan,
): Promise<AppliedOutcome> {
  const { parent, customerName, address } = plan;
  const { customer, net } = await insertCustomerAndNet(
    tx,
    context,
    {
      parentOrgHandle: parent.orgHandle,
      name: customerName,
      street: [...address.street],
      city: address.city,
      state: address.state ?? null,
      postalCode: address.postalCode ?? null,
      country: address.country,
      privateResidence: input.customer.privateResidence,
    },
    {
      range: input.range,
      type: 'simple_reassignment',
      name: plan.netName,
      parent,
      orgHandle: null,
      originAs: plan.originAs,
      reverseNameservers: [],
      publicComments: cleanList(input.publicComments),
    },
  );
  const customerHandle = customer.handle;
  return {
    status: 'applied',
    handles: { net: net.handle, customer: customerHandle },
    placedUnder: parent.handle,
    summary: [
      `Customer ${customerHandle} (${customerName}${input.customer.privateResidence ? ', private residence' : ''}) created.`,
      `Net ${net.handle} (${formatRange(input.range)}, ${net.name}) reassigned to ${customerHandle} under ${parent.handle}.`,
    ],
  };
}

/**
 * A new simple reassignment: a customer record and a net under the most specific net holding
 * the range. Refuses only before it writes (`planThenWrite`), so a message's transaction runs it
 * without a savepoint.
 */
export function createSimpleReassignment(
  tx: Transaction,
  context: OperationContext,
  input: SimpleReassignmentInput,
  options: OperationOptions = {},
): Promise<Result<Outcome>> {
  return planThenWrite(
    tx,
    (ex) => planSimpleReassignment(ex, input, options),
    (ex, plan) => writeSimpleReassignment(ex, context, input, plan),
    options,
  );
}

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
    const name =
      changes.networkName === undefined
        ? checkNetName(net.name)
        : checkNetName(changes.networkName ?? netNameFromCustomer(customerName, privateResidence));
    if (!name.ok) return name;
    const originAs =
      changes.originAs === undefined ? checkOriginAs(net.originAs) : checkOriginAs(changes.originAs ?? []);
    if (!originAs.ok) return originAs;
    const comments =
      changes.publicComments === undefined ? net.publicComments : cleanList(changes.publicComments);

    const [customerAfter] = await sp
      .update(tables.customers)
      .set({
        name: customerName,
        privateResidence,
        street: [...address.value.street],
        city: address.value.city,
        state: address.value.state ?? null,
        postalCode: address.value.postalCode ?? null,
        country: address.value.country,
        updatedAt: new Date(),
      })
      .where(eq(tables.customers.handle, customer.handle))
      .returning();
    const [netAfter] = await sp
      .update(tables.nets)
      .set({ name: name.value, originAs: originAs.value, publicComments: comments, updatedAt: new Date() })
      .where(eq(tables.nets.handle, net.handle))
      .returning();
    await writeAudit(sp, context, {
      action: 'modify',
      objectType: 'customer',
      objectHandle: customer.handle,
      before: customer,
      after: customerAfter,
    });
    await writeAudit(sp, context, {
      action: 'modify',
      objectType: 'net',
      objectHandle: net.handle,
      before: net,
      after: netAfter,
    });
    const changed = Object.keys(changes).filter(
      (k) => changes[k as keyof SimpleReassignmentChanges] !== undefined,
    );
    return ok({
      status: 'applied',
      handles: { net: net.handle, customer: customer.handle },
      summary: [
        `Net ${net.handle} (${formatRange(range)}) and customer ${customer.handle} modified${changed.length ? ` (${changed.join(', ')})` : ''}.`,
      ],
    });
  });
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
