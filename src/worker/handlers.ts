/**
 * One entry per request kind: who may ask for it (auth) and what it does (registry).
 * The worker never sees form versions: the template parser already mapped every version of a
 * form onto these request kinds.
 */
import {
  mayCreateOrg,
  mayCreatePoc,
  mayManageNet,
  mayManageOrg,
  mayManagePoc,
  mayRemoveNet,
  mayRemoveOrg,
  mayRenameNet,
  type Requester,
} from '../auth/index.ts';
import type { Transaction } from '../db/index.ts';
import type { IpRange } from '../ip/index.ts';
import {
  createOrg,
  createPoc,
  createSimpleReassignment,
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
import { ok, type Problem, type Result } from '../shared/index.ts';
import type { RequestKind, TemplateRequest } from '../templates/index.ts';

type Authority = Promise<Result<void, Problem>>;

/** A kind whose authority is checked here, before the registry runs it. */
interface CheckedFirst<K extends RequestKind> {
  readonly checks: 'first';
  authorize(tx: Transaction, requester: Requester, request: Extract<TemplateRequest, { kind: K }>): Authority;
  apply: Apply<K>;
}

/**
 * A kind that creates a net under a parent: the registry checks the requester's authority over
 * the parent it places the net under (`OperationOptions.delegation`, with auth's
 * `delegationVerdict`), in the statement that finds and locks it. One round trip fewer than a
 * check of its own, and no window in which a more specific net committed by someone else could
 * slip in between the check and the placement.
 */
interface CheckedAtPlacement<K extends RequestKind> {
  readonly checks: 'at-placement';
  apply: Apply<K>;
}

type Apply<K extends RequestKind> = (
  tx: Transaction,
  context: OperationContext,
  request: Extract<TemplateRequest, { kind: K }>,
  options: OperationOptions,
) => Promise<Result<Outcome>>;

type Handler<K extends RequestKind> = CheckedFirst<K> | CheckedAtPlacement<K>;

type Handlers = { readonly [K in RequestKind]: Handler<K> };

/**
 * The net a template names by its range. When there is none, the registry operation gives the
 * precise error. When several nets share the range (a whole block reallocated), the requester
 * must have the authority over one of them before hearing which they are (the registry's
 * E_AMBIGUOUS_RANGE names them); else the refusal is the first one's.
 */
async function mayManageNetAt(
  tx: Transaction,
  range: IpRange,
  check: (handle: string) => Authority,
): Authority {
  const nets = await findNetsByRange(tx, range);
  let refusal: Result<void, Problem> = ok(undefined);
  for (const [i, net] of nets.entries()) {
    const verdict = await check(net.handle);
    if (verdict.ok) return verdict;
    if (i === 0) refusal = verdict;
  }
  return refusal;
}

export const HANDLERS: Handlers = {
  'poc.create': {
    checks: 'first',
    authorize: (tx, requester) => mayCreatePoc(tx, requester),
    apply: (tx, context, request) => createPoc(tx, context, request),
  },
  'poc.modify': {
    checks: 'first',
    authorize: (tx, requester, request) => mayManagePoc(tx, requester, request.handle),
    apply: (tx, context, request) => modifyPoc(tx, context, request.handle, request.changes),
  },
  'poc.remove': {
    checks: 'first',
    authorize: (tx, requester, request) => mayManagePoc(tx, requester, request.handle),
    apply: (tx, context, request) => removePoc(tx, context, request.handle),
  },
  'org.create': {
    checks: 'first',
    authorize: (tx, requester) => mayCreateOrg(tx, requester),
    apply: (tx, context, request) => createOrg(tx, context, request),
  },
  'org.modify': {
    checks: 'first',
    authorize: (tx, requester, request) =>
      mayManageOrg(tx, requester, request.handle, request.changes.adminPoc),
    apply: (tx, context, request) => modifyOrg(tx, context, request.handle, request.changes),
  },
  'org.remove': {
    checks: 'first',
    authorize: (tx, requester, request) => mayRemoveOrg(tx, requester, request.handle),
    apply: (tx, context, request) => removeOrg(tx, context, request.handle),
  },
  'reassign-simple.create': {
    checks: 'at-placement',
    apply: (tx, context, request, options) => createSimpleReassignment(tx, context, request, options),
  },
  'reassign-simple.modify': {
    checks: 'first',
    authorize: (tx, requester, request) =>
      mayManageNetAt(tx, request.range, (net) => mayManageNet(tx, requester, net)),
    apply: (tx, context, request) => modifySimpleReassignment(tx, context, request.range, request.changes),
  },
  'reassign-simple.remove': {
    checks: 'first',
    authorize: (tx, requester, request) =>
      mayManageNetAt(tx, request.range, (net) => mayRemoveNet(tx, requester, net)),
    apply: (tx, context, request) => removeSimpleReassignment(tx, context, request.range),
  },
  'reassign-detailed': {
    checks: 'at-placement',
    apply: (tx, context, request, options) => reassignDetailed(tx, context, request, options),
  },
  reallocate: {
    checks: 'at-placement',
    apply: (tx, context, request, options) => reallocate(tx, context, request, options),
  },
  'net.modify': {
    checks: 'first',
    authorize: (tx, requester, request) =>
      mayManageNetAt(tx, request.range, (net) =>
        request.changes.networkName !== undefined
          ? mayRenameNet(tx, requester, net, request.changes.networkName)
          : mayManageNet(tx, requester, net),
      ),
    apply: (tx, context, request) => modifyNet(tx, context, request.range, request.changes),
  },
  'net.remove': {
    checks: 'first',
    authorize: (tx, requester, request) =>
      mayManageNetAt(tx, request.range, (net) => mayRemoveNet(tx, requester, net)),
    apply: (tx, context, request, options) => removeNet(tx, context, request.range, options),
  },
};

export function handlerFor<K extends RequestKind>(kind: K): Handler<K> {
  return HANDLERS[kind] as unknown as Handler<K>;
}
