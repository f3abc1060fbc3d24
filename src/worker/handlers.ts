/**
 * One entry per request kind: who may ask for it (auth) and what it does (registry).
 * The worker never sees form versions: the template parser already mapped every version of a
 * form onto these request kinds.
 */
import {
  mayCreateOrg,
  mayCreatePoc,
  mayDelegateWithin,
  mayManageNet,
  mayManageOrg,
  mayManagePoc,
  mayReassignFrom,
  mayRenameNet,
  mayReturnNet,
  type Requester,
} from '../auth/index.ts';
import type { Transaction } from '../db/index.ts';
import type { IpRange } from '../ip/index.ts';
import {
  type AppliedOutcome,
  createOrg,
  createPoc,
  createSimpleReassignment,
  findNetByHandle,
  findNetsByRange,
  modifyNet,
  modifyOrg,
  modifyPoc,
  modifySimpleReassignment,
  type OperationContext,
  type OperationOptions,
  type Outcome,
  reallocate,
  reassignDetailed,
  removeNet,
  removeOrg,
  removePoc,
  removeSimpleReassignment,
} from '../registry/index.ts';
import { ok, type Problem, type Result } from '../shared/errors.ts';
import type { RequestKind, TemplateRequest } from '../templates/index.ts';

type Authority = Promise<Result<void, Problem>>;

/** What `authorize` checked: the parent a new net may be delegated from, when it found one. */
export interface Grant {
  readonly parent?: string;
}

interface Handler<K extends RequestKind> {
  authorize(
    tx: Transaction,
    requester: Requester,
    request: Extract<TemplateRequest, { kind: K }>,
    // biome-ignore lint/suspicious/noConfusingVoidType: the auth room's checks answer Result<void>; only delegation adds a Grant
  ): Promise<Result<Grant | void, Problem>>;
  /**
   * Checked again on what was actually written, before it is kept: a more specific net committed
   * by someone else between `authorize` and the operation's own look-up would otherwise place the
   * new net under a parent the requester was never checked against.
   */
  verify?(tx: Transaction, requester: Requester, applied: AppliedOutcome, grant: Grant): Authority;
  apply(
    tx: Transaction,
    context: OperationContext,
    request: Extract<TemplateRequest, { kind: K }>,
    options: OperationOptions,
  ): Promise<Result<Outcome>>;
}

type Handlers = { readonly [K in RequestKind]: Handler<K> };

/**
 * The net a template names by its range. When there is none, or several, the registry operation
 * gives the precise error; authorization has nothing to check yet.
 */
async function mayManageNetAt(
  tx: Transaction,
  range: IpRange,
  check: (handle: string) => Authority,
): Authority {
  const nets = await findNetsByRange(tx, range);
  if (nets.length !== 1) return ok(undefined);
  return check(nets[0]!.handle);
}

async function mayDelegateFrom(
  tx: Transaction,
  requester: Requester,
  range: IpRange,
): Promise<Result<Grant, Problem>> {
  const { parent, verdict } = await mayDelegateWithin(tx, requester, range);
  // No parent, or one that cannot be divided (e.g. a resent reassignment finds itself): the
  // registry answers precisely (E_NOT_WITHIN_PARENT, E_OVERLAP); nothing is written, and
  // `verify` checks any parent that something is written under.
  if (!parent || (parent.type !== 'direct_allocation' && parent.type !== 'reallocation')) return ok({});
  return verdict.ok ? ok({ parent: parent.handle }) : verdict;
}

/**
 * The parent the new net really went under must be one the requester may sub-delegate from.
 * Almost always it is the one `authorize` just checked in this transaction: nothing to ask again.
 */
async function mayHaveDelegated(
  tx: Transaction,
  requester: Requester,
  applied: AppliedOutcome,
  grant: Grant,
): Authority {
  const created = applied.handles['net'];
  const parent =
    applied.placedUnder ?? (created ? (await findNetByHandle(tx, created))?.parentHandle : undefined);
  if (!parent || parent === grant.parent) return ok(undefined);
  return mayReassignFrom(tx, requester, parent);
}

export const HANDLERS: Handlers = {
  'poc.create': {
    authorize: (tx, requester) => mayCreatePoc(tx, requester),
    apply: (tx, context, request) => createPoc(tx, context, request),
  },
  'poc.modify': {
    authorize: (tx, requester, request) => mayManagePoc(tx, requester, request.handle),
    apply: (tx, context, request) => modifyPoc(tx, context, request.handle, request.changes),
  },
  'poc.remove': {
    authorize: (tx, requester, request) => mayManagePoc(tx, requester, request.handle),
    apply: (tx, context, request) => removePoc(tx, context, request.handle),
  },
  'org.create': {
    authorize: (tx, requester) => mayCreateOrg(tx, requester),
    apply: (tx, context, request) => createOrg(tx, context, request),
  },
  'org.modify': {
    authorize: (tx, requester, request) => mayManageOrg(tx, requester, request.handle),
    apply: (tx, context, request) => modifyOrg(tx, context, request.handle, request.changes),
  },
  'org.remove': {
    authorize: (tx, requester, request) => mayManageOrg(tx, requester, request.handle),
    apply: (tx, context, request) => removeOrg(tx, context, request.handle),
  },
  'reassign-simple.create': {
    verify: mayHaveDelegated,
    authorize: (tx, requester, request) => mayDelegateFrom(tx, requester, request.range),
    apply: (tx, context, request, options) => createSimpleReassignment(tx, context, request, options),
  },
  'reassign-simple.modify': {
    authorize: (tx, requester, request) =>
      mayManageNetAt(tx, request.range, (net) => mayManageNet(tx, requester, net)),
    apply: (tx, context, request) => modifySimpleReassignment(tx, context, request.range, request.changes),
  },
  'reassign-simple.remove': {
    authorize: (tx, requester, request) =>
      mayManageNetAt(tx, request.range, (net) => mayManageNet(tx, requester, net)),
    apply: (tx, context, request) => removeSimpleReassignment(tx, context, request.range),
  },
  'reassign-detailed': {
    verify: mayHaveDelegated,
    authorize: (tx, requester, request) => mayDelegateFrom(tx, requester, request.range),
    apply: (tx, context, request, options) => reassignDetailed(tx, context, request, options),
  },
  reallocate: {
    verify: mayHaveDelegated,
    authorize: (tx, requester, request) => mayDelegateFrom(tx, requester, request.range),
    apply: (tx, context, request, options) => reallocate(tx, context, request, options),
  },
  'net.modify': {
    authorize: (tx, requester, request) =>
      mayManageNetAt(tx, request.range, (net) =>
        request.changes.networkName !== undefined
          ? mayRenameNet(tx, requester, net)
          : mayManageNet(tx, requester, net),
      ),
    apply: (tx, context, request) => modifyNet(tx, context, request.range, request.changes),
  },
  'net.remove': {
    authorize: async (tx, requester, request) => {
      const nets = await findNetsByRange(tx, request.range);
      const net = nets.length === 1 ? nets[0]! : undefined;
      if (!net) return ok(undefined);
      return net.type === 'direct_allocation'
        ? mayReturnNet(tx, requester, net.handle)
        : mayManageNet(tx, requester, net.handle);
    },
    apply: (tx, context, request, options) => removeNet(tx, context, request.range, options),
  },
};

export function handlerFor<K extends RequestKind>(kind: K): Handler<K> {
  return HANDLERS[kind] as unknown as Handler<K>;
}
