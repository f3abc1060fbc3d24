/**
 * Net-Mod: change a reallocation's, detailed reassignment's or direct allocation's name, origin
 * AS, POCs, reverse name servers or comments; or remove a subdelegation. Simple reassignments
 * are handled by Reassign-Simple. The POCs a Net-Mod names must already exist.
 */
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { and, eq } from 'drizzle-orm';
import { type Transaction, tables } from '../db/index.ts';
import type { IpRange } from '../ip/index.ts';
import { formatRange } from '../ip/index.ts';
import { fail, ok, problem, type Result } from '../shared/index.ts';
import { atomically } from './atomic.ts';
import { writeAudit } from './audit.ts';
import { changedFields, modifiedLine } from './changes.ts';
import { childrenOfNet, findPoc, netPocs } from './lookups.ts';
import { deleteNet, describeNet, netForTemplate } from './placement.ts';
import { checkNewPocLinks } from './poc-links.ts';
import { checkHandle, checkHostnames, checkNetName, checkOriginAs, cleanList } from './rules.ts';
import type { Net, NetChanges, NetPocRole, OperationContext, OperationOptions, Outcome } from './types.ts';

/** The stored columns a Net-Mod may change besides the net's POCs. */
const NET_FIELDS = ['name', 'originAs', 'reverseNameservers', 'publicComments'] as const;

const POC_CHANGES: ReadonlyArray<{ role: NetPocRole; key: 'techPoc' | 'abusePoc' | 'nocPoc' }> = [
  { role: 'tech', key: 'techPoc' },
  { role: 'abuse', key: 'abusePoc' },
  { role: 'noc', key: 'nocPoc' },
];

export function modifyNet(
  tx: Transaction,
  context: OperationContext,
  range: IpRange,
  changes: NetChanges,
): Promise<Result<Outcome>> {
  return atomically(tx, async (sp) => {
    const found = await netForTemplate(sp, range, 'net-mod');
    if (!found.ok) return found;
    const net = found.value;
    const name = checkNetName(changes.networkName ?? net.name);
    if (!name.ok) return name;
    const originAs =
      changes.originAs === undefined ? checkOriginAs(net.originAs) : checkOriginAs(changes.originAs ?? []);
    if (!originAs.ok) return originAs;
    const nameservers =
      changes.reverseNameservers === undefined
        ? checkHostnames(net.reverseNameservers)
        : checkHostnames(changes.reverseNameservers ?? []);
    if (!nameservers.ok) return nameservers;

    // Check every POC named before changing anything.
    const pocChanges: { role: NetPocRole; pocHandle: string | null }[] = [];
    for (const { role, key } of POC_CHANGES) {
      const change = changes[key];
      if (change === undefined) continue;
      if (change === null) {
        pocChanges.push({ role, pocHandle: null });
        continue;
      }
      const handle = checkHandle('poc', change);
      if (!handle.ok) return handle;
      const poc = await findPoc(sp, handle.value);
      if (!poc) return fail(problem('E_OBJECT_NOT_FOUND', `${role} POC ${handle.value} does not exist`));
      pocChanges.push({ role, pocHandle: poc.handle });
    }

    const pocsBefore = await netPocs(sp, net.handle);
    const holders = (role: NetPocRole) => pocsBefore.filter((p) => p.role === role).map((p) => p.pocHandle);
    // A role given the POC(s) it already has is no change (billing systems send the whole form).
    const pocsChanged = pocChanges.filter(
      ({ role, pocHandle }) => !isDeepStrictEqual(holders(role), pocHandle ? [pocHandle] : []),
    );
    // The links as they would be: a role changed holds its new POC only, the others stay.
    const pocsWanted = [
      ...pocsBefore.filter((p) => !pocsChanged.some((c) => c.role === p.role)),
      ...pocsChanged.flatMap(({ role, pocHandle }) => (pocHandle ? [{ role, pocHandle }] : [])),
    ];
    const linked = await checkNewPocLinks(sp, context, pocsBefore, pocsWanted, { holderOrg: net.orgHandle });
    if (!linked.ok) return linked;
    const values = {
      name: name.value,
      originAs: originAs.value,
      reverseNameservers: nameservers.value,
      publicComments:
        changes.publicComments === undefined ? net.publicComments : cleanList(changes.publicComments),
    };
    // In the template's words and order: the net's own fields, its POCs, then its comments.
    const fields = changedFields(net, values, NET_FIELDS);
    const changed = [
      ...fields.filter((f) => f !== 'publicComments').map((f) => (f === 'name' ? 'networkName' : f)),
      ...pocsChanged.map(({ role }) => POC_CHANGES.find((c) => c.role === role)!.key),
      ...fields.filter((f) => f === 'publicComments'),
    ];
    if (changed.length === 0) {
      // Nothing written: no audit row, and the net's Updated date stays.
      return ok({
        status: 'applied',
        handles: { net: net.handle },
        unchanged: true,
        summary: [modifiedLine(`Net ${describeNet(net)}`, changed, context.fieldWords)],
      });
    }
    for (const { role, pocHandle } of pocsChanged) {
      await sp
        .delete(tables.netPocs)
        .where(and(eq(tables.netPocs.netHandle, net.handle), eq(tables.netPocs.role, role)));
      if (pocHandle) await sp.insert(tables.netPocs).values({ netHandle: net.handle, pocHandle, role });
    }
    const [after] = await sp
      .update(tables.nets)
      .set({ ...values, updatedAt: new Date() })
      .where(eq(tables.nets.handle, net.handle))
      .returning();
    const pocsAfter = pocsChanged.length > 0 ? await netPocs(sp, net.handle) : pocsBefore;
    await writeAudit(sp, context, {
      action: 'modify',
      objectType: 'net',
      objectHandle: net.handle,
      before: { ...net, pocs: pocsBefore },
      after: { ...after, pocs: pocsAfter },
    });
    return ok({
      status: 'applied',
      handles: { net: net.handle },
      summary: [modifiedLine(`Net ${describeNet(net)}`, changed, context.fieldWords)],
    });
  });
}

/** How many of a held removal's subdelegations its reason names one by one. */
const NAMED_BELOW = 20;

/**
 * A held removal's reason names everything the approval would remove with the net, at every
 * depth: staff approve what it names, and an approval is refused when the reason reads otherwise
 * by then (src/worker/staff-looked.ts). Past NAMED_BELOW handles, a digest of the whole list
 * stands for the rest, so a change among them changes the words too.
 */
function heldRemovalReason(net: Net, below: readonly Net[]): string {
  const handles = below.map((n) => n.handle).sort();
  const named = handles.slice(0, NAMED_BELOW).join(', ');
  const rest =
    handles.length > NAMED_BELOW
      ? ` and ${handles.length - NAMED_BELOW} more (list ${createHash('sha256').update(handles.join(' ')).digest('hex').slice(0, 12)})`
      : '';
  return (
    `${net.handle} still has ${handles.length} subdelegation(s) below it (${named}${rest}); ` +
    'removing it is reviewed by hostmaster staff, and removes them with it'
  );
}

/** The net and everything below it, the deepest first (so children go before their parents). */
async function subtree(tx: Transaction, net: Net): Promise<Net[]> {
  const below: Net[] = [];
  for (const child of await childrenOfNet(tx, net.handle))
    for (const descendant of await subtree(tx, child)) below.push(descendant);
  below.push(net);
  return below;
}

/**
 * Removes a reallocation or detailed reassignment. A direct allocation is returned to the registry
 * by staff only. A net that still has subdelegations below it goes to staff review; once approved,
 * they are removed with it (their customer records are kept).
 */
export function removeNet(
  tx: Transaction,
  context: OperationContext,
  range: IpRange,
  options: OperationOptions = {},
): Promise<Result<Outcome>> {
  return atomically(tx, async (sp) => {
    const found = await netForTemplate(sp, range, 'net-mod');
    if (!found.ok) return found;
    const net = found.value;
    if (net.type === 'direct_allocation' && context.actor.kind !== 'staff') {
      return fail(
        problem(
          'E_NOT_REMOVABLE',
          `${describeNet(net)} is a direct allocation; it can only be returned to the registry through hostmaster staff`,
        ),
      );
    }
    const children = await childrenOfNet(sp, net.handle);
    if (children.length > 0 && !options.staffApproved) {
      const below = (await subtree(sp, net)).filter((n) => n !== net);
      return ok({ status: 'pending_review', reason: heldRemovalReason(net, below) });
    }
    const doomed = await subtree(sp, net);
    for (const each of doomed) {
      await deleteNet(sp, context, each, each === net ? undefined : `removed with its parent ${net.handle}`);
    }
    const below = doomed.filter((n) => n !== net);
    return ok({
      status: 'applied',
      handles: { net: net.handle },
      summary: [
        `Net ${net.handle} (${formatRange(range)}) removed; the space returns to ${net.parentHandle ?? 'the registry'}.`,
        ...(below.length ? [`Removed with it: ${below.map((n) => n.handle).join(', ')}.`] : []),
        ...(net.orgHandle ? [`Org ${net.orgHandle} and its POCs are kept.`] : []),
        ...(below.some((n) => n.customerHandle) ? ['Customer records are kept.'] : []),
      ],
    });
  });
}
